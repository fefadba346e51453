#!/usr/bin/env bash
# Run a benchmark against a throwaway PostgreSQL cluster (the one scripts/test.sh starts),
# removed afterwards. With DATABASE_URL set, that server is used instead.
#
#   bench/run.sh caseload                   # bench/caseload.py: supervisor dashboard, course page
#   bench/run.sh caseload --requests 500    # arguments after the name go to the script
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
source "$ROOT/scripts/postgres.sh"
cd "$ROOT"

[[ $# -ge 1 && -f $ROOT/bench/$1.py ]] || die "usage: bench/run.sh NAME [ARGS...] (NAME: a script in bench/)"
SCRIPT=$ROOT/bench/$1.py
shift

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ipt-bench.XXXXXX")
chmod 755 "$RUN_DIR"
cleanup() {
  local rc=$?
  set +e
  stop_postgres
  rm -rf "$RUN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_venv
if [[ -z ${DATABASE_URL:-} ]]; then
  pg_status=0
  start_postgres || pg_status=$?
  ((pg_status == 0)) || die "PostgreSQL's server binaries are not installed or did not start"
fi
export IPT_VAR_DIR=$RUN_DIR/var
local_secret
"$PY" "$SCRIPT" "$@"
