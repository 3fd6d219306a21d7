#!/usr/bin/env bash
# Brings the local stack up: Temporal dev server, FerretDB, Kafka (KRaft), all on 127.0.0.1.
#
#   bash scripts/stack/up.sh [--engine dev|server] [--only temporal,ferretdb,kafka] [--no-tools] [--keep]
#
# --engine server runs Temporal's own server (v1.32.0, built from source by install.sh temporal-server) on
# Debian's PostgreSQL 15 instead of the dev server, configured by temporal-config/server.yaml (the file
# docker-compose.yml mounts): servers postgresql (POSTGRES_PORT, default 5433) and temporal-server (TEMPORAL_PORT
# and four ports derived from it, see lib.sh). The dev server stays the default.
# A server that already answers on its port is reused and left alone. Any other is installed if needed
# (install.sh), started in the background (it outlives this script), and waited for until healthy
# ($STACK_WAIT_SECONDS, default 90). Servers come up in parallel. The names of the servers this run started are
# appended to $SWITCHYARD_STATE/started, which down.sh reads. Logs: $SWITCHYARD_STATE/logs/<server>.log.
# --keep starts servers without listing them there: they keep running through `npm test` (whose down.sh stops only
# what is listed) until `down.sh --all`.
# Unless --only or --no-tools is given, the tests' tools (sshd, kcat, pytools) are installed alongside; a failure
# there is a warning, not an error.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# --- health checks (each returns quickly; 0 = healthy) -------------------------

health_temporal() {
  local addr="$STACK_HOST:$TEMPORAL_PORT" out
  out=$("$TEMPORAL_BIN" operator cluster health --address "$addr" 2>&1) || return 1
  [[ "$out" == *SERVING* ]] || return 1
  "$TEMPORAL_BIN" operator namespace describe --namespace default --address "$addr" >/dev/null 2>&1
}

# Temporal's own server: up once its frontend answers the health check (the namespace is created after).
health_temporal-server() {
  local out
  out=$("$TEMPORAL_BIN" operator cluster health --address "$STACK_HOST:$TEMPORAL_PORT" 2>&1) || return 1
  [[ "$out" == *SERVING* ]]
}

health_postgresql() {
  "$POSTGRES_BIN_DIR/pg_isready" -q -h "$STACK_HOST" -p "$POSTGRES_PORT" -t 2
}

have_node_module() { command -v node >/dev/null 2>&1 && [[ -d "$SWITCHYARD_ROOT/node_modules/$1" ]]; }

health_ferretdb() {
  port_open "$STACK_HOST" "$FERRET_PORT" || return 1
  have_node_module mongodb || return 0 # before `npm ci`: the open port is all we can check
  (
    cd "$SWITCHYARD_ROOT"
    MONGO_PING_URL="mongodb://$STACK_HOST:$FERRET_PORT/" timeout 20 node -e '
      const { MongoClient } = require("mongodb");
      const c = new MongoClient(process.env.MONGO_PING_URL, { serverSelectionTimeoutMS: 3000, connectTimeoutMS: 3000 });
      c.connect()
        .then(() => c.db("admin").command({ ping: 1 }))
        .then((r) => c.close().then(() => process.exit(r.ok === 1 ? 0 : 1)))
        .catch((e) => { console.error(e.message); process.exit(1); });'
  ) >/dev/null 2>&1
}

health_kafka() {
  port_open "$STACK_HOST" "$KAFKA_PORT" || return 1
  if command -v kcat >/dev/null 2>&1; then
    timeout 20 kcat -L -b "$STACK_HOST:$KAFKA_PORT" -m 5 >/dev/null 2>&1
  elif have_node_module kafkajs; then
    (
      cd "$SWITCHYARD_ROOT"
      KAFKA_PING_BROKER="$STACK_HOST:$KAFKA_PORT" timeout 20 node -e '
        const { Kafka, logLevel } = require("kafkajs");
        const admin = new Kafka({ brokers: [process.env.KAFKA_PING_BROKER], logLevel: logLevel.NOTHING,
          connectionTimeout: 3000, retry: { retries: 0 } }).admin();
        admin.connect().then(() => admin.listTopics()).then(() => admin.disconnect())
          .then(() => process.exit(0), () => process.exit(1));'
    ) >/dev/null 2>&1
  fi
}

