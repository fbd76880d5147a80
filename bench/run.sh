#!/usr/bin/env bash
# Side-by-side benchmark: Hiver's examples/hello against actix-web and hyper peers.
#
# Usage: bash bench/run.sh            (from anywhere; needs root or wrk already installed)
#
# Environment (all optional):
#   ROUNDS=3        rounds; servers alternate A B C A B C … and each cell is the median
#   DURATION=10     seconds per wrk run
#   WARMUP=2        seconds of unmeasured load before each server's first run in a round
#   WRK_THREADS=1   wrk threads; 1 so the load generator takes one core of two, not both
#   SERVERS="hiver-uring hiver-epoll actix hyper"
#                   any of: hiver (driver chosen by Hiver), hiver-uring, hiver-epoll,
#                   actix, hyper
#   SERVER_WORKERS=2  worker count handed to every server as WORKERS
#   BASE_PORT=39100   server i listens on BASE_PORT+i, 127.0.0.1 only
#
# Writes bench/results/<stamp>.csv (raw, one value per line) and <stamp>.md (machine,
# versions and the table of medians), and prints the table.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
WRK_THREADS=${WRK_THREADS:-1}
SERVERS=${SERVERS:-"hiver-uring hiver-epoll actix hyper"}
SERVER_WORKERS=${SERVER_WORKERS:-2}
BASE_PORT=${BASE_PORT:-39100}

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

# The tests: name, path, connections, wrk script ("" = one request per write).
TESTS=(
  "plaintext_c64 /plaintext 64 -"
  "plaintext_c256 /plaintext 256 -"
  "plaintext_pipe16_c256 /plaintext 256 pipeline.lua"
  "json_c64 /json 64 -"
)

server_pid=""   # the one server running now, started by this script; stop_server ends it
wrk_pid=""      # the wrk run in progress, waited for with `wait` so Ctrl-C is seen at once
startup_ms=""   # set by start_server
rps="" p99="" err=""  # set by run_wrk

LOG_TAG=bench
WRK_OUT=$WORK_DIR/wrk.out
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# Stops the server this script started (by its PID only).
stop_server() {
  local pid=$server_pid
  [[ -n $pid ]] || return 0
  server_pid=""
  stop_pid "$pid"
}

cleanup() {
  if [[ -n $wrk_pid ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$WORK_DIR"
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
    hyper) echo "$BENCH_TARGET/release/peer-hyper -" ;;
    *) die "unknown server '$1' (known: hiver hiver-uring hiver-epoll actix hyper)" ;;
  esac
}

now_ns() { date +%s%N; }


rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

