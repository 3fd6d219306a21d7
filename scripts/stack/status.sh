#!/usr/bin/env bash
# Shows the local stack: one line per server with up/down, address, pid and log.
#
#   bash scripts/stack/status.sh        exit 0 when every server answers, 3 otherwise
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_up=1
for name in "${ALL_STACK_SERVERS[@]}"; do
  pid=$(read_pid "$name" || true)
  # Another engine's servers are shown only while they run.
  [[ " ${STACK_SERVERS[*]} " == *" $name "* || -n "$pid" ]] || continue
  # The two engines share TEMPORAL_PORT: the dev server's row is left out while Temporal's own server runs there.
  if [[ "$name" == temporal && -z "$pid" ]] && read_pid temporal-server >/dev/null; then continue; fi
  if port_open "$STACK_HOST" "$(server_port "$name")"; then
    state=up
  elif [[ -n "$pid" ]]; then
    state=starting
    all_up=0
  else
    state=down
    all_up=0
  fi
  if [[ -n "$pid" ]]; then
    who="pid $pid"
    if grep -qx "$name" "$STATE_STARTED" 2>/dev/null; then who+=" (down.sh stops it)"; else who+=" (down.sh --all stops it)"; fi
  elif [[ $state == up ]]; then
    who="pid - (not started by these scripts)"
  else
    who="pid -"
  fi
  logf=$(log_file "$name")
  [[ -f "$logf" ]] || logf="-"
  printf '%-9s %-8s %-50s %-35s log %s\n' "$name" "$state" "$(server_address "$name")" "$who" "$logf"
done
((all_up)) || exit 3
