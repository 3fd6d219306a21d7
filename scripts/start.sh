#!/usr/bin/env bash
# npm start: installs what is missing, then `switchyard dev` checks the configuration (an invalid setting stops it
# here, before anything starts), brings the local stack up and runs the API and a worker as two processes until
# Ctrl-C or SIGTERM, which stops both and the servers it started. `exec`: the signals reach node itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
# The Temporal UI asks this endpoint to decode payloads (operators only: see README, "Payload encryption").
export SWITCHYARD_UI_CODEC_ENDPOINT=${SWITCHYARD_UI_CODEC_ENDPOINT:-http://localhost:${API_PORT:-9000}/codec}
exec node bin/switchyard.js dev
