#!/usr/bin/env bash
# Starts PostgreSQL with TechEmpower's benchmark database, the way their toolset sets it up:
# database hello_world at 127.0.0.1:5432, user benchmarkdbuser, password benchmarkdbpass,
# tables World and Fortune from create-postgres.sql (10,000 worlds, 12 fortunes).
#
# Uses the Debian package (apt-get install postgresql when no server is installed) and its
# cluster "main" of the newest installed version, with TechEmpower's server settings
# (conf.d/techempower.conf: max_connections 2000, synchronous_commit off, …). Idempotent: run it again and it only starts
# what is stopped and loads what is missing. Run as root (or as the postgres user).
# scripts/postgres/stop.sh stops the server again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port=5432
db=hello_world
user=benchmarkdbuser
password=benchmarkdbpass

newest_bin() { { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -n 1; }

as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres -- "$@"
  fi
}

bin="$(newest_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "start.sh: PostgreSQL is not installed; run this script as root to install it" >&2
    exit 1
  fi
  echo "installing PostgreSQL (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  bin="$(newest_bin)"
fi
version="$(basename "$(dirname "$bin")")"

# pg_lsclusters -h: version cluster port status owner datadir logfile
cluster="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"')"
if [ -z "$cluster" ]; then
  pg_createcluster "$version" main --port "$port" >/dev/null
  cluster="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"')"
fi
# TechEmpower's server settings (toolset/databases/postgres/postgresql.conf), plus
# pg_stat_statements preloaded: their verifier counts queries with it.
conf="/etc/postgresql/$version/main/conf.d/techempower.conf"
settings="# Written by hiver's scripts/postgres/start.sh: TechEmpower's benchmark settings.
max_connections = 2000
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 512MB
checkpoint_completion_target = 0.9
effective_cache_size = 8GB
random_page_cost = 2
synchronous_commit = off
max_pred_locks_per_transaction = 256
shared_preload_libraries = 'pg_stat_statements'"
restart=no
if [ "$(cat "$conf" 2>/dev/null)" != "$settings" ]; then
  printf '%s\n' "$settings" >"$conf"
  chown postgres:postgres "$conf" 2>/dev/null || true
  restart=yes
fi
cluster_port="$(awk '{print $3}' <<<"$cluster")"
if [ "$cluster_port" != "$port" ]; then
  echo "start.sh: cluster $version/main is set to port $cluster_port, not $port; set port = $port in /etc/postgresql/$version/main/postgresql.conf" >&2
  exit 1
fi
if [ "$(awk '{print $4}' <<<"$cluster")" != online ]; then
  pg_ctlcluster "$version" main start
elif [ "$restart" = yes ]; then
  pg_ctlcluster "$version" main restart
fi
for _ in $(seq 1 60); do
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
"$bin/pg_isready" -h 127.0.0.1 -p "$port" >/dev/null || {
  echo "start.sh: PostgreSQL $version does not answer on 127.0.0.1:$port" >&2
  exit 1
}

psql_su() { as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }

psql_su -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE $user LOGIN;
  END IF;
END \$\$;
SET password_encryption = 'scram-sha-256';
-- As TechEmpower's create-postgres-database.sql: a superuser (their verifier reads
-- pg_stat_statements as this user).
ALTER ROLE $user LOGIN SUPERUSER PASSWORD '$password';
SQL
if [ -z "$(psql_su -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
  psql_su -d postgres -c "CREATE DATABASE $db OWNER $user ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
fi
if [ -z "$(psql_su -d "$db" -tAc "SELECT to_regclass('public.world')")" ]; then
  # The file is read here and piped in: the postgres user may not be able to read the checkout.
  psql_su -d "$db" <"$here/create-postgres.sql"
fi

worlds="$(psql_su -d "$db" -tAc 'SELECT count(*) FROM world')"
fortunes="$(psql_su -d "$db" -tAc 'SELECT count(*) FROM fortune')"
echo "PostgreSQL $version is up at 127.0.0.1:$port: database $db ($worlds worlds, $fortunes fortunes)"
echo "connect with: DATABASE_URL=postgres://$user:$password@127.0.0.1:$port/$db"
echo "         or: PGPASSWORD=$password psql -h 127.0.0.1 -p $port -U $user $db"
echo "stop it with: scripts/postgres/stop.sh"
