#!/usr/bin/env bash
# End-to-end check of the demo storefront in a real browser, for Preact and React 19:
#   1. builds the `storefront` binary and starts one server per framework on a free
#      127.0.0.1 port (PORT=0; the server logs the URL it bound);
#   2. fetches `/` with curl: the product list (>= 100 add-to-cart buttons) and the hydration
#      state are in the HTML before any script runs, and nothing is hydrated yet;
#   3. drives headless Chromium (tests/browser.mjs, DevTools protocol): waits for
#      `html[data-hydrated]`, clicks "Add to cart", checks the counter goes 0 -> 1 -> 2 and
#      is restored on /product/7, whose reviews (behind a Suspense boundary, from a slow
#      source) hydrate without errors, streamed on the first visit and whole on the second;
#   4. reads each server's /metrics: exactly one page was streamed (that first visit).
# Kills only the processes it started. Exits non-zero on any failure; the last line is
# `browser: N passed, M failed`.
#
# Usage: examples/storefront/browser-test.sh        (from anywhere in the checkout)
# Env:   STOREFRONT_PROFILE=release  build with --release (default: debug, faster in CI
#        where the debug dependencies are already built by `cargo test`)
#        CHROME=/path/to/chromium  (default /usr/bin/chromium)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/examples/storefront"
CHROME=${CHROME:-/usr/bin/chromium}
PROFILE=${STOREFRONT_PROFILE:-debug}
START_TIMEOUT=${STOREFRONT_START_TIMEOUT:-60}
FRAMEWORKS=(preact react)

fail() {
  echo "browser-test: FAIL: $*" >&2
  echo "browser: ${PASSED:-0} passed, $((${FAILED:-0} + 1)) failed"
  exit 1
}

if [[ ! -x "$CHROME" ]]; then
  echo "browser-test: $CHROME not found. Install it with: apt-get install -y chromium" >&2
  echo "browser: 0 passed, 1 failed"
  exit 1
fi
command -v node >/dev/null || fail "node not found (needs Node 20 or later)"
command -v curl >/dev/null || fail "curl not found"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
NODE_FLAGS=()
if ((NODE_MAJOR < 22)); then NODE_FLAGS=(--experimental-websocket); fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/storefront-browser-test.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CARGO_ARGS=(build -p storefront --quiet)
[[ "$PROFILE" == release ]] && CARGO_ARGS+=(--release)
echo "browser-test: cargo ${CARGO_ARGS[*]}"
(cd "$ROOT" && cargo "${CARGO_ARGS[@]}") || fail "cargo build failed"
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
BIN="$TARGET_DIR/$PROFILE/storefront"
[[ -x "$BIN" ]] || fail "no binary at $BIN"

# Starts the server for framework $1 and sets BASE to its URL once it answers. Runs in
# this shell (not in $(...)), so PIDS keeps the server's pid for the cleanup trap.
start() {
  local fw=$1 log="$WORK/$1.log" url="" waited=0
  PORT=0 WORKERS=1 STOREFRONT_FRAMEWORK="$fw" RUST_LOG=${RUST_LOG:-info} "$BIN" >"$log" 2>&1 &
  PIDS+=($!)
  local pid=$!
  while ((waited < START_TIMEOUT * 10)); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "$fw server exited during start-up"; }
    url=$(grep -o 'open http://127\.0\.0\.1:[0-9]*/' "$log" | head -n1 | cut -c6-) || true
    if [[ -n "$url" ]] && curl -fsS -o /dev/null --max-time 5 "${url}api/health"; then
      BASE=${url%/}
      return
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  cat "$log" >&2
  fail "$fw server did not answer within ${START_TIMEOUT}s"
}

PASSED=0
FAILED=0
check() { # $1: description, rest: command
  local what=$1
  shift
  if "$@"; then
    echo "ok   $what"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL $what"
    FAILED=$((FAILED + 1))
  fi
}

# The listing is server-rendered: every product card and the hydration state are in the
# HTML as sent, and the client has not marked the document hydrated.
server_html_ok() {
  local base=$1 html="$WORK/page.html" buttons
  curl -fsS --max-time 30 -o "$html" "$base/" || return 1
  buttons=$(grep -o 'data-testid="add-to-cart"' "$html" | wc -l)
  echo "     $base/: $buttons add-to-cart buttons, $(wc -c <"$html") bytes"
  ((buttons >= 100)) &&
    grep -q 'data-testid="cart-count"' "$html" &&
    grep -q '<script id="__HIVER_STATE__" type="application/json">' "$html" &&
    ! grep -q 'data-hydrated' "$html"
}

TARGETS=()
for fw in "${FRAMEWORKS[@]}"; do
  start "$fw"
  echo "browser-test: $fw serving at $BASE"
  check "$fw: / is server-rendered with >= 100 products before any script runs" server_html_ok "$BASE"
  TARGETS+=("$fw=$BASE")
done

set +e
node "${NODE_FLAGS[@]}" "$HERE/tests/browser.mjs" "${TARGETS[@]}" | tee "$WORK/browser.out"
BROWSER_STATUS=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^browser-js: [0-9]+ passed, [0-9]+ failed$' "$WORK/browser.out" || true)
if [[ -z "$summary" ]]; then
  FAILED=$((FAILED + 1))
  echo "FAIL browser.mjs ended without a summary (exit $BROWSER_STATUS)"
else
  read -r _ p _ f _ <<<"$summary"
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  if ((BROWSER_STATUS != 0 && f == 0)); then
    FAILED=$((FAILED + 1))
    echo "FAIL browser.mjs exited with $BROWSER_STATUS"
  fi
fi

# The browser's first /product/7 was the server's first request for it, so it streamed; the
# second was a cache hit, sent whole. Nothing else streams.
streamed_once() {
  local base=$1 line
  line=$(curl -fsS --max-time 10 "$base/metrics" | grep '^hiver_ssr_streamed_pages_total ') || return 1
  echo "     $base: $line"
  [[ "$line" == "hiver_ssr_streamed_pages_total 1" ]]
}
for target in "${TARGETS[@]}"; do
  check "${target%%=*}: the first /product/7 was streamed, the second served whole" streamed_once "${target#*=}"
done

echo "browser: $PASSED passed, $FAILED failed"
((FAILED == 0))
