#!/usr/bin/env bash
# Every bench once, at a small size (a minute or two each), one after another, for bench/RESULTS.md:
#   bash bench/run-small.sh <output dir>
# SWITCHYARD_STATE names the .stack directory of the running stack (its pid files give the servers' CPU).
# engines.ts brings up private stacks of its own (Temporal's server on PostgreSQL: scripts/stack/install.sh
# temporal-server builds it once); peer-netpulse.ts needs NetPulse running (bench/peers/netpulse-setup.sh install
# && … start, by hand): without it, its log says so and the run goes on. engines.ts runs its baseline and device
# parts only: scheduler-scale.ts has a line of its own.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/switchyard-bench}
mkdir -p "$out"
run() {
  local name=$1; shift
  echo "== $name: npx tsx $* ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))" | tee "$out/$name.log"
  timeout "${limit:-600}" npx tsx "$@" 2>&1 | grep -v '^{' | grep -v '^\s*sdkComponent\|^20..-..-..T.*\[INFO\]\|^  state:\|^  taskQueue:\|^}$' >>"$out/$name.log"
  echo "exit ${PIPESTATUS[0]}" >>"$out/$name.log"
}
run engine-baseline bench/engine-baseline/main.ts --workflows 100 --concurrency 20
run chain bench/chain.ts --workflows 100 --concurrency 20
run engine-ops bench/engine-ops.ts --ops 100
run device-jobs bench/device-jobs.ts --jobs 40 --concurrency 8
run device-jobs-platforms bench/device-jobs.ts --only platforms --jobs 20 --concurrency 4
run device-platforms bench/device-platforms.ts --commands 300 --rounds 3
run parse-offloop bench/parse-offloop.ts --jobs 60 --concurrency 4
run render-sandbox bench/render-sandbox.ts --rounds 50
run render-first bench/render-first.ts --rounds 6
run vm-timeout bench/vm-timeout.ts --calls 5000
run workflow-bundle bench/workflow-bundle.ts --workflows 200 --rounds 2
run device-read bench/device-read.ts --jobs 5000 --requests 1000 --seconds 4 --rate 100
run ssh-netmiko bench/ssh-netmiko.ts --commands 50 --device-delay 50
run gpu-dispatch bench/gpu-dispatch.ts --latency 20 --tasks 60 --agents 2 --capacity 4
run scheduler-api bench/scheduler-api.ts --tasks 2000 --creates 100 --connections 5 --rate 50 --seconds 4
run scheduler-api-seq bench/scheduler-api-seq.ts --tasks 1000 --requests 20
run scheduler-lateness bench/scheduler-lateness.ts --date 10 --interval 3 --spread 10
run scheduler-scale bench/scheduler-scale.ts --tasks 50 --minutes 2
run service-ingest bench/service-ingest.ts --messages 300 --duplicates 20 --partitions 4 --members 2
run service-status bench/service-status.ts --rate 50 --seconds 5 --ids 10 --background 200
limit=1200 run engines bench/engines.ts --only baseline,device --workflows 60 --jobs 20 --concurrency 8
if curl -s -m 5 -o /dev/null -H "X-API-KEY: ${NETPULSE_API_KEY:-bench-key}" "http://127.0.0.1:${NETPULSE_PORT:-9100}/health"; then
  run peer-netpulse bench/peer-netpulse.ts --jobs 100 --hosts 1 --poll 100
else
  echo "== peer-netpulse: not run, NetPulse does not answer on 127.0.0.1:${NETPULSE_PORT:-9100} (bench/peers/netpulse-setup.sh start)" | tee "$out/peer-netpulse.log"
fi
