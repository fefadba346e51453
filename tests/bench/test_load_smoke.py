"""The load test, shortened: bench/load.py with 10 signed-in clients for 10 seconds, 0 errors.

The full run (50 clients, 60 seconds) is `bench/run.sh load`; its figures are in
docs/benchmarks.md. Here the script gets the test run's PostgreSQL server and, as always,
creates a database of its own there (migrated, seeded, dropped at the end), so pytest-django's
test database is not involved.
"""

import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _server_url(settings_dict) -> str:
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST'] or '127.0.0.1'}"
        f":{settings_dict['PORT'] or 5432}/postgres"
    )


def test_load_smoke(require_postgres):
    result = subprocess.run(
        [
            sys.executable, ROOT / "bench" / "load.py",
            "--clients", "10", "--seconds", "10", "--scale", "0.02", "--workers", "3",
            "--database-url", _server_url(connection.settings_dict),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "; 0 errors" in result.stdout, output
    requested = {line.split("  ")[0] for line in result.stdout.splitlines()}
    assert "sign in (POST)" in requested, output
    assert requested & {"therapist home", "patient list", "patient"}, output  # therapists
    assert requested & {"supervision dashboard", "supervision ?flag=any"}, output  # supervisors
