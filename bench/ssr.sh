#!/usr/bin/env bash
# Side-by-side SSR benchmark: the storefront (examples/storefront) against nginx and node,
# once per web build (Preact, React 19), every server with 2 workers on 127.0.0.1.
#
#   cached  GET / from Hiver's page cache  vs  nginx serving the same HTML bytes as a file
#   render  GET / rendered on every request (STOREFRONT_CACHE=off)
#           vs  node's http server rendering the same dist/<fw>/server.js (bench/ssr/node-server.mjs)
#
# Usage: bash bench/ssr.sh            (from anywhere; needs root or wrk, nginx, node installed)
#
# Environment (all optional):
#   ROUNDS=3          rounds; within a round every test runs Hiver, then its peer (A B A B …)
#   DURATION=10       seconds per measured wrk run
#   WARMUP=2          seconds of unmeasured load after each start (node's JIT, Hiver's contexts)
#   WRK_THREADS=1     wrk threads (one core of two for the load generator)
#   CACHED_CONNS=64   wrk connections for the cached page
#   RENDER_CONNS=16   wrk connections for renders (ms-long: more connections only queue)
#   FRAMEWORKS="preact react"
#   SERVER_WORKERS=2  WORKERS for the storefront, worker_processes for nginx, cluster size for node
#   BASE_PORT=39200   ports BASE_PORT..BASE_PORT+3, 127.0.0.1 only
#
# Writes bench/results/ssr-<stamp>.csv (raw, one value per line) and .md (machine, versions,
# table of medians) and prints the table. req_per_cpu_s = requests ÷ CPU seconds of the
# server's processes (utime + stime from /proc/PID/stat, summed over nginx's master and
# workers and node's primary and workers).
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
WRK_THREADS=${WRK_THREADS:-1}
CACHED_CONNS=${CACHED_CONNS:-64}
RENDER_CONNS=${RENDER_CONNS:-16}
FRAMEWORKS=${FRAMEWORKS:-"preact react"}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-39200}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
STOREFRONT=${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/storefront
DIST=$ROOT_DIR/examples/storefront/web/dist
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RESULTS_DIR=$BENCH_DIR/results
CSV=$RESULTS_DIR/ssr-$STAMP.csv
REPORT=$RESULTS_DIR/ssr-$STAMP.md
WORK_DIR=$(mktemp -d)
STARTED=$(date +%s)

# The tests: name, the Hiver server, its peer, wrk connections.
TESTS=(
  "cached hiver-cached nginx $CACHED_CONNS"
  "render hiver-render node $RENDER_CONNS"
)

server_pid=""        # the one server running now, started by this script; stop_server ends it
server_children=()   # its worker processes (nginx, node), seen after it answered
wrk_pid=""           # the wrk run in progress, waited for so Ctrl-C is seen at once
rps="" p99="" err="" bytes_per_req=""  # set by run_wrk

LOG_TAG=ssr
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# Stops the server this script started and its workers, by PID only: SIGTERM to the parent
# (nginx and node stop their workers), SIGKILL after 5 s, then any worker left over.
stop_server() {
  local pid=$server_pid child
  [[ -n $pid ]] || return 0
  server_pid=""
  stop_pid "$pid"
  for child in "${server_children[@]}"; do
    kill -KILL "$child" 2>/dev/null || true
  done
  server_children=()
}

cleanup() {
  if [[ -n $wrk_pid ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$WORK_DIR"
  # An interrupted or failed run leaves no half-written results behind.
  rm -f "$CSV.partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_missing() {
  local cmd=$1 package=$2
  command -v "$cmd" >/dev/null && return 0
  log "$cmd not found: installing $package with apt-get"
  command -v apt-get >/dev/null || die "$cmd is missing and apt-get is not available"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
}

ensure_tools() {
  install_missing wrk wrk
  install_missing nginx nginx-light
  command -v node >/dev/null || die "node is required (Debian: apt-get install nodejs)"
  command -v curl >/dev/null || die "curl is required"
}

build() {
  log "building examples/storefront (release)"
  cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p storefront
}

# The command line of a server, one word per line (for `mapfile`).
server_command() {
  local name=$1 fw=$2 port=$3
  case $name in
    hiver-cached | hiver-render)
      local cache=on
      [[ $name == hiver-cached ]] || cache=off
      # RUST_LOG=warn: no per-request log lines, as nginx runs with access_log off.
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" STOREFRONT_FRAMEWORK="$fw" \
        STOREFRONT_CACHE="$cache" RUST_LOG=warn "$STOREFRONT"
      ;;
    nginx)
      local dir=$WORK_DIR/nginx-$fw
      sed -e "s|@USER@|$(id -un)|" -e "s|@GROUP@|$(id -gn)|" -e "s|@DIR@|$dir|g" \
        -e "s|@PORT@|$port|" -e "s|^worker_processes .*|worker_processes $SERVER_WORKERS;|" \
        "$BENCH_DIR/ssr/nginx.conf.template" >"$dir/nginx.conf"
      printf '%s\n' nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
      ;;
    node)
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw" \
        node "$BENCH_DIR/ssr/node-server.mjs"
      ;;
    *) die "unknown server '$name'" ;;
  esac
}

