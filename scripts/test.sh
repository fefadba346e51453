#!/usr/bin/env bash
# The test command (`make test`): lint, migrations check, deploy check, dependency audit, pytest.
#
# Uses real services when it can: if PostgreSQL's server binaries are installed it starts a
# throwaway cluster on a free loopback port, likewise redis-server, and Playwright drives
# Debian's Chromium. Without them it falls back (SQLite, no broker tests, no browser tests)
# and says so loudly. Under CI=true a missing service or browser is a failure, never a skip.
#
# Extra arguments go to pytest:  make test ARGS="-k access -x"   or   scripts/test.sh -k access
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
cd "$ROOT"

IN_CI=false
[[ ${CI:-} == true ]] && IN_CI=true
CHROMIUM=${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ipt-test.XXXXXX")
chmod 755 "$RUN_DIR"
REDIS_PORT=""

cleanup() {
  local rc=$?
  set +e
  if [[ -n $REDIS_PORT ]]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  fi
  stop_postgres
  rm -rf "$RUN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_redis() {
  command -v redis-server >/dev/null || return 1
  REDIS_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$RUN_DIR" \
    --logfile "$RUN_DIR/redis.log" --pidfile "$RUN_DIR/redis.pid" --save '' --appendonly no
  local _
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null || { REDIS_PORT=""; return 1; }
  export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
  say "Redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT"
}

ensure_venv

if [[ -z ${DATABASE_URL:-} ]]; then
  pg_status=0
  start_postgres || pg_status=$?
  if ((pg_status == 1)); then
    die "PostgreSQL is installed but did not start (log above)"
  elif ((pg_status == 2)); then
    $IN_CI && die "CI=true but PostgreSQL's server binaries are not installed"
    loud "PostgreSQL is not installed: FALLING BACK TO SQLITE. PostgreSQL-only tests are skipped."
  fi
fi
if [[ -z ${CELERY_BROKER_URL:-} ]]; then
  if ! start_redis; then
    $IN_CI && die "CI=true but redis-server could not be started"
    loud "redis-server is not installed: tests that need a real broker are SKIPPED."
  fi
fi
if [[ -n $CHROMIUM && -x $CHROMIUM ]]; then
  export CHROMIUM_PATH=$CHROMIUM
  say "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
else
  $IN_CI && die "CI=true but Chromium is not installed (apt-get install chromium)"
  loud "Chromium is not installed: REAL-BROWSER TESTS ARE SKIPPED."
fi

# Everything the run writes (SQLite, broker folders, mail, secret) stays in the run dir.
export IPT_VAR_DIR=$RUN_DIR/var
local_secret
export TEST_ARTIFACTS_DIR=${TEST_ARTIFACTS_DIR:-$ROOT/test-artifacts}
mkdir -p "$TEST_ARTIFACTS_DIR" "$RUN_DIR/tmp" "$RUN_DIR/xdg-config" "$RUN_DIR/xdg-cache"

say "ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .

say "django check, missing migrations, deploy check"
"$PY" manage.py check --fail-level WARNING
"$PY" manage.py makemigrations --check --dry-run
env DJANGO_SECRET_KEY="deploy-check-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
  DJANGO_HTTPS=true DJANGO_ALLOWED_HOSTS=clinic.example.org IPT_EMAIL_BACKEND=smtp \
  "$PY" manage.py check --deploy --fail-level WARNING

say "dependency audit (PyPI's advisories for every installed distribution)"
audit_status=0
"$PY" scripts/dependency_audit.py || audit_status=$?
if ((audit_status == 2)); then
  $IN_CI && die "CI=true but PyPI could not be reached for the dependency audit"
  loud "PyPI is not reachable: THE DEPENDENCY AUDIT WAS NOT RUN."
elif ((audit_status != 0)); then
  die "the dependency audit found known vulnerabilities (above)"
fi

say "pytest"
TMPDIR=$RUN_DIR/tmp XDG_CONFIG_HOME=$RUN_DIR/xdg-config XDG_CACHE_HOME=$RUN_DIR/xdg-cache \
  "$PY" -m pytest -p no:cacheprovider --basetemp="$RUN_DIR/pytest" "$@"
