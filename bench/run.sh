#!/usr/bin/env bash
# The one-command side-by-side benchmark: Hiver's examples/hello against actix-web, axum,
# hyper, may_minihttp, monoio, nginx (static files) and uring-raw (a bare io_uring loop),
# then the SSR section (bench/ssr.sh).
#
# Usage: bash bench/run.sh            (from anywhere; needs root, or wrk, nginx and perf
#                                      installed and perf allowed to count system calls)
#
# Sections (SECTIONS, default "hello latency idle ssr"), run in this order:
#   hello    ROUNDS rounds, servers alternating A B C … A B C …: start-up time, idle RSS,
#            then wrk: plaintext at 64 and 256 connections, plaintext pipelined 16 deep
#            (256 connections), JSON at 64 connections; req/s and req per server CPU-second;
#            and, from `perf stat` attached to the server's processes (nginx: its workers
#            too) during each measured wrk run of the last round, system calls, context switches and user-space
#            instructions per request (counts ÷ the requests wrk reports). perf is installed
#            with apt-get (linux-perf) when missing; as root, kernel.perf_event_paranoid is
#            lowered to -1 only if perf cannot count otherwise (logged; put back on exit).
#            An event perf cannot count here (no permission; no PMU in a VM, for
#            instructions:u) leaves its cells "-", and the run goes on.
#   latency  oha at a fixed rate, the same for every server: half the best framework
#            peer's median plaintext_c64 req/s from the hello section, capped at 80 % of
#            what oha alone reaches against that peer (or LATENCY_RATE); p50/p99 with
#            coordinated-omission correction; ROUNDS rounds again
#   idle     IDLE_CONNS keep-alive connections held open (one answered request each) by
#            bench/peers/idle-conns; server RSS (all its processes) before and with them
#   ssr      bash bench/ssr.sh with SSR_ROUNDS, SSR_DURATION, SSR_WARMUP, SSR_FRAMEWORKS, SSR_ENGINES and
#            BASE_PORT+100 (its default 39200 is an ephemeral port that the idle section's
#            10,000 client sockets may still hold in TIME_WAIT)
#
# Environment (all optional):
#   ROUNDS=3        rounds; each cell is the median over them
#   DURATION=5      seconds per measured wrk run
#   WARMUP=1        seconds of unmeasured load after each start
#   WRK_THREADS=1   wrk threads; 1 so the load generator takes one core of two, not both
#   LATENCY_DURATION=5  seconds per oha run;  LATENCY_RATE  requests/s (default: see above)
#   IDLE_CONNS=10000
#   SSR_ROUNDS=3 SSR_DURATION=5 SSR_WARMUP=1 SSR_FRAMEWORKS="preact" SSR_ENGINES="v8 quickjs"
#   SERVERS="hiver-uring hiver-epoll actix axum hyper may-minihttp monoio nginx uring-raw"
#                   any of: hiver (driver chosen by Hiver), hiver-uring, hiver-epoll,
#                   actix, axum, hyper, may-minihttp, monoio, nginx, uring-raw
#                   Two are ceilings, not framework peers: nginx (static files) and
#                   uring-raw (bench/peers/uring-raw: fixed answers straight on io_uring, no
#                   HTTP parser). Neither counts as "the best framework peer"; uring-raw gets
#                   its own ratio column, "Hiver ÷ raw io_uring ceiling".
#   SERVER_WORKERS=2  WORKERS for every server (worker_processes for nginx)
#   BASE_PORT=19100   server i listens on BASE_PORT+i, 127.0.0.1 only (below the
#                     ephemeral range, so no client socket of an earlier run holds it)
#
# Before measuring, every server's /plaintext and /json are fetched and compared (status
# 200, identical bodies, Content-Type, Server and Date present): a difference stops the run.
# Writes bench/results/<stamp>.csv (raw, one value per line) and <stamp>.md (machine,
# versions, the table of medians and the Hiver ÷ peer ratios), prints them and the wall time.
# Every process it starts is stopped on exit, Ctrl-C or TERM, by PID.
set -euo pipefail
export LC_ALL=C

SECTIONS=${SECTIONS:-"hello latency idle ssr"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
WRK_THREADS=${WRK_THREADS:-1}
LATENCY_DURATION=${LATENCY_DURATION:-5}
LATENCY_RATE=${LATENCY_RATE:-}
IDLE_CONNS=${IDLE_CONNS:-10000}
SSR_ROUNDS=${SSR_ROUNDS:-3}
SSR_DURATION=${SSR_DURATION:-5}
SSR_WARMUP=${SSR_WARMUP:-1}
SSR_FRAMEWORKS=${SSR_FRAMEWORKS:-preact}
SSR_ENGINES=${SSR_ENGINES:-"v8 quickjs"}
SERVERS=${SERVERS:-"hiver-uring hiver-epoll actix axum hyper may-minihttp monoio nginx uring-raw"}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-19100}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
MAIN_TARGET=${CARGO_TARGET_DIR:-$ROOT_DIR/target}
BENCH_TARGET=${CARGO_TARGET_DIR:-$BENCH_DIR/target}
CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
RESULTS_DIR=$BENCH_DIR/results
CSV=$RESULTS_DIR/$STAMP.csv
REPORT=$RESULTS_DIR/$STAMP.md
WORK_DIR=$(mktemp -d)
STARTED=$(date +%s)
OHA=$BENCH_DIR/target/tools/bin/oha
OHA_VERSION=1.16.0
PIPELINE_DEPTH=16   # bench/pipeline.lua's depth
# Counted by perf stat during each hello wrk run; each ÷ the requests wrk reports.
PERF_EVENTS=raw_syscalls:sys_enter,context-switches,instructions:u
PERF_OK=0           # 1 when perf can count on this machine (set by ensure_perf)

