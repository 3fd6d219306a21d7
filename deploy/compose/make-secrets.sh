#!/usr/bin/env bash
# Writes the credentials docker-compose.yml mounts as secrets into deploy/compose/secrets/ (one file each, mode
# 600), each a fresh random value. Existing files are kept, so running it again changes nothing; delete a file
# to replace that credential. The folder is git-ignored. SECRETS_DIR writes them elsewhere.
set -euo pipefail
dir=${SECRETS_DIR:-"$(cd "$(dirname "$0")" && pwd)/secrets"}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

random() { head -c "$1" /dev/urandom | base64 | tr -d '\n/+=' | cut -c1-"$2"; }
put() {
  local name=$1 value=$2
  if [[ -s "$dir/$name" ]]; then
    echo "kept    secrets/$name"
  else
    printf '%s\n' "$value" >"$dir/$name"
    echo "created secrets/$name"
  fi
}

put postgres_password "$(random 32 32)"
put mongo_root_password "$(random 32 32)"
# The replica set's members authenticate to each other with this key (MongoDB needs it once auth is on).
put mongo_keyfile "$(random 96 96)"
put mongo_app_password "$(random 32 32)"
put mongo_url "mongodb://switchyard:$(head -n 1 "$dir/mongo_app_password")@mongodb:27017/switchyard?replicaSet=rs0&authSource=admin"
put device_api_key "$(random 32 40)"
put scheduler_jwt_secret "$(random 48 64)"
put gpu_api_key "$(random 32 40)"
put auth_token "$(random 32 40)"
put codec_operator_token "$(random 32 40)"
# AES-256-GCM: exactly 32 random bytes, base64.
put codec_key "$(head -c 32 /dev/urandom | base64)"
