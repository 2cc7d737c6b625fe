#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests (no Docker). Works from any directory.
#
#   pg.sh install              apt-get install postgresql if no initdb is present
#   pg.sh start [--fresh]      initdb if needed, start on 127.0.0.1:$PGPORT_LOCAL, create $PG_DATABASES
#   pg.sh stop                 pg_ctl stop -m fast (this cluster only)
#   pg.sh status               pg_ctl status (exit 0 running, 3 stopped, 4 no cluster)
#   pg.sh createdb NAME...     create databases that do not exist yet
#   pg.sh dropdb NAME...       drop databases (WITH (FORCE): open connections are closed)
#   pg.sh url NAME             print postgresql://postgres@127.0.0.1:<port>/NAME
#
# Environment:
#   PG_STATE_DIR    cluster folder (data/, run/, postgres.log); default <repo>/.local/postgres
#   PGPORT_LOCAL    port (default 55432); listens on 127.0.0.1 only, auth is trust
#   PG_DATABASES    databases created by start (default: those of init-databases.sql, one per service)
#   PG_FAST=1       start with fsync/synchronous_commit/full_page_writes off (tests only)
#   PG_BIN          PostgreSQL bin folder (default: newest /usr/lib/postgresql/*/bin)
#
# The server runs as the `postgres` OS user (initdb and pg_ctl refuse to run as root); the
# system's default cluster on 5432 is never started or touched. When that user cannot reach
# PG_STATE_DIR (a checkout in root's mode-700 home, say), the cluster lives in a folder of its
# own under its home instead (one per checkout) and $PG_STATE_DIR/location points there; no
# folder's permissions are changed.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

STATE="${PG_STATE_DIR:-$REPO_ROOT/.local/postgres}"
PORT="${PGPORT_LOCAL:-55432}"
# The services' databases: init-databases.sql lists them (tests/unit/test_docker_compose.py checks
# it against shared/src/shared/registry.py).
DATABASES="${PG_DATABASES:-$(sed -n 's/^CREATE DATABASE \([A-Za-z0-9_]*\);$/\1/p' "$SCRIPT_DIR/init-databases.sql" | tr '\n' ' ')}"

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

abs_state() {
  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd)"
  REAL="$STATE"
  [[ -s "$STATE/location" ]] && REAL="$(cat "$STATE/location")"
  DATA="$REAL/data"
  RUN="$REAL/run"
  LOGFILE="$REAL/postgres.log"
}
DATA="" RUN="" LOGFILE="" REAL=""

pg_can_reach() { # pg_can_reach DIR: the postgres user can enter and write DIR
  [[ $EUID -eq 0 ]] || return 0
  su postgres -s /bin/bash -c "test -x $(printf '%q' "$1") && test -w $(printf '%q' "$1")"
}

# Root running from a folder the postgres user cannot enter: put the cluster under that user's
# home, in a folder named after this state dir, and remember where.
relocate_if_unreachable() {
  [[ $EUID -eq 0 && "$REAL" == "$STATE" ]] || return 0
  chown postgres:postgres "$STATE" 2>/dev/null || true
  pg_can_reach "$STATE" && return 0
  local home key
  home="$(getent passwd postgres | cut -d: -f6)"
  key="$(printf '%s' "$STATE" | sha1sum | cut -c1-12)"
  REAL="${home:-/var/lib/postgresql}/aftersales/$key"
  mkdir -p "$REAL"
  chown postgres:postgres "$(dirname "$REAL")" "$REAL"
  echo "$REAL" >"$STATE/location"
  log "the postgres user cannot reach $STATE: keeping this cluster in $REAL (see $STATE/location)"
  DATA="$REAL/data" RUN="$REAL/run" LOGFILE="$REAL/postgres.log"
}

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return 0; fi
  local initdb
  initdb="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || true)"
  [[ -n "$initdb" ]] || return 1
  dirname "$initdb"
}

# Run a command as the postgres OS user when we are root (initdb/pg_ctl refuse root).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    su postgres -s /bin/bash -c "cd / && exec $(printf '%q ' "$@")"
  else
    "$@"
  fi
}

cmd_install() {
  if find_bin >/dev/null; then
    log "PostgreSQL already installed ($(find_bin))"
    return 0
  fi
  [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed; run 'pg.sh install' as root (apt-get)"
  # Keep apt from starting the default 5432 cluster: a policy-rc.d that denies service
  # starts, unless one is already there.
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added=1
  fi
  local rc=0
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } || rc=$?
  ((added)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install postgresql failed"
  find_bin >/dev/null || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
  log "installed PostgreSQL ($(find_bin))"
}

psql_() { # psql against our cluster as the postgres superuser (trust auth over TCP)
  "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

check_name() {
  [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_-]{0,62}$ ]] || die "invalid database name '$1'"
}