# The tests: name, path, connections, wrk script ("" = one request per write).
TESTS=(
  "plaintext_c64 /plaintext 64 -"
  "plaintext_c256 /plaintext 256 -"
  "plaintext_pipe16_c256 /plaintext 256 pipeline.lua"
  "json_c64 /json 64 -"
)

server_pid=""        # the one server running now, started by this script; stop_server ends it
server_children=()   # its worker processes (nginx), seen after it answered
wrk_pid=""           # the wrk, oha, idle-conns or ssr.sh run in progress, waited for with
                     # `wait` so Ctrl-C is seen at once
perf_pid=""          # the perf stat attached to the server during a wrk run
perf_ctl="" perf_ack=""  # file descriptors of its control and ack FIFOs
perf_valid=0         # 1 when the perf stat of the current wrk run acknowledged "enable"
paranoid_was=""      # kernel.perf_event_paranoid before ensure_perf lowered it; restored on exit
startup_ms=""   # set by start_server
rps="" p99="" err="" bytes_per_req=""  # set by run_wrk

LOG_TAG=bench
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"


cleanup() {
  if [[ -n $wrk_pid ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi
  stop_server
  if [[ -n $paranoid_was ]]; then
    sysctl -q -w kernel.perf_event_paranoid="$paranoid_was" >/dev/null 2>&1 || true
    log "restored kernel.perf_event_paranoid=$paranoid_was"
  fi
  rm -rf "$WORK_DIR"
  rm -f "$CSV.partial"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_wrk() {
  command -v wrk >/dev/null && return 0
  log "wrk not found: installing it with apt-get"
  command -v apt-get >/dev/null || die "wrk is missing and apt-get is not available"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# Sends command $1 (enable, disable) to the attached perf stat and waits up to 10 s for its
# ack; fails if none came (perf exited: no permission, or it does not know --control).
perf_command() {
  local reply=""
  echo "$1" >&"$perf_ctl" 2>/dev/null || return 1
  for _ in $(seq 100); do
    if read -r -t 0.1 reply <&"$perf_ack"; then
      [[ $reply == ack* ]]
      return
    fi
    kill -0 "$perf_pid" 2>/dev/null || return 1
  done
  return 1
}

# Attaches perf stat, counters off, to the processes in comma-separated list $1, writing
# its CSV to $2; then turns the counters on and returns once perf acknowledged, so the
# window starts exactly here. Fails (perf left running until perf_detach) without an ack.
perf_attach() {
  rm -f "$WORK_DIR/perf.ctl" "$WORK_DIR/perf.ack" "$2"
  mkfifo "$WORK_DIR/perf.ctl" "$WORK_DIR/perf.ack"
  # Read-write: opening a FIFO that way never blocks, even before perf has opened it.
  exec {perf_ctl}<>"$WORK_DIR/perf.ctl" {perf_ack}<>"$WORK_DIR/perf.ack"
  perf stat -e "$PERF_EVENTS" -x, -o "$2" -D -1 \
    --control "fifo:$WORK_DIR/perf.ctl,$WORK_DIR/perf.ack" -p "$1" 2>"$WORK_DIR/perf.err" &
  perf_pid=$!
  perf_command enable
}

# Turns the counters off (ack awaited), then stops perf stat with SIGINT so it writes them.
perf_detach() {
  [[ -n $perf_pid ]] || return 0
  perf_command disable || true
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=""
  exec {perf_ctl}>&- {perf_ack}<&-
  rm -f "$WORK_DIR/perf.ctl" "$WORK_DIR/perf.ack"
}

# Counts $PERF_EVENTS for 0.3 s on a shell loop this script starts (it runs and makes
# system calls: a process that never runs is "<not counted>"), attached by PID like the
# real runs; prints one "event value" line per event ("value" is "-" when not counted).
perf_probe() {
  local out=$WORK_DIR/perf-probe.csv target attached=1
  (for _ in $(seq 500); do sleep 0.02; done) &
  target=$!
  perf_attach "$target" "$out" || attached=0
  sleep 0.3
  perf_detach
  stop_pid "$target"
  if [[ $attached -eq 1 ]]; then perf_counts "$out"; else perf_counts /dev/null; fi
}

# "event value" per event of $PERF_EVENTS from perf stat's CSV output $1 ("-": not counted,
# or no such file).
perf_counts() {
  local file=$1
  [[ -f $file ]] || file=/dev/null
  awk -F, -v events="$PERF_EVENTS" '
    BEGIN { n = split(events, e, ",") }
    /^#/ || NF < 3 { next }
    { v[$3] = ($1 ~ /^[0-9.]+$/ ? $1 : "-") }
    END { for (i = 1; i <= n; i++) print e[i], (e[i] in v ? v[e[i]] : "-") }' "$file"
}

# Whether probe output $1 counted system calls and context switches (the events every
# machine should have; instructions:u needs a PMU, which VMs often lack, and stays "-").
perf_counts_basics() {
  awk '$2 != "-" && $1 !~ /^instructions/ { n++ } END { exit !(n >= 2) }' <<<"$1"
}

# Sets PERF_OK: installs perf if missing; lowers kernel.perf_event_paranoid to -1 as root if
# perf cannot count otherwise (put back on exit). Never fatal: without perf the per-request
# rows are "-".
ensure_perf() {
  if ! command -v perf >/dev/null; then
    log "perf not found: installing linux-perf with apt-get"
    if command -v apt-get >/dev/null; then
      apt-get update -qq || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null || true
    fi
    command -v perf >/dev/null ||
      { log "perf is not available: the per-request rows will be '-'"; return 0; }
  fi
  local probe missing
  probe=$(perf_probe)
  if ! perf_counts_basics "$probe" && [[ $(id -u) -eq 0 &&
    $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null) != -1 ]]; then
    local was
    was=$(cat /proc/sys/kernel/perf_event_paranoid)
    log "perf cannot count system calls with kernel.perf_event_paranoid=$was: setting it to -1 (sysctl -w kernel.perf_event_paranoid=-1) for this run; restored on exit"
    if sysctl -q -w kernel.perf_event_paranoid=-1 >/dev/null; then paranoid_was=$was; fi
    probe=$(perf_probe)
  fi
  if perf_counts_basics "$probe"; then PERF_OK=1; fi
  if [[ $PERF_OK -eq 1 ]]; then
    missing=$(awk '$2 == "-" { print $1 }' <<<"$probe" | paste -sd' ' -)
    [[ -z $missing ]] || log "perf cannot count $missing on this machine: those cells will be '-'"
  else
    log "perf cannot count here ($(head -c 300 "$WORK_DIR/perf.err" | tr '\n' ' ')): the per-request rows will be '-'"
  fi
}

ensure_tools() {
  ensure_wrk
  command -v curl >/dev/null || die "curl is required"
  if [[ " $SERVERS " == *" nginx "* ]] && ! command -v nginx >/dev/null; then
    log "nginx not found: installing nginx-light with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  fi
  if wants hello; then ensure_perf; fi
  if wants latency && [[ ! -x $OHA ]]; then
    log "oha not found: cargo install --locked oha@$OHA_VERSION into bench/target/tools (minutes)"
    cargo install --quiet --locked "oha@$OHA_VERSION" --root "$BENCH_DIR/target/tools"
  fi
}

wants() { [[ " $SECTIONS " == *" $1 "* ]]; }

wants_hiver() { [[ " $SERVERS " == *" hiver"* ]]; }

build() {
  log "building the peers (release) in bench/"
  cargo build --release --quiet --manifest-path "$BENCH_DIR/Cargo.toml"
  if wants_hiver; then
    log "building examples/hello (release) in the main workspace"
    cargo build --release --quiet --manifest-path "$ROOT_DIR/Cargo.toml" -p hello
  fi
}

# Prints "binary driver" for a server name (driver "-" = not a Hiver server).
server_command() {
  case $1 in
    hiver) echo "$MAIN_TARGET/release/hello -" ;;
    hiver-uring) echo "$MAIN_TARGET/release/hello uring" ;;
    hiver-epoll) echo "$MAIN_TARGET/release/hello epoll" ;;
    actix) echo "$BENCH_TARGET/release/peer-actix -" ;;
    axum) echo "$BENCH_TARGET/release/peer-axum -" ;;
    hyper) echo "$BENCH_TARGET/release/peer-hyper -" ;;
    may-minihttp) echo "$BENCH_TARGET/release/peer-may-minihttp -" ;;
    monoio) echo "$BENCH_TARGET/release/peer-monoio -" ;;
    uring-raw) echo "$BENCH_TARGET/release/peer-uring-raw -" ;;
    nginx) echo "$(command -v nginx) nginx" ;;
    *) die "unknown server '$1' (known: hiver hiver-uring hiver-epoll actix axum hyper may-minihttp monoio nginx uring-raw)" ;;
  esac
}

