.PHONY: run test lint format bench load

# The whole app (web, worker, beat) on 127.0.0.1:8000 with demo data.
run:
	scripts/run.sh

# Lint, migration and deploy checks, then the tests on PostgreSQL + Redis + Chromium when present.
test:
	scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# Reminder throughput and lateness next to the smtplib floor (starts its own services).
bench:
	.venv/bin/python bench/reminders.py

# 50 signed-in clients for 60 s against gunicorn on a throwaway PostgreSQL: p50/p95 per page,
# 0 errors or it fails (bench/load.py). make load ARGS="--clients 10 --seconds 10"
load:
	bench/run.sh load $(ARGS)
