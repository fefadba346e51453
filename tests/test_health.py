"""Liveness (/healthz) and readiness (/readyz: database, broker, migrations), and the request id
that joins a request's log lines, its audit events and the tasks it queues."""

import json
import logging

import pytest
from django.test import Client


def test_alive_is_a_plain_ok():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_ready_when_database_broker_and_migrations_are(db):
    response = Client().get("/readyz", {"format": "json"})
    assert response.status_code == 200, response.content
    assert set(json.loads(response.content)) == {"Database()", "Broker()", "Migrations()"}


def test_not_ready_while_a_migration_is_pending(db, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = Client().get("/readyz", {"format": "json"})
    assert response.status_code == 503
    assert "1 migrations are not applied yet" in response.content.decode()


def test_not_ready_when_the_broker_does_not_answer(db, monkeypatch):
    from kombu import Connection

    from ipt_clinic.celery import app

    # Nothing listens on the discard port.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:9/0"))
    response = Client().get("/readyz", {"format": "json"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "the broker did not answer" in body and "127.0.0.1" not in body


def test_log_lines_carry_the_request_id(client_for, therapist, caplog, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # the proxy's X-Request-ID is kept
    from ipt_clinic.log_filters import RequestId

    with caplog.at_level(logging.WARNING, logger="django.request"):
        caplog.handler.addFilter(RequestId())
        client_for(therapist).get("/clinic/", HTTP_X_REQUEST_ID="req-abcdef12")  # a 403
    assert [r.request_id for r in caplog.records] == ["req-abcdef12"]


def test_a_task_queued_by_a_request_carries_its_id(db):
    from ipt_clinic.accounts.audit import audit_context
    from ipt_clinic.celery import _carry_request_id

    headers = {}
    with audit_context(request_id="req-12345678"):
        _carry_request_id(headers=headers)
    assert headers == {"ipt_request_id": "req-12345678"}


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_both_log_formats_configure(fmt, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    env = dict(
        os.environ,
        IPT_LOG_FORMAT=fmt,
        IPT_VAR_DIR=str(tmp_path),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
    )
    code = "import django, logging; django.setup(); logging.getLogger('x').warning('hello')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    if fmt == "json":
        assert json.loads(line)["message"] == "hello" and json.loads(line)["request_id"] == "-"
    else:
        assert line.endswith("WARNING [-] x: hello")
