"""A real Celery worker against the real Redis broker sends a reminder over SMTP; two
dispatchers racing on PostgreSQL never claim a row twice."""

import threading
import time
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sessions import reminders, services, tasks
from sessions.models import Reminder
from tests.conftest import make_patient, open_course

from .conftest import make_due_reminders, reminder_key

State = Reminder.State


@pytest.mark.broker
def test_a_worker_sends_a_due_reminder_by_smtp(celery_worker, smtp_mail, therapist, settings):
    settings.SITE_URL = "https://clinic.example.org"
    patient = make_patient(therapist, email="someone@example.org")
    course = open_course(patient, start=timezone.localdate() + timedelta(days=3))
    session = course.sessions.get(number=1)
    # Moved to two hours and two seconds from now: the two-hour reminder falls due at once.
    services.session_reschedule(
        by=therapist,
        session=session,
        new_start=timezone.now() + timedelta(hours=2, seconds=2),
        planned_minutes=50,
    )
    second = session.reminders.get(kind="second")
    assert session.reminders.get(kind="first").state == State.SKIPPED
    assert second.state == State.PENDING

    tasks.dispatch_due_reminders.delay()  # beat's tick, before the reminder is due
    while timezone.now() < second.send_at:
        time.sleep(0.05)
    tasks.dispatch_due_reminders.delay()  # and the next one
    assert smtp_mail.wait_for(1, timeout=20)

    [message] = smtp_mail.messages
    assert message["To"] == "someone@example.org"
    assert message["Subject"].startswith("Reminder: your appointment at Test Clinic on ")
    assert reminder_key(message) == second.public_key.hex
    assert message["List-Unsubscribe"].startswith("<https://clinic.example.org/reminders/stop/")
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "text/plain" in parts and "text/html" in parts
    calendar = parts["text/calendar"].get_content()
    session.refresh_from_db()
    assert f"DTSTART:{session.scheduled_start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in calendar
    # The message reaches the sink a moment before the worker's transaction marks the row
    # sent (the send comes first): wait for it rather than read it at once.
    deadline = time.monotonic() + 20
    second.refresh_from_db()
    while second.state != State.SENT and time.monotonic() < deadline:
        time.sleep(0.05)
        second.refresh_from_db()
    assert second.state == State.SENT and second.sent_at >= second.send_at


@pytest.mark.broker
def test_two_dispatchers_racing_claim_each_reminder_once(
    require_postgres, transactional_db, therapist
):
    make_due_reminders(therapist, 25)  # 600 due
    claimed: list[list[int]] = [[], []]
    start = threading.Barrier(2)
    errors = []

    def dispatcher(mine: list[int]) -> None:
        try:
            start.wait()
            for _ in range(5):
                reminders.reminders_dispatch(enqueue=mine.append, batch_size=37)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    a, b = (set(ids) for ids in claimed)
    print(f"\n[race] two dispatchers claimed {len(a)} and {len(b)} of 600, overlap {len(a & b)}")
    assert not a & b
    assert len(claimed[0]) == len(a) and len(claimed[1]) == len(b)
    assert a | b == set(Reminder.objects.values_list("pk", flat=True))
    assert a and b  # both took part
