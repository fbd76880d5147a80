#!/usr/bin/env bash
# Static files and TLS, side by side: Hiver's examples/hello serving a directory (the
# hiver-static service, gzip by the compression middleware) against nginx, and Hiver's
# /plaintext and /json over TLS (rustls) against actix-web over rustls.
#
# Usage: bash bench/files.sh        (from anywhere; needs root, or wrk, curl, nginx and
#                                    openssl installed)
#
# Sections (SECTIONS, default "static tls"):
#   static  two files, 4 KiB and 88 KiB of HTML (generated, deterministic), each fetched
#           without Accept-Encoding (identity: sendfile on nginx; Hiver sends a file over
#           8 KiB with sendfile after its head, on io_uring when it is in the page cache,
#           and reads a smaller one and sends it with its head) and with
#           `Accept-Encoding: gzip` (compressed on the fly, level GZIP_LEVEL on both), 64
#           connections. Servers: hiver-uring, hiver-epoll, nginx
#           (bench/peers/nginx/static.conf.template: sendfile, open_file_cache, ETag, gzip).
#   tls     /plaintext and /json over HTTPS (a P-256 certificate made with openssl for the
#           run; TLS 1.3, ALPN http/1.1), 64 keep-alive connections. Servers: hiver-uring,
#           hiver-epoll (TLS_CERT/TLS_KEY), actix-tls (bench/peers/actix with TLS_CERT and
#           TLS_KEY: actix-web 4, rustls with its default aws-lc-rs provider).
# For every test: req/s, requests per server CPU-second (utime+stime of the server's
# processes from /proc, before and after the measured run), p99 and errors.
#
# Before measuring, every server's answers are checked: the files' bytes (identity), gzip
# that decodes to the same bytes with Content-Encoding: gzip, and "Hello, World!" over TLS.
#
# Environment (all optional):
#   ROUNDS=3 DURATION=5 WARMUP=1 WRK_THREADS=1 SERVER_WORKERS=2 BASE_PORT=19400
#   GZIP_LEVEL=5 (nginx's gzip_comp_level and Hiver's gzip level)
#   SECTIONS="static tls"
# Rounds alternate the servers, the order rotating each round. Writes
# bench/results/files-<stamp>.csv and .md. Every process it starts is stopped on exit, by PID.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
WRK_THREADS=${WRK_THREADS:-1}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-19400}
GZIP_LEVEL=${GZIP_LEVEL:-5}
SECTIONS=${SECTIONS:-"static tls"}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_TARGET=${CARGO_TARGET_DIR:-$BENCH_DIR/target}
MAIN_TARGET=${CARGO_TARGET_DIR:-$ROOT_DIR/target}
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RESULTS_DIR=$BENCH_DIR/results
CSV=$RESULTS_DIR/files-$STAMP.csv
REPORT=$RESULTS_DIR/files-$STAMP.md
WORK_DIR=$(mktemp -d)
STARTED=$(date +%s)

server_pid=""
server_children=()
wrk_pid=""
rps="" p99="" err="" bytes_per_req=""

LOG_TAG=files
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# The tests of each section: name, path, connections, accept-encoding (- for none).
STATIC_TESTS=(
  "file4k_identity /static/4k.html 64 -"
  "file88k_identity /static/88k.html 64 -"
  "file4k_gzip /static/4k.html 64 gzip"
  "file88k_gzip /static/88k.html 64 gzip"
)
TLS_TESTS=(
  "tls_plaintext /plaintext 64 -"
  "tls_json /json 64 -"
)


