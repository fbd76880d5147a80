#!/usr/bin/env bash
# Side-by-side raw render loops on one pinned core: node 20, node 24, Deno and Bun running the
# bundle (bench/ssr/node-raw.mjs) against bench/v8-raw with several CreateParams, alternating
# A B C … for ROUNDS rounds; then fresh-context start-up with and without V8's code cache and
# a startup snapshot. Prints every line and the medians.
#
# Every loop does the same job per render: render the page and turn the HTML into UTF-8
# bytes, as a server must before it sends them (v8-raw reads the string back into Rust;
# node-raw.mjs encodes it with Buffer.from on node and Bun, TextEncoder on Deno). Leaving
# the string unencoded made node 24 and Deno 25-40 % faster on this page (whose HTML is a
# two-byte string built as a rope of thousands of pieces: it has ★ and – in it), Bun not.
# The JS runtimes load the bundle into their main context (`node`: into a vm context behind
# hiver-ssr's prelude, as bench/ssr.sh's vm rows do; `bun-vm` likewise, as Bun renders
# faster so).
#
# Usage: bash bench/v8-raw/compare.sh     (RUSTY_V8_ARCHIVE as for any V8 build; see README)
#
# The loops include `pool`: the same render through hiver-ssr's RenderPool with one render
# thread (crates/hiver-ssr/examples/pool_loop.rs, built here with `--features v8`), the
# caller's thread and the render thread pinned to the same core; against `v8-hiver` (the raw
# loop with the pool's heap settings) it is what the pool costs.
#
# Environment (optional): ROUNDS=5 N=1500 WARMUP=500 LOADS=9 CPU=1
#   BUNDLE=path (default: the storefront's React server bundle)  PROPS, URL as v8-raw takes them
#   FRESH=0    only the render loops, not the fresh-context part
#   HIVER_YOUNG_MB=24  the young generation of the v8-hiver and pool loops (hiver-ssr's
#              default: V8::young_generation). v8-hiver also runs V8's pending tasks after
#              each render with the same collection trigger, as hiver-ssr's render threads do.
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-5}
N=${N:-1500}
WARMUP=${WARMUP:-500}
LOADS=${LOADS:-9}
CPU=${CPU:-1}
HIVER_YOUNG_MB=${HIVER_YOUNG_MB:-24}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
LOG_TAG=v8-raw
source "$ROOT_DIR/bench/lib.sh"
BENCH_DIR=$ROOT_DIR/bench
ensure_v8_archive
NODE24=$(ensure_node24)
DENO=$(ensure_deno)
BUN=$(ensure_bun)
NODE_RAW=$ROOT_DIR/bench/ssr/node-raw.mjs

(cd "$HERE" && cargo build --release --quiet)
RAW=${CARGO_TARGET_DIR:-$HERE/target}/release/v8-raw
(cd "$ROOT_DIR" && cargo build --release --quiet -p hiver-ssr --features v8 --example pool_loop)
POOL=${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/examples/pool_loop
export N WARMUP

# name | command (run under `env`, pinned to CPU)
LOOPS=(
  "node|node $NODE_RAW"
  "node-main|CONTEXT=main node $NODE_RAW"
  "node24|CONTEXT=main $NODE24 $NODE_RAW"
  "deno|CONTEXT=main DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 $DENO run --no-prompt --no-config --allow-read --allow-env $NODE_RAW"
  "bun|CONTEXT=main $BUN $NODE_RAW"
  "bun-vm|$BUN $NODE_RAW"
  "v8-default|$RAW"
  "v8-system|HEAP=system $RAW"
  "v8-heap_limits_4_64|HEAP=4,64 $RAW"
  "v8-hiver|HEAP=4,64 YOUNG_MB=$HIVER_YOUNG_MB PUMP=1 V8_FLAGS=--minor-gc-task-trigger=40 $RAW"
  "pool|YOUNG_MB=$HIVER_YOUNG_MB $POOL"
)
STARTS=(
  "compile|START=compile $RAW"
  "codecache-after-load|START=codecache CACHE_AFTER=load $RAW"
  "codecache-after-render|START=codecache CACHE_AFTER=render $RAW"
  "snapshot|START=snapshot $RAW"
)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A RATE LOAD FIRST
echo "node $(node --version), node $("$NODE24" --version), $("$DENO" --version | head -n 2 | paste -sd' '), bun $("$BUN" --version); v8 crate $(grep -m1 -A1 'name = "v8"' "$HERE/Cargo.lock" | sed -n 's/version = //p' | tr -d '"'); $N renders after $WARMUP, $ROUNDS rounds, CPU $CPU, HIVER_YOUNG_MB=$HIVER_YOUNG_MB"
for round in $(seq "$ROUNDS"); do
  for entry in "${LOOPS[@]}"; do
    name=${entry%%|*}
    line=$(taskset -c "$CPU" env ${entry#*|} 2>/dev/null | grep "renders/s=" | tail -1)
    echo "round $round $name: $line"
    RATE[$name]+="$(sed -n 's/.*renders\/s=\([0-9.]*\).*/\1/p' <<<"$line") "
  done
done
[[ ${FRESH:-1} == 0 ]] && STARTS=()
for round in $(seq "$ROUNDS"); do
  for entry in "${STARTS[@]}"; do
    name=${entry%%|*}
    line=$(taskset -c "$CPU" env LOADS="$LOADS" N=1 WARMUP=0 ${entry#*|} 2>/dev/null | grep "start=")
    echo "round $round $name: $line"
    LOAD[$name]+="$(sed -n 's/.*load_ms=\([0-9.]*\).*/\1/p' <<<"$line") "
    FIRST[$name]+="$(sed -n 's/.*first_render_ms=\([0-9.]*\).*/\1/p' <<<"$line") "
  done
done

# The best JS runtime's median, which every loop is divided by.
best=0 best_name=""
for name in node node-main node24 deno bun bun-vm; do
  rate=$(tr ' ' '\n' <<<"${RATE[$name]}" | grep . | median)
  if [[ -n $rate ]] && (($(echo "$rate > $best" | bc -l))); then best=$rate best_name=$name; fi
done
echo
echo "| loop | renders/s (median) | ÷ best runtime ($best_name) |"
echo "|---|---:|---:|"
for entry in "${LOOPS[@]}"; do
  name=${entry%%|*}
  rate=$(tr ' ' '\n' <<<"${RATE[$name]}" | grep . | median)
  printf '| %s | %s | %.2f |\n' "$name" "$rate" "$(echo "${rate:-0} / $best" | bc -l)"
done
echo
echo "| fresh context | load ms (median) | first render ms (median) |"
echo "|---|---:|---:|"
for entry in "${STARTS[@]}"; do
  name=${entry%%|*}
  printf '| %s | %s | %s |\n' "$name" \
    "$(tr ' ' '\n' <<<"${LOAD[$name]}" | grep . | median)" \
    "$(tr ' ' '\n' <<<"${FIRST[$name]}" | grep . | median)"
done