# --- start commands ------------------------------------------------------------

# Prints `Name=Type` for each line of temporal-config/search-attributes.txt; fails on a malformed line or when a
# type exceeds what the SQLite dev server accepts.
search_attribute_flags() {
  [[ -f "$SEARCH_ATTRIBUTES_FILE" ]] || return 0
  awk '
    { sub(/#.*/, ""); if (NF == 0) next }
    NF != 2 { printf "%s:%d: expected `Name Type`, got: %s\n", FILENAME, NR, $0 > "/dev/stderr"; bad = 1; next }
    $1 !~ /^[A-Za-z][A-Za-z0-9_]*$/ { printf "%s:%d: bad attribute name %s\n", FILENAME, NR, $1 > "/dev/stderr"; bad = 1; next }
    $2 !~ /^(Keyword|Text|Int|Double|Bool|Datetime|KeywordList)$/ {
      printf "%s:%d: unknown type %s (Keyword Text Int Double Bool Datetime KeywordList)\n", FILENAME, NR, $2 > "/dev/stderr"; bad = 1; next }
    { count[$2]++; print $1 "=" $2 }
    END {
      for (t in count) {
        max = (t == "Keyword") ? 10 : 3
        if (count[t] > max) { printf "%s: %d %s attributes; the SQLite dev server allows %d\n", FILENAME, count[t], t, max > "/dev/stderr"; bad = 1 }
      }
      exit bad
    }' "$SEARCH_ATTRIBUTES_FILE"
}

# `start-dev --search-attribute` registers attributes only when it creates the database: on a later start it
# ignores new ones. So after every start (and on a reused server) register what is missing, one per CLI call
# (`create` with several --name silently adds only the first).
ensure_search_attributes() {
  local wanted have line name type current
  wanted=$(search_attribute_flags) || return 1
  [[ -n "$wanted" ]] || return 0
  have=$("$TEMPORAL_BIN" operator search-attribute list --namespace default --address "$STACK_HOST:$TEMPORAL_PORT" 2>&1) || {
    err "temporal: cannot list search attributes: $have"
    return 1
  }
  while IFS= read -r line; do
    name=${line%%=*}
    type=${line#*=}
    current=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$have")
    if [[ -z "$current" ]]; then
      "$TEMPORAL_BIN" operator search-attribute create --namespace default --address "$STACK_HOST:$TEMPORAL_PORT" \
        --name "$name" --type "$type" >/dev/null || {
        err "temporal: could not register search attribute $name ($type)"
        return 1
      }
      log "temporal: registered search attribute $name ($type)"
    elif [[ "$current" != "$type" ]]; then
      err "temporal: search attribute $name is registered as $current, but $SEARCH_ATTRIBUTES_FILE says $type." \
        "A type cannot change: rename the attribute, or stop Temporal and delete $STATE_DATA/temporal.db*."
      return 1
    fi
  done <<<"$wanted"
}

# Prints `KEY=JSON` for each unconstrained entry of temporal-config/development-sql.yaml (needs the repo's
# `yaml` package; without node_modules the dev server runs with its defaults).
dynamic_config_flags() {
  [[ -f "$DYNAMIC_CONFIG_FILE" ]] || return 0
  if ! have_node_module yaml; then
    warn "node_modules/yaml missing (run npm ci): Temporal starts without $DYNAMIC_CONFIG_FILE"
    return 0
  fi
  (
    cd "$SWITCHYARD_ROOT"
    # shellcheck disable=SC2016  # JavaScript template literal
    node -e '
      const { parse } = require("yaml");
      const doc = parse(require("fs").readFileSync(process.argv[1], "utf8")) ?? {};
      for (const [key, entries] of Object.entries(doc)) {
        const list = Array.isArray(entries) ? entries : [entries];
        const plain = list.find((e) => e && typeof e === "object" && "value" in e
          && (!e.constraints || Object.keys(e.constraints).length === 0));
        if (plain) console.log(`${key}=${JSON.stringify(plain.value)}`);
      }' "$DYNAMIC_CONFIG_FILE"
  )
}

# spawn NAME CMD...: runs CMD in its own session, detached from this script, output to NAME's log; sets SPAWNED_PID.
spawn() {
  local name=$1 logf
  shift
  logf=$(log_file "$name")
  mkdir -p "$STATE_LOGS"
  if [[ -f "$logf" ]]; then mv -f "$logf" "$logf.1"; fi
  printf '=== %s started by up.sh at %s: %s ===\n' "$name" "$(date -Is)" "$*" >"$logf"
  # fd 8 holds this script's lock: the server must not inherit it.
  setsid nohup "$@" >>"$logf" 2>&1 </dev/null 8>&- &
  SPAWNED_PID=$!
  write_pid "$name" "$SPAWNED_PID"
}

start_temporal() {
  local args=() sa dc
  sa=$(search_attribute_flags) || {
    err "temporal: fix $SEARCH_ATTRIBUTES_FILE"
    return 1
  }
  dc=$(dynamic_config_flags) || {
    err "temporal: cannot read $DYNAMIC_CONFIG_FILE"
    return 1
  }
  local line
  while IFS= read -r line; do [[ -n "$line" ]] && args+=(--search-attribute "$line"); done <<<"$sa"
  while IFS= read -r line; do [[ -n "$line" ]] && args+=(--dynamic-config-value "$line"); done <<<"$dc"
  if [[ -n "${SWITCHYARD_UI_CODEC_ENDPOINT:-}" ]]; then
    args+=(--ui-codec-endpoint "$SWITCHYARD_UI_CODEC_ENDPOINT")
  fi
  mkdir -p "$STATE_DATA"
  spawn temporal "$TEMPORAL_BIN" server start-dev \
    --ip "$STACK_HOST" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$STATE_DATA/temporal.db" \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --namespace default --log-level warn "${args[@]}"
}

# PostgreSQL refuses to run as root: as root, its files belong to (and it runs as) Debian's `postgres` user.
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

# The password of the `temporal` role, made once per state directory (readable by its owner only).
postgres_password() {
  local f="$STATE_DATA/postgresql.password"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$STATE_DATA"
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$f")
  fi
  cat "$f"
}

# A cluster of its own under the state directory: TCP on 127.0.0.1 only (no Unix socket), password
# authentication (scram-sha-256) for its one role, `temporal`, a superuser as in Temporal's compose files.
start_postgresql() {
  local dir="$STATE_DATA/postgresql" pw
  pw=$(postgres_password)
  if [[ ! -s "$dir/PG_VERSION" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    local pwfile="$STATE_DATA/.pg-initdb-pw"
    (umask 077 && printf '%s\n' "$pw" >"$pwfile")
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir" "$pwfile"; fi
    chmod 700 "$dir"
    mkdir -p "$STATE_LOGS"
    if ! as_postgres "$POSTGRES_BIN_DIR/initdb" -D "$dir" -U temporal --pwfile="$pwfile" --auth=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$STATE_LOGS/postgresql-initdb.log" 2>&1; then
      rm -f "$pwfile"
      err "postgresql: initdb in $dir failed"
      tail_log "$STATE_LOGS/postgresql-initdb.log" 30
      return 1
    fi
    rm -f "$pwfile"
  fi
  local run_as=()
  if [[ $(id -u) -eq 0 ]]; then run_as=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
  spawn postgresql "${run_as[@]}" "$POSTGRES_BIN_DIR/postgres" -D "$dir" -p "$POSTGRES_PORT" \
    -c listen_addresses="$STACK_HOST" -c unix_socket_directories= -c max_connections=200 \
    -c shared_buffers=128MB -c fsync=on -c synchronous_commit=off -c logging_collector=off
}

# Creates Temporal's two databases when missing and brings both schemas to this release's versions (an upgrade
# too), as deploy/compose/temporal-setup-schema.sh does in the compose deployment. Quick when they are current.
temporal_setup_schema() {
  local logf="$STATE_LOGS/temporal-schema.log" db out
  local sql=("$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "$STACK_HOST" -p "$POSTGRES_PORT" -u temporal)
  export SQL_PASSWORD
  SQL_PASSWORD=$(postgres_password)
  : >"$logf"
  for db in temporal temporal_visibility; do
    if ! out=$("${sql[@]}" --db "$db" create 2>&1); then
      if [[ "$out" != *"already exists"* ]]; then
        printf '%s\n' "$out" >>"$logf"
        err "temporal-server: could not create database $db"
        tail_log "$logf" 20
        return 1
      fi
    fi
  done
  if ! {
    "${sql[@]}" --db temporal setup-schema -v 0.0 &&
      "${sql[@]}" --db temporal update-schema --schema-name postgresql/v12/temporal &&
      "${sql[@]}" --db temporal_visibility setup-schema -v 0.0 &&
      "${sql[@]}" --db temporal_visibility update-schema --schema-name postgresql/v12/visibility
  } >>"$logf" 2>&1; then
    err "temporal-server: the schema setup failed"
    tail_log "$logf" 30
    return 1
  fi
  unset SQL_PASSWORD
}

# Temporal's own server with temporal-config/server.yaml, every address, port and credential in its environment
# (the names server.yaml reads, as docker-compose.yml passes them).
start_temporal-server() {
  # up.sh brings servers up side by side: PostgreSQL may still be starting.
  local deadline=$((SECONDS + STACK_WAIT_SECONDS))
  until health_postgresql; do
    if ((SECONDS >= deadline)); then
      err "temporal-server: PostgreSQL on $STACK_HOST:$POSTGRES_PORT did not answer within ${STACK_WAIT_SECONDS}s"
      return 1
    fi
    sleep 0.5
  done
  temporal_setup_schema || return 1
  local env_vars=() line
  while IFS= read -r line; do env_vars+=("$line"); done < <(temporal_server_ports)
  spawn temporal-server env "${env_vars[@]}" \
    POSTGRES_SEEDS="$STACK_HOST" DB_PORT="$POSTGRES_PORT" POSTGRES_USER=temporal POSTGRES_PWD="$(postgres_password)" \
    BIND_ON_IP="$STACK_HOST" DYNAMIC_CONFIG_FILE_PATH="$DYNAMIC_CONFIG_FILE" LOG_LEVEL="${TEMPORAL_SERVER_LOG_LEVEL:-warn}" \
    SWITCHYARD_STATE="$SWITCHYARD_STATE" \
    "$TEMPORAL_SERVER_BIN" --config-file "$TEMPORAL_CONFIG_DIR/server.yaml" start
}

# The namespace `default` (retention 7 days, as the compose deployment's job creates it), once the server answers.
ensure_namespace() {
  local addr="$STACK_HOST:$TEMPORAL_PORT" tries=0
  "$TEMPORAL_BIN" operator namespace describe --namespace default --address "$addr" >/dev/null 2>&1 && return 0
  "$TEMPORAL_BIN" operator namespace create --namespace default --retention 7d --address "$addr" >/dev/null || return 1
  # A new namespace reaches every service of the server within its cache refresh (about 10 s): the operator
  # service (search attributes) may not know it for a while after `describe` does.
  until "$TEMPORAL_BIN" operator namespace describe --namespace default --address "$addr" >/dev/null 2>&1 &&
    "$TEMPORAL_BIN" operator search-attribute list --namespace default --address "$addr" >/dev/null 2>&1; do
    tries=$((tries + 1))
    ((tries < 120)) || {
      err "temporal-server: namespace default not usable 60 s after it was created"
      return 1
    }
    sleep 0.5
  done
  log "temporal-server: namespace default created"
}

# FerretDB logs every error reply at warn (the mongodb driver's endSessions, unsupported, on each close): keep
# its log to real errors. synchronous(normal) in WAL mode, as the Temporal dev server runs: a killed process loses
# nothing, only a power cut can lose the last commits; it makes each write about twice as fast.
start_ferretdb() {
  mkdir -p "$STATE_DATA/ferret"
  spawn ferretdb "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$STATE_DATA/ferret/?_pragma=synchronous(normal)" \
    --listen-addr="$STACK_HOST:$FERRET_PORT" --telemetry=disable --state-dir=- --debug-addr=- --log-level=error
}

write_kafka_config() {
  local dir="$SWITCHYARD_STATE/kafka"
  mkdir -p "$dir" "$STATE_DATA/kafka"
  cat >"$dir/server.properties" <<EOF
# Generated by scripts/stack/up.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$STACK_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$STACK_HOST:$KAFKA_PORT,CONTROLLER://$STACK_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$STACK_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$STATE_DATA/kafka
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$dir/log4j.properties" <<'EOF'
# Generated by scripts/stack/up.sh: warnings, plus the broker's start and stop lines.
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
EOF
  # Some Kafka 4 classes also look for a log4j2 configuration; without one it prints an error at start.
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
EOF
}

# A Kafka cluster id (what `StorageTool random-uuid` prints: 16 random bytes, URL-safe base64 without padding,
# never starting with '-'), made without starting a JVM.
kafka_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ "$id" == -* ]] || break
  done
  printf '%s\n' "$id"
}

start_kafka() {
  local dir="$SWITCHYARD_STATE/kafka" cluster_id
  write_kafka_config
  local log_opts=(-Dlog4j.configuration="file:$dir/log4j.properties" -Dlog4j2.configurationFile="$dir/log4j2.properties")
  if [[ ! -f "$STATE_DATA/kafka/meta.properties" ]]; then
    if [[ -s "$dir/cluster.id" ]]; then
      cluster_id=$(cat "$dir/cluster.id")
    else
      cluster_id=$(kafka_cluster_id)
      printf '%s\n' "$cluster_id" >"$dir/cluster.id"
    fi
    mkdir -p "$STATE_LOGS"
    if ! java -XX:TieredStopAtLevel=1 "${log_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool \
      format -t "$cluster_id" -c "$dir/server.properties" >"$STATE_LOGS/kafka-format.log" 2>&1; then
      err "kafka: formatting the storage in $STATE_DATA/kafka failed"
      tail_log "$STATE_LOGS/kafka-format.log" 30
      return 1
    fi
  fi
  local jvm_opts
  read -r -a jvm_opts <<<"$KAFKA_JVM_OPTS"
  spawn kafka java "${jvm_opts[@]}" -Djava.awt.headless=true "${log_opts[@]}" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties"
}

fix_hint() {
  case $1 in
    temporal)
      cat <<EOF
How to fix: look for a bad flag or a port in use ($TEMPORAL_PORT, UI $TEMPORAL_UI_PORT) in the log above.
  A damaged database: stop the server and delete $STATE_DATA/temporal.db* (all workflow history is lost).
  A broken install: rm -f $MARKER_DIR/temporal && bash scripts/stack/install.sh temporal
  Other ports: TEMPORAL_PORT=... TEMPORAL_UI_PORT=... bash scripts/stack/up.sh
EOF
      ;;
    ferretdb)
      cat <<EOF
How to fix: check the log above for a port in use ($FERRET_PORT) or a database error.
  Damaged data: delete $STATE_DATA/ferret/ (all local MongoDB data is lost).
  A broken build: rm -f $MARKER_DIR/ferretdb && bash scripts/stack/install.sh ferretdb
  Another port: FERRET_PORT=... bash scripts/stack/up.sh
EOF
      ;;
    postgresql)
      cat <<EOF
How to fix: check the log above for a port in use ($POSTGRES_PORT) or a data directory error.
  Damaged data: delete $STATE_DATA/postgresql/ (all of Temporal's history on this stack is lost).
  Another port: POSTGRES_PORT=... bash scripts/stack/up.sh --engine server
EOF
      ;;
    temporal-server)
      cat <<EOF
How to fix: check the log above (and $STATE_LOGS/temporal-schema.log) for a port in use ($TEMPORAL_PORT and the
  ports derived from it in lib.sh) or a database error.
  A broken build: rm -f $MARKER_DIR/temporal-server && bash scripts/stack/install.sh temporal-server
  Other ports: TEMPORAL_PORT=... bash scripts/stack/up.sh --engine server
EOF
      ;;
    kafka)
      cat <<EOF