answers() { curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$1/plaintext" 2>/dev/null; }

# Starts a server and waits for its first answer; sets server_pid and startup_ms.
start_server() {
  local name=$1 port=$2 bin driver start
  read -r bin driver <<<"$(server_command "$name")"
  [[ -x $bin ]] || die "$bin is not built"
  if answers "$port"; then die "something already answers on 127.0.0.1:$port"; fi
  local -a envs=(PORT="$port" WORKERS="$SERVER_WORKERS")
  [[ $driver == - ]] || envs+=(HIVER_DRIVER="$driver")
  start=$(now_ns)
  env "${envs[@]}" "$bin" >"$WORK_DIR/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 10000); do
    if answers "$port"; then
      startup_ms=$((($(now_ns) - start) / 1000000))
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

# Runs wrk once; sets rps, p99 (ms) and err. wrk runs in the background and is waited
# for, because bash defers an INT trap until a foreground child ends and then skips it if
# that child (like wrk) handled SIGINT itself.
run_wrk() {
  local port=$1 path=$2 conns=$3 script=$4 duration=$5
  local -a args=(-c"$conns" -d"${duration}s" --latency)
  [[ $script == - ]] || args+=(-s "$BENCH_DIR/$script")
  run_wrk_raw "${args[@]}" "http://127.0.0.1:$port$path"
  read -r rps p99 err _ <<<"$(wrk_summary "$WRK_OUT")"
  [[ $p99 != - ]] || p99=""
}

# Rows go to a .partial file that becomes the CSV only when every round has finished.
record() { echo "$round,$1,$2,$3" >>"$CSV.partial"; }

bench_server() {
  local name=$1 port=$2 rss spec test path conns script before after cpu_s
  # Other work on the machine skews everything: keep the 1-minute load average with the run.
  record "$name" loadavg_1m "$(cut -d' ' -f1 /proc/loadavg)"
  start_server "$name" "$port"
  sleep 0.5
  rss=$(rss_kb "$server_pid")
  record "$name" startup_ms "$startup_ms"
  record "$name" idle_rss_kb "$rss"
  log "round $round $name: first answer after ${startup_ms} ms, idle RSS ${rss} kB"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$port" /plaintext 64 - "$WARMUP"; fi
  for spec in "${TESTS[@]}"; do
    read -r test path conns script <<<"$spec"
    before=$(ticks_of "$server_pid")
    run_wrk "$port" "$path" "$conns" "$script" "$DURATION"
    after=$(ticks_of "$server_pid")
    cpu_s=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    record "$name" "$test.req_s" "$rps"
    record "$name" "$test.cpu_s" "$cpu_s"
    record "$name" "$test.req_per_cpu_s" \
      "$(awk -v r="$rps" -v d="$DURATION" -v c="$cpu_s" 'BEGIN { printf "%.0f", (c > 0 ? r * d / c : 0) }')"
    # Stock wrk reports no latency when pipelining (wrk issue 236), so p99 only without it.
    if [[ $script == - ]]; then record "$name" "$test.p99_ms" "$p99"; fi
    record "$name" "$test.errors" "$err"
    log "round $round $name $test: ${rps} req/s, server CPU ${cpu_s} s, ${err} errors"
  done
  stop_server
}

versions() {
  local lock=$BENCH_DIR/Cargo.lock
  lockver() { awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' "$lock"; }
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  local dirty=""
  [[ -z $(git -C "$ROOT_DIR" status --porcelain -- crates examples 2>/dev/null) ]] ||
    dirty=" + uncommitted changes in the checkout"
  echo "- hiver: commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
  echo "- actix-web $(lockver actix-web), hyper $(lockver hyper), hyper-util $(lockver hyper-util), tokio $(lockver tokio)"
  echo "- load generator: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), $WRK_THREADS thread(s)"
  echo "- settings: ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP SERVER_WORKERS=$SERVER_WORKERS SERVERS=\"$SERVERS\""
}

# Median per (server, metric) over the rounds, as "server metric median".
medians() {
  tail -n +2 "$CSV.partial" | awk -F, '$4 != "" { print $2, $3, $4 }' | sort -k1,1 -k2,2 -k3,3g |
    awk '
      function flush() { if (n) printf "%s %s %s\n", key1, key2, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }
      $1 != key1 || $2 != key2 { flush(); key1 = $1; key2 = $2; n = 0 }
      { v[++n] = $3 }
      END { flush() }'
}

table() {
  medians >"$WORK_DIR/medians"
  local metrics="loadavg_1m startup_ms idle_rss_kb"
  for spec in "${TESTS[@]}"; do
    read -r test _ <<<"$spec"
    metrics+=" $test.req_s $test.req_per_cpu_s"
    if [[ ${spec##* } == - ]]; then metrics+=" $test.p99_ms"; fi
  done
  awk -v servers="$SERVERS" -v metrics="$metrics" '
    { m[$1 " " $2] = $3 }
    function lower_is_better(k) { return k ~ /(startup_ms|rss_kb|p99_ms)$/ }
    function fmt(x) { return x == "" ? "n/a" : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.2f", x)) }
    END {
      ns = split(servers, s, " "); nm = split(metrics, k, " ")
      nh = 0; np = 0
      for (i = 1; i <= ns; i++) if (s[i] ~ /^hiver/) h[++nh] = s[i]; else p[++np] = s[i]
      head = "| metric |"; rule = "|---|"
      for (i = 1; i <= ns; i++) { head = head " " s[i] " |"; rule = rule "---:|" }
      if (np) for (i = 1; i <= nh; i++) { head = head " " h[i] " ÷ best peer |"; rule = rule "---:|" }
      print head; print rule
      for (j = 1; j <= nm; j++) {
        line = "| " k[j] (lower_is_better(k[j]) ? " (lower is better)" : "") " |"
        for (i = 1; i <= ns; i++) line = line " " fmt(m[s[i] " " k[j]]) " |"
        best = ""
        for (i = 1; i <= np; i++) {
          v = m[p[i] " " k[j]]
          if (v == "") continue
          if (best == "" || (lower_is_better(k[j]) ? v < best : v > best)) best = v
        }
        if (np) for (i = 1; i <= nh; i++) {
          v = m[h[i] " " k[j]]
          if (k[j] ~ /^loadavg/) { line = line " |"; continue }
          line = line " " (v == "" || best == "" || best == 0 ? "n/a" : sprintf("%.2f", v / best)) " |"
        }
        print line
      }
    }' "$WORK_DIR/medians"
}

main() {
  ensure_wrk
  command -v curl >/dev/null || die "curl is required"
  build
  mkdir -p "$RESULTS_DIR"
  echo "round,server,metric,value" >"$CSV.partial"
  local -a names
  read -r -a names <<<"$SERVERS"
  for round in $(seq "$ROUNDS"); do
    for i in "${!names[@]}"; do
      bench_server "${names[$i]}" $((BASE_PORT + i))
    done
  done
  {
    echo "## Run $STAMP"
    echo
    versions
    echo "- command: \`ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS SERVERS=\"$SERVERS\" bash bench/run.sh\`"
    echo "- raw results: bench/results/$STAMP.csv"
    echo
    echo "Medians over $ROUNDS rounds; req_per_cpu_s = requests ÷ server CPU seconds (utime+stime)."
    echo
    table
  } >"$REPORT"
  mv "$CSV.partial" "$CSV"
  cat "$REPORT"
  log "wrote $CSV and $REPORT"
}

main "$@"
