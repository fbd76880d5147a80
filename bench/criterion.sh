#!/usr/bin/env bash
# The P1–P13 criterion suite in one command: every bench of the workspace, one binary after
# another, then one markdown report of criterion's medians (bench/criterion-table.mjs).
#
#   P1 timer, P2 channel, P3 tcp_echo (hiver-runtime)   P4 http_echo, P5 router,
#   P6 middleware, P7 json (hiver)   codec (hiver-http)   -- short mode: MICRO_ARGS
#   P8 connections, P9 memory, P10–P12 mixed (hiver)   P13 ssr_mix (hiver-ssr)
#                                                       -- sample counts and times set in the benches
#
# Usage: bash bench/criterion.sh        (from anywhere; needs node for the report)
#
# Environment (optional):
#   MICRO_ARGS="--warm-up-time 1 --measurement-time 3"   criterion arguments for P1–P7 and codec
#   CARGO_TARGET_DIR   where cargo builds (and where criterion keeps target/criterion)
#
# Writes bench/results/criterion-<stamp>.md (machine, versions, commands, tables) and
# prints it. Measured: 1,584 s on the 2-core machine (run 2026-12-03-162646), of which about
# 16 minutes are the benches and the rest the bench-profile build of every bench target.
set -euo pipefail
export LC_ALL=C

MICRO_ARGS=${MICRO_ARGS:-"--warm-up-time 1 --measurement-time 3"}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT_DIR/target}
STAMP=$(date -u +%Y-%m-%d-%H%M%S)
REPORT=$BENCH_DIR/results/criterion-$STAMP.md
STARTED=$(date +%s)

log() { printf '[criterion %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cd "$ROOT_DIR"
command -v node >/dev/null || { echo "error: node is needed for the report" >&2; exit 1; }

# Each line: package, bench, whether MICRO_ARGS apply.
BENCHES=(
  "hiver-runtime timer micro"
  "hiver-runtime channel micro"
  "hiver-runtime tcp_echo micro"
  "hiver http_echo micro"
  "hiver router micro"
  "hiver middleware micro"
  "hiver json micro"
  "hiver-http codec micro"
  "hiver connections load"
  "hiver memory load"
  "hiver mixed load"
  "hiver-ssr ssr_mix load"
)

log "building the bench profile (cargo bench --no-run --workspace)"
cargo bench --no-run --workspace >&2

commands=()
loads=()
for entry in "${BENCHES[@]}"; do
  read -r package bench kind <<<"$entry"
  args=()
  if [ "$kind" = micro ]; then
    read -r -a args <<<"$MICRO_ARGS"
  fi
  command="cargo bench -p $package --bench $bench"
  [ ${#args[@]} -gt 0 ] && command+=" -- ${args[*]}"
  commands+=("$command")
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  log "$command"
  if [ ${#args[@]} -gt 0 ]; then
    cargo bench -q -p "$package" --bench "$bench" -- "${args[@]}" >&2
  else
    cargo bench -q -p "$package" --bench "$bench" >&2
  fi
done

wall=$(($(date +%s) - STARTED))
{
  echo "### Criterion suite P1–P13: run $STAMP"
  echo
  echo "- date: $(date -u +'%Y-%m-%d %H:%M') UTC (end of the run)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
  echo "- rustc: $(rustc --version)"
  echo "- hiver: commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- profile: bench (release, thin LTO); criterion $(grep -A1 '^name = "criterion"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
  echo "- command: \`bash bench/criterion.sh\` (MICRO_ARGS=\"$MICRO_ARGS\"), which ran:"
  for i in "${!commands[@]}"; do
    echo "  - \`${commands[$i]}\` (1-minute load average at its start: ${loads[$i]})"
  done
  echo "- wall time: ${wall} s including the build check"
  echo
  echo "Medians are criterion's median estimate of the time per iteration, with its 95 % CI."
  echo
  node "$BENCH_DIR/criterion-table.mjs" "$TARGET/criterion" "$STARTED"
} >"$REPORT"
cat "$REPORT"
log "report: $REPORT"
