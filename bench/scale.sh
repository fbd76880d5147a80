#!/usr/bin/env bash
# Multi-core scaling of the hello servers: each server pinned to cores 0..N-1 with N workers,
# wrk pinned to the upper half of the machine's cores, for N in WORKER_COUNTS. Reports req/s
# and requests per server CPU-second for plaintext (one request per write) and plaintext
# pipelined 16 deep, and the ratios Hiver ÷ the best framework peer.
#
# Usage: bash bench/scale.sh   (after `bash bench/run.sh` or the two release builds it does;
#                               needs a machine with at least 2 × max(WORKER_COUNTS) cores)
#
# Environment (all optional):
#   WORKER_COUNTS="1 2 4 8"
#   SERVERS="hiver-uring hiver-epoll hyper actix may-minihttp monoio uring-raw"
#             (also hiver-uring-pinned and hiver-epoll-pinned: HIVER_PIN_WORKERS=1)
#   DURATION=4  CONNS=512  WRK_THREADS=8  ROUNDS=1  BASE_PORT=19300
#   BIN_DIR   a folder holding hello and the peer-* binaries (default: the two target/release)
#   WRK       the wrk binary (default: wrk on PATH)
#   OUT       where the CSV goes (default bench/results/scale-<stamp>.csv)
# Every process it starts is stopped by PID on exit.
set -euo pipefail
export LC_ALL=C

WORKER_COUNTS=${WORKER_COUNTS:-"1 2 4 8"}
SERVERS=${SERVERS:-"hiver-uring hiver-epoll hyper actix may-minihttp monoio uring-raw"}
DURATION=${DURATION:-4}
CONNS=${CONNS:-512}
WRK_THREADS=${WRK_THREADS:-8}
ROUNDS=${ROUNDS:-1}
BASE_PORT=${BASE_PORT:-19300}
WRK=${WRK:-wrk}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
OUT=${OUT:-$BENCH_DIR/results/scale-$STAMP.csv}
CLK_TCK=$(getconf CLK_TCK)
CORES=$(nproc)

server_pid=""
cleanup() { [[ -z $server_pid ]] || { kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; } || true; }
trap cleanup EXIT

bin_of() {
  local main=${BIN_DIR:-$ROOT_DIR/target/release} peers=${BIN_DIR:-$BENCH_DIR/target/release}
  case $1 in
    hiver-*) echo "$main/hello" ;;
    *) echo "$peers/peer-$1" ;;
  esac
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Runs server $1 with $2 workers; prints "req_s req_per_cpu_s" for plaintext and pipelined.
measure() {
  local name=$1 n=$2 port=$3 driver="" pin="" cpus up=0
  cpus="0-$((n - 1))"
  case $name in hiver-uring*) driver=uring ;; hiver-epoll*) driver=epoll ;; esac
  case $name in *-pinned) pin=1 ;; esac
  PORT=$port WORKERS=$n HIVER_DRIVER=$driver HIVER_PIN_WORKERS=$pin RUST_LOG=warn \
    taskset -c "$cpus" "$(bin_of "$name")" >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 250); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    sleep 0.02
  done
  if [[ $up -eq 0 ]] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "$name did not start with $n workers" >&2
    echo "0 0 0 0"
    return
  fi
  local wrk_cpus="$((CORES / 2))-$((CORES - 1))" script out t0 t1 reqs rps
  for script in "" "$BENCH_DIR/pipeline.lua"; do
    taskset -c "$wrk_cpus" "$WRK" -t"$WRK_THREADS" -c"$CONNS" -d1 ${script:+-s "$script"} \
      "http://127.0.0.1:$port/plaintext" >/dev/null
    t0=$(ticks "$server_pid")
    out=$(taskset -c "$wrk_cpus" "$WRK" -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" \
      ${script:+-s "$script"} "http://127.0.0.1:$port/plaintext")
    t1=$(ticks "$server_pid")
    reqs=$(awk '/ requests in / {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
    awk -v r="$reqs" -v s="$rps" -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
      'BEGIN { printf "%.0f %.0f ", s, (d > 0 ? r / (d / hz) : 0) }'
  done
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  echo
}

mkdir -p "$(dirname "$OUT")"
echo "round,workers,server,plain_req_s,plain_req_per_cpu_s,pipe_req_s,pipe_req_per_cpu_s" >"$OUT"
for round in $(seq "$ROUNDS"); do
  for n in $WORKER_COUNTS; do
    i=0
    for name in $SERVERS; do
      read -r a b c d <<<"$(measure "$name" "$n" $((BASE_PORT + i)))"
      echo "$round,$n,$name,$a,$b,$c,$d" | tee -a "$OUT"
      i=$((i + 1))
    done
  done
done

# Medians over rounds; then each server's requests per CPU-second ÷ the best framework
# peer's (uring-raw and Hiver itself are not framework peers).
summary() {
  awk -F, '
    NR == 1 { next }
    { k = $2 SUBSEP $3; n[k]++; for (c = 4; c <= 7; c++) v[k, c, n[k]] = $c; w[$2] = 1; s[$3] = 1 }
    function med(k, c,   m, i, j, t, a) {
      m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, c, i] + 0
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
      printf "%7s  %-13s %11s %11s %11s %11s %8s %8s\n", "workers", "server", "plain_rps", "plain_cpu", "pipe_rps", "pipe_cpu", "plain÷", "pipe÷"
      for (x in w) {
        bp = 0; bq = 0
        for (name in s) if (name !~ /^hiver|^uring-raw$/ && ((x, name) in n)) {
          if (med(x SUBSEP name, 5) > bp) bp = med(x SUBSEP name, 5)
          if (med(x SUBSEP name, 7) > bq) bq = med(x SUBSEP name, 7)
        }
        for (name in s) if ((x, name) in n) {
          k = x SUBSEP name
          printf "%7s  %-13s %11d %11d %11d %11d %8.2f %8.2f\n", x, name, med(k, 4), med(k, 5), med(k, 6), med(k, 7), (bp ? med(k, 5) / bp : 0), (bq ? med(k, 7) / bq : 0)
        }
      }
    }' "$OUT" | { read -r header; echo "$header"; sort -k1,1n -k2,2; }
}
summary
echo "raw results: $OUT (plain÷ / pipe÷: requests per CPU-second ÷ the best framework peer's)"