now_ns() { date +%s%N; }


# VmRSS in kB of the running server, its worker processes (nginx) included.
rss_kb() {
  local total=0 pid
  for pid in "$server_pid" "${server_children[@]}"; do
    total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")))
  done
  echo "$total"
}


# Writes nginx's config and its two static files into $WORK_DIR/nginx; prints the command.
nginx_command() {
  local port=$1 bin=$2 dir=$WORK_DIR/nginx
  mkdir -p "$dir/html"
  printf 'Hello, World!' >"$dir/html/plaintext"
  printf '{"message":"Hello, World!"}' >"$dir/html/json"
  sed -e "s|@USER@|$(id -un)|" -e "s|@GROUP@|$(id -gn)|" -e "s|@DIR@|$dir|g" \
    -e "s|@PORT@|$port|" -e "s|@WORKERS@|$SERVER_WORKERS|" \
    "$BENCH_DIR/peers/nginx/nginx.conf.template" >"$dir/nginx.conf"
  echo "$bin -p $dir -e $dir/error.log -c $dir/nginx.conf"
}

answers() { curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$1/plaintext" 2>/dev/null; }

# Starts a server and waits for its first answer; sets server_pid and startup_ms.
start_server() {
  local name=$1 port=$2 bin driver start
  read -r bin driver <<<"$(server_command "$name")"
  [[ -x $bin ]] || die "$bin is not built"
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  # RUST_LOG=warn: no per-request or per-connection log lines (nginx: access_log off).
  local -a cmd=(env PORT="$port" WORKERS="$SERVER_WORKERS" RUST_LOG=warn)
  case $driver in
    -) cmd+=("$bin") ;;
    nginx) read -r -a ngx <<<"$(nginx_command "$port" "$bin")"; cmd=("${ngx[@]}") ;;
    *) cmd+=(HIVER_DRIVER="$driver" "$bin") ;;
  esac
  start=$(now_ns)
  "${cmd[@]}" >"$WORK_DIR/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 10000); do
    if answers "$port"; then
      startup_ms=$((($(now_ns) - start) / 1000000))
      mapfile -t server_children < <(pgrep -P "$server_pid" || true)
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 20 "$WORK_DIR/$name.log" >&2
      die "$name exited before answering"
    fi
    sleep 0.002
  done
  die "$name did not answer within the polling budget"
}


