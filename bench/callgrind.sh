#!/usr/bin/env bash
# User-space instructions per request of a server under a fixed wrk load, counted by
# callgrind (deterministic, unlike wall time on a shared VM; these VMs expose no hardware
# counters to `perf stat`).
#
# usage: bench/callgrind.sh BIN [DRIVER] [CONNS] [PIPELINE]
#   BIN       a server binary taking PORT and WORKERS (target/release/hello, or a peer
#             from bench/target/release)
#   DRIVER    uring | epoll | - (default epoll; `-` leaves HIVER_DRIVER unset, for peers;
#             io_uring under valgrind is not usable)
#   CONNS     wrk connections (default 64)
#   PIPELINE  1 to send 16 requests per write with bench/pipeline.lua (default 0)
# env: URL_PATH (default /plaintext), PORT (default 3999)
# Prints: requests answered, instructions, instructions per request (start-up included:
# about 0.5 M instructions, negligible against 5 s of load).
set -euo pipefail
bin=$1 driver=${2:-epoll} conns=${3:-64} pipeline=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-3999}
url_path=${URL_PATH:-/plaintext}
out=$(mktemp -d)
trap 'kill -TERM "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT

envs=(PORT="$port" WORKERS=2 RUST_LOG=warn)
[[ $driver == - ]] || envs+=(HIVER_DRIVER="$driver")
env "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" \
  >"$out/server.log" 2>&1 &
pid=$!
for _ in $(seq 1000); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/plaintext" 2>/dev/null && break
  sleep 0.05
done
script=()
[[ $pipeline == 1 ]] && script=(-s "$here/pipeline.lua")
load=$(wrk -t1 -c"$conns" -d5 "${script[@]}" "http://127.0.0.1:$port$url_path")
requests=$(awk '/requests in/ {print $1}' <<<"$load")
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
instructions=$(grep -h '^summary:\|^totals:' "$out"/cg.out* | head -1 | awk '{print $2}')
echo "requests=$requests instructions=$instructions per_request=$((instructions / requests))"
