.PHONY: run test lint format bench

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
