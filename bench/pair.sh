#!/usr/bin/env bash
# Paired A/B of two builds of examples/hello on one request: requests per server
# CPU-second, the two binaries alternating, PAIRS pairs. What BENCHMARKS.md's "A/B" numbers
# for static files and compression come from.
#
# Usage: bash bench/pair.sh BINARY_A BINARY_B PATH [HEADER]
#   e.g. cp target/release/hello /tmp/hello-before; (change, rebuild); then
#        bash bench/pair.sh /tmp/hello-before target/release/hello /static/4k.html 'Accept-Encoding: gzip'
# Each run: the binary with PORT, WORKERS=2, HIVER_DRIVER, STATIC_DIR=FILES_DIR and
# GZIP_LEVEL, 1 s of unmeasured load, then `wrk -t1 -c$CONNS -d4s` (with HEADER); CPU is
# utime+stime of the server from /proc before and after. Prints "binary req/s req_per_cpu_s".
#
# Environment: PAIRS=3 PORT=19602 HIVER_DRIVER=uring GZIP_LEVEL=5 CONNS=64
#   PIPELINE   1: 16 requests per write (bench/pipeline.lua), as run.sh's pipelined rows
#   FILES_DIR  the directory served under /static/ (default: the 4 KiB and 88 KiB HTML
#              files bench/files.sh generates, made here in a temporary directory)
set -euo pipefail
export LC_ALL=C
[[ $# -ge 3 ]] || { echo "usage: bash bench/pair.sh BINARY_A BINARY_B PATH [HEADER]" >&2; exit 2; }
a=$1 b=$2 path=$3 hdr=${4:-X-Bench: pair}
PAIRS=${PAIRS:-3} PORT=${PORT:-19602} HIVER_DRIVER=${HIVER_DRIVER:-uring} GZIP_LEVEL=${GZIP_LEVEL:-5}
CONNS=${CONNS:-64} PIPELINE=${PIPELINE:-0}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_TAG=pair WRK_THREADS=1
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
WORK_DIR=$(mktemp -d)
server_pid="" server_children=()
trap 'stop_server; rm -rf "$WORK_DIR"' EXIT
if [[ -z ${FILES_DIR:-} ]]; then
  FILES_DIR=$WORK_DIR/files
  make_html_files "$FILES_DIR"
fi
for bin in "$a" "$b"; do [[ -x $bin ]] || die "$bin is not an executable"; done
script=()
[[ $PIPELINE == 1 ]] && script=(-s "$BENCH_DIR/pipeline.lua")
for _ in $(seq "$PAIRS"); do
  for bin in "$a" "$b"; do
    PORT=$PORT WORKERS=2 HIVER_DRIVER=$HIVER_DRIVER RUST_LOG=warn STATIC_DIR=$FILES_DIR \
      GZIP_LEVEL=$GZIP_LEVEL "$bin" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 500); do curl -fso /dev/null "http://127.0.0.1:$PORT$path" && break; sleep 0.01; done
    wrk -t1 -c"$CONNS" -d1s "${script[@]}" -H "$hdr" "http://127.0.0.1:$PORT$path" >/dev/null
    before=$(cpu_ticks)
    rps=$(wrk -t1 -c"$CONNS" -d4s "${script[@]}" -H "$hdr" "http://127.0.0.1:$PORT$path" | awk '/Requests\/sec/ { print $2 }')
    after=$(cpu_ticks)
    stop_server
    echo "$bin $rps $(awk -v r="$rps" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (t > 0 ? r * 4 / (t / hz) : 0) }')"
  done
done
