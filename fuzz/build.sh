#!/usr/bin/env bash
# Builds every fuzz target; CI calls it with no argument.
#
#   bash fuzz/build.sh                # "check": plain cargo build of fuzz/ (libFuzzer linked,
#                                     # no coverage instrumentation) + a short seeded smoke run
#   bash fuzz/build.sh instrumented   # cargo fuzz build -O -s none: coverage-guided targets,
#                                     # stable Rust, installs cargo-fuzz if missing
#   bash fuzz/build.sh asan           # cargo fuzz build -O: also AddressSanitizer; needs
#                                     # nightly flags, so RUSTC_BOOTSTRAP=1
#
# "check" is the cheapest build that proves the targets still compile and link against the
# current hiver-http and hiver APIs (about 1 minute from scratch on 2 cores; see
# fuzz/README.md). Fuzzing for real needs "instrumented" or "asan".
set -euo pipefail

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$FUZZ_DIR/.." && pwd)
TARGETS=(http_parse router_match compression)
CARGO_FUZZ_VERSION=0.13.2

ensure_cargo_fuzz() {
  if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
  fi
}

# A few thousand seeded runs per target: catches a target that crashes on trivial input.
smoke() {
  local bin_dir=$1 target log
  log=$(mktemp)
  for target in "${TARGETS[@]}"; do
    if ! "$bin_dir/$target" -runs=20000 -seed=1 -max_len=512 >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "fuzz target $target failed its smoke run" >&2
      rm -f "$log"
      return 1
    fi
    echo "fuzz target $target: built, 20000 smoke runs passed"
  done
  rm -f "$log"
}

mode=${1:-check}
case $mode in
  check)
    cargo build --manifest-path "$FUZZ_DIR/Cargo.toml" --bins
    smoke "${CARGO_TARGET_DIR:-$FUZZ_DIR/target}/debug"
    ;;
  instrumented)
    ensure_cargo_fuzz
    (cd "$ROOT_DIR" && cargo fuzz build -O -s none)
    ;;
  asan)
    ensure_cargo_fuzz
    (cd "$ROOT_DIR" && RUSTC_BOOTSTRAP=1 cargo fuzz build -O)
    ;;
  *)
    echo "usage: bash fuzz/build.sh [check|instrumented|asan]" >&2
    exit 2
    ;;
esac
