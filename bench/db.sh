#!/usr/bin/env bash
# Side-by-side TechEmpower database benchmark: Hiver's TechEmpower app against actix-web +
# tokio-postgres (bench/peers/actix-pg) and may_minihttp + may_postgres
# (bench/peers/may-minihttp-pg), the same PostgreSQL for all, in the same run.
#
# Usage: bash bench/db.sh            (from anywhere; needs root, or wrk, curl, python3 and
#                                     PostgreSQL's binaries installed)
#
# Tests (each at 64 and 256 connections, wrk with WRK_THREADS threads):
#   db          /db
#   queries20   /queries?queries=20
#   fortunes    /fortunes
#   updates20   /updates?queries=20
#   cached100   /cached-queries?count=100
# For every one: req/s, requests per server CPU-second (utime+stime of all the server's
# threads from /proc/PID/stat, before and after the measured run) and PostgreSQL's own CPU
# per request (see "PostgreSQL CPU" below), p99 and errors (socket errors + non-2xx).
#
# Servers (SERVERS, default "hiver-uring hiver-epoll actix-pg may-minihttp-pg"):
#   hiver-uring, hiver-epoll, hiver   $TECHEMPOWER_BIN with HIVER_DRIVER=uring / epoll / unset
#                  (the app's batch wait at its default, 50 µs)
#   hiver-uring-nowait, hiver-epoll-nowait   the same with HIVER_BATCH_WAIT_US=0 (the batch
#                  wait off), to show what it buys in the same run
#                  (default: target/release/techempower of this checkout, built with
#                  `cargo build --release -p techempower` when the workspace has that
#                  package); left out, with a message, when the binary does not exist
#   hiver-uring-waitN, hiver-epoll-waitN   the same with a batch wait of N µs
#   actix-pg, may-minihttp-pg   built here (cargo build --release -p peer-… in bench/)
# Every server gets PORT, WORKERS=SERVER_WORKERS, HOST=127.0.0.1 and DATABASE_URL.
#
# Database, in this order of preference:
#   1. DATABASE_URL set by the caller: used as it is (it must be a cluster on this machine).
#   2. DB_SOURCE=auto (default) or script, and scripts/postgres/start.sh in this checkout:
#      that script runs (it is idempotent), then the default URL
#      postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world is used; if
#      nothing answered there before, scripts/postgres/stop.sh runs on exit.
#   3. DB_SOURCE=own, or no start.sh: a throwaway cluster of PostgreSQL's newest installed
#      version (apt-get install postgresql when none is): initdb in a temporary directory,
#      TechEmpower's postgresql.conf settings that exist in that version (synchronous_commit
#      off, wal_level minimal, shared_buffers 256MB, pg_stat_statements, …), port PG_PORT
#      (default 5432 if free, else the next free one), loaded with
#      bench/db/create-postgres.sql; stopped and deleted on exit. As root it runs as the
#      `postgres` user.
# The report lists the cluster's main settings (synchronous_commit decides /updates).
#
# PostgreSQL CPU: the cluster's postmaster is found as the parent of the backend that serves
# a psql session (pg_backend_pid(), its /proc/PID/stat read from within that session). Its
# CPU so far = utime+stime of the postmaster and of every current child (/proc/PID/stat:
# backends, checkpointer, walwriter, autovacuum, …) plus the postmaster's cutime+cstime,
# where the kernel adds the times of children once they have exited and been reaped. The
# difference across the measured run therefore counts every postgres process of that
# cluster, including backends that start or end inside the run.
# Divided by the requests of the run: µs of PostgreSQL CPU per request.
#
# Before measuring, every server's answers are checked on every start (status 200,
# Content-Type, Server and Date headers; /db a World object; /queries 20 of them, 1 for
# ?queries=foo and 500 for ?queries=501; /updates 20 rows whose new numbers are in the
# database; /cached-queries 100 World objects; /fortunes 13 rows, sorted, the added fortune
# and the <script> one escaped, equal to the table's contents): a difference stops the run.
#
# Environment (all optional):
#   ROUNDS=3 DURATION=5 WARMUP=1 WRK_THREADS=1 SERVER_WORKERS=2 BASE_PORT=19300
#   SERVERS="hiver-uring hiver-epoll actix-pg may-minihttp-pg"
#   ONLY             test names' prefixes, e.g. ONLY="queries20 updates20" (default: all)
#   TECHEMPOWER_BIN  Hiver's app binary (default: see above)
#   DATABASE_URL DB_SOURCE=auto|script|own PG_PORT   see "Database"
# Rounds alternate the servers, the order rotating each round (A B C, B C A, …), after a
# VACUUM ANALYZE of the tables; each server is started once per round and runs every test,
# each after WARMUP seconds of the same load. Writes
# bench/results/db-<stamp>.csv (one value per line) and .md (versions, commands, medians,
# Hiver ÷ best peer per row). Every process it starts is stopped on exit, by PID.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-19300}
SERVERS=${SERVERS:-"hiver-uring hiver-epoll actix-pg may-minihttp-pg"}
DB_SOURCE=${DB_SOURCE:-auto}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_TARGET=${CARGO_TARGET_DIR:-$BENCH_DIR/target}
TECHEMPOWER_BIN_SET=${TECHEMPOWER_BIN:+1}
TECHEMPOWER_BIN=${TECHEMPOWER_BIN:-${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/techempower}
DEFAULT_DATABASE_URL=postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RESULTS_DIR=$BENCH_DIR/results
CSV=$RESULTS_DIR/db-$STAMP.csv
REPORT=$RESULTS_DIR/db-$STAMP.md
WORK_DIR=$(mktemp -d)
STARTED=$(date +%s)

# The tests: name, path, connections.
TESTS=(
  "db_c64 /db 64"
  "db_c256 /db 256"
  "queries20_c64 /queries?queries=20 64"
  "queries20_c256 /queries?queries=20 256"
  "fortunes_c64 /fortunes 64"
  "fortunes_c256 /fortunes 256"
  "updates20_c64 /updates?queries=20 64"
  "updates20_c256 /updates?queries=20 256"
  "cached100_c64 /cached-queries?count=100 64"
  "cached100_c256 /cached-queries?count=100 256"
)
# ONLY="queries20 updates20": just the tests whose names start with one of these words.
if [[ -n ${ONLY:-} ]]; then
  kept=()
  for spec in "${TESTS[@]}"; do
    for word in $ONLY; do
      if [[ $spec == "$word"* ]]; then kept+=("$spec"); break; fi
    done
  done
  [[ ${#kept[@]} -gt 0 ]] || { echo "ONLY=$ONLY matches no test" >&2; exit 2; }
  TESTS=("${kept[@]}")
fi

server_pid=""        # the one server running now, started by this script; stop_server ends it
server_children=()   # none: the servers here are single processes (stop_server and cpu_ticks read it)
wrk_pid=""           # the wrk run in progress, waited for so Ctrl-C is seen at once
pg_mode=""           # caller | script | own: where the database came from
pg_stop_script=0     # 1: scripts/postgres/stop.sh runs on exit (start.sh started it)
pg_dir=""            # own cluster: its directory (data, log, socket), deleted on exit
pg_bin=""            # own cluster: PostgreSQL's bin directory
postmaster=""        # the cluster's postmaster PID (for its CPU)
rps="" p99="" err="" bytes_per_req=""  # set by run_wrk

LOG_TAG=db
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"


# Runs a command as the user that owns the throwaway cluster (`postgres` when we are root:
# PostgreSQL refuses to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_database() {
  case $pg_mode in
    own)
      as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$pg_dir"
      ;;
    script)
      if [[ $pg_stop_script -eq 1 ]]; then bash "$ROOT_DIR/scripts/postgres/stop.sh" >&2 || true; fi
      ;;
  esac
  pg_mode=""
}

cleanup() {
  if [[ -n $wrk_pid ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  stop_server
  stop_database
  rm -rf "$WORK_DIR"
  rm -f "$CSV.partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The newest /usr/lib/postgresql/<version>/bin, installing Debian's postgresql if none.
find_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -z $dir ]]; then
    log "no PostgreSQL binaries in /usr/lib/postgresql: installing postgresql with apt-get"
    command -v apt-get >/dev/null || die "PostgreSQL is missing and apt-get is not available"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [[ -n $dir && -x $dir/postgres ]] || die "no PostgreSQL binaries after installing postgresql"
  echo "$dir"
}

ensure_tools() {
  install_missing wrk wrk
  install_missing curl curl
  install_missing python3 python3
  install_missing runuser util-linux
  command -v psql >/dev/null || PATH=$(find_pg_bin):$PATH
  command -v psql >/dev/null || die "psql is required"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts the throwaway cluster (see "Database" above); sets DATABASE_URL.
start_own_cluster() {
  local port=${PG_PORT:-} data sql=$BENCH_DIR/db/create-postgres.sql
  pg_bin=$(find_pg_bin)
  if [[ -z $port ]]; then
    port=5432
    while ! port_free "$port"; do port=$((port + 1)); done
  fi
  port_free "$port" || die "PG_PORT $port is taken"
  pg_dir=$(mktemp -d -t hiver-bench-pg.XXXXXX)
  [[ $(id -u) -ne 0 ]] || chown postgres: "$pg_dir"
  pg_mode=own
  data=$pg_dir/data
  log "database: a throwaway PostgreSQL $("$pg_bin/postgres" --version | awk '{ print $3 }') cluster on 127.0.0.1:$port"
  as_pg "$pg_bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >"$pg_dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$pg_dir/initdb.log")"
  # TechEmpower's postgresql.conf (toolset/databases/postgres), less io_workers (PostgreSQL
  # 18 only); listening on 127.0.0.1 only, the socket in the cluster's directory.
  cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg_dir'
max_connections = 2000
ssl = false
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 512MB
wal_level = minimal
synchronous_commit = off
checkpoint_completion_target = 0.9
max_wal_senders = 0
random_page_cost = 2
effective_cache_size = 8GB
track_activity_query_size = 2048
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.max = 500000
max_pred_locks_per_transaction = 256
EOF
  as_pg "$pg_bin/pg_ctl" -D "$data" -l "$pg_dir/postgres.log" -w -t 60 start >/dev/null ||
    die "PostgreSQL did not start: $(tail -n 5 "$pg_dir/postgres.log")"
  local -a su=("$pg_bin/psql" -h "$pg_dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qX)
  as_pg "${su[@]}" -d postgres -c "CREATE USER benchmarkdbuser PASSWORD 'benchmarkdbpass'" \
    -c "CREATE DATABASE hello_world OWNER benchmarkdbuser" >/dev/null
  as_pg "${su[@]}" -d hello_world -c "CREATE EXTENSION pg_stat_statements" >/dev/null
  as_pg "${su[@]}" -d hello_world -f - <"$sql" >/dev/null
  as_pg "${su[@]}" -d hello_world -c "VACUUM ANALYZE" >/dev/null
  DATABASE_URL=postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:$port/hello_world
}

db_answers() { psql "$1" -AtXqc 'SELECT 1' >/dev/null 2>&1; }

start_database() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    pg_mode=caller
    log "database: DATABASE_URL from the caller"
  elif [[ $DB_SOURCE != own && -f $ROOT_DIR/scripts/postgres/start.sh ]]; then
    pg_mode=script
    db_answers "$DEFAULT_DATABASE_URL" || pg_stop_script=1
    log "database: bash scripts/postgres/start.sh"
    bash "$ROOT_DIR/scripts/postgres/start.sh" >&2 || die "scripts/postgres/start.sh failed"
    DATABASE_URL=$DEFAULT_DATABASE_URL
  else
    [[ $DB_SOURCE != script ]] || die "DB_SOURCE=script but there is no scripts/postgres/start.sh"
    start_own_cluster
  fi
  export DATABASE_URL
  db_answers "$DATABASE_URL" || die "PostgreSQL does not answer at $DATABASE_URL"
  # The backend serving this psql session reads its own /proc entry while it is alive; its
  # parent (field 4) is the postmaster.
  local stat
  stat=$(psql "$DATABASE_URL" -AtXq <<'EOF'
SELECT '/proc/' || pg_backend_pid() || '/stat' \g | xargs cat
EOF
  ) || true
  postmaster=$(awk '{ sub(/^.*\) /, ""); print $2 }' <<<"$stat")
  [[ $postmaster =~ ^[0-9]+$ && -r /proc/$postmaster/stat && $(cat "/proc/$postmaster/comm") == postgres ]] ||
    die "PostgreSQL's processes are not visible here (no postmaster found): it must run on this machine"
  [[ $(psql "$DATABASE_URL" -AtXqc 'SELECT count(*) FROM world') == 10000 ]] ||
    die "the database has no 10,000-row table world"
  log "database: $(psql "$DATABASE_URL" -AtXqc 'SHOW server_version'), postmaster pid $postmaster"
}

# CPU ticks so far of every process of the cluster: the postmaster, its live children and
# (cutime+cstime) its reaped ones.
pg_ticks() {
  local total pid stat
  stat=$(<"/proc/$postmaster/stat") || die "the postmaster ($postmaster) is gone"
  read -r -a f <<<"${stat##*) }"
  total=$((f[11] + f[12] + f[13] + f[14]))
  for pid in $(pgrep -P "$postmaster"); do
    if stat=$(<"/proc/$pid/stat") 2>/dev/null; then
      read -r -a f <<<"${stat##*) }"
      total=$((total + f[11] + f[12]))
    fi
  done
  echo "$total"
}

wants_hiver() { [[ " $SERVERS " == *" hiver"* ]]; }

build() {
  log "building peer-actix-pg and peer-may-minihttp-pg (release) in bench/"
  # The log is shown only on failure: the vendored may_postgres compiles with many warnings.
  cargo build --release --manifest-path "$BENCH_DIR/Cargo.toml" \
    -p peer-actix-pg -p peer-may-minihttp-pg >"$WORK_DIR/build.log" 2>&1 ||
    { tail -n 40 "$WORK_DIR/build.log" >&2; die "building the peers failed"; }
  if wants_hiver && [[ -z $TECHEMPOWER_BIN_SET ]] &&
    cargo pkgid --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p techempower >/dev/null 2>&1; then
    log "building techempower (release) in the main workspace"
    cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p techempower
  fi
  if wants_hiver && [[ ! -x $TECHEMPOWER_BIN ]]; then
    log "Hiver's TechEmpower app is not built (no executable TECHEMPOWER_BIN, default target/release/techempower): its servers are left out of this run"
    local s kept=""
    for s in $SERVERS; do [[ $s == hiver* ]] || kept+="$s "; done
    SERVERS=${kept% }
  fi
  [[ -n $SERVERS ]] || die "no server to measure"
}

# Prints "binary driver [batch wait µs]" for a server name (driver "-": not a Hiver server).
server_command() {
  case $1 in
    hiver) echo "$TECHEMPOWER_BIN -" ;;
    hiver-uring) echo "$TECHEMPOWER_BIN uring" ;;
    hiver-epoll) echo "$TECHEMPOWER_BIN epoll" ;;
    hiver-uring-nowait) echo "$TECHEMPOWER_BIN uring 0" ;;
    hiver-epoll-nowait) echo "$TECHEMPOWER_BIN epoll 0" ;;
    hiver-uring-wait[0-9]*) echo "$TECHEMPOWER_BIN uring ${1#hiver-uring-wait}" ;;
    hiver-epoll-wait[0-9]*) echo "$TECHEMPOWER_BIN epoll ${1#hiver-epoll-wait}" ;;
    actix-pg) echo "$BENCH_TARGET/release/peer-actix-pg -" ;;
    may-minihttp-pg) echo "$BENCH_TARGET/release/peer-may-minihttp-pg -" ;;
    *) die "unknown server '$1' (known: hiver hiver-uring hiver-uring-nowait hiver-uring-waitN hiver-epoll hiver-epoll-nowait hiver-epoll-waitN actix-pg may-minihttp-pg)" ;;
  esac
}

