"""A course's dates and texts stay within limits that make clinical sense: refused in words
beside the field, by the form and by the service alike, and never a server error."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.validation import in_words, years_after
from sessions import services
from sessions.models import Course, CourseContractChange, TherapySession
from sessions.scheduling import days_after, first_weekday_on_or_after, weekly_starts
from tests.conftest import attend, open_course
from tests.limits import WINDOW_EDGES, edge_day, too_long
from tests.sessions.test_views import course_post

FAR_DATES = ["9999-12-31", "9999-11-01", "9000-06-01", "0001-01-01", "1899-12-31"]


def clinic_today(course_or_patient) -> date:
    patient = getattr(course_or_patient, "patient", course_or_patient)
    return timezone.localdate(timezone=patient.clinic.zone)


# --- Course start -----------------------------------------------------------------------------


@pytest.mark.parametrize("far", FAR_DATES)
def test_a_far_off_start_is_refused_beside_the_field_with_the_input_kept(
    client_for, therapist, patient, far
):
    response = client_for(therapist).post(
        reverse("sessions:course_open", args=[patient.pk]),
        course_post(start_date=far, indication="Kept text"),
    )
    assert response.status_code == 200
    today = clinic_today(patient)
    assert response.context["form"].errors["start_date"] == [
        f"A course starts within a year of today: between {in_words(years_after(today, -1))} "
        f"and {in_words(years_after(today, 1))}."
    ]
    html = response.content.decode()
    assert f'value="{far}"' in html
    assert "Kept text" in html
    assert not Course.objects.exists()


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_course_starts_within_a_year_of_today(
    client_for, therapist, patient, side, offset, accepted
):
    today = clinic_today(patient)
    start = edge_day(years_after(today, -1), years_after(today, 1), side, offset)
    response = client_for(therapist).post(
        reverse("sessions:course_open", args=[patient.pk]),
        course_post(
            start_date=start.isoformat(),
            usual_weekday=str(start.weekday()),
            past_start_confirmed="on",  # a start weeks ago books past sessions: confirmed
        ),
    )
    assert (response.status_code == 302) is accepted
    assert Course.objects.filter(start_date=start).exists() is accepted


@pytest.mark.parametrize("far", [date(9999, 12, 31), date(9999, 11, 1), date(1, 1, 1)])
def test_the_service_refuses_a_far_off_start_too(patient, far):
    with pytest.raises(ValidationError) as refused:
        open_course(patient, start=far)
    assert "A course starts within a year of today" in refused.value.message_dict["start_date"][0]
    assert not TherapySession.objects.exists()


def test_a_course_opened_long_ago_stays_valid(patient):
    course = open_course(patient, start=years_after(clinic_today(patient), -1))
    course.start_date = years_after(course.start_date, -3)  # as if opened three years ago
    course.full_clean()  # the window holds when a course is opened, not for ever after


# --- Scheduling at the ends of the calendar ---------------------------------------------------


def test_the_latest_allowed_start_books_a_full_course(patient):
    course = open_course(patient, planned=16, start=years_after(clinic_today(patient), 1))
    assert course.sessions.count() == 16


@pytest.mark.parametrize(
    "book",
    [
        lambda: first_weekday_on_or_after(date(9999, 12, 31), 0),
        lambda: weekly_starts(date(9999, 11, 1), time(10, 0), timezone.get_default_timezone(), 12),
        lambda: days_after(date(1, 1, 1), -1),
    ],
    ids=["first-weekday-after-9999-12-31", "weekly-from-9999-11-01", "a-day-before-year-1"],
)
def test_booking_past_the_calendars_end_is_a_refusal_not_an_overflow(book):
    with pytest.raises(ValidationError, match="cannot be booked that far"):
        book()


# --- Moving a session -------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_session_moves_within_a_year_back_and_two_ahead(
    client_for, therapist, course, side, offset, accepted
):
    today = clinic_today(course)
    day = edge_day(years_after(today, -1), years_after(today, 2), side, offset)
    # The first session can move back as far as it likes, the last one forward.
    session = course.sessions.get(number=1 if side == "earliest" else course.planned_sessions)
    response = client_for(therapist).post(
        reverse("sessions:session_reschedule", args=[session.pk]),
        {"day": day.isoformat(), "at": "10:00", "planned_minutes": "50"},
    )
    assert (response.status_code == 302) is accepted
    if not accepted:
        assert (
            "A session moves to a day from a year ago to two years ahead"
            in (response.context["form"].errors["day"][0])
        )
        assert day.isoformat() in response.content.decode()


@pytest.mark.parametrize("far", FAR_DATES)
@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Pacific/Kiritimati"])
def test_a_far_off_day_to_move_to_is_refused_in_any_time_zone(
    client_for, therapist, course, far, zone
):
    # West and east of UTC, 23:30 on 31 Dec 9999 or 00:30 on 1 Jan 0001 lies outside the
    # calendar in UTC: the window refuses the day before any conversion is tried.
    therapist.clinic.timezone = zone
    therapist.clinic.save()
    session = course.sessions.get(number=8)
    for at in ("00:30", "23:30"):
        response = client_for(therapist).post(
            reverse("sessions:session_reschedule", args=[session.pk]),
            {"day": far, "at": at, "planned_minutes": "50", "move_later": "on"},
        )
        assert response.status_code == 200
        assert "day" in response.context["form"].errors


def test_the_service_refuses_a_far_off_day_too(course):
    session = course.sessions.get(number=8)
    zone = course.patient.clinic.zone
    with pytest.raises(ValidationError) as refused:
        services.session_reschedule(
            by=course.therapist,
            session=session,
            new_start=datetime(9000, 6, 1, 10, 0, tzinfo=zone),
            planned_minutes=50,
            move_later=True,
        )
    assert "from a year ago to two years ahead" in refused.value.message_dict["day"][0]


# --- Contract changes -------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_contract_change_is_dated_from_a_year_before_the_start_until_today(
    course, side, offset, accepted
):
    changed_on = edge_day(years_after(course.start_date, -1), clinic_today(course), side, offset)

    def renegotiate():
        return services.course_renegotiate(
            by=course.therapist,
            course=course,
            new_planned=14,
            reason="More time for the dispute",
            agreed_with_patient=True,
            changed_on=changed_on,
        )

    if accepted:
        assert renegotiate().changed_on == changed_on
    else:
        with pytest.raises(ValidationError) as refused:
            renegotiate()
        assert (
            "is dated from a year before the course's start until today"
            in (refused.value.message_dict["changed_on"][0])
        )
        assert not CourseContractChange.objects.exists()


def test_a_far_off_contract_date_is_shown_beside_the_field(client_for, therapist, course):
    response = client_for(therapist).post(
        reverse("sessions:course_contract", args=[course.pk]),
        {"new_planned": "14", "changed_on": "9999-12-31", "reason": "Kept reason"},
    )
    assert response.status_code == 200
    assert "A contract change is dated" in response.context["form"].errors["changed_on"][0]
    assert "Kept reason" in response.content.decode()


# --- Length of free text ----------------------------------------------------------------------


def test_a_note_saved_by_the_service_keeps_to_its_limit(first_session):
    session = attend(first_session)
    note = {"progress_note": "x" * 20_001}
    with pytest.raises(ValidationError) as refused:
        services.session_note_save(by=session.course.therapist, session=session, fields=note)
    assert refused.value.message_dict["progress_note"] == [too_long(20_000)]


@pytest.mark.parametrize("length", [2_001, 1_000_001])
def test_a_too_long_indication_is_refused_beside_the_field(client_for, therapist, patient, length):
    response = client_for(therapist).post(
        reverse("sessions:course_open", args=[patient.pk]),
        course_post(indication="x" * length),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["indication"] == [
        f"Ensure this value has at most 2000 characters (it has {length})."
    ]
    assert not Course.objects.exists()


def test_the_form_tells_the_browser_the_limit(client_for, therapist, patient):
    html = client_for(therapist).get(reverse("sessions:course_open", args=[patient.pk]))
    assert 'maxlength="2000"' in html.content.decode()


def test_a_moved_date_never_leaves_the_calendar_for_later_sessions(course):
    # Postponing by as much as the window allows keeps every later session bookable.
    session = course.sessions.get(number=1)
    zone = course.patient.clinic.zone
    latest = years_after(clinic_today(course), 2)
    services.session_reschedule(
        by=course.therapist,
        session=session,
        new_start=datetime.combine(latest, time(10, 0), tzinfo=zone),
        planned_minutes=50,
        move_later=True,
    )
    last = course.sessions.get(number=course.planned_sessions)
    assert timezone.localtime(last.scheduled_start, zone).date() == latest + timedelta(weeks=11)
