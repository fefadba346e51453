#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database, then verify the audit
# trail's hash chain.
#   createdb ipt_restored
#   DATABASE_URL=postgres://.../ipt_restored scripts/restore.sh backups/ipt-2026-11-22.dump
set -Eeuo pipefail
file=${1:?usage: scripts/restore.sh FILE}
: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pg_bin() { command -v "$1" || ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n1; }
"$(pg_bin pg_restore)" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$file"
PY=${PYTHON:-.venv/bin/python}
# Maintenance on one machine, serving nobody: the settings need no broker or shared key here.
export IPT_SINGLE_HOST=true
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-restore-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
"$PY" manage.py migrate --check >/dev/null || echo "note: the backup predates migrations in this code; run manage.py migrate" >&2
"$PY" manage.py verify_audit_chain