# Port of the running postmaster (line 4 of postmaster.pid); psql must talk to *this*
# cluster even if PGPORT_LOCAL now says something else.
running_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null; }

use_running_port() {
  local p
  p="$(running_port)"
  [[ "$p" =~ ^[0-9]+$ ]] || return 0
  if [[ "$p" != "$PORT" ]]; then
    log "note: the cluster in $STATE runs on port $p, not $PORT; using $p"
    PORT="$p"
  fi
}

is_running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

need_running() {
  BIN="$(find_bin)" || die "PostgreSQL is not installed (pg.sh install)"
  abs_state
  is_running || die "the cluster in $STATE is not running (pg.sh start)"
  use_running_port
}

create_dbs() {
  local name exists
  for name in "$@"; do
    check_name "$name"
    exists="$(psql_ -tA -c "select 1 from pg_database where datname = '$name'")"
    if [[ "$exists" == 1 ]]; then
      log "database $name exists"
    else
      psql_ -c "create database \"$name\""
      log "created database $name"
    fi
  done
}

# Check every folder on the way to the cluster can be entered by the postgres user.
check_traversable() {
  if ! pg_can_reach "$REAL"; then
    local p="$REAL" bad=""
    while [[ "$p" != / ]]; do
      su postgres -s /bin/bash -c "test -x $(printf '%q' "$p")" || bad="$p"
      p="$(dirname "$p")"
    done
    die "the postgres user cannot reach $REAL${bad:+ (blocked at $bad: needs o+x)}"
  fi
}

cmd_start() {
  local fresh=0
  while (($#)); do
    case "$1" in
      --fresh) fresh=1; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  BIN="$(find_bin)" || { cmd_install; BIN="$(find_bin)"; }
  abs_state

  if ((fresh)); then
    if is_running; then log "--fresh: stopping the running cluster first"; cmd_stop; fi
    log "--fresh: wiping $REAL"
    rm -rf "$DATA" "$RUN" "$LOGFILE"
  fi

  if is_running; then
    log "already running: $STATE on 127.0.0.1:$(running_port)"
    use_running_port
  else
    relocate_if_unreachable
    mkdir -p "$DATA" "$RUN"
    touch "$LOGFILE"
    chmod 700 "$DATA"
    if [[ $EUID -eq 0 ]]; then chown -R postgres:postgres "$REAL"; fi
    check_traversable
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
      log "initdb $DATA"
      as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
        || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
    fi
    local opts="-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c max_connections=300"
    if [[ "${PG_FAST:-0}" == 1 ]]; then
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" -o "$opts" -l "$LOGFILE" -w -t 60 start >/dev/null; then
      log "pg_ctl start failed; tail of $LOGFILE:"
      tail -n 20 "$LOGFILE" >&2 || true
      exit 1
    fi
    log "started on 127.0.0.1:$PORT (data $DATA, log $LOGFILE$([[ "${PG_FAST:-0}" == 1 ]] && echo ", fast/unsafe mode"))"
  fi
  # shellcheck disable=SC2086  # word splitting of the database list is intended
  create_dbs $DATABASES
}

cmd_stop() {
  BIN="$(find_bin)" || { log "PostgreSQL is not installed; nothing to stop"; return 0; }
  abs_state
  if ! is_running; then log "not running ($STATE)"; return 0; fi
  as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
  log "stopped ($STATE)"
}

cmd_status() {
  BIN="$(find_bin)" || { echo "PostgreSQL is not installed"; return 4; }
  abs_state
  [[ -f "$DATA/PG_VERSION" ]] || { echo "no cluster in $STATE"; return 4; }
  local rc=0
  as_pg "$BIN/pg_ctl" status -D "$DATA" || rc=$?
  return "$rc"
}

cmd_url() {
  [[ $# -eq 1 ]] || die "usage: pg.sh url NAME"
  check_name "$1"
  echo "postgresql://postgres@127.0.0.1:$PORT/$1"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  install) cmd_install ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  createdb)
    (($#)) || die "usage: pg.sh createdb NAME..."
    need_running; create_dbs "$@" ;;
  dropdb)
    (($#)) || die "usage: pg.sh dropdb NAME..."
    need_running
    for name in "$@"; do
      check_name "$name"
      psql_ -c "drop database if exists \"$name\" with (force)"
      log "dropped database $name"
    done ;;
  url) cmd_url "$@" ;;
  -h | --help | help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