How to fix: check the log above for a port in use ($KAFKA_PORT / $KAFKA_CONTROLLER_PORT), a Java error, or a
  cluster-id mismatch. Damaged or mismatched data: delete $STATE_DATA/kafka/ and $SWITCHYARD_STATE/kafka/ (all
  local topics are lost). A broken install: rm -f $MARKER_DIR/kafka && bash scripts/stack/install.sh kafka
  Other ports: KAFKA_PORT=... KAFKA_CONTROLLER_PORT=... bash scripts/stack/up.sh
EOF
      ;;
  esac
}

fail_server() {
  local name=$1 why=$2
  err "$name failed to start: $why"
  tail_log "$(log_file "$name")" 30
  fix_hint "$name" >&2
}

# wait_healthy NAME PID: polls NAME's health check until it passes, the process dies or time runs out.
wait_healthy() {
  local name=$1 pid=$2 deadline
  deadline=$((SECONDS + STACK_WAIT_SECONDS))
  while ! "health_$name"; do
    if ! pid_alive "$pid"; then
      local how="exited"
      if [[ "$pid" == "${SPAWNED_PID:-}" ]]; then
        local rc=0
        wait "$pid" 2>/dev/null || rc=$?
        how="exited with code $rc"
      fi
      fail_server "$name" "the process (pid $pid) $how before it became healthy"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      fail_server "$name" "not healthy after ${STACK_WAIT_SECONDS}s (pid $pid is still running; STACK_WAIT_SECONDS sets the limit)"
      return 1
    fi
    sleep 0.3
  done
}