answers() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; }

# Starts a server and waits (up to 30 s) for its first 200 on `/`; sets server_pid and,
# once it answers, server_children.
start_server() {
  local name=$1 fw=$2 port=$3
  local -a cmd
  mapfile -t cmd < <(server_command "$name" "$fw" "$port")
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  "${cmd[@]}" >"$WORK_DIR/$name-$fw.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 3000); do
    if answers "$port"; then
      mapfile -t server_children < <(pgrep -P "$server_pid" || true)
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 20 "$WORK_DIR/$name-$fw.log" >&2
      die "$name ($fw) exited before answering"
    fi
    sleep 0.01
  done
  die "$name ($fw) did not answer within 30 s"
}

# CPU ticks so far of the running server: the process and its workers.
cpu_ticks() {
  local total pid
  total=$(ticks_of "$server_pid")
  for pid in "${server_children[@]}"; do total=$((total + $(ticks_of "$pid"))); done
  echo "$total"
}

# GET / the way wrk sends it (no Accept-Encoding); saves the body to $2, the headers to $3.
fetch() { curl -fsS --max-time 10 -H 'Accept-Encoding:' -D "$3" -o "$2" "http://127.0.0.1:$1/"; }

header() { awk -v h="$2" -F': *' 'tolower($1) == tolower(h) { sub(/\r$/, "", $2); print $2 }' "$1"; }

# Checks one answer to `/`: 200, an identity body, and what the test needs from the cache.
check_answer() {
  local name=$1 fw=$2 port=$3 body=$WORK_DIR/check.body heads=$WORK_DIR/check.heads cache
  fetch "$port" "$body" "$heads" || die "$name ($fw): GET / failed"
  [[ -z $(header "$heads" content-encoding) ]] || die "$name ($fw): compressed answer to a request without Accept-Encoding"
  cache=$(header "$heads" x-hiver-cache)
  case $name in
    hiver-cached) [[ $cache == hit* ]] || die "hiver-cached ($fw): X-Hiver-Cache '$cache' after a warming request, want a hit" ;;
    hiver-render) [[ $cache == bypass ]] || die "hiver-render ($fw): X-Hiver-Cache '$cache', want bypass" ;;
  esac
  record "$name" body_bytes "$(wc -c <"$body")"
}

# Runs wrk once; sets rps, p99 (ms), err and bytes_per_req (response bytes read ÷ requests,
# headers included: shows the bodies were identity-coded).
run_wrk() {
  local port=$1 conns=$2 duration=$3
  run_wrk_raw -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$port/"
  read -r rps p99 err bytes_per_req <<<"$(wrk_summary "$WRK_OUT")"
  [[ $p99 != - ]] || p99=0
}

# Rows go to a .partial file that becomes the CSV only when every round has finished.
record() { echo "$round,$test,$1,$2,$3" >>"$CSV.partial"; }

bench_server() {
  local name=$1 fw=$2 port=$3 conns=$4 before after cpu_s
  record "$name" loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
  start_server "$name" "$fw" "$port"
  # The warming request: fills Hiver's cache, JIT-compiles nothing yet.
  fetch "$port" /dev/null /dev/null || die "$name ($fw): first GET / failed"
  check_answer "$name" "$fw" "$port"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" "$conns" "$WARMUP"; fi
  before=$(cpu_ticks)
  run_wrk "$port" "$conns" "$DURATION"
  after=$(cpu_ticks)
  cpu_s=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  record "$name" req_s "$rps"
  record "$name" cpu_s "$cpu_s"
  record "$name" req_per_cpu_s \
    "$(awk -v r="$rps" -v d="$DURATION" -v c="$cpu_s" 'BEGIN { printf "%.1f", (c > 0 ? r * d / c : 0) }')"
  record "$name" p99_ms "$p99"
  record "$name" bytes_per_resp "$bytes_per_req"
  record "$name" errors "$err"
  log "round $round $test $name: ${rps} req/s, CPU ${cpu_s} s over $((${#server_children[@]} + 1)) process(es), p99 ${p99} ms, ${bytes_per_req} B/response, ${err} errors"
  stop_server
}

# Saves Hiver's `/` page per framework as nginx's index.html, and compares node's document
# with it; the comparison goes into the report.
prepare() {
  local fw dir node_page=$WORK_DIR/node.html
  : >"$WORK_DIR/documents"
  for fw in $FRAMEWORKS; do
    [[ -f $DIST/$fw/server.js ]] || die "no build at $DIST/$fw"
    dir=$WORK_DIR/nginx-$fw
    mkdir -p "$dir/html"
    round=0 test=prepare
    start_server hiver-cached "$fw" "$BASE_PORT"
    fetch "$BASE_PORT" "$dir/html/index.html" "$WORK_DIR/prepare.heads" || die "fetching / from the storefront failed"
    stop_server
    start_server node "$fw" "$((BASE_PORT + 3))"
    fetch "$((BASE_PORT + 3))" "$node_page" "$WORK_DIR/prepare.heads" || die "fetching / from node failed"
    stop_server
    local hiver_bytes node_bytes same=no
    hiver_bytes=$(wc -c <"$dir/html/index.html")
    node_bytes=$(wc -c <"$node_page")
    if cmp -s "$dir/html/index.html" "$node_page"; then same=yes; fi
    echo "- $fw \`/\`: Hiver's document $hiver_bytes bytes (nginx serves this file); node's $node_bytes bytes, byte-for-byte identical: $same" >>"$WORK_DIR/documents"
    log "$fw: Hiver page $hiver_bytes B, node page $node_bytes B, identical: $same"
  done
}

