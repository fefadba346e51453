"""Reminder test helpers: due reminders, and which reminder an email is. The SMTP sink, the
broker and the worker fixtures are shared by every app's tests (tests/conftest.py)."""

import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Reminder
from tests.conftest import IN_CI, make_patient, open_course
from tests.workers import free_port  # noqa: F401 - imported from here by the reminder tests


def make_due_reminders(therapist, count_courses: int, *, when=None) -> list[Reminder]:
    """Book `count_courses` 12-session courses (each patient with their own address) and make
    every reminder of them due now: 24 reminders a course."""
    start = timezone.localdate() + timedelta(days=2)
    for n in range(count_courses):
        patient = make_patient(therapist, email=f"patient{n}@example.org")
        open_course(patient, start=start)
    Reminder.objects.update(send_at=when or timezone.now(), next_attempt_at=when or timezone.now())
    return list(Reminder.objects.all())


def reminder_key(message) -> str:
    """Which reminder a received email is: the opaque key in its opt-out link."""
    link = message["List-Unsubscribe"].strip("<>")
    return link.rstrip("/").rsplit("/", 1)[-1].split(":")[0]


@pytest.fixture
def processes(require_postgres, redis_broker, transactional_db, tmp_path, smtp_sink):
    """Starts nothing itself; stops every Redis, worker and beat a test started."""
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("CI=true but redis-server is not installed")
        pytest.skip("needs redis-server")
    started: list = []

    def track(thing):
        started.append(thing)
        return thing

    yield track
    for thing in reversed(started):
        thing.stop()