# What a healthy server still needs before it counts as ready: Temporal's namespace and search attributes.
after_healthy() {
  case $1 in
    temporal) ensure_search_attributes ;;
    temporal-server) ensure_namespace && ensure_search_attributes ;;
  esac
}

# bring_up NAME RESULT_FILE: reuse, or install + start + wait. Writes `started` or `reused` to RESULT_FILE.
bring_up() {
  local name=$1 result=$2 port start pid
  port=$(server_port "$name")
  start=$(now_ms)
  mkdir -p "$SWITCHYARD_STATE"
  # One up.sh at a time per server and state dir.
  exec 8>"$SWITCHYARD_STATE/.up-$name.lock"
  flock 8

  # Temporal's health check uses its CLI, so it is installed even to check a server that is already there.
  if [[ "$name" == temporal || "$name" == temporal-server ]]; then bash "$STACK_DIR/install.sh" --quiet temporal; fi

  if port_open "$STACK_HOST" "$port"; then
    pid=$(read_pid "$name" || true)
    if "health_$name"; then
      local who="not started by these scripts"
      [[ -z "$pid" ]] || who="pid $pid, log: $(log_file "$name")"
      log "$name already answers at $(server_address "$name") ($who); reusing it"
      after_healthy "$name" || return 1
      echo reused >"$result"
      return 0
    fi
    if [[ -z "$pid" ]]; then
      err "$name: something answers on $STACK_HOST:$port but it is not a healthy $name; stop it or choose another port (see lib.sh)"
      return 1
    fi
    # Our own server, still starting (e.g. an earlier up.sh was interrupted): wait for it.
    log "$name: pid $pid is still starting; waiting for it"
    wait_healthy "$name" "$pid" || return 1
    after_healthy "$name" || return 1
    log "$name ready at $(server_address "$name") (log: $(log_file "$name"))"
    echo reused >"$result"
    return 0
  fi

  pid=$(read_pid "$name" || true)
  if [[ -n "$pid" ]]; then
    log "$name: pid $pid is running but does not answer yet; waiting for it"
    wait_healthy "$name" "$pid" || return 1
    after_healthy "$name" || return 1
    log "$name ready at $(server_address "$name") (log: $(log_file "$name"))"
    echo reused >"$result"
    return 0
  fi

  [[ "$name" == temporal ]] || bash "$STACK_DIR/install.sh" --quiet "$name"
  if [[ "$name" == kafka ]] && port_open "$STACK_HOST" "$KAFKA_CONTROLLER_PORT"; then
    err "kafka: the controller port $STACK_HOST:$KAFKA_CONTROLLER_PORT is taken by another program; set KAFKA_CONTROLLER_PORT"
    return 1
  fi
  "start_$name" # (not under || or if, which would switch off set -e inside it)
  pid=$SPAWNED_PID
  # From here on the server counts as started by this run, even if it fails to become healthy; it is recorded at
  # once (not at the end), so that down.sh stops it even if this script is interrupted.
  echo started >"$result"
  ((KEEP)) || started_add "$name"
  if ! wait_healthy "$name" "$pid"; then
    # A server that died is taken off the list; one still running stays on it, so down.sh stops it.
    if ! pid_alive "$pid"; then
      rm -f "$result"
      remove_pid "$name"
      started_remove "$name"
    fi
    return 1
  fi
  after_healthy "$name" || return 1
  log "$name ready at $(server_address "$name") in $(elapsed_since "$start") (pid $pid, log: $(log_file "$name"))"
}

