"""Dispatching, sending and retrying reminders, without a broker: the dispatcher's queue is a
list here, and each queued id is sent by calling the send task's function."""

import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from ipt_clinic.celery import app as celery_app
from sessions import reminders, services, tasks
from sessions.models import Reminder
from tests.conftest import make_patient, open_course

from .conftest import free_port, reminder_key

State = Reminder.State
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Monday; London on BST


def dispatch_and_send() -> list[str]:
    """One beat tick: dispatch, then run every queued send task."""
    queued: list[int] = []
    reminders.reminders_dispatch(enqueue=queued.append)
    return [reminders.reminder_deliver(reminder_id=pk) for pk in queued]


@pytest.fixture
def clinic_contact(clinic):
    """The clinic's contact details, and one reminder 2 hours before each session (the
    tests of a first reminder overtaken by a second one set both)."""
    clinic.contact_phone = "020 7946 0000"
    clinic.contact_email = "appointments@clinic.test"
    clinic.reminder_lead_hours, clinic.second_reminder_lead_hours = 2, 0
    clinic.save()
    return clinic


@pytest.fixture
def booked(patient, clinic_contact):
    """A course on Wednesdays at 10:00 London, booked on Monday 1 June 2026 at 08:00 UTC."""
    with time_machine.travel(NOW, tick=False):
        course = open_course(patient, start=date(2026, 6, 3))
    return course.sessions.get(number=1)


def the_reminder(session) -> Reminder:
    return Reminder.objects.get(session=session)


def at(moment):
    return time_machine.travel(moment, tick=False)


# --- What is sent, and when ------------------------------------------------------------------


def test_nothing_is_sent_before_its_time(booked, outbox):
    with at(booked.scheduled_start - timedelta(hours=2, seconds=1)):
        assert dispatch_and_send() == []
    assert outbox == []


def test_a_due_reminder_is_sent_once_by_email(booked, outbox):
    with at(booked.scheduled_start - timedelta(hours=2)):
        assert dispatch_and_send() == ["sent"]
        assert dispatch_and_send() == []
    reminder = the_reminder(booked)
    assert reminder.state == State.SENT
    assert reminder.sent_at == booked.scheduled_start - timedelta(hours=2)
    assert reminder.channel == "email" and reminder.attempts == 1
    assert len(outbox) == 1 and outbox[0].to == ["pat@example.org"]


def test_a_first_reminder_overtaken_by_the_second_is_not_sent_as_well(patient, outbox):
    with at(NOW):  # the clinic's defaults: 24 and 2 hours before
        session = open_course(patient, start=date(2026, 6, 3)).sessions.get(number=1)
    # The workers were down for a day: both reminders are due when they come back.
    with at(session.scheduled_start - timedelta(hours=1)):
        assert dispatch_and_send() == ["skipped", "sent"]
    first, second = Reminder.objects.filter(session=session).order_by("send_at")
    assert (first.state, first.reason) == (State.SKIPPED, "overtaken by the next reminder")
    assert second.state == State.SENT
    assert len(outbox) == 1


