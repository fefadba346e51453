"""Backup and restore: the restored database has every row and an intact audit chain."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _url(settings_dict, name):
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST'] or '127.0.0.1'}"
        f":{settings_dict['PORT'] or 5432}/{name}"
    )


def _row_counts(url) -> dict[str, int]:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def restored_database(require_postgres, transactional_db):
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = psycopg2.connect(_url(connection.settings_dict, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_backup_and_restore_round_trip(restored_database, tmp_path, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--password", "a demo passphrase")
    source = _url(connection.settings_dict, connection.settings_dict["NAME"])
    target = _url(connection.settings_dict, restored_database)
    dump = tmp_path / "ipt.dump"
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(
        [ROOT / "scripts/backup.sh", dump],
        env={**env, "DATABASE_URL": source},
        check=True,
        cwd=ROOT,
    )
    result = subprocess.run(
        [ROOT / "scripts/restore.sh", dump],
        env={**env, "DATABASE_URL": target},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Audit chain intact" in result.stdout
    original, restored = _row_counts(source), _row_counts(target)
    assert restored == original
    assert original["therapy_sessions_therapysession"] > 50  # the demo really was there
