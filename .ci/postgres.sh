#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: the one .ci/run starts, and the one developers start
# locally to run the PostgreSQL half of the store conformance suite.
#
#   .ci/postgres.sh start    install PostgreSQL if missing (apt-get, as root), init a data dir in a temp
#                            folder, start the server on 127.0.0.1:$ATO_PG_PORT (sockets in /tmp), create
#                            the database ato_test. Reuses a server already listening on that port.
#   .ci/postgres.sh stop     stop the server this script started and delete its data dir
#   .ci/postgres.sh status   exit 0 when a server answers on the port
#   .ci/postgres.sh url      print the test database URL
#
# Then: export ATO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:54329/ato_test
#
# Environment: ATO_PG_PORT (54329), ATO_PGDATA (data dir, default ${TMPDIR:-/tmp}/ato-pgdata-$ATO_PG_PORT).
set -uo pipefail

PORT=${ATO_PG_PORT:-54329}
HOST=127.0.0.1
PGDATA=${ATO_PGDATA:-${TMPDIR:-/tmp}/ato-pgdata-$PORT}
DATABASE=ato_test
URL="postgres://postgres@$HOST:$PORT/$DATABASE"

log() { echo "postgres.sh: $*" >&2; }

# The newest installed PostgreSQL's bin dir (Debian: /usr/lib/postgresql/<major>/bin), or nothing.
pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

# Is anything accepting TCP connections on the port? (bash only: works before PostgreSQL is installed)
listening() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# Run a command as the postgres user when we are root (initdb and the server refuse to run as root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

install_postgres() {
  if [ -n "$(pg_bin)" ] && command -v psql >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL is not installed and installing it needs root: run 'apt-get install -y postgresql' as root"
    return 1
  fi
  log "installing PostgreSQL with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq >/tmp/ato-apt-update.log 2>&1; then
    log "apt-get update failed (log: /tmp/ato-apt-update.log):"
    tail -n 20 /tmp/ato-apt-update.log >&2
    return 1
  fi
  if ! apt-get install -y -qq --no-install-recommends postgresql >/tmp/ato-apt-install.log 2>&1; then
    log "apt-get install postgresql failed (log: /tmp/ato-apt-install.log):"
    tail -n 20 /tmp/ato-apt-install.log >&2
    return 1
  fi
  if [ -z "$(pg_bin)" ]; then
    log "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
    return 1
  fi
}

psql_admin() { psql -X -q -h "$HOST" -p "$PORT" -U postgres -d postgres "$@"; }

create_database() {
  local exists
  if ! exists=$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" 2>&1); then
    log "cannot connect as postgres to $HOST:$PORT: $exists"
    return 1
  fi
  if [ "$exists" != 1 ]; then
    psql_admin -c "CREATE DATABASE $DATABASE" >/dev/null || return 1
  fi
}

start_server() {
  local bin
  bin=$(pg_bin)
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    rm -rf "$PGDATA"
    install -d -m 700 "$PGDATA" || return 1
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA" || return 1; fi
    if ! as_owner "'$bin/initdb' -D '$PGDATA' -U postgres -A trust --no-sync >'$PGDATA.initdb.log' 2>&1"; then
      log "initdb failed:"
      cat "$PGDATA.initdb.log" >&2
      return 1
    fi
  fi
  if ! as_owner "'$bin/pg_ctl' -D '$PGDATA' -l '$PGDATA/server.log' -w -t 60 -o \"-p $PORT -c listen_addresses=$HOST -k /tmp\" start >/dev/null"; then
    log "the server did not start; its log:"
    tail -n 30 "$PGDATA/server.log" >&2
    return 1
  fi
}

case "${1:-}" in
  start)
    started=$(date +%s.%N)
    if listening; then
      log "reusing the server already listening on $HOST:$PORT"
      command -v psql >/dev/null || install_postgres || exit 1
    else
      install_postgres || exit 1
      start_server || exit 1
    fi
    create_database || exit 1
    log "ready: $URL ($(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $started }") s)"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -s "$PGDATA/postmaster.pid" ]; then
      as_owner "'$bin/pg_ctl' -D '$PGDATA' -w -m fast stop >/dev/null" || log "pg_ctl stop failed"
    elif listening; then
      log "a server listens on $HOST:$PORT but was not started from $PGDATA: leaving it running"
      exit 0
    fi
    rm -rf "$PGDATA" "$PGDATA.initdb.log"
    ;;
  status)
    listening
    ;;
  url)
    echo "$URL"
    ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2
    exit 2
    ;;
esac