answers() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/db" 2>/dev/null; }

start_server() {
  local name=$1 port=$2 bin driver wait
  read -r bin driver wait <<<"$(server_command "$name")"
  [[ -x $bin ]] || die "$bin is not built"
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  local -a cmd=(env PORT="$port" WORKERS="$SERVER_WORKERS" HOST=127.0.0.1 RUST_LOG=warn DATABASE_URL="$DATABASE_URL")
  [[ $driver == - ]] || cmd+=(HIVER_DRIVER="$driver")
  [[ -z $wait ]] || cmd+=(HIVER_BATCH_WAIT_US="$wait")
  "${cmd[@]}" "$bin" >"$WORK_DIR/$name.log" 2>&1 &
  server_pid=$!
  await_server "$port" "$WORK_DIR/$name.log" "$name (GET /db)"
}

# Checks a running server's answers (see the top of this file); dies on a difference.
check_answers() {
  local name=$1 port=$2
  python3 - "$name" "http://127.0.0.1:$port" "$DATABASE_URL" <<'EOF' || die "$name: wrong answers (above)"
import html, json, re, subprocess, sys, urllib.request

name, base, dburl = sys.argv[1:]
problems = []

def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.status, r.headers, r.read()

def check(path, ctype):
    try:
        status, headers, body = get(path)
    except Exception as e:  # HTTPError, timeouts
        problems.append(f"GET {path}: {e}")
        return None
    if status != 200:
        problems.append(f"GET {path}: status {status}")
    got = headers.get("Content-Type", "")
    if not got.lower().replace(" ", "").startswith(ctype):
        problems.append(f"GET {path}: Content-Type {got!r}, want {ctype}")
    for h in ("Server", "Date"):
        if not headers.get(h):
            problems.append(f"GET {path}: no {h} header")
    return body

def world(obj, where):
    if not isinstance(obj, dict):
        problems.append(f"{where}: {obj!r} is not an object")
        return None
    keys = {k.lower(): v for k, v in obj.items()}
    if set(keys) != {"id", "randomnumber"}:
        problems.append(f"{where}: keys {sorted(obj)}, want id and randomNumber")
        return None
    i, n = keys["id"], keys["randomnumber"]
    if not (isinstance(i, int) and 1 <= i <= 10000 and isinstance(n, int) and 1 <= n <= 10000):
        problems.append(f"{where}: {obj!r} out of range 1..10000")
        return None
    return i, n

def worlds(path, count):
    body = check(path, "application/json")
    if body is None:
        return []
    try:
        value = json.loads(body)
    except ValueError:
        problems.append(f"GET {path}: not JSON: {body[:200]!r}")
        return []
    if not isinstance(value, list) or len(value) != count:
        problems.append(f"GET {path}: want an array of {count}, got {str(value)[:200]}")
        return []
    return [w for w in (world(v, f"GET {path}") for v in value) if w]

def sql(query):
    return subprocess.run(["psql", dburl, "-AtXqc", query], check=True, capture_output=True,
                          text=True).stdout

body = check("/db", "application/json")
if body is not None:
    try:
        world(json.loads(body), "GET /db")
    except ValueError:
        problems.append(f"GET /db: not JSON: {body[:200]!r}")
worlds("/queries?queries=20", 20)
worlds("/queries?queries=foo", 1)
worlds("/queries?queries=501", 500)
worlds("/cached-queries?count=100", 100)
updated = worlds("/updates?queries=20", 20)
once = {i: n for i, n in updated if [j for j, _ in updated].count(i) == 1}
if once:
    rows = sql("SELECT id, randomnumber FROM world WHERE id IN (%s)" % ",".join(map(str, once)))
    stored = dict(tuple(map(int, line.split("|"))) for line in rows.split())
    wrong = {i: (n, stored.get(i)) for i, n in once.items() if stored.get(i) != n}
    if wrong:
        problems.append(f"GET /updates: answered numbers not in the database (id: (answered, stored)): {wrong}")

body = check("/fortunes", "text/html;charset=utf-8")
if body is not None:
    text = body.decode("utf-8", "replace")
    squeezed = re.sub(r">\s+<", "><", text.strip())
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", squeezed, re.S)
    got = [(int(i), html.unescape(m)) for i, m in rows]
    table = [tuple(l.split("|", 1)) for l in sql("SELECT id, message FROM fortune").splitlines()]
    want = sorted([(int(i), m) for i, m in table] + [(0, "Additional fortune added at request time.")],
                  key=lambda f: f[1])
    if got != want:
        problems.append(f"GET /fortunes: rows {got}, want {want}")
    if "<script>" in text:
        problems.append("GET /fortunes: <script> not escaped")
    if not squeezed.lower().startswith("<!doctype html><html><head><title>fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>"):
        problems.append(f"GET /fortunes: unexpected page head: {squeezed[:150]!r}")

for p in problems:
    print(f"{name}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}

run_wrk() {
  local port=$1 path=$2 conns=$3 duration=$4
  run_wrk_raw -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port$path"
  read -r rps p99 err bytes_per_req <<<"$(wrk_summary "$WRK_OUT")"
  [[ $p99 != - ]] || p99=""
}


# VACUUM ANALYZE of both tables before each server, so each starts on a table without the
# dead rows of the previous one's /updates (TechEmpower gives every framework a fresh
# database). PostgreSQL skips, with a warning, tables benchmarkdbuser does not own: logged.
vacuum() {
  local out
  out=$(psql "$DATABASE_URL" -AtXq -c 'VACUUM (ANALYZE) world' -c 'VACUUM (ANALYZE) fortune' 2>&1) ||
    die "VACUUM failed: $out"
  [[ -z $out ]] || log "VACUUM: $out"
}

bench_server() {
  local name=$1 port=$2 spec test path conns before after pg_before pg_after cpu_s pg_s
  record "$name" start.loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
  start_server "$name" "$port"
  check_answers "$name" "$port"
  log "round $round $name: answers checked"
  for spec in "${TESTS[@]}"; do
    read -r test path conns <<<"$spec"
    if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" "$path" "$conns" "$WARMUP"; fi
    before=$(ticks_of "$server_pid")
    pg_before=$(pg_ticks)
    run_wrk "$port" "$path" "$conns" "$DURATION"
    after=$(ticks_of "$server_pid")
    pg_after=$(pg_ticks)
    cpu_s=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    pg_s=$(awk -v t=$((pg_after - pg_before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    record "$name" "$test.req_s" "$rps"
    record "$name" "$test.cpu_s" "$cpu_s"
    record "$name" "$test.req_per_cpu_s" \
      "$(awk -v r="$rps" -v d="$DURATION" -v c="$cpu_s" 'BEGIN { printf "%.1f", (c > 0 ? r * d / c : 0) }')"
    record "$name" "$test.pg_cpu_s" "$pg_s"
    record "$name" "$test.pg_cpu_us_per_req" \
      "$(awk -v r="$rps" -v d="$DURATION" -v c="$pg_s" 'BEGIN { printf "%.1f", (r > 0 ? c * 1e6 / (r * d) : 0) }')"
    record "$name" "$test.p99_ms" "$p99"
    record "$name" "$test.errors" "$err"
    log "round $round $test $name: ${rps} req/s, server CPU ${cpu_s} s, PostgreSQL CPU ${pg_s} s, p99 ${p99} ms, ${err} errors"
  done
  stop_server
}


# The server settings that matter most here, as "name=value, …".
pg_settings() {
  psql "$DATABASE_URL" -AtXqF= -c "SELECT name, current_setting(name) FROM pg_settings WHERE name IN
    ('synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level', 'fsync')
    ORDER BY name" | paste -sd, - | sed 's/,/, /g'
}

versions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r); PostgreSQL, the servers and wrk share them"
  echo "- rustc: $(rustc --version)"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- bench ':!bench/results' 2>/dev/null) ]] || dirty=" + uncommitted changes in bench/"
  echo "- bench/: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  if wants_hiver; then
    local where="target/release/techempower of this checkout"
    [[ -z $TECHEMPOWER_BIN_SET ]] || where="TECHEMPOWER_BIN given by the caller"
    echo "- hiver: techempower binary ($where), sha256 $(sha256sum "$TECHEMPOWER_BIN" | cut -c1-12), built $(date -u -r "$TECHEMPOWER_BIN" '+%Y-%m-%d %H:%M UTC')"
  fi
  echo "- actix-pg (bench/Cargo.lock): actix-web $(lockver actix-web), actix-http $(lockver actix-http), tokio $(lockver tokio), tokio-postgres $(lockver tokio-postgres), snmalloc-rs $(lockver snmalloc-rs), rand $(lockver rand)"
  echo "- may-minihttp-pg (bench/Cargo.lock): may_minihttp $(lockver may_minihttp), may $(lockver may), may_postgres 0.1.0 at git rev 917ed78 (vendored, bench/vendor), mimalloc $(lockver mimalloc), nanorand $(lockver nanorand)"
  echo "- PostgreSQL: $(psql "$DATABASE_URL" -AtXqc 'SELECT version()'); database from $(case $pg_mode in caller) echo "the caller's DATABASE_URL" ;; script) echo "scripts/postgres/start.sh" ;; own) echo "bench/db.sh's throwaway cluster (initdb, TechEmpower's postgresql.conf settings, bench/db/create-postgres.sql)" ;; esac)"
  echo "- PostgreSQL settings: $(pg_settings)"
  echo "- load generator: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $WRK_THREADS thread(s)"
  echo "- settings: ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS SERVER_WORKERS=$SERVER_WORKERS SERVERS=\"$SERVERS\""
}

commands() {
  local s bin driver wait
  echo "- command: \`${ONLY:+ONLY=\"$ONLY\" }ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS SERVER_WORKERS=$SERVER_WORKERS SERVERS=\"$SERVERS\" bash bench/db.sh\`"
  for s in $SERVERS; do
    read -r bin driver wait <<<"$(server_command "$s")"
    echo "- $s: \`PORT=… WORKERS=$SERVER_WORKERS HOST=127.0.0.1 DATABASE_URL=… $([[ $driver == - ]] || echo "HIVER_DRIVER=$driver ")${wait:+HIVER_BATCH_WAIT_US=$wait }$(basename "$bin")\`"
  done
  echo "- load, per test: \`wrk -t$WRK_THREADS -c<connections> -d${WARMUP}s\` (warm-up, not counted), then \`wrk -t$WRK_THREADS -c<connections> -d${DURATION}s --latency http://127.0.0.1:<port><path>\`"
}

main() {
  ulimit -n 20000 2>/dev/null || ulimit -n 4096 || true
  ensure_tools
  build
  start_database
  mkdir -p "$RESULTS_DIR"
  echo "round,server,metric,value" >"$CSV.partial"
  local -a names
  read -r -a names <<<"$SERVERS"
  local n=${#names[@]} k i
  for round in $(seq "$ROUNDS"); do
    # The order rotates each round (A B C, B C A, C A B, …): the table fills with dead rows
    # under /updates, and no server should always come first.
    for ((k = 0; k < n; k++)); do
      i=$(((k + round - 1) % n))
      vacuum
      bench_server "${names[$i]}" $((BASE_PORT + i))
    done
  done
  medians >"$WORK_DIR/medians"
  {
    echo "## DB run $STAMP"
    echo
    versions
    commands
    echo "- raw results: bench/results/db-$STAMP.csv"
    echo "- 1-minute load average at each server's start (median; this machine is shared, and the load generator and PostgreSQL run on it too): $(awk '$2 == "start.loadavg_1m" { printf "%s%s %s", sep, $1, $3; sep = ", " }' "$WORK_DIR/medians")"
    echo
    echo "Medians over $ROUNDS round(s), the server order rotating each round, a VACUUM ANALYZE of"
    echo "world and fortune before each server. Every server has $SERVER_WORKERS workers and the same PostgreSQL;"
    echo "the ratio columns are Hiver ÷ the best peer of the row (higher is better except for"
    echo "PostgreSQL CPU). req_per_cpu_s = requests ÷ server CPU seconds (utime+stime of all its"
    echo "threads). pg_cpu_us_per_req = CPU µs of all the cluster's processes (postmaster, its live"
    echo "children, and the cumulative times of its reaped children) ÷ requests."
    echo
    table req_s "req/s"
    echo
    table req_per_cpu_s "requests per server CPU-second"
    echo
    table pg_cpu_us_per_req "PostgreSQL CPU µs per request" lower
    echo
    table p99_ms "p99 latency, ms" lower
    echo
    table errors "errors (socket errors + non-2xx), count" lower
    echo
    echo "Wall time of the whole run, builds included: $(($(date +%s) - STARTED)) s"
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
