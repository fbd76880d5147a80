#!/usr/bin/env bash
# Side-by-side raw render loops on one pinned core (issue 6's "first measurement to explain"):
# node running the bundle (bench/ssr/node-raw.mjs) against bench/v8-raw with several
# CreateParams, alternating A B C … for ROUNDS rounds; then fresh-context start-up with and
# without V8's code cache and a startup snapshot. Prints every line and the medians.
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
set -euo pipefail
export LC_ALL=C

ROUNDS=${ROUNDS:-5}
N=${N:-1500}
WARMUP=${WARMUP:-500}
LOADS=${LOADS:-9}
CPU=${CPU:-1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$HERE/../.." && pwd)
LOG_TAG=v8-raw
source "$ROOT_DIR/bench/lib.sh"
ensure_v8_archive

(cd "$HERE" && cargo build --release --quiet)
RAW=${CARGO_TARGET_DIR:-$HERE/target}/release/v8-raw
(cd "$ROOT_DIR" && cargo build --release --quiet -p hiver-ssr --features v8 --example pool_loop)
POOL=${CARGO_TARGET_DIR:-$ROOT_DIR/target}/release/examples/pool_loop
export N WARMUP

# name | command (run under `env`, pinned to CPU)
LOOPS=(
  "node|node $ROOT_DIR/bench/ssr/node-raw.mjs"
  "v8-default|$RAW"
  "v8-system|HEAP=system $RAW"
  "v8-heap_limits_4_64|HEAP=4,64 $RAW"
  "v8-hiver|HEAP=4,64 YOUNG_MB=48 $RAW"
  "pool|$POOL"
)
STARTS=(
  "compile|START=compile $RAW"
  "codecache-after-load|START=codecache CACHE_AFTER=load $RAW"
  "codecache-after-render|START=codecache CACHE_AFTER=render $RAW"
  "snapshot|START=snapshot $RAW"
)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A RATE LOAD FIRST
echo "node $(node --version); v8 crate $(grep -m1 -A1 'name = "v8"' "$HERE/Cargo.lock" | sed -n 's/version = //p' | tr -d '"'); $N renders after $WARMUP, $ROUNDS rounds, CPU $CPU"
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

node_rate=$(tr ' ' '\n' <<<"${RATE[node]}" | grep . | median)
echo
echo "| loop | renders/s (median) | ÷ node |"
echo "|---|---:|---:|"
for entry in "${LOOPS[@]}"; do
  name=${entry%%|*}
  rate=$(tr ' ' '\n' <<<"${RATE[$name]}" | grep . | median)
  printf '| %s | %s | %.2f |\n' "$name" "$rate" "$(echo "$rate / $node_rate" | bc -l)"
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
