#!/usr/bin/env bash
# Stops the local stack's servers.
#
#   bash scripts/stack/down.sh          stops the servers listed in $SWITCHYARD_STATE/started (those up.sh started)
#   bash scripts/stack/down.sh --all    stops every server that has a pid file in $SWITCHYARD_STATE/pids/
#
# Each server gets SIGTERM, up to 15 s to exit, then SIGKILL; the script then waits until its port is free
# (Temporal takes over a second to release it), so the next up.sh can start at once. Servers it did not start
# (no pid file, or another program on the port) are never touched. Data in $SWITCHYARD_STATE/data/ is kept.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_SECONDS=15

# running PID: alive and not a zombie.
running() {
  local state
  pid_alive "$1" || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z ]]
}

# wait_exit PID SECONDS
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while running "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# signal_server SIG PID: the whole process group (up.sh starts each server in its own session), else the pid.
signal_server() {
  kill "-$1" -- "-$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null || true
}

stop_server() {
  local name=$1 pid port start
  start=$(now_ms)
  port=$(server_port "$name")
  pid=$(read_pid "$name" || true)
  if [[ -z "$pid" ]]; then
    remove_pid "$name"
    log "$name: not running"
    return 0
  fi
  # PostgreSQL's SIGTERM waits for every client to leave; SIGINT is its fast shutdown (a clean one all the same).
  if [[ "$name" == postgresql ]]; then signal_server INT "$pid"; else signal_server TERM "$pid"; fi
  if ! wait_exit "$pid" "$STOP_SECONDS"; then
    warn "$name (pid $pid) still running ${STOP_SECONDS}s after SIGTERM: sending SIGKILL"
    signal_server KILL "$pid"
    wait_exit "$pid" 5 || {
      err "$name (pid $pid) survived SIGKILL"
      return 1
    }
  fi
  remove_pid "$name"
  if ! wait_port_free "$STACK_HOST" "$port" "$STOP_SECONDS"; then
    err "$name stopped (pid $pid) but $STACK_HOST:$port is still in use by another program"
    return 1
  fi
  if [[ "$name" == kafka ]]; then wait_port_free "$STACK_HOST" "$KAFKA_CONTROLLER_PORT" 5 || true; fi
  if [[ "$name" == temporal ]]; then wait_port_free "$STACK_HOST" "$TEMPORAL_UI_PORT" 5 || true; fi
  if [[ "$name" == temporal-server ]]; then wait_port_free "$STACK_HOST" "$((TEMPORAL_PORT + 1))" 5 || true; fi
  log "$name stopped (pid $pid) in $(elapsed_since "$start")"
}

main() {
  local all=0
  case ${1:-} in
    "") ;;
    --all) all=1 ;;
    -h | --help)
      sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (usage: down.sh [--all])" ;;
  esac

  local servers=() s
  if ((all)); then
    for s in "${ALL_STACK_SERVERS[@]}"; do [[ -f "$(pid_file "$s")" ]] && servers+=("$s"); done
  elif [[ -f "$STATE_STARTED" ]]; then
    while IFS= read -r s; do
      [[ -n "$s" ]] || continue
      if ! is_server "$s"; then
        warn "ignoring unknown server '$s' in $STATE_STARTED"
        continue
      fi
      [[ " ${servers[*]} " == *" $s "* ]] || servers+=("$s")
    done <"$STATE_STARTED"
  fi
  if ((${#servers[@]} == 0)); then
    log "nothing to stop ($( ((all)) && echo "no pid files in $STATE_PIDS" || echo "no servers listed in $STATE_STARTED"))"
    ((all)) || rm -f "$STATE_STARTED"
    return 0
  fi

  # Stop in parallel; keep in the list whatever could not be stopped.
  local pids=() failed=() i
  for s in "${servers[@]}"; do
    stop_server "$s" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${servers[$i]}")
  done
  # Take off the list what was stopped; what could not be stopped stays on it.
  local stopped=()
  for s in "${servers[@]}"; do [[ " ${failed[*]} " == *" $s "* ]] || stopped+=("$s"); done
  ((${#stopped[@]} == 0)) || started_remove "${stopped[@]}"
  if ((${#failed[@]})); then
    err "could not stop: ${failed[*]}"
    exit 1
  fi
}

main "$@"