# The test for identical answers: status 200, the exact body, the media type, and the
# Server and Date headers TechEmpower requires. Any difference stops the run.
check_answers() {
  local name=$1 port=$2 path want type body=$WORK_DIR/check.body heads=$WORK_DIR/check.heads
  for path in /plaintext /json; do
    case $path in
      /plaintext) want='Hello, World!' type=text/plain ;;
      /json) want='{"message":"Hello, World!"}' type=application/json ;;
    esac
    curl -fsS --max-time 5 -D "$heads" -o "$body" "http://127.0.0.1:$port$path" ||
      die "$name: GET $path failed"
    [[ $(<"$body") == "$want" && $(wc -c <"$body") -eq ${#want} ]] ||
      die "$name: GET $path answered '$(head -c 200 "$body")', want '$want'"
    [[ $(header "$heads" content-type) == "$type"* ]] ||
      die "$name: GET $path Content-Type '$(header "$heads" content-type)', want $type"
    [[ -n $(header "$heads" server) ]] || die "$name: GET $path has no Server header"
    [[ -n $(header "$heads" date) ]] || die "$name: GET $path has no Date header"
  done
}

# Runs wrk once; sets rps, p99 (ms) and err. wrk runs in the background and is waited
# for, because bash defers an INT trap until a foreground child ends and then skips it if
# that child (like wrk) handled SIGINT itself.
run_wrk() {
  local port=$1 path=$2 conns=$3 script=$4 duration=$5
  local -a args=(-c"$conns" -d"${duration}s" --latency)
  [[ $script == - ]] || args+=(-s "$BENCH_DIR/$script")
  run_wrk_raw "${args[@]}" "http://127.0.0.1:$port$path"
  read -r rps p99 err bytes_per_req <<<"$(wrk_summary "$WRK_OUT")"
  [[ $p99 != - ]] || p99=""
}

# Starts counting $PERF_EVENTS on the running server's processes (nginx: master and
# workers) into $WORK_DIR/perf.csv until perf_stop. Does nothing when PERF_OK is 0.
perf_start() {
  perf_valid=0
  [[ $PERF_OK -eq 1 ]] || return 0
  # Counting system calls traces each one; doing it in the last round only keeps that cost
  # out of the other rounds' req/s (each cell is the median over rounds).
  [[ $round -eq $ROUNDS ]] || return 0
  local pids
  pids=$(printf '%s\n' "$server_pid" "${server_children[@]}" | paste -sd, -)
  if perf_attach "$pids" "$WORK_DIR/perf.csv"; then
    perf_valid=1
  else
    log "perf stat did not start counting on $pids: this run's per-request cells are '-' ($(head -c 300 "$WORK_DIR/perf.err" | tr '\n' ' '))"
  fi
}

# Stops counting and records, for test $2 of server $1, each event ÷ $3 requests; "-"
# where perf was off or could not count.
perf_stop() {
  local name=$1 test=$2 requests=$3 event value metric
  perf_detach
  while read -r event value; do
    case $event in
      raw_syscalls:sys_enter) metric=syscalls_per_req ;;
      context-switches) metric=ctx_switches_per_req ;;
      instructions:u) metric=instructions_per_req ;;
      *) continue ;;
    esac
    if [[ $perf_valid -eq 1 && $value != - && $requests -gt 0 ]]; then
      value=$(awk -v v="$value" -v n="$requests" 'BEGIN { printf "%.6g", v / n }')
    else
      value=-
    fi
    record "$name" "$test.$metric" "$value"
  done < <(perf_counts "$WORK_DIR/perf.csv")
}

