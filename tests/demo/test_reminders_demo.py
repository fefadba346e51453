"""`make run` books a demo appointment whose reminder the worker writes to var/mail/."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic
from patients.models import Patient
from sessions import reminders
from sessions.models import Reminder
from tests.conftest import make_user


@pytest.fixture
def demo_clinic(db):
    clinic = Clinic.objects.create(name="Demo Clinic", timezone="Europe/London")
    make_user("therapist@clinic.example", clinic, is_therapist=True)
    return clinic


def test_it_needs_the_demo_clinic(db):
    with pytest.raises(CommandError, match="seed_demo first"):
        call_command("seed_demo_reminders", "--force")


def test_it_refuses_without_debug_or_force(demo_clinic, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo_reminders")


def test_the_demo_reminder_is_written_to_the_mail_folder(demo_clinic, settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    base = timezone.now()
    for later in (timedelta(0), timedelta(minutes=10)):  # every run books it (again)
        with time_machine.travel(base + later, tick=False):
            call_command("seed_demo_reminders", "--force")
            due = Reminder.objects.filter(state="pending").order_by("send_at").first()
            assert timezone.now() + timedelta(seconds=10) <= due.send_at
            assert due.send_at <= timezone.now() + timedelta(seconds=70)
        with time_machine.travel(due.send_at, tick=False):
            queued = []
            reminders.reminders_dispatch(enqueue=queued.append)
            assert [reminders.reminder_deliver(reminder_id=pk) for pk in queued] == ["sent"]
    patient = Patient.objects.get(record_number="DEMO-0101")
    course = patient.courses.get()
    assert course.sessions.get(number=1).reminders.get(kind="second").state == "sent"
    files = list(tmp_path.iterdir())
    assert len(files) == 2
    text = files[0].read_text()
    assert "Reminder: your appointment at Demo Clinic" in text
    assert "020 7946 0018" in text
    demo_clinic.refresh_from_db()
    assert demo_clinic.contact_email == "appointments@clinic.example"
