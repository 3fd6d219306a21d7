#!/usr/bin/env bash
# npm start: installs what is missing, then `switchyard dev` checks the configuration (an invalid setting stops it
# here, before anything starts), brings the local stack up and runs the API and a worker as two processes until
# Ctrl-C or SIGTERM, which stops both and the servers it started. `exec`: the signals reach node itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
# No cluster-level codec endpoint by default: with one set, the Temporal UI's codec dialog offers no "include
# cross-origin credentials" switch, and the operator cookie (README, "Payload encryption") is never sent. The
# operator sets http://127.0.0.1:9000/codec in the UI with that switch on: one host name (127.0.0.1) for the UI
# and the API, so the SameSite=Lax cookie goes along. SWITCHYARD_UI_CODEC_ENDPOINT, when set, is still passed.
exec node bin/switchyard.js dev
