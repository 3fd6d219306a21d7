#!/usr/bin/env bash
# Sets up NetPulse 0.4.3 (github scitix/netpulse) as the peer for bench/peer-netpulse.ts.
# Run by hand, never by CI. Nothing of NetPulse is committed: its source, venv, Redis data and
# config live under $PEER_DIR (default ~/.cache/switchyard/peers). Everything binds to 127.0.0.1.
#
#   bench/peers/netpulse-setup.sh install   # clone 0.4.3, venv (pip install -e .[api]), config
#   bench/peers/netpulse-setup.sh start     # redis (password) + gunicorn (2 workers) + node + fifo worker
#   bench/peers/netpulse-setup.sh stop      # stops what `start` started (by recorded pid)
#   bench/peers/netpulse-setup.sh status
#
# Environment: NETPULSE_SRC (a git URL or local mirror of scitix/netpulse; default the GitHub URL),
# PYTHON (a Python 3.12; default python3.12), NETPULSE_PORT (9100), NETPULSE_REDIS_PORT (6390),
# NETPULSE_API_KEY (bench-key), NETPULSE_REDIS_PASSWORD (generated once, kept in $PEER_DIR/netpulse-run/redis.pass).
# Redis: Debian's redis-server (`apt-get install redis-server`); only its binary is used, with its own config.
set -euo pipefail

PEER_DIR=${PEER_DIR:-$HOME/.cache/switchyard/peers}
SRC_DIR=$PEER_DIR/netpulse
RUN_DIR=$PEER_DIR/netpulse-run
VENV=$PEER_DIR/netpulse-venv
NETPULSE_SRC=${NETPULSE_SRC:-https://github.com/scitix/netpulse.git}
# "release 0.4.3 version" (the repository has no 0.4.3 tag).
NETPULSE_COMMIT=${NETPULSE_COMMIT:-e4f8b54783993646969b4b18c8a26a27af506912}
PYTHON=${PYTHON:-python3.12}
PORT=${NETPULSE_PORT:-9100}
REDIS_PORT=${NETPULSE_REDIS_PORT:-6390}
API_KEY=${NETPULSE_API_KEY:-bench-key}

redis_password() {
  mkdir -p "$RUN_DIR"
  if [[ -n "${NETPULSE_REDIS_PASSWORD:-}" ]]; then echo "$NETPULSE_REDIS_PASSWORD"; return; fi
  [[ -s $RUN_DIR/redis.pass ]] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/redis.pass")
  cat "$RUN_DIR/redis.pass"
}

install() {
  mkdir -p "$PEER_DIR" "$RUN_DIR"
  if [[ ! -d $SRC_DIR/.git ]]; then git clone -q "$NETPULSE_SRC" "$SRC_DIR"; fi
  git -C "$SRC_DIR" checkout -q "$NETPULSE_COMMIT"
  grep -q '^version = "0.4.3"' "$SRC_DIR/pyproject.toml" || { echo "not NetPulse 0.4.3" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install redis-server" >&2; exit 1; }
  [[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
  (cd "$SRC_DIR" && "$VENV/bin/pip" install -q -e '.[api]')
  write_config
}

write_config() {
  mkdir -p "$RUN_DIR"
  # The upstream config with TLS off, loopback only, 2 gunicorn workers (the issue's set-up).
  cat >"$RUN_DIR/config.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $PORT
  api_key: $API_KEY
  api_key_name: X-API-KEY
  gunicorn_worker: 2
job:
  ttl: 1800
  timeout: 300
  result_ttl: 300
worker:
  scheduler: "load_weighted_random"
  ttl: 300
  pinned_per_node: 128
redis:
  host: 127.0.0.1
  port: $REDIS_PORT
  password: $(redis_password)
  timeout: 30
  keepalive: 30
  tls:
    enabled: false
  sentinel:
    enabled: false
  key:
    host_to_node_map: netpulse:host_to_node_map
    node_info_map: netpulse:node_info_map
plugin:
  driver: netpulse/plugins/drivers/
  webhook: netpulse/plugins/webhooks/
  template: netpulse/plugins/templates/
  scheduler: netpulse/plugins/schedulers/
  credential: netpulse/plugins/credentials/
storage:
  staging: $RUN_DIR/staging
log:
  config: config/log-config.yaml
  level: WARNING
YAML
  chmod 600 "$RUN_DIR/config.yaml"
  mkdir -p "$RUN_DIR/staging"
}

start_bg() { # name, command...
  local name=$1; shift
  # exec setsid in a background subshell (not a group leader, so setsid does not fork): the recorded pid is the
  # server's, and it leads its own process group.
  (cd "$SRC_DIR" && export NETPULSE_CONFIG_FILE=$RUN_DIR/config.yaml && { (exec setsid "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null) & echo $! >"$RUN_DIR/$name.pid"; })
}

start() {
  write_config
  local pass; pass=$(redis_password)
  cat >"$RUN_DIR/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
requirepass $pass
dir $RUN_DIR
save ""
appendonly no
daemonize no
CONF
  chmod 600 "$RUN_DIR/redis.conf"
  start_bg redis redis-server "$RUN_DIR/redis.conf"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" --no-auth-warning -a "$pass" ping 2>/dev/null | grep -q PONG && break; sleep 0.2; done
  start_bg gunicorn "$VENV/bin/gunicorn" -c gunicorn.conf.py netpulse.controller:app
  start_bg node "$VENV/bin/python" worker.py node
  start_bg fifo "$VENV/bin/python" worker.py fifo
  for _ in $(seq 150); do
    curl -fsS -o /dev/null -H "X-API-KEY: $API_KEY" "http://127.0.0.1:$PORT/system/stats" 2>/dev/null && { status; return; }
    sleep 0.2
  done
  echo "NetPulse API did not answer on 127.0.0.1:$PORT; see $RUN_DIR/*.log" >&2; exit 1
}

stop() {
  for name in fifo node gunicorn redis; do
    local f=$RUN_DIR/$name.pid
    [[ -s $f ]] || continue
    # setsid made each its own process group: end the group (gunicorn's forks, rq's work horses).
    kill -TERM -- "-$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

status() {
  for name in redis gunicorn node fifo; do
    local f=$RUN_DIR/$name.pid
    if [[ -s $f ]] && kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name: pid $(cat "$f")"; else echo "$name: down"; fi
  done
  echo "api: http://127.0.0.1:$PORT (X-API-KEY: $API_KEY)"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
