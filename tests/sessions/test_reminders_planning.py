"""Booking, moving and cancelling sessions writes, moves and cancels their reminder rows."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions import services
from sessions.models import Reminder
from tests.conftest import attend, open_course

State = Reminder.State
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a Monday; London is on BST (UTC+1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def rows(session):
    return {r.kind: r for r in Reminder.objects.filter(session=session)}


def test_booking_writes_both_reminders_of_every_session(patient):
    course = open_course(patient, start=date(2026, 6, 3))  # Wednesdays at 10:00 London
    assert Reminder.objects.count() == 24
    first = course.sessions.get(number=1)
    start = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    assert first.scheduled_start == start
    reminders = rows(first)
    assert reminders["first"].send_at == start - timedelta(hours=24)
    assert reminders["second"].send_at == start - timedelta(hours=2)
    assert {r.state for r in reminders.values()} == {State.PENDING}
    assert reminders["first"].lead_hours == 24 and reminders["second"].lead_hours == 2


def test_a_reminder_whose_time_has_passed_at_booking_is_skipped(patient):
    # Session 1 today at 10:00 London = 09:00 UTC, one hour from now.
    course = open_course(patient, start=date(2026, 6, 1))
    reminders = rows(course.sessions.get(number=1))
    assert reminders["first"].state == State.SKIPPED
    assert reminders["second"].state == State.SKIPPED
    assert "less than 24 hours" in reminders["first"].reason
    assert rows(course.sessions.get(number=2))["first"].state == State.PENDING


def test_past_sessions_booked_retrospectively_get_no_pending_reminders(patient):
    course = open_course(patient, start=date(2026, 5, 4))
    past = Reminder.objects.filter(session__scheduled_start__lt=NOW)
    assert past.count() == 8
    assert set(past.values_list("state", flat=True)) == {State.SKIPPED}
    assert set(past.values_list("reason", flat=True)) == {
        "the session was already past when booked"
    }
    assert course.sessions.filter(scheduled_start__gt=NOW).count() == 8


def test_a_clinic_without_a_second_reminder_writes_one(patient, clinic):
    clinic.second_reminder_lead_hours = 0
    clinic.save()
    open_course(patient, start=date(2026, 6, 3))
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"first"}


def test_one_row_per_session_and_kind(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    reminder = Reminder.objects.filter(session__course=course).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            session=reminder.session,
            kind=reminder.kind,
            lead_hours=5,
            send_at=NOW,
            next_attempt_at=NOW,
        )


def reschedule(session, new_start):
    return services.session_reschedule(
        by=session.course.therapist,
        session=session,
        new_start=new_start,
        planned_minutes=session.planned_minutes,
    )


def test_moving_a_session_moves_its_reminders(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    new_start = datetime(2026, 6, 4, 15, 30, tzinfo=UTC)
    reschedule(session, new_start)
    reminders = rows(session)
    assert reminders["first"].send_at == new_start - timedelta(hours=24)
    assert reminders["first"].next_attempt_at == new_start - timedelta(hours=24)
    assert reminders["second"].send_at == new_start - timedelta(hours=2)
    assert Reminder.objects.count() == 24


def test_moving_a_session_closer_skips_the_reminder_now_too_late(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    reschedule(session, NOW + timedelta(hours=5))
    reminders = rows(session)
    assert reminders["first"].state == State.SKIPPED
    assert reminders["second"].state == State.PENDING
    assert reminders["second"].send_at == NOW + timedelta(hours=3)


def test_moving_a_session_after_its_reminder_went_out_sends_a_new_one(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    Reminder.objects.filter(session=session, kind="first").update(state=State.SENT, sent_at=NOW)
    reschedule(session, session.scheduled_start + timedelta(days=1))
    first = rows(session)["first"]
    assert first.state == State.PENDING and first.sent_at is None and first.attempts == 0


def test_saving_a_session_at_the_same_time_does_not_resend(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    Reminder.objects.filter(session=session, kind="first").update(state=State.SENT, sent_at=NOW)
    reschedule(session, session.scheduled_start)  # only the planned minutes could change
    assert rows(session)["first"].state == State.SENT


def test_cancelling_a_session_cancels_its_pending_reminders_only(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    Reminder.objects.filter(session=session, kind="first").update(state=State.SENT, sent_at=NOW)
    services.session_record_attendance(
        by=patient.therapist,
        session=session,
        attendance="cancelled",
        cancelled_by="patient",
        cancellation_reason="unwell",
    )
    reminders = rows(session)
    assert reminders["first"].state == State.SENT
    assert reminders["second"].state == State.CANCELLED
    assert reminders["second"].reason == "session marked cancelled"
    assert "unwell" not in reminders["second"].reason  # the patient's reasons stay out


def test_a_reminder_on_its_way_is_cancelled_too(patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    Reminder.objects.filter(session=session).update(state=State.SENDING, claimed_at=NOW)
    services.session_record_attendance(
        by=patient.therapist,
        session=session,
        attendance="cancelled",
        cancelled_by="clinic",
    )
    assert {r.state for r in rows(session).values()} == {State.CANCELLED}


def test_attending_cancels_what_is_left(frozen, patient):
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    frozen.move_to(session.scheduled_start + timedelta(minutes=5))
    # Both reminders were due before the session; say one was never sent (workers down).
    Reminder.objects.filter(session=session, kind="first").update(state=State.SENT, sent_at=NOW)
    attend(session)
    reminders = rows(session)
    assert reminders["first"].state == State.SENT
    assert reminders["second"].state == State.CANCELLED


def test_shortening_the_contract_cancels_the_reminders_beyond_it(patient):
    course = open_course(patient, planned=16, start=date(2026, 6, 3))
    services.course_renegotiate(
        by=patient.therapist,
        course=course,
        new_planned=12,
        reason="agreed",
        agreed_with_patient=True,
        changed_on=NOW.date(),
    )
    beyond = Reminder.objects.filter(session__number__gt=12)
    assert beyond.count() == 8
    assert set(beyond.values_list("state", flat=True)) == {State.CANCELLED}
    assert set(beyond.values_list("reason", flat=True)) == {"contract shortened"}
    within = Reminder.objects.filter(session__number__lte=12)
    assert set(within.values_list("state", flat=True)) == {State.PENDING}


def test_lengthening_the_contract_books_reminders_for_new_and_rebooked_sessions(patient):
    course = open_course(patient, planned=12, start=date(2026, 6, 3))
    actor = patient.therapist
    for new_planned in (13, 12, 14):  # 13 is booked, cancelled, then booked again
        services.course_renegotiate(
            by=actor,
            course=course,
            new_planned=new_planned,
            reason="agreed",
            agreed_with_patient=True,
            changed_on=NOW.date(),
        )
    for number in (13, 14):
        session = course.sessions.get(number=number)
        reminders = rows(session)
        assert {r.state for r in reminders.values()} == {State.PENDING}
        assert reminders["second"].send_at == session.scheduled_start - timedelta(hours=2)
    assert Reminder.objects.count() == 28


def test_ending_a_course_cancels_every_pending_reminder(patient):
    # (Completing a course goes through the same step: services._cancel_remaining.)
    course = open_course(patient, start=date(2026, 5, 13))
    actor = patient.therapist
    for session in course.sessions.filter(scheduled_start__lt=NOW):
        attend(session)
    services.course_end_early(by=actor, course=course, reason="moved away", ended_on=NOW.date())
    assert not Reminder.objects.open().exists()
    cancelled = Reminder.objects.filter(state=State.CANCELLED)
    assert cancelled.count() == 18
    assert set(cancelled.values_list("reason", flat=True)) == {"course ended early"}


def test_sessions_booked_in_new_york_across_the_change_to_summer_time(clinic, patient):
    clinic.timezone = "America/New_York"
    clinic.save()
    # Saturdays 10:00 from 7 March 2026; clocks go forward on Sunday 8 March at 02:00.
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        course = open_course(patient, start=date(2026, 3, 7))
    one, two = course.sessions.filter(number__in=[1, 2]).order_by("number")
    assert one.scheduled_start == datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # EST, UTC-5
    assert two.scheduled_start == datetime(2026, 3, 14, 14, 0, tzinfo=UTC)  # EDT, UTC-4
    # 24 hours of elapsed time before: the reminder of session 2 falls at 10:00 EDT on Friday.
    assert rows(two)["first"].send_at == datetime(2026, 3, 13, 14, 0, tzinfo=UTC)
    assert timezone.localtime(rows(two)["first"].send_at, clinic.zone).hour == 10


def test_planning_does_not_depend_on_the_server_time_zone(settings, patient):
    settings.TIME_ZONE = "Asia/Tokyo"
    course = open_course(patient, start=date(2026, 6, 3))
    session = course.sessions.get(number=1)
    assert rows(session)["second"].send_at == datetime(2026, 6, 3, 7, 0, tzinfo=UTC)
