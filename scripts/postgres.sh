# A throwaway PostgreSQL cluster on a free loopback port, for scripts/test.sh and bench/run.sh.
# Sourced after common.sh (it needs $PY and say); the caller sets RUN_DIR, a scratch
# directory, and calls stop_postgres when it is done (an EXIT trap).

PG_DATA="" PG_BIN=""

as_postgres() {  # PostgreSQL refuses to run as root
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z $PG_BIN || ! -x $PG_BIN/initdb ]]; then
    PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")
  fi
  [[ -x $PG_BIN/initdb ]] || return 2  # not installed
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  PG_DATA=$RUN_DIR/pgdata
  local sock=$RUN_DIR/pgsock port
  mkdir -p "$PG_DATA" "$sock"
  [[ $EUID -eq 0 ]] && chown postgres "$PG_DATA" "$sock"
  chmod 700 "$PG_DATA"
  port=$(free_port)
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U ipt --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$RUN_DIR/initdb.log" 2>&1 || { cat "$RUN_DIR/initdb.log" >&2; return 1; }
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DATA/server.log" >&2; return 1; }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U ipt ipt_clinic
  export DATABASE_URL="postgres://ipt@127.0.0.1:$port/ipt_clinic"
  say "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$port"
}

stop_postgres() {
  if [[ -n $PG_DATA && -f $PG_DATA/postmaster.pid ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1
  fi
}
