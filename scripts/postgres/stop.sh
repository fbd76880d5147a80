#!/usr/bin/env bash
# Stops the PostgreSQL cluster that scripts/postgres/start.sh started (Debian's cluster "main"
# of the newest installed version). Idempotent: does nothing when it is already stopped.
set -euo pipefail
bin="$({ ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -n 1)"
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed: nothing to stop"
  exit 0
fi
version="$(basename "$(dirname "$bin")")"
status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"
if [ "$status" = online ]; then
  pg_ctlcluster "$version" main stop
  echo "PostgreSQL $version/main stopped"
else
  echo "PostgreSQL $version/main is not running"
fi
