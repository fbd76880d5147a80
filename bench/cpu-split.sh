#!/usr/bin/env bash
# Where a server's CPU goes per request: user and system time, and how often its threads
# sleep (voluntary context switches) or are preempted (involuntary ones), for one or more
# server binaries measured in turn, RUNS rounds, alternating. What BENCHMARKS.md's "where
# the gap to hyper sits" numbers come from.
#
# Usage: bash bench/cpu-split.sh BINARY...
#   e.g. bash bench/cpu-split.sh target/release/hello bench/target/release/peer-hyper
#        HIVER_BATCH_WAIT_US=50 bash bench/cpu-split.sh target/release/hello
# Each run: the binary with PORT and WORKERS=2 (and HIVER_DRIVER; the rest of the caller's
# environment is passed on), 1 s of unmeasured load, then `wrk -t1 -c$CONNS -d4s` on PATH.
# Before and after it: utime and stime of the process (/proc/PID/stat) and the context
# switch counts of each of its threads (/proc/PID/task/*/status). Prints one line per run:
#   binary req/s user_us/req sys_us/req voluntary_cs/req involuntary_cs/req
#
# Environment: RUNS=3 PORT=19603 HIVER_DRIVER=uring CONNS=64 URL_PATH=/plaintext
#   PIPELINE  1: 16 requests per write (bench/pipeline.lua)
set -euo pipefail
export LC_ALL=C
[[ $# -ge 1 ]] || { echo "usage: bash bench/cpu-split.sh BINARY..." >&2; exit 2; }
RUNS=${RUNS:-3} PORT=${PORT:-19603} HIVER_DRIVER=${HIVER_DRIVER:-uring} CONNS=${CONNS:-64}
URL_PATH=${URL_PATH:-/plaintext} PIPELINE=${PIPELINE:-0}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=cpu-split WRK_THREADS=1
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
server_pid="" server_children=()
trap 'stop_server' EXIT
for bin in "$@"; do [[ -x $bin ]] || die "$bin is not an executable"; done
script=()
[[ $PIPELINE == 1 ]] && script=(-s "$BENCH_DIR/pipeline.lua")
url="http://127.0.0.1:$PORT$URL_PATH"

# "utime stime" of the server in clock ticks.
times_of() {
  local stat
  stat=$(<"/proc/$server_pid/stat") || die "process $server_pid is gone (a server died?)"
  read -r -a f <<<"${stat##*) }"
  echo "${f[11]} ${f[12]}"
}

# "voluntary involuntary" context switches, summed over the server's threads.
switches_of() {
  cat /proc/"$server_pid"/task/*/status 2>/dev/null |
    awk '/^voluntary_ctxt_switches/ { v += $2 } /^nonvoluntary_ctxt_switches/ { n += $2 }
         END { print v + 0, n + 0 }'
}

hz=$(getconf CLK_TCK)
for _ in $(seq "$RUNS"); do
  for bin in "$@"; do
    PORT=$PORT WORKERS=2 HIVER_DRIVER=$HIVER_DRIVER RUST_LOG=warn "$bin" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 500); do curl -fso /dev/null "$url" && break; sleep 0.01; done
    wrk -t1 -c"$CONNS" -d1s "${script[@]}" "$url" >/dev/null
    read -r u0 s0 < <(times_of)
    read -r v0 n0 < <(switches_of)
    rps=$(wrk -t1 -c"$CONNS" -d4s "${script[@]}" "$url" | awk '/Requests\/sec/ { print $2 }')
    read -r u1 s1 < <(times_of)
    read -r v1 n1 < <(switches_of)
    stop_server
    awk -v b="$bin" -v r="$rps" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v v=$((v1 - v0)) \
      -v n=$((n1 - n0)) -v hz="$hz" 'BEGIN {
        q = r * 4
        printf "%s %.0f %.2f %.2f %.3f %.3f\n", b, r, u / hz * 1e6 / q, s / hz * 1e6 / q, v / q, n / q
      }'
  done
done
