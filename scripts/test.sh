#!/usr/bin/env bash
# npm test: everything a fresh clone needs, then lint, type-check, unit tests, the real local stack and the
# integration/e2e tests against it. Stops only the servers it started. Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=${SWITCHYARD_STATE:-$ROOT/.stack}
mkdir -p "$STATE/logs"
failed=()
t0=$SECONDS

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` refuses this lock file: npm leaves other platforms' optional binaries (swc, rollup) out of it.
  npm install --no-audit --no-fund || { echo "npm install failed"; exit 1; }
fi

# The stack installs and boots in the background (minutes when cold) while lint, types and unit tests run.
step "local stack (starting in the background; log: $STATE/logs/stack-up.log)"
bash scripts/stack/up.sh >"$STATE/logs/stack-up.log" 2>&1 &
stack_pid=$!
stop_stack() { bash scripts/stack/down.sh || true; }
trap stop_stack EXIT

step "lint"
npx eslint . || failed+=(lint)

step "import graph (no cycle, no arrow up the layers: docs/DEVELOPING.md)"
npx depcruise src workflows activities --config .dependency-cruiser.cjs || failed+=(import-graph)

step "type-check"
npx tsc --noEmit -p tsconfig.json || failed+=(type-check)

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-unit.json" || failed+=(unit)

step "waiting for the local stack"
if wait "$stack_pid"; then
  cat "$STATE/logs/stack-up.log"
  step "integration and e2e tests"
  npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-integration.json" || failed+=(integration)
  # On its own: it stops and kills servers and processes of a private stack, and keeps both cores busy.
  step "fault suite, short versions (a private stack on free ports)"
  npx vitest run --project faults --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-faults.json" || failed+=(faults)
else
  cat "$STATE/logs/stack-up.log"
  echo "the local stack did not come up: integration tests not run (see the log above)"
  failed+=(stack)
fi

step "summary ($((SECONDS - t0)) s)"
node -e '
  const fs = require("fs");
  let passed = 0, failedN = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) continue;
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failedN += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failedN} failed, ${skipped} skipped`);
' "$STATE/logs/vitest-unit.json" "$STATE/logs/vitest-integration.json" "$STATE/logs/vitest-faults.json"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all green"
