"""The audit benchmark, shortened: bench/audit.py on a database of its own on the test run's
PostgreSQL server, a fraction of a second per measurement. The figures are in
docs/benchmarks.md (`bench/run.sh audit`)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
from django.db import connection

from .test_load_smoke import _server_url

ROOT = Path(__file__).resolve().parents[2]


def test_audit_benchmark_smoke(require_postgres):
    server = _server_url(connection.settings_dict)
    name = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        env = dict(os.environ, DATABASE_URL=server.rsplit("/", 1)[0] + f"/{name}")
        result = subprocess.run(
            [sys.executable, ROOT / "bench" / "audit.py",
             "--seconds", "0.3", "--writers", "1", "2", "--repeats", "1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(float(value) > 0 for row in rows for value in row[1:]), result.stdout