# Rows go (record, from lib.sh) to a .partial file that becomes the CSV only when every
# round has finished.

bench_server() {
  local name=$1 port=$2 rss spec test path conns script before after cpu_s
  # Other work on the machine skews everything: keep the 1-minute load average with the run.
  record "$name" loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
  start_server "$name" "$port"
  sleep 0.5
  rss=$(rss_kb)
  record "$name" startup_ms "$startup_ms"
  record "$name" idle_rss_kb "$rss"
  log "round $round $name: first answer after ${startup_ms} ms, idle RSS ${rss} kB"
  check_answers "$name" "$port"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" /plaintext 64 - "$WARMUP"; fi
  for spec in "${TESTS[@]}"; do
    read -r test path conns script <<<"$spec"
    perf_start
    before=$(cpu_ticks)
    run_wrk "$port" "$path" "$conns" "$script" "$DURATION"
    after=$(cpu_ticks)
    perf_stop "$name" "$test" "$(awk '/ requests in / { print $1 }' "$WRK_OUT")"
    cpu_s=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    record "$name" "$test.req_s" "$rps"
    record "$name" "$test.cpu_s" "$cpu_s"
    record "$name" "$test.req_per_cpu_s" \
      "$(awk -v r="$rps" -v d="$DURATION" -v c="$cpu_s" 'BEGIN { printf "%.0f", (c > 0 ? r * d / c : 0) }')"
    # Stock wrk reports no latency when pipelining (wrk issue 236): p99 only without it,
    # so under pipelining the row is the mean latency by Little's law: requests in flight
    # (connections × depth) ÷ throughput. Derived, not measured per request.
    if [[ $script == - ]]; then
      record "$name" "$test.p99_ms" "$p99"
    else
      record "$name" "$test.derived_mean_ms" \
        "$(awk -v c="$conns" -v d="$PIPELINE_DEPTH" -v r="$rps" 'BEGIN { printf "%.3f", (r > 0 ? c * d / r * 1000 : 0) }')"
    fi
    record "$name" "$test.bytes_per_resp" "$bytes_per_req"
    record "$name" "$test.errors" "$err"
    log "round $round $name $test: ${rps} req/s, server CPU ${cpu_s} s, ${err} errors$(per_request_log "$name" "$test")"
  done
  stop_server
}

# ", per request: N syscalls, N context switches, N instructions" from the rows just
# recorded for server $1, test $2 (nothing when perf is off).
per_request_log() {
  [[ $PERF_OK -eq 1 ]] || return 0
  awk -F, -v r="$round" -v s="$1" -v t="$2" '
    $1 == r && $2 == s { v[$3] = $4 }
    END {
      printf ", per request: %s syscalls, %s context switches, %s instructions",
        v[t ".syscalls_per_req"], v[t ".ctx_switches_per_req"], v[t ".instructions_per_req"]
    }' "$CSV.partial"
}

# Waits for the background job $wrk_pid (so Ctrl-C reaches the traps at once); dies with
# $1 and the output file $2 if it failed.
wait_job() {
  wait "$wrk_pid" || { local rc=$?; wrk_pid=""; die "$1 (exit $rc): $(tail -n 20 "$2")"; }
  wrk_pid=""
}

# The best framework peer by median plaintext_c64 req/s from the hello section, and half
# that rate: "NAME RATE", or nothing. Not a ceiling: nginx serves files, uring-raw is a
# bare io_uring loop with fixed answers.
best_peer_half() {
  medians | awk -v servers="$SERVERS" '
    BEGIN { n = split(servers, s, " "); for (i = 1; i <= n; i++) if (s[i] !~ /^hiver/ && s[i] != "nginx" && s[i] != "uring-raw") peer[s[i]] = 1 }
    $1 in peer && $2 == "plaintext_c64.req_s" && $3 > best { best = $3; name = $1 }
    END { if (best > 0) printf "%s %d\n", name, best / 2 }'
}