cleanup() {
  if [[ -n $wrk_pid ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$WORK_DIR"
  rm -f "$CSV.partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wants() { [[ " $SECTIONS " == *" $1 "* ]]; }

ensure_tools() {
  install_missing wrk wrk
  install_missing curl curl
  install_missing openssl openssl
  if wants static; then install_missing nginx nginx-light; fi
}

build() {
  if wants tls; then
    log "building peer-actix (release) in bench/"
    cargo build --release --quiet --manifest-path "$BENCH_DIR/Cargo.toml" -p peer-actix
  fi
  log "building examples/hello (release) in the main workspace"
  cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p hello
}

make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$WORK_DIR/key.pem" -out "$WORK_DIR/cert.pem" -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 ||
    die "openssl could not make a certificate"
}

# Writes nginx's config into $WORK_DIR/nginx; prints the command.
nginx_command() {
  local port=$1 dir=$WORK_DIR/nginx
  mkdir -p "$dir"
  ln -sfn "$WORK_DIR/files" "$dir/files"
  sed -e "s|@USER@|$(id -un)|" -e "s|@GROUP@|$(id -gn)|" -e "s|@DIR@|$dir|g" \
    -e "s|@PORT@|$port|" -e "s|@WORKERS@|$SERVER_WORKERS|" -e "s|@GZIP_LEVEL@|$GZIP_LEVEL|" \
    "$BENCH_DIR/peers/nginx/static.conf.template" >"$dir/nginx.conf"
  echo "$(command -v nginx) -p $dir -e $dir/error.log -c $dir/nginx.conf"
}

# The URL scheme and probe path of the running section.
scheme() { if [[ $section == tls ]]; then echo https; else echo http; fi; }
probe_path() { if [[ $section == tls ]]; then echo /plaintext; else echo /static/4k.html; fi; }
answers() { curl -fsSk --max-time 1 -o /dev/null "$(scheme)://127.0.0.1:$1$(probe_path)" 2>/dev/null; }

start_server() {
  local name=$1 port=$2 hello=$MAIN_TARGET/release/hello
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  local -a cmd=(env PORT="$port" WORKERS="$SERVER_WORKERS" HOST=127.0.0.1 RUST_LOG=warn)
  case $section in
    static) cmd+=(STATIC_DIR="$WORK_DIR/files" GZIP_LEVEL="$GZIP_LEVEL") ;;
    tls) cmd+=(TLS_CERT="$WORK_DIR/cert.pem" TLS_KEY="$WORK_DIR/key.pem") ;;
  esac
  case $name in
    hiver-uring) cmd+=(HIVER_DRIVER=uring "$hello") ;;
    hiver-epoll) cmd+=(HIVER_DRIVER=epoll "$hello") ;;
    actix-tls) cmd+=("$BENCH_TARGET/release/peer-actix") ;;
    nginx) read -r -a cmd <<<"$(nginx_command "$port")" ;;
    *) die "unknown server '$name'" ;;
  esac
  "${cmd[@]}" >"$WORK_DIR/$name.log" 2>&1 &
  server_pid=$!
  await_server "$port" "$WORK_DIR/$name.log" "$name"
  mapfile -t server_children < <(pgrep -P "$server_pid" || true)
}



check_answers() {
  local name=$1 port=$2 f heads=$WORK_DIR/check.heads body=$WORK_DIR/check.body
  if [[ $section == tls ]]; then
    curl -fsSk --max-time 5 --http1.1 -o "$body" "https://127.0.0.1:$port/plaintext" ||
      die "$name: GET /plaintext over TLS failed"
    [[ $(<"$body") == "Hello, World!" ]] || die "$name: /plaintext over TLS answered '$(head -c 100 "$body")'"
    return 0
  fi
  for f in 4k 88k; do
    curl -fsS --max-time 5 -D "$heads" -o "$body" "http://127.0.0.1:$port/static/$f.html" ||
      die "$name: GET /static/$f.html failed"
    cmp -s "$body" "$WORK_DIR/files/$f.html" || die "$name: /static/$f.html differs from the file"
    [[ $(header "$heads" content-type) == text/html* ]] || die "$name: /static/$f.html Content-Type '$(header "$heads" content-type)'"
    curl -fsS --max-time 5 -H 'Accept-Encoding: gzip' -D "$heads" -o "$body.gz" "http://127.0.0.1:$port/static/$f.html" ||
      die "$name: GET /static/$f.html with gzip failed"
    [[ $(header "$heads" content-encoding) == gzip ]] || die "$name: /static/$f.html not gzipped"
    gzip -dc <"$body.gz" | cmp -s - "$WORK_DIR/files/$f.html" || die "$name: gzip of /static/$f.html does not decode to the file"
  done
}

run_wrk() {
  local port=$1 path=$2 conns=$3 enc=$4 duration=$5
  local -a args=(-c"$conns" -d"${duration}s" --latency)
  [[ $enc == - ]] || args+=(-H "Accept-Encoding: $enc")
  run_wrk_raw "${args[@]}" "$(scheme)://127.0.0.1:$port$path"
  read -r rps p99 err bytes_per_req <<<"$(wrk_summary "$WRK_OUT")"
  [[ $p99 != - ]] || p99=""
}

