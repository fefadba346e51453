"""seed_demo --scale: a large clinic written in bulk that keeps the rules the services keep."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from demo.scale import clinic_name, scale_size, therapist_email
from inventory.models import (
    Area,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)
from ipt_clinic.accounts.access import supervisees_for
from ipt_clinic.accounts.models import AuditEvent, Clinic, User
from oversight.models import NoteReview
from patients.models import Patient
from sessions.models import Course, Measure, TherapySession
from sessions.phases import Phase, phase_for

SCALE = 0.02


def seed(scale=SCALE) -> str:
    out = StringIO()
    call_command("seed_demo", "--force", "--scale", str(scale), stdout=out)
    return out.getvalue()


@pytest.fixture
def clinic(db) -> Clinic:
    seed()
    return Clinic.objects.get(name=clinic_name(SCALE))


def in_clinic(model, clinic, path="course__patient__clinic"):
    return model.objects.filter(**{path: clinic})


def test_counts_follow_the_scale(db):
    seed(SCALE)
    seed(SCALE * 2)
    small, large = (Clinic.objects.get(name=clinic_name(n)) for n in (SCALE, SCALE * 2))
    for clinic, n in ((small, SCALE), (large, SCALE * 2)):
        size = scale_size(n)
        courses = Course.objects.filter(patient__clinic=clinic)
        assert courses.count() == size.courses
        assert User.objects.filter(clinic=clinic, is_therapist=True).count() == size.therapists
        sessions = in_clinic(TherapySession, clinic).count()
        assert 12 * size.courses <= sessions <= 16 * size.courses
        assert set(courses.values_list("status", flat=True)) == set(Course.Status.values)
    assert (
        Course.objects.filter(patient__clinic=large).count()
        == 2 * Course.objects.filter(patient__clinic=small).count()
    )
    assert not AuditEvent.objects.exists()  # nothing happened through the application


def test_a_second_run_refuses_and_changes_nothing(clinic):
    courses = Course.objects.count()
    assert "exists already" in seed()
    assert Course.objects.count() == courses


def test_every_phase_and_attendance_appears(clinic):
    courses = Course.objects.filter(patient__clinic=clinic)
    for status in Course.Status.values:
        assert courses.filter(status=status).exists(), status
    attendance = set(in_clinic(TherapySession, clinic).values_list("attendance", flat=True))
    assert attendance == set(TherapySession.Attendance.values)
    held = in_clinic(TherapySession, clinic).filter(attendance="attended")
    phases = {phase_for(s.number, s.course.planned_sessions) for s in held.select_related("course")}
    assert phases == set(Phase)
    assert held.filter(signed_at__isnull=False).count() > 0.8 * held.count()
    assert held.filter(termination_raised=True).exists()


def test_measure_totals_are_the_sums_of_their_items(clinic):
    measures = in_clinic(Measure, clinic)
    assert measures.filter(kind="phq9").exists() and measures.filter(kind="gad7").exists()
    for measure in measures:
        assert measure.total == sum(measure.items)
        assert all(0 <= answer <= 3 for answer in measure.items)
    # One opening PHQ-9 per course, and session measures only at attended sessions.
    assert measures.filter(kind="phq9", session__isnull=True).count() == scale_size(SCALE).courses
    assert not measures.filter(session__isnull=False).exclude(session__attendance="attended")
    assert not measures.exclude(session__isnull=True).exclude(session__course=F("course"))


def test_sessions_keep_the_rules_of_the_services(clinic):
    sessions = in_clinic(TherapySession, clinic)
    # A note is signed only when the session was held, has a progress note, and a risk check
    # whenever PHQ-9 item 9 was above 0.
    signed = sessions.filter(signed_at__isnull=False)
    assert not signed.exclude(attendance="attended")
    assert not signed.filter(progress_note="")
    assert not signed.filter(measures__kind="phq9", measures__item_9__gt=0, risk_check_note="")
    assert not signed.filter(signed_by__isnull=True)
    assert not sessions.filter(scheduled_start__gt=timezone.now()).exclude(
        attendance__in=["scheduled", "cancelled"]
    )
    # An active course has had a session; a closed one has nothing left scheduled.
    courses = Course.objects.filter(patient__clinic=clinic)
    assert not courses.filter(status="active").exclude(sessions__attendance="attended")
    assert not courses.filter(
        status__in=["completed", "ended_early"], sessions__attendance="scheduled"
    )
    # A completed course held a termination-phase session and has its termination review.
    for course in courses.filter(status="completed"):
        held = course.sessions.filter(attendance="attended").values_list("number", flat=True)
        assert any(phase_for(n, course.planned_sessions) == Phase.TERMINATION for n in held)
    completed = courses.filter(status="completed").count()
    assert in_clinic(TerminationReview, clinic).count() == completed
    # Each patient has at most one open course (the database checks it too).
    open_per_patient = courses.open().values("patient").annotate(n=Count("pk"))
    assert max(row["n"] for row in open_per_patient) == 1


def test_inventories_and_focus_keep_their_rules(clinic):
    areas = in_clinic(ProblemArea, clinic)
    assert set(areas.values_list("area", flat=True)) == set(Area.values)
    for area in areas.select_related("deceased", "other_party"):
        area.full_clean()  # the model's own rules: grief has a deceased person of the course...
        if area.area == Area.GRIEF:
            assert area.deceased.deceased and area.deceased.course_id == area.course_id
        if area.area == Area.ROLE_DISPUTE:
            assert area.other_party.course_id == area.course_id
    assert areas.filter(rank=2).exists()
    # Every area comes with a formulation; some formulations still await the patient.
    assert not areas.exclude(course__formulation__isnull=False)
    assert in_clinic(Formulation, clinic).filter(agreed_on__isnull=False).exists()
    assert in_clinic(Relationship, clinic).exists()
    events = in_clinic(LifeEvent, clinic)
    assert not events.filter(occurred_on__gt=timezone.localdate())
    assert not events.filter(relationship__isnull=False).exclude(relationship__course=F("course"))
    goals = Goal.objects.filter(problem_area__course__patient__clinic=clinic)
    assert goals.exists()
    focus = SessionFocus.objects.filter(session__course__patient__clinic=clinic)
    assert focus.filter(problem_area__isnull=True).exists()  # some sessions drifted
    assert not focus.exclude(problem_area__isnull=True).exclude(
        problem_area__course=F("session__course")
    )
    goal_links = SessionFocus.goals.through.objects.filter(sessionfocus__in=focus)
    assert goal_links.exists()
    assert not goal_links.exclude(goal__problem_area=F("sessionfocus__problem_area"))
    assert not NoteReview.objects.filter(session__signed_at__isnull=True)


def test_every_supervisor_has_supervisees_in_the_clinic(clinic):
    supervisors = User.objects.filter(clinic=clinic, is_supervisor=True)
    assert supervisors.exists()
    for supervisor in supervisors:
        supervisees = supervisees_for(supervisor)
        assert supervisees.exists()
        assert not supervisees.exclude(clinic=clinic)
    staff = User.objects.filter(clinic=clinic)
    assert staff.filter(email=therapist_email(SCALE, 1), is_supervisor=True).exists()
    assert staff.filter(is_clinic_admin=True).exists()


def test_the_dashboard_of_a_scale_supervisor_shows_flagged_courses(clinic, client_for):
    supervisor = User.objects.get(email=therapist_email(SCALE, 1))
    client = client_for(supervisor)
    response = client.get(reverse("supervisor_home"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows and any(row["flags"] for row in rows)
    course = rows[0]["course"]
    assert client.get(reverse("sessions:course", args=[course.pk])).status_code == 200


def test_the_same_seed_on_the_same_day_gives_the_same_clinic(db):
    def fingerprint() -> list:
        courses = Course.objects.filter(patient__clinic__name=clinic_name(SCALE))
        return list(
            courses.order_by("patient__record_number").values_list(
                "patient__record_number",
                "patient__family_name",
                "status",
                "planned_sessions",
                "start_date",
            )
        ) + sorted(
            TherapySession.objects.filter(course__in=courses).values_list(
                "course__patient__record_number", "number", "attendance", "signed_at"
            )
        )

    savepoint = transaction.savepoint_create()
    seed()
    first = fingerprint()
    transaction.savepoint_rollback(savepoint)
    assert not Patient.objects.exists()
    seed()
    assert fingerprint() == first


def test_a_scale_out_of_range_is_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at most"):
        call_command("seed_demo", "--force", "--scale", "500", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("seed_demo", "--force", "--scale", "0", stdout=StringIO())


def test_scale_accounts_share_the_seed_password(db):
    call_command(
        "seed_demo", "--force", "--scale", str(SCALE), "--password", "x" * 16, stdout=StringIO()
    )
    assert User.objects.get(email=therapist_email(SCALE, 2)).check_password("x" * 16)