versions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the checkout"
  echo "- hiver: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian package), worker_processes $SERVER_WORKERS, access_log off, open_file_cache, sendfile"
  echo "- node $(node --version), node:cluster with $SERVER_WORKERS workers, bundle in a vm context with hiver-ssr's prelude"
  echo "- load generator: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $WRK_THREADS thread(s), no Accept-Encoding (identity bodies)"
  echo "- settings: ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CACHED_CONNS=$CACHED_CONNS RENDER_CONNS=$RENDER_CONNS SERVER_WORKERS=$SERVER_WORKERS FRAMEWORKS=\"$FRAMEWORKS\""
  cat "$WORK_DIR/documents"
}

# Median per (test, server, metric) over the rounds, as "test server metric median".
medians() {
  tail -n +2 "$CSV.partial" | awk -F, '$1 > 0 && $5 != "" { print $2, $3, $4, $5 }' |
    sort -k1,1 -k2,2 -k3,3 -k4,4g |
    awk '
      function flush() { if (n) printf "%s %s %s %s\n", k1, k2, k3, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }
      $1 != k1 || $2 != k2 || $3 != k3 { flush(); k1 = $1; k2 = $2; k3 = $3; n = 0 }
      { v[++n] = $4 }
      END { flush() }'
}

table() {
  medians >"$WORK_DIR/medians"
  local pairs="" fw spec t h p
  for fw in $FRAMEWORKS; do
    for spec in "${TESTS[@]}"; do
      read -r t h p _ <<<"$spec"
      pairs+=" ${t}_$fw:$h:$p"
    done
  done
  awk -v pairs="$pairs" '
    { m[$1 " " $2 " " $3] = $4 }
    function lower(k) { return k ~ /p99_ms$/ }
    function fmt(x) { return x == "" ? "n/a" : (x >= 100 || x == int(x) ? sprintf("%.0f", x) : sprintf("%.2f", x)) }
    END {
      print "| test | metric | Hiver | peer | Hiver ÷ peer |"
      print "|---|---|---:|---:|---:|"
      np = split(pairs, pr, " ")
      nm = split("req_s req_per_cpu_s p99_ms body_bytes bytes_per_resp errors loadavg_1m", k, " ")
      for (i = 1; i <= np; i++) {
        split(pr[i], x, ":")
        for (j = 1; j <= nm; j++) {
          a = m[x[1] " " x[2] " " k[j]]; b = m[x[1] " " x[3] " " k[j]]
          ratio = (a == "" || b == "" || b == 0 || k[j] ~ /^(errors|loadavg_1m|body_bytes|bytes_per_resp)$/) ? "" : sprintf("%.2f", a / b)
          printf "| %s (%s vs %s) | %s%s | %s | %s | %s |\n", x[1], x[2], x[3], k[j],
            (lower(k[j]) ? " (lower is better)" : ""), fmt(a), fmt(b), ratio
        }
      }
    }' "$WORK_DIR/medians"
}

main() {
  ensure_tools
  build
  [[ -x $STOREFRONT ]] || die "$STOREFRONT is not built"
  mkdir -p "$RESULTS_DIR"
  echo "round,test,server,metric,value" >"$CSV.partial"
  prepare
  local fw spec hiver peer conns
  for round in $(seq "$ROUNDS"); do
    for fw in $FRAMEWORKS; do
      for spec in "${TESTS[@]}"; do
        read -r test hiver peer conns <<<"$spec"
        test=${test}_$fw
        bench_server "$hiver" "$fw" "$BASE_PORT" "$conns"
        bench_server "$peer" "$fw" "$((BASE_PORT + 1))" "$conns"
      done
    done
  done
  {
    echo "## SSR run $STAMP"
    echo
    versions
    echo "- command: \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CACHED_CONNS=$CACHED_CONNS RENDER_CONNS=$RENDER_CONNS FRAMEWORKS=\"$FRAMEWORKS\" bash bench/ssr.sh\`"
    echo "- raw results: bench/results/ssr-$STAMP.csv; wall time $(($(date +%s) - STARTED)) s including the build"
    echo
    echo "Medians over $ROUNDS rounds. \`cached\`: GET / from Hiver's page cache vs nginx serving the"
    echo "same bytes as a static file, $CACHED_CONNS connections. \`render\`: every request renders"
    echo "(STOREFRONT_CACHE=off) vs node rendering the same bundle, $RENDER_CONNS connections."
    echo "req_per_cpu_s = requests ÷ CPU seconds (utime+stime) of all the server's processes."
    echo "bytes_per_resp = bytes wrk read ÷ requests (headers included)."
    echo
    table
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