# The fixed rate of the latency section, in RATE, and how it was chosen, in RATE_WHY:
# LATENCY_RATE, or half the best framework peer's plaintext_c64 median, capped at 80 % of
# what oha itself reaches against that peer in 2 s without a rate (oha costs more per
# request than wrk: above its own ceiling every server "falls behind" and the latencies
# measure oha's queue).
choose_latency_rate() {
  RATE=$LATENCY_RATE RATE_WHY="LATENCY_RATE"
  [[ -z $RATE ]] || return 0
  local peer half out=$WORK_DIR/oha-ceiling.json ceiling
  read -r peer half <<<"$(best_peer_half)"
  [[ -n $half ]] || return 0
  start_server "$peer" $((BASE_PORT + 60))
  "$OHA" --no-tui --output-format json -o "$out" -z 2s -c 64 \
    "http://127.0.0.1:$((BASE_PORT + 60))/plaintext" >"$WORK_DIR/oha.log" 2>&1 &
  wrk_pid=$!
  wait_job "oha failed" "$WORK_DIR/oha.log"
  stop_server
  ceiling=$(python3 -c 'import json, sys; print("%d" % json.load(open(sys.argv[1]))["summary"]["requestsPerSec"])' "$out")
  log "oha alone against $peer: $ceiling req/s; half $peer's plaintext_c64 median: $half req/s"
  RATE=$half RATE_WHY="half the best framework peer's ($peer) plaintext_c64 median"
  if ((ceiling * 8 / 10 < half)); then
    RATE=$((ceiling * 8 / 10))
    RATE_WHY="80 % of the $ceiling req/s oha itself reached against $peer, which is below half $peer's plaintext_c64 median ($half)"
  fi
}

# p50/p99 at a fixed rate: oha, 64 connections, coordinated-omission correction (latency
# counted from when each request was due, so a server that falls behind pays for it).
latency_server() {
  local name=$1 port=$2 rate=$3 out=$WORK_DIR/oha.json
  start_server "$name" "$port"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" /plaintext 64 - "$WARMUP"; fi
  "$OHA" --no-tui --output-format json -o "$out" -z "${LATENCY_DURATION}s" -w -c 64 -q "$rate" \
    --latency-correction "http://127.0.0.1:$port/plaintext" >"$WORK_DIR/oha.log" 2>&1 &
  wrk_pid=$!
  wait_job "oha failed" "$WORK_DIR/oha.log"
  local p50 p99 achieved errors
  read -r p50 p99 achieved errors <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["latencyPercentiles"]
ok = d["statusCodeDistribution"].get("200", 0)
bad = sum(v for k, v in d["statusCodeDistribution"].items() if k != "200") + sum(d["errorDistribution"].values())
print("%.3f %.3f %.0f %d" % (p["p50"] * 1000, p["p99"] * 1000, ok / d["summary"]["total"], bad))' "$out")"
  record "$name" fixed_rate.p50_ms "$p50"
  record "$name" fixed_rate.p99_ms "$p99"
  record "$name" fixed_rate.achieved_req_s "$achieved"
  record "$name" fixed_rate.errors "$errors"
  log "round $round $name: at $rate req/s asked, $achieved answered/s, p50 $p50 ms, p99 $p99 ms, $errors errors"
  stop_server
}

# RSS with IDLE_CONNS open keep-alive connections, each having had one answered request.
idle_server() {
  local name=$1 port=$2 before after out=$WORK_DIR/idle.out
  start_server "$name" "$port"
  sleep 0.5
  before=$(rss_kb)
  "$BENCH_TARGET/release/idle-conns" "$port" "$IDLE_CONNS" 60 >"$out" 2>&1 &
  wrk_pid=$!
  for _ in $(seq 600); do
    grep -q '^held' "$out" && break
    kill -0 "$wrk_pid" 2>/dev/null || wait_job "idle-conns failed against $name" "$out"
    sleep 0.1
  done
  grep -q '^held' "$out" || die "idle-conns did not hold $IDLE_CONNS connections to $name within 60 s"
  sleep 1   # let every worker finish the last answers and go idle
  mapfile -t server_children < <(pgrep -P "$server_pid" || true)
  after=$(rss_kb)
  stop_pid "$wrk_pid"
  wrk_pid=""
  record "$name" idle_conns.rss_before_kb "$before"
  record "$name" idle_conns.rss_with_kb "$after"
  record "$name" idle_conns.bytes_per_conn "$(((after - before) * 1024 / IDLE_CONNS))"
  log "$name: RSS ${before} kB idle, ${after} kB holding $IDLE_CONNS connections ($(<"$out"))"
  stop_server
}

ssr_section() {
  # bench/ssr.sh builds the storefront itself (with V8 when SSR_ENGINES has it).
  log "ssr section: bash bench/ssr.sh (ROUNDS=$SSR_ROUNDS DURATION=$SSR_DURATION WARMUP=$SSR_WARMUP FRAMEWORKS=\"$SSR_FRAMEWORKS\" ENGINES=\"$SSR_ENGINES\")"
  ROUNDS=$SSR_ROUNDS DURATION=$SSR_DURATION WARMUP=$SSR_WARMUP FRAMEWORKS=$SSR_FRAMEWORKS ENGINES=$SSR_ENGINES \
    SERVER_WORKERS=$SERVER_WORKERS WRK_THREADS=$WRK_THREADS BASE_PORT=$((BASE_PORT + 100)) \
    bash "$BENCH_DIR/ssr.sh" >"$WORK_DIR/ssr.out" &
  wrk_pid=$!
  wait_job "bench/ssr.sh failed" "$WORK_DIR/ssr.out"
}

