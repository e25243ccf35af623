#!/usr/bin/env bash
# Local PostgreSQL + Redis for development and tests (no Docker needed).
# Usage: scripts/services.sh start|stop|status|env
# Data lives in <project>/.local (git-ignored) and is reused across runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
PG_DATA="$LOCAL/pg"
RUN_DIR="$LOCAL/run"          # unix sockets, pid files, logs
REDIS_DIR="$LOCAL/redis"
REDIS_PID="$RUN_DIR/redis.pid"
PG_PORT="${LOCAL_PG_PORT:-55432}"
REDIS_PORT="${LOCAL_REDIS_PORT:-56379}"
IS_ROOT=0; if [ "$(id -u)" -eq 0 ]; then IS_ROOT=1; fi

die() { echo "services.sh: $*" >&2; exit 1; }

# Debian keeps the PG binaries off PATH; prefer 15 (what the image ships), else newest, else PATH.
PG_BIN="${PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/pg_ctl" ]; then PG_BIN="$d"; break; fi
  done
  if [ -z "$PG_BIN" ] && command -v pg_ctl >/dev/null; then PG_BIN="$(dirname "$(command -v pg_ctl)")"; fi
fi

# initdb/postgres refuse to run as root, so everything PG runs as the postgres user when we are root.
as_pg() { if [ "$IS_ROOT" -eq 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

apt_install() {  # apt-get update only when the package index does not know the package yet
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q -o DPkg::Lock::Timeout=120 "$@" \
    || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=120 "$@"; }
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

port_taken() {  # $1 port, $2 env var, $3 service
  die "port $1 (for $3) is already used by another process, not by our instance in $LOCAL.
  Pick a free port, e.g.: export $2=<port>   (then rerun)"
}

pg_running() { [ -n "$PG_BIN" ] && [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null; }  # line 4 of postmaster.pid = port

# PID of *our* redis (from our pid file, still alive and really redis), or empty.
redis_pid() {
  local pid; pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q redis "/proc/$pid/cmdline" 2>/dev/null && echo "$pid" || true
}
# Port of our redis: ask the server on $REDIS_PORT for its pid and compare (proves it is ours).
redis_ours_on_port() {
  local pid="$1"
  command -v redis-cli >/dev/null || return 1
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$pid" ]
}

wait_for() {  # $1 description, rest: command; bounded so a broken service never hangs a test run
  local what="$1"; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  die "$what did not become ready within 30 s (logs in $RUN_DIR)"
}

start_pg() {
  if [ -z "$PG_BIN" ]; then
    [ "$IS_ROOT" -eq 1 ] || die "PostgreSQL not found. Install it: sudo apt-get install -y postgresql"
    apt_install postgresql
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  mkdir -p "$RUN_DIR"
  if pg_running; then
    local p; p="$(pg_running_port)"
    [ "$p" = "$PG_PORT" ] || die "our PostgreSQL is already running on port $p, not $PG_PORT (LOCAL_PG_PORT). Run 'scripts/services.sh stop' first."
    echo "postgres: already running on $PG_PORT"
  else
    if port_busy "$PG_PORT"; then port_taken "$PG_PORT" LOCAL_PG_PORT PostgreSQL; fi
    mkdir -p "$PG_DATA"
    if [ "$IS_ROOT" -eq 1 ]; then
      # postgres must be able to reach the project dir (e.g. not under a 0700 /root) and write its own dirs.
      runuser -u postgres -- test -x "$ROOT" || die "user postgres cannot traverse $ROOT; move the project or chmod o+x its parent directories"
      chmod 755 "$LOCAL"
      chown postgres: "$RUN_DIR"                  # socket + lock file + log are written by postgres
      chown -R postgres: "$PG_DATA"
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      # C.UTF-8: exists on every Debian, and unlike plain C it lower()/ILIKEs non-ASCII text correctly.
      as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust --no-sync -U postgres -E UTF8 --locale=C.UTF-8 >"$RUN_DIR/initdb.log" \
        || die "initdb failed, see $RUN_DIR/initdb.log"
    fi
    as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -w -t 30 -l "$RUN_DIR/postgres.log" \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN_DIR -c fsync=off -c max_connections=300" >/dev/null \
      || die "PostgreSQL failed to start, see $RUN_DIR/postgres.log"
    echo "postgres: started on $PG_PORT"
  fi
  wait_for "PostgreSQL" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAq)
  [ "$("${psql[@]}" -c "select 1 from pg_database where datname='wa'")" = 1 ] \
    || "${psql[@]}" -c "create database wa" >/dev/null
}

start_redis() {
  if ! command -v redis-server >/dev/null; then
    [ "$IS_ROOT" -eq 1 ] || die "redis-server is not installed. Install it with: sudo apt-get install -y redis-server"
    apt_install redis-server >/dev/null
  fi
  mkdir -p "$RUN_DIR" "$REDIS_DIR"
  local pid; pid="$(redis_pid)"
  if [ -n "$pid" ]; then
    redis_ours_on_port "$pid" || die "our Redis (pid $pid) is running but not on port $REDIS_PORT (LOCAL_REDIS_PORT). Run 'scripts/services.sh stop' first."
    echo "redis: already running on $REDIS_PORT"
  else
    if port_busy "$REDIS_PORT"; then port_taken "$REDIS_PORT" LOCAL_REDIS_PORT Redis; fi
    # Throwaway cache/queue store: no RDB/AOF persistence, localhost only.
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$REDIS_PID" --dir "$REDIS_DIR" --logfile "$RUN_DIR/redis.log"
    echo "redis: started on $REDIS_PORT"
  fi
  wait_for "Redis" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
}

stop_all() {
  if pg_running; then as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null; echo "postgres: stopped"; fi
  local pid; pid="$(redis_pid)"
  if [ -n "$pid" ]; then
    kill -TERM "$pid"   # --save '' so SIGTERM exits at once without writing a dump
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && die "redis (pid $pid) did not stop"
    rm -f "$REDIS_PID"; echo "redis: stopped"
  fi
}

status() {
  local rc=0 pid
  if pg_running; then echo "postgres: running on $(pg_running_port) (data $PG_DATA)"; else echo "postgres: stopped"; rc=1; fi
  pid="$(redis_pid)"
  if [ -n "$pid" ]; then echo "redis: running, pid $pid (data $REDIS_DIR)"; else echo "redis: stopped"; rc=1; fi
  return $rc
}

case "${1:-}" in
  start)  start_pg; start_redis ;;
  stop)   stop_all ;;
  status) status ;;
  env)    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/wa"
          echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT" ;;
  *)      echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
