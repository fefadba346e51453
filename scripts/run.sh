#!/usr/bin/env bash
# The run command (`make run`): the whole app on a bare machine, with demo data.
#
# No configuration needed: SQLite and the Celery broker live under var/, mail is written to
# var/mail. Starts the web server (gunicorn on 127.0.0.1:8000), a Celery worker and Celery
# beat together; Ctrl-C stops all three. Set DATABASE_URL / CELERY_BROKER_URL to use
# PostgreSQL and Redis instead (see .env.example).
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_venv
local_secret
export PATH="$VENV/bin:$PATH"
export IPT_DEMO_PASSWORD=${IPT_DEMO_PASSWORD:-demo-password-2026}

say "migrating the database"
python manage.py migrate --no-input -v0
python manage.py caseload_refresh -v0
say "collecting static files"
python manage.py collectstatic --no-input -v0
say "demo data (accounts share the password $IPT_DEMO_PASSWORD)"
# --force: this command is the local demo; seed_demo refuses on its own when DEBUG is off.
python manage.py seed_demo --force --password "$IPT_DEMO_PASSWORD"
say "a demo appointment two hours ahead: its reminder lands in var/mail/ within a minute or two"
python manage.py seed_demo_reminders --force

say "starting web (http://127.0.0.1:8000), worker and beat; Ctrl-C stops them"
exec honcho --procfile "$ROOT/Procfile" --app-root "$ROOT" start
