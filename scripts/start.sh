#!/usr/bin/env bash
# npm start: installs what is missing, then `switchyard dev` brings the local stack up and runs the API and a
# worker until Ctrl-C or SIGTERM, which stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
# The Temporal UI asks this endpoint to decode payloads (operators only: see README, "Payload encryption").
export SWITCHYARD_UI_CODEC_ENDPOINT=${SWITCHYARD_UI_CODEC_ENDPOINT:-http://localhost:${API_PORT:-9000}/codec}
exec node bin/switchyard.js dev