KEEP=0

main() {
  local only="" tools=1
  while (($#)); do
    case $1 in
      --only)
        [[ $# -ge 2 ]] || die "--only needs a list, e.g. --only temporal,kafka"
        only=$2
        shift 2
        ;;
      --only=*)
        only=${1#--only=}
        shift
        ;;
      --no-tools)
        tools=0
        shift
        ;;
      --keep)
        KEEP=1
        shift
        ;;
      --engine)
        [[ $# -ge 2 ]] || die "--engine needs dev or server"
        select_engine "$2"
        shift 2
        ;;
      --engine=*)
        select_engine "${1#--engine=}"
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown argument '$1' (usage: up.sh [--engine dev|server] [--only temporal,ferretdb,kafka] [--no-tools] [--keep])" ;;
    esac
  done
  local servers=() s
  if [[ -n "$only" ]]; then
    IFS=, read -r -a servers <<<"$only"
    for s in "${servers[@]}"; do is_server "$s" || die "unknown server '$s' (choose from: ${ALL_STACK_SERVERS[*]})"; done
    tools=0
  else
    servers=("${STACK_SERVERS[@]}")
  fi

  local start results pids=() failed=() started=() reused=()
  start=$(now_ms)
  mkdir -p "$STATE_LOGS" "$STATE_PIDS" "$STATE_DATA"
  results=$(mktemp -d "$SWITCHYARD_STATE/.up.XXXXXX")
  # shellcheck disable=SC2064  # expand now
  trap "rm -rf '$results'" EXIT
  JOB_PIDS=()
  trap stop_jobs INT TERM HUP
  for s in "${servers[@]}"; do
    bring_up "$s" "$results/$s" &
    JOB_PIDS+=($!)
  done
  pids=("${JOB_PIDS[@]}")
  local tools_pid=""
  if ((tools)); then
    bash "$STACK_DIR/install.sh" --quiet sshd kcat chromium pytools ntc-templates &
    tools_pid=$!
    JOB_PIDS+=("$tools_pid")
  fi
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${servers[$i]}")
  done
  if [[ -n "$tools_pid" ]] && ! wait "$tools_pid"; then
    warn "the tests' tools (sshd, kcat, pytools) or the ntc-templates did not all install; tests that use them will fail." \
      "Retry: bash scripts/stack/install.sh sshd kcat chromium pytools ntc-templates"
  fi
  for s in "${servers[@]}"; do
    case $(cat "$results/$s" 2>/dev/null || true) in
      started) started+=("$s") ;;
      reused) reused+=("$s") ;;
    esac
  done

  if ((${#failed[@]})); then
    err "stack NOT up: ${failed[*]} failed (after $(elapsed_since "$start")). Started by this run: ${started[*]:-none} (stop with: bash scripts/stack/down.sh)"
    exit 1
  fi
  local stop="bash scripts/stack/down.sh"
  ((KEEP)) && stop+=" --all"
  log "stack up in $(elapsed_since "$start"): started ${started[*]:-nothing}, reused ${reused[*]:-nothing}. Stop with: $stop"
}

stop_jobs() {
  trap - INT TERM HUP
  local pid
  for pid in "${JOB_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  err "interrupted. Servers started so far are listed in $STATE_STARTED; stop them with: bash scripts/stack/down.sh"
  exit 130
}

main "$@"
