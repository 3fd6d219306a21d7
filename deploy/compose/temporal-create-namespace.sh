#!/bin/sh
# docker-compose.yml, job temporal-create-namespace (temporalio/admin-tools), once the server is healthy: creates
# Switchyard's namespace when missing and registers the custom search attributes listed in
# temporal-config/search-attributes.txt (mounted at /etc/temporal/switchyard). Safe to run again.
set -eu
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-7d}
ATTRIBUTES=${SEARCH_ATTRIBUTES_FILE:-/etc/temporal/switchyard/search-attributes.txt}

tries=0
until temporal operator cluster health --address "$ADDRESS"; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "Temporal at $ADDRESS is not healthy after $tries tries" >&2; exit 1; }
  sleep 2
done

if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
fi

existing=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE")
grep -v '^[[:space:]]*#' "$ATTRIBUTES" | while read -r name type; do
  [ -n "$name" ] || continue
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" --name "$name" --type "$type" --yes
  fi
done
echo "namespace $NAMESPACE is ready"
