#!/usr/bin/env bash
# npm run build: the code the processes run in production, as the image builds it (Dockerfile, stage "build").
#   dist/src, dist/workflows, dist/activities   TypeScript compiled by tsc (tsconfig.build.json)
#   dist/workflow-bundle.js                     the workflow bundle, built once here; a worker started from dist/
#                                               loads it instead of running webpack at every start
# `node dist/src/cli.js <api|worker|...>` then runs without tsx or TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node_modules/.bin/tsc -p tsconfig.build.json
node scripts/bundle-workflows.mjs