bench_server() {
  local name=$1 port=$2 spec test path conns enc before after cpu_s
  start_server "$name" "$port"
  check_answers "$name" "$port"
  for spec in "${TESTS[@]}"; do
    read -r test path conns enc <<<"$spec"
    if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" "$path" "$conns" "$enc" "$WARMUP"; fi
    before=$(cpu_ticks)
    run_wrk "$port" "$path" "$conns" "$enc" "$DURATION"
    after=$(cpu_ticks)
    cpu_s=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    record "$name" "$test.req_s" "$rps"
    record "$name" "$test.cpu_s" "$cpu_s"
    record "$name" "$test.req_per_cpu_s" \
      "$(awk -v r="$rps" -v d="$DURATION" -v c="$cpu_s" 'BEGIN { printf "%.1f", (c > 0 ? r * d / c : 0) }')"
    record "$name" "$test.bytes_per_req" "$bytes_per_req"
    record "$name" "$test.p99_ms" "$p99"
    record "$name" "$test.errors" "$err"
    log "round $round $test $name: ${rps} req/s, server CPU ${cpu_s} s, ${bytes_per_req} B/response, p99 ${p99} ms, ${err} errors"
  done
  stop_server
}

# Runs ROUNDS rounds of the section's servers, rotating the order; writes its tables.
run_section() {
  local -a names
  read -r -a names <<<"$SERVERS"
  local n=${#names[@]} k i
  for round in $(seq "$ROUNDS"); do
    for ((k = 0; k < n; k++)); do
      i=$(((k + round - 1) % n))
      bench_server "${names[$i]}" $((BASE_PORT + i))
    done
  done
  medians >"$WORK_DIR/medians"
  {
    echo "### $section: $SERVERS"
    echo
    table req_s "req/s"
    echo
    table req_per_cpu_s "requests per server CPU-second"
    echo
    table bytes_per_req "bytes per response (wrk's read ÷ requests)" lower
    echo
    table p99_ms "p99 latency, ms" lower
    echo
    table errors "errors (socket errors + non-2xx), count" lower
    echo
  } >>"$WORK_DIR/tables.md"
}

main() {
  ulimit -n 20000 2>/dev/null || ulimit -n 4096 || true
  ensure_tools
  build
  make_html_files "$WORK_DIR/files"
  make_cert
  mkdir -p "$RESULTS_DIR"
  echo "round,server,metric,value" >"$CSV.partial"
  : >"$WORK_DIR/tables.md"
  for section in static tls; do
    wants "$section" || continue
    case $section in
      static)
        SERVERS="hiver-uring hiver-epoll nginx"
        TESTS=("${STATIC_TESTS[@]}")
        ;;
      tls)
        SERVERS="hiver-uring hiver-epoll actix-tls"
        TESTS=("${TLS_TESTS[@]}")
        ;;
    esac
    run_section
  done
  {
    echo "## Files and TLS run $STAMP"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r); servers and wrk share them"
    echo "- rustc: $(rustc --version)"
    echo "- hiver: examples/hello at commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$([[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] || echo " + uncommitted changes")"
    if wants static; then echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian), bench/peers/nginx/static.conf.template, gzip_comp_level $GZIP_LEVEL"; fi
    if wants tls; then echo "- actix-tls = bench/peers/actix with TLS_CERT/TLS_KEY (bench/Cargo.lock): actix-web $(lockver actix-web), rustls $(lockver rustls), aws-lc-rs $(lockver aws-lc-rs); $(openssl version) made the certificate (P-256)"; fi
    echo "- load generator: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $WRK_THREADS thread(s)"
    echo "- command: \`SECTIONS=\"$SECTIONS\" ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS SERVER_WORKERS=$SERVER_WORKERS GZIP_LEVEL=$GZIP_LEVEL bash bench/files.sh\`"
    echo "- Hiver: \`PORT=… WORKERS=$SERVER_WORKERS HIVER_DRIVER=uring|epoll hello\` with \`STATIC_DIR=… GZIP_LEVEL=$GZIP_LEVEL\` (static) or \`TLS_CERT=… TLS_KEY=…\` (tls)"
    echo "- raw results: bench/results/files-$STAMP.csv"
    echo
    echo "Medians over $ROUNDS round(s), the server order rotating each round; every server has"
    echo "$SERVER_WORKERS workers. The ratio columns are Hiver ÷ the best peer of the row."
    echo "req_per_cpu_s = requests ÷ the server's CPU seconds (utime+stime, workers included)."
    echo
    cat "$WORK_DIR/tables.md"
    echo "Wall time of the whole run, builds included: $(($(date +%s) - STARTED)) s"
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