versions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the checkout"
  echo "- hiver: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  echo "- peers (bench/Cargo.lock): actix-web $(lockver actix-web), axum $(lockver axum), hyper $(lockver hyper), hyper-util $(lockver hyper-util), tokio $(lockver tokio), may_minihttp $(lockver may_minihttp), may $(lockver may), monoio $(lockver monoio) (io-uring $(lockver io-uring 0.6)), httparse $(lockver httparse); uring-raw on io-uring $(lockver io-uring 0.7); $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian, static files)"
  echo "- load generators: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $WRK_THREADS thread(s); $([[ -x $OHA ]] && "$OHA" --version)"
  if wants hello; then
    echo "- counters: $(perf --version 2>/dev/null || echo "no perf"), kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null)$([[ $PERF_OK -eq 1 ]] || echo " (perf could not count: per-request cells are \"-\")")"
  fi
  echo "- settings: SECTIONS=\"$SECTIONS\" ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP LATENCY_DURATION=$LATENCY_DURATION IDLE_CONNS=$IDLE_CONNS SERVER_WORKERS=$SERVER_WORKERS SERVERS=\"$SERVERS\""
}

# The metrics of the tables, in order, for the sections that ran.
metrics() {
  local m="" spec test
  if wants hello; then
    m="loadavg_1m startup_ms idle_rss_kb"
    for spec in "${TESTS[@]}"; do
      read -r test _ <<<"$spec"
      m+=" $test.req_s $test.req_per_cpu_s"
      if [[ ${spec##* } == - ]]; then m+=" $test.p99_ms"; else m+=" $test.derived_mean_ms"; fi
    done
  fi
  if wants latency; then m+=" fixed_rate.achieved_req_s fixed_rate.p50_ms fixed_rate.p99_ms"; fi
  if wants idle; then m+=" idle_conns.rss_with_kb idle_conns.bytes_per_conn"; fi
  echo "$m"
}

# The per-request metrics of the hello section (perf stat): "test.metric" for every test.
PER_REQUEST_METRICS="syscalls_per_req ctx_switches_per_req instructions_per_req"
per_request_metrics() {
  local m="" spec test metric
  wants hello || return 0
  for metric in $PER_REQUEST_METRICS; do
    for spec in "${TESTS[@]}"; do
      read -r test _ <<<"$spec"
      m+=" $test.$metric"
    done
  done
  echo "$m"
}

# One table for per-request metric $1 (e.g. syscalls_per_req): a row per test, a column
# per server; "-" where perf could not count.
per_request_table() {
  awk -v servers="$SERVERS" -v metric="$1" -v tests="$(for spec in "${TESTS[@]}"; do echo "${spec%% *}"; done)" '
    { m[$1 " " $2] = $3 }
    function fmt(x) { return x == "" ? "-" : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
    END {
      ns = split(servers, s, " "); nt = split(tests, t, "\n")
      head = "| " metric " (lower is better) |"; rule = "|---|"
      for (i = 1; i <= ns; i++) { head = head " " s[i] " |"; rule = rule "---:|" }
      print head; print rule
      for (j = 1; j <= nt; j++) {
        line = "| " t[j] " |"
        for (i = 1; i <= ns; i++) line = line " " fmt(m[s[i] " " t[j] "." metric]) " |"
        print line
      }
    }' "$WORK_DIR/medians"
}

# mode "values": one column per server; mode "ratios": Hiver ÷ each peer, ÷ the best
# framework peer (the ceilings nginx and uring-raw are not counted as "best") and, when
# uring-raw ran, ÷ the raw io_uring ceiling. $2: the metrics, one row each (a perf row
# that no server has a count for is left out of the ratios).
table() {
  awk -v servers="$SERVERS" -v metrics="$2" -v mode="$1" '
    { m[$1 " " $2] = $3 }
    function lower_is_better(k) { return k ~ /(startup_ms|_kb|_ms|bytes_per_conn|_per_req)$/ }
    function fmt(x) { return x == "" ? "n/a" : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.2f", x)) }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "n/a" : sprintf("%.2f", a / b) }
    END {
      ns = split(servers, s, " "); nm = split(metrics, k, " ")
      nh = 0; np = 0; ceiling = ""
      for (i = 1; i <= ns; i++) {
        if (s[i] ~ /^hiver/) h[++nh] = s[i]
        else if (s[i] == "uring-raw") ceiling = s[i]
        else p[++np] = s[i]
      }
      head = "| metric |"; rule = "|---|"
      if (mode == "values") for (i = 1; i <= ns; i++) { head = head " " s[i] " |"; rule = rule "---:|" }
      else for (i = 1; i <= nh; i++) {
        for (j = 1; j <= np; j++) { head = head " " h[i] " ÷ " p[j] " |"; rule = rule "---:|" }
        head = head " " h[i] " ÷ best framework peer |"; rule = rule "---:|"
        if (ceiling != "") { head = head " " h[i] " ÷ raw io_uring ceiling |"; rule = rule "---:|" }
      }
      print head; print rule
      for (j = 1; j <= nm; j++) {
        if (mode != "values" && k[j] ~ /^loadavg|achieved/) continue
        if (k[j] ~ /_per_req$/) {   # perf rows: left out where no server has a count
          any = 0
          for (i = 1; i <= ns; i++) if (m[s[i] " " k[j]] != "") any = 1
          if (!any) continue
        }
        line = "| " k[j] (lower_is_better(k[j]) ? " (lower is better)" : "") " |"
        if (mode == "values") {
          for (i = 1; i <= ns; i++) line = line " " fmt(m[s[i] " " k[j]]) " |"
        } else {
          best = ""
          for (i = 1; i <= np; i++) {
            v = m[p[i] " " k[j]]
            if (v == "" || p[i] == "nginx") continue
            if (best == "" || (lower_is_better(k[j]) ? v < best : v > best)) best = v
          }
          for (i = 1; i <= nh; i++) {
            for (q = 1; q <= np; q++) line = line " " ratio(m[h[i] " " k[j]], m[p[q] " " k[j]]) " |"
            line = line " " ratio(m[h[i] " " k[j]], best) " |"
            if (ceiling != "") line = line " " ratio(m[h[i] " " k[j]], m[ceiling " " k[j]]) " |"
          }
        }
        print line
      }
    }' "$WORK_DIR/medians"
}

# Runs bench_server-like function $1 for every server, ROUNDS times, alternating servers.
each_round() {
  local fn=$1 rounds=$2 i
  shift 2
  local -a names
  read -r -a names <<<"$SERVERS"
  for round in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
      "$fn" "${names[$i]}" $((BASE_PORT + i)) "$@"
    done
  done
}

main() {
  ulimit -n 20000 || die "cannot raise the open-file limit to 20000 (the idle section needs it)"
  ensure_tools
  build
  mkdir -p "$RESULTS_DIR"
  echo "round,server,metric,value" >"$CSV.partial"
  RATE="" RATE_WHY=""
  if wants hello; then each_round bench_server "$ROUNDS"; fi
  if wants latency; then
    choose_latency_rate
    [[ -n $RATE ]] || die "no fixed rate: run the hello section with a framework peer, or set LATENCY_RATE"
    log "latency section: $RATE req/s for every server ($RATE_WHY)"
    each_round latency_server "$ROUNDS" "$RATE"
  fi
  if wants idle; then each_round idle_server 1; fi
  if wants ssr; then ssr_section; fi
  medians >"$WORK_DIR/medians"
  {
    echo "## Run $STAMP"
    echo
    versions
    local ssr_knobs=""
    if wants ssr; then
      ssr_knobs=" SSR_ROUNDS=$SSR_ROUNDS SSR_DURATION=$SSR_DURATION SSR_WARMUP=$SSR_WARMUP SSR_FRAMEWORKS=\"$SSR_FRAMEWORKS\" SSR_ENGINES=\"$SSR_ENGINES\""
    fi
    echo "- command: \`SECTIONS=\"$SECTIONS\" ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS SERVERS=\"$SERVERS\"$ssr_knobs bash bench/run.sh\`"
    echo "- raw results: bench/results/$STAMP.csv"
    echo
    echo "Medians over $ROUNDS rounds (the idle-connections rows: one round). req_per_cpu_s ="
    echo "requests ÷ server CPU seconds (utime+stime of all its processes). p99_ms: wrk's."
    echo "derived_mean_ms (pipelined): connections × $PIPELINE_DEPTH ÷ req/s (Little's law), not measured."
    [[ -z $RATE ]] || echo "fixed_rate: oha, 64 connections, $RATE req/s for every server ($RATE_WHY), $LATENCY_DURATION s, latency corrected for coordinated omission; achieved_req_s below the rate means the server (or oha) fell behind."
    echo "idle_conns: $IDLE_CONNS keep-alive connections, one answered request each; bytes_per_conn = (RSS with − RSS before) ÷ $IDLE_CONNS."
    echo "Ceilings, not framework peers: nginx (static files) and uring-raw (fixed answers straight on io_uring, no HTTP parser); neither is \"best framework peer\"."
    echo
    table values "$(metrics)"
    if wants hello; then
      echo
      echo "Per request, from \`perf stat -e $PERF_EVENTS -p <server PIDs>\` attached during each measured wrk run (nginx: master and workers): counts ÷ the requests wrk reports, medians over the rounds; \"-\": perf could not count it here$([[ $PERF_OK -eq 1 ]] || echo " (perf unavailable in this run)")."
      for metric in $PER_REQUEST_METRICS; do
        echo
        per_request_table "$metric"
      done
    fi
    echo
    table ratios "$(metrics) $(per_request_metrics)"
    if wants ssr; then
      echo
      sed -e 's/^## SSR run/### SSR section: run/' "$WORK_DIR/ssr.out"
    fi
    echo
    echo "Wall time of the whole run, builds included: $(($(date +%s) - STARTED)) s"
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