def test_the_message_says_when_where_and_how_to_cancel_and_nothing_clinical(
    booked, outbox, settings
):
    settings.SITE_URL = "https://clinic.example.org"
    with at(booked.scheduled_start - timedelta(hours=2)):
        dispatch_and_send()
    message = outbox[0]
    text = message.body
    html = message.alternatives[0].content
    assert message.subject == ("Reminder: your appointment at Test Clinic on Wed 3 Jun at 10:00")
    assert "on Wednesday 3 June 2026 at 10:00 (BST)" in text
    assert "call 020 7946 0000 or email appointments@clinic.test" in text
    assert "Wednesday 3 June 2026 at 10:00</strong> (BST)" in html
    opt_out = re.search(r"https://clinic\.example\.org/reminders/stop/(\S+)/", text)
    assert opt_out and opt_out.group(0) in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{opt_out.group(0)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    course = booked.course
    everything = f"{message.subject}\n{text}\n{html}\n{message.attachments[0].content}"
    for clinical in [
        course.indication,
        course.therapist.full_name,
        "session",
        "therap",
        "IPT",
        "psych",
        "phase",
        "Alice",  # not even the patient's name: the mailbox may be shared
    ]:
        assert not re.search(rf"\b{clinical}", everything, re.IGNORECASE), clinical


def test_the_calendar_entry_has_the_appointment_in_utc(booked, outbox):
    with at(booked.scheduled_start - timedelta(hours=2)):
        dispatch_and_send()
    name, content, mimetype = outbox[0].attachments[0]
    assert name == "appointment.ics" and mimetype == "text/calendar"
    assert "DTSTART:20260603T090000Z" in content
    assert "DTEND:20260603T095000Z" in content
    assert "SUMMARY:Appointment at Test Clinic" in content
    assert re.search(r"UID:[0-9a-f]{32}@appointments\r\n", content)
    assert content.endswith("END:VCALENDAR\r\n")


def test_a_sent_reminder_is_in_the_audit_trail_without_its_content(booked, outbox):
    with at(booked.scheduled_start - timedelta(hours=2)):
        dispatch_and_send()
    event = AuditEvent.objects.get(action="reminder_sent")
    reminder = the_reminder(booked)
    assert event.object_type == "therapy_sessions.reminder"
    assert event.object_id == str(reminder.pk)
    assert event.patient_id == booked.course.patient_id
    assert event.clinic_id == booked.course.patient.clinic_id
    assert event.user_id is None
    assert event.detail == "first reminder by email"


def test_text_messages_go_through_the_sms_backend(booked, patient, outbox, caplog):
    patient.preferred_channel = "sms"
    patient.save()
    with at(booked.scheduled_start - timedelta(hours=2)), caplog.at_level(logging.INFO):
        assert dispatch_and_send() == ["sent"]
    assert outbox == []
    assert the_reminder(booked).channel == "sms"
    logged = [r.getMessage() for r in caplog.records if r.name == "sessions.channels"]
    assert len(logged) == 1
    assert "to ...123:" in logged[0]  # the number is masked
    assert "+44 7700" not in logged[0]
    assert "Test Clinic: reminder of your appointment on Wed 3 Jun at 10:00." in logged[0]
    assert "call 020 7946 0000" in logged[0]


class RecordingSmsProvider:
    """Stands in for a real SMS provider: the edge of the system, the only double here."""

    sent: list[tuple[str, str]] = []

    def send_text(self, *, to: str, body: str) -> None:
        self.sent.append((to, body))


def test_a_configured_sms_provider_gets_number_and_text(booked, patient, settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingSmsProvider"
    RecordingSmsProvider.sent = []
    patient.preferred_channel = "sms"
    patient.save()
    with at(booked.scheduled_start - timedelta(hours=2)):
        dispatch_and_send()
    [(to, body)] = RecordingSmsProvider.sent
    assert to == "+44 7700 900123"
    assert body.startswith("Test Clinic: reminder of your appointment on Wed 3 Jun at 10:00.")
    assert "/reminders/stop/" in body
    assert len(body) < 320  # two SMS segments at most


# --- The send task checks again --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "state", "reason"),
    [
        ({"reminder_consent": False}, State.SKIPPED, "no consent to reminders"),
        (
            {"reminder_consent": False, "reminders_opted_out_at": NOW},
            State.SKIPPED,
            "the patient opted out of reminders",
        ),
        ({"preferred_channel": "none"}, State.SKIPPED, "the patient asked for no reminders"),
        ({"email": ""}, State.FAILED, "no email address on file"),
        ({"preferred_channel": "sms", "phone": ""}, State.FAILED, "no mobile number on file"),
        ({"status": "archived", "archived_at": NOW}, State.SKIPPED, "the patient is archived"),
    ],
)
def test_the_patients_wishes_and_details_are_checked_when_sending(
    booked, patient, outbox, change, state, reason
):
    type(patient).objects.filter(pk=patient.pk).update(**change)
    with at(booked.scheduled_start - timedelta(hours=2)):
        assert dispatch_and_send() == [state]
    reminder = the_reminder(booked)
    assert (reminder.state, reminder.reason) == (state, reason)
    assert outbox == []
    assert not AuditEvent.objects.filter(action="reminder_sent").exists()


def test_a_session_cancelled_one_second_before_the_reminder_is_not_reminded(booked, outbox):
    due = booked.scheduled_start - timedelta(hours=2)
    with at(due - timedelta(seconds=1)):
        services.session_record_attendance(
            by=booked.course.therapist,
            session=booked,
            attendance="cancelled",
            cancelled_by="patient",
        )
    with at(due):
        assert dispatch_and_send() == []
    with at(due + timedelta(minutes=5)):
        assert dispatch_and_send() == []
    assert outbox == []
    assert the_reminder(booked).state == State.CANCELLED


def test_a_session_cancelled_after_its_reminder_was_queued_is_not_reminded(booked, outbox):
    due = booked.scheduled_start - timedelta(hours=2)
    queued: list[int] = []
    with at(due):
        reminders.reminders_dispatch(enqueue=queued.append)
        assert the_reminder(booked).state == State.SENDING
        services.session_record_attendance(
            by=booked.course.therapist,
            session=booked,
            attendance="cancelled",
            cancelled_by="clinic",
        )
        assert [reminders.reminder_deliver(reminder_id=pk) for pk in queued] == ["not claimed"]
    assert outbox == []


def test_a_session_changed_behind_the_services_back_is_not_reminded(booked, outbox):
    type(booked).objects.filter(pk=booked.pk).update(attendance="cancelled")
    with at(booked.scheduled_start - timedelta(hours=2)):
        assert dispatch_and_send() == [State.CANCELLED]
    assert outbox == []


def test_a_reminder_delayed_past_the_session_start_is_not_sent(booked, outbox):
    with at(booked.scheduled_start + timedelta(minutes=1)):
        assert dispatch_and_send() == [State.SKIPPED]
    assert outbox == []
    assert the_reminder(booked).reason == "the session had already begun"


def test_a_task_delivered_twice_sends_once(booked, outbox):
    queued: list[int] = []
    with at(booked.scheduled_start - timedelta(hours=2)):
        reminders.reminders_dispatch(enqueue=queued.append)
        [pk] = queued
        assert reminders.reminder_deliver(reminder_id=pk) == "sent"
        assert reminders.reminder_deliver(reminder_id=pk) == "not claimed"
    assert len(outbox) == 1


def test_a_reminder_another_task_is_sending_is_left_to_it(booked, outbox):
    queued: list[int] = []
    with at(booked.scheduled_start - timedelta(hours=2)):
        reminders.reminders_dispatch(enqueue=queued.append)
        Reminder.objects.filter(pk=queued[0]).update(
            lease_until=timezone.now() + timedelta(minutes=1)
        )
        assert reminders.reminder_deliver(reminder_id=queued[0]) == "not claimed"
    assert outbox == []


def test_a_reminder_that_no_longer_exists_is_ignored(db):
    assert reminders.reminder_deliver(reminder_id=987654) == "not claimed"


# --- Failures, retries and the sweep ---------------------------------------------------------


def test_the_backoff_doubles_from_30_seconds_up_to_10_minutes():
    waits = [reminders.backoff_after(n).total_seconds() for n in range(1, 9)]
    assert waits == [30, 60, 120, 240, 480, 600, 600, 600]


def test_an_unreachable_mail_server_is_retried_with_backoff_then_failed(booked, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    settings.REMINDER_MAX_ATTEMPTS = 4
    moment = booked.scheduled_start - timedelta(hours=2)
    waits = []
    for attempt in range(1, 5):
        with at(moment):
            assert dispatch_and_send() == (["pending"] if attempt < 4 else ["failed"])
        reminder = the_reminder(booked)
        assert reminder.attempts == attempt
        if attempt < 4:
            assert reminder.state == State.PENDING
            assert reminder.reason == "mail server unreachable (ConnectionRefusedError)"
            waits.append((reminder.next_attempt_at - moment).total_seconds())
            with at(reminder.next_attempt_at - timedelta(seconds=1)):
                assert dispatch_and_send() == []  # not before the wait is over
            moment = reminder.next_attempt_at
    assert waits == [30, 60, 120]
    assert reminder.state == State.FAILED
    assert (
        reminder.reason == "mail server unreachable (ConnectionRefusedError); gave up after 4 tries"
    )


def test_a_refused_address_fails_at_once_with_the_reason(booked, patient, smtp_mail, outbox):
    smtp_mail.refuse.add(patient.email)
    with at(booked.scheduled_start - timedelta(hours=2)):
        assert dispatch_and_send() == ["failed"]
    reminder = the_reminder(booked)
    assert reminder.reason == "recipient refused by the mail server (550)"
    assert reminder.attempts == 1
    assert patient.email not in reminder.reason


def test_a_busy_mail_server_is_tried_again_and_then_delivers(booked, smtp_mail):
    smtp_mail.down = True
    moment = booked.scheduled_start - timedelta(hours=2)
    with at(moment):
        assert dispatch_and_send() == ["pending"]
    assert the_reminder(booked).reason == "recipient refused by the mail server, for now (451)"
    smtp_mail.down = False
    with at(moment + timedelta(seconds=30)):
        assert dispatch_and_send() == ["sent"]
    assert len(smtp_mail) == 1
    reminder = the_reminder(booked)
    assert reminder.attempts == 2 and reminder.reason == ""


def test_the_sweep_requeues_rows_left_in_sending_by_a_crash(booked, settings):
    settings.REMINDER_SWEEP_SECONDS = 300
    due = booked.scheduled_start - timedelta(hours=2)
    lost: list[int] = []
    with at(due):
        reminders.reminders_dispatch(enqueue=lost.append)  # the messages never arrive
    requeued: list[int] = []
    with at(due + timedelta(seconds=299)):
        assert reminders.reminders_sweep(enqueue=requeued.append) == 0
    with at(due + timedelta(seconds=301)):
        assert reminders.reminders_sweep(enqueue=requeued.append) == 1
        assert reminders.reminders_sweep(enqueue=requeued.append) == 0  # once per timeout
        assert requeued == lost
        assert reminders.reminder_deliver(reminder_id=requeued[0]) == "sent"


def test_the_sweep_leaves_a_reminder_whose_send_is_still_running(booked, settings):
    settings.REMINDER_SWEEP_SECONDS = 300
    due = booked.scheduled_start - timedelta(hours=2)
    queued: list[int] = []
    with at(due):
        reminders.reminders_dispatch(enqueue=queued.append)
    Reminder.objects.filter(pk=queued[0]).update(lease_until=due + timedelta(seconds=600))
    with at(due + timedelta(seconds=400)):
        assert reminders.reminders_sweep(enqueue=queued.append) == 0
    with at(due + timedelta(seconds=601)):
        assert reminders.reminders_sweep(enqueue=queued.append) == 1


def test_when_the_broker_refuses_the_dispatcher_hands_rows_back(booked, patient):
    with at(NOW):
        other = open_course(make_patient(patient.therapist), start=date(2026, 6, 3))
    due = booked.scheduled_start - timedelta(hours=2)
    published = []

    def broker_goes_away_after_one(pk):
        if published:
            raise ConnectionError("broker unreachable")
        published.append(pk)

    with at(due):
        assert reminders.reminders_dispatch(enqueue=broker_goes_away_after_one) == 1
    states = Reminder.objects.filter(send_at=due).values_list("state", flat=True)
    assert sorted(states) == [State.PENDING, State.SENDING]
    with at(due + timedelta(minutes=1)):
        assert dispatch_and_send() == ["sent"]
    assert other.sessions.exists()


def test_the_celery_tasks_run_the_whole_chain(booked, outbox):
    celery_app.conf.task_always_eager = True
    try:
        with at(booked.scheduled_start - timedelta(hours=2)):
            tasks.dispatch_due_reminders.apply()
            tasks.sweep_stuck_reminders.apply()
    finally:
        celery_app.conf.task_always_eager = False
    assert len(outbox) == 1
    assert the_reminder(booked).state == State.SENT


# --- Daylight saving time --------------------------------------------------------------------


def simulate_beat(start: datetime, end: datetime) -> None:
    """Run the dispatcher every minute on the minute from `start` to `end`, as beat does."""
    with time_machine.travel(start, tick=False) as clock:
        moment = start
        while moment <= end:
            clock.move_to(moment)
            dispatch_and_send()
            moment += timedelta(minutes=1)


DST_CASES = {
    # zone: (booked at, [(first day, local time, expected first, expected second, text)])
    "America/New_York": (
        datetime(2026, 3, 6, 17, 0, tzinfo=UTC),
        [
            # Clocks go forward at 02:00 on Sunday 8 March: 03:30 EDT is 07:30 UTC.
            (date(2026, 3, 8), "03:30", "2026-03-07 07:30", "2026-03-08 05:30", "03:30 (EDT)"),
            (date(2026, 3, 8), "09:00", "2026-03-07 13:00", "2026-03-08 11:00", "09:00 (EDT)"),
        ],
    ),
    "America/New_York autumn": (
        datetime(2026, 10, 30, 16, 0, tzinfo=UTC),
        [
            # Clocks go back at 02:00 on Sunday 1 November: 01:30 happens twice; it is the
            # first 01:30 (EDT) that is booked.
            (date(2026, 11, 1), "01:30", "2026-10-31 05:30", "2026-11-01 03:30", "01:30 (EDT)"),
            (date(2026, 11, 1), "10:00", "2026-10-31 15:00", "2026-11-01 13:00", "10:00 (EST)"),
        ],
    ),
    "Europe/London": (
        datetime(2026, 3, 27, 12, 0, tzinfo=UTC),
        [
            # Clocks go forward at 01:00 on Sunday 29 March.
            (date(2026, 3, 29), "02:30", "2026-03-28 01:30", "2026-03-28 23:30", "02:30 (BST)"),
            (date(2026, 3, 29), "10:00", "2026-03-28 09:00", "2026-03-29 07:00", "10:00 (BST)"),
        ],
    ),
    "Europe/London autumn": (
        datetime(2026, 10, 23, 12, 0, tzinfo=UTC),
        [
            # Clocks go back at 02:00 on Sunday 25 October: the first 01:30 is BST.
            (date(2026, 10, 25), "01:30", "2026-10-24 00:30", "2026-10-24 22:30", "01:30 (BST)"),
            (date(2026, 10, 25), "10:00", "2026-10-24 10:00", "2026-10-25 08:00", "10:00 (GMT)"),
        ],
    ),
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("case", sorted(DST_CASES))
def test_reminders_around_the_2026_clock_changes_go_once_at_the_right_instant(
    case, clinic, therapist, outbox
):
    from datetime import time

    zone_name = case.split()[0]
    booked_at, bookings = DST_CASES[case]
    clinic.timezone = zone_name
    clinic.save()
    expected = {}
    with time_machine.travel(booked_at, tick=False):
        for day, local, first, second, shown in bookings:
            patient = make_patient(therapist, email=f"{local.replace(':', '')}@example.org")
            course = services.course_open(
                by=therapist,
                patient=patient,
                therapist=therapist,
                planned_sessions=12,
                start_date=day,
                usual_weekday=day.weekday(),
                usual_time=time.fromisoformat(local),
                session_minutes=50,
                indication="Moderate depression",
            )
            session = course.sessions.get(number=1)
            expected[(session.pk, "first")] = (utc(first), shown)
            expected[(session.pk, "second")] = (utc(second), shown)
    last = max(moment for moment, _ in expected.values())
    simulate_beat(booked_at, last + timedelta(minutes=2))

    by_key = {}
    for message in outbox:
        by_key.setdefault(reminder_key_of(message), []).append(message)
    for (session_pk, kind), (instant, shown) in expected.items():
        reminder = Reminder.objects.get(session_id=session_pk, kind=kind)
        assert reminder.send_at == instant, (case, kind)
        assert reminder.state == State.SENT
        assert reminder.sent_at == instant  # on the first beat at or after its instant
        messages = by_key[reminder.public_key.hex]
        assert len(messages) == 1, f"{case} {kind}: sent {len(messages)} times"
        assert f"at {shown}" in messages[0].body
    assert len(outbox) == len(expected)


def reminder_key_of(message) -> str:
    class Headers:
        def __getitem__(self, name):
            return message.extra_headers[name]

    return reminder_key(Headers())


def test_the_opt_out_header_is_a_plain_url_however_long():
    """As sent over SMTP: an RFC 2047-encoded List-Unsubscribe is not a URL to mail programs,
    which then offer no one-click unsubscribe."""
    import email.policy
    from zoneinfo import ZoneInfo

    from sessions.channels import EmailChannel, ReminderMessage

    starts = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    url = "https://appointments.clinic-with-a-long-name.example.org/reminders/stop/" + "k" * 90
    message = ReminderMessage(
        clinic_name="Test Clinic",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=50),
        contact_phone="020 7946 0000",
        contact_email="",
        opt_out_url=url,
        calendar_uid="uid@appointments",
        calendar_sequence=1,
    )
    built = EmailChannel().build(to="someone@example.org", message=message)
    raw = built.message(policy=email.policy.SMTP).as_bytes()  # as Django's SMTP backend does
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
    assert b"=?utf-8?" not in raw
