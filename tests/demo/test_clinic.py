"""The clinical demo that `seed_demo` adds: idempotent, and clinically coherent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.answers import gad7_answers, phq9_answers
from demo.clinic import seed_clinical_demo
from ipt_clinic.accounts.models import AuditEvent, Clinic
from patients.models import Patient
from sessions.models import Course, Measure, Technique, TherapySession
from sessions.phases import Phase, phase_for

Attendance = TherapySession.Attendance


def _counts() -> dict[str, int]:
    return {
        "patients": Patient.objects.count(),
        "courses": Course.objects.count(),
        "sessions": TherapySession.objects.count(),
        "measures": Measure.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")


def _phq9(course: Course) -> list[Measure]:
    return list(course.measures.phq9().order_by("administered_on", "pk"))


def _next_phase(course: Course) -> Phase:
    number = course.sessions.upcoming().order_by("number").values_list("number", flat=True)[0]
    return phase_for(number, course.planned_sessions)


def test_seeding_twice_changes_nothing(seeded):
    first = _counts()
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")
    assert _counts() == first
    assert first["patients"] == 10
    assert first["courses"] == 9


def test_each_phase_and_status_is_represented(seeded):
    demo = Clinic.objects.get(name="Demo Clinic")
    main = Course.objects.filter(therapist__email="therapist@clinic.example")
    running = [
        c for c in main.filter(status=Course.Status.ACTIVE) if c.sessions.upcoming().exists()
    ]
    phases = sorted(_next_phase(course) for course in running)
    assert phases == [Phase.INITIAL, Phase.MIDDLE, Phase.MIDDLE, Phase.TERMINATION]
    initial = next(c for c in running if _next_phase(c) == Phase.INITIAL)
    assert initial.sessions.upcoming().order_by("number").first().number == 2

    # Held to its last session four weeks ago (inventory's seeder completes it: the test is
    # in tests/inventory/test_demo_data.py).
    finished = main.get(patient__record_number="DEMO-0005")
    assert not finished.sessions.upcoming().exists()
    assert finished.sessions.held().count() == finished.planned_sessions
    assert finished.sessions.held().order_by("number").last().scheduled_start < (
        timezone.now() - timedelta(days=21)
    )

    planned = main.get(status=Course.Status.PLANNED)
    assert not planned.sessions.exclude(attendance=Attendance.SCHEDULED).exists()
    assert planned.sessions.order_by("number").first().scheduled_start > timezone.now()

    archived = Patient.objects.get(clinic=demo, status=Patient.Status.ARCHIVED)
    assert archived.archived_at is not None
    assert not archived.courses.exists()

    second = "therapist2@clinic.example"
    assert Patient.objects.filter(therapist__email=second).count() == 3
    assert Course.objects.filter(therapist__email=second, status=Course.Status.ACTIVE).count() == 3
    assert not Patient.objects.filter(clinic__name="Other Clinic").exists()


def test_courses_are_consistent_with_their_sessions(seeded):
    now = timezone.now()
    for course in Course.objects.all():
        sessions = list(course.sessions.order_by("number"))
        assert len(sessions) == course.planned_sessions
        held = [s for s in sessions if s.attendance == Attendance.ATTENDED]
        if course.status == Course.Status.PLANNED:
            assert not held
        else:
            assert held, course.patient
        for session in sessions:
            if session.attendance in (Attendance.ATTENDED, Attendance.NO_SHOW):
                assert session.scheduled_start < now
        for session in held:
            assert session.actual_minutes
            assert session.progress_note.strip()
            assert set(session.techniques) <= set(Technique.values)
            phase = phase_for(session.number, course.planned_sessions)
            if phase == Phase.INITIAL:
                assert session.symptom_review and session.inventory_progress
            elif phase == Phase.MIDDLE:
                assert session.problem_area_work and session.techniques
            else:
                assert session.gains_reviewed and session.relapse_plan
                assert session.termination_raised
        # Held sessions before the latest one are all signed, by the course's therapist.
        for session in held[:-1]:
            assert session.signed_by_id == course.therapist_id
            assert session.signed_at is not None
    statuses = TherapySession.objects.values_list("attendance", flat=True)
    assert Attendance.NO_SHOW in statuses
    cancelled = TherapySession.objects.filter(
        attendance=Attendance.CANCELLED, cancelled_by="patient"
    )
    assert cancelled.exclude(cancellation_reason="").exists()


def test_phq9_trajectories(seeded):
    courses = Course.objects.exclude(status=Course.Status.PLANNED)
    change = {}
    for course in courses:
        phq9 = _phq9(course)
        assert len(phq9) >= 2
        assert phq9[0].session is None  # the baseline at the assessment
        change[course.patient.record_number] = (phq9[0].total, phq9[-1].total)
    responders = [k for k, (first, last) in change.items() if last <= first / 2]
    non_responders = [k for k, (first, last) in change.items() if last > first * 0.75]
    assert change["DEMO-0002"] == (19, 8)
    assert "DEMO-0002" in responders
    assert "DEMO-0003" in non_responders
    assert Course.objects.filter(measures__kind="gad7", measures__session__isnull=False).exists()


def test_self_harm_item_is_followed_up(seeded):
    positive = Measure.objects.phq9().filter(item_9__gt=0)
    assert positive.exists()
    for measure in positive:
        assert measure.session is not None
        assert measure.session.risk_check_note.strip()


def test_every_total_is_the_sum_of_its_items(seeded):
    measures = list(Measure.objects.all())
    assert len(measures) > 40
    for measure in measures:
        assert measure.total == sum(measure.items)
        if measure.kind == Measure.Kind.PHQ9:
            assert measure.difficulty is not None
        else:
            assert measure.item_8 is None and measure.item_9 is None
        if measure.session is not None:
            assert measure.session.attendance == Attendance.ATTENDED
            assert measure.session.course_id == measure.course_id


def test_patients_look_real_but_fictional(seeded):
    today = timezone.localdate()
    for patient in Patient.objects.all():
        assert patient.record_number.startswith("DEMO-")
        assert patient.date_of_birth < today
        assert patient.email.endswith("@example.org")
        patient.full_clean()
    assert Patient.objects.filter(reminder_consent=True).exists()
    assert Patient.objects.filter(reminder_consent=False).exists()


def test_the_sessions_seeder_returns_its_new_courses_and_completes_none(therapist, colleague):
    courses = seed_clinical_demo(therapist=therapist, therapist2=colleague)
    assert sorted(courses) == [f"DEMO-{n:04d}" for n in (1, 2, 3, 4, 5, 6, 8, 9, 10)]
    assert all(isinstance(course, Course) for course in courses.values())
    assert not Course.objects.exclude(status__in=Course.OPEN_STATUSES).exists()
    finished = courses["DEMO-0005"]
    finished.refresh_from_db()
    assert finished.status == Course.Status.ACTIVE
    assert finished.sessions.held().count() == finished.planned_sessions
    assert seed_clinical_demo(therapist=therapist, therapist2=colleague) == {}


@pytest.mark.parametrize("total", range(28))
def test_phq9_answers_add_up(total):
    answers = phq9_answers(total, item_9=max(total - 24, 1 if total else 0))
    assert sum(v for k, v in answers.items() if k.startswith("item_")) == total
    assert all(0 <= v <= 3 for v in answers.values())


@pytest.mark.parametrize("total", range(22))
def test_gad7_answers_add_up(total):
    answers = gad7_answers(total)
    assert sorted(answers) == [f"item_{n}" for n in range(1, 8)]
    assert sum(answers.values()) == total


def test_the_demo_shows_each_clinical_state(seeded):
    """#15: an open risk with a safety plan, an acknowledged alert, a partial responder, a
    deteriorating course, overdue measures; no demo course is flagged for initial tasks."""
    from oversight import store
    from risk.models import RiskAlert, RiskEpisode, SafetyPlan
    from sessions.outcomes import course_outcome

    def course_of(record_number):
        return Course.objects.get(patient__record_number=record_number)

    def outcome(record_number):
        course = course_of(record_number)
        return course_outcome(course.measures.order_by("administered_on", "pk"))

    episode = RiskEpisode.objects.open().get()
    assert SafetyPlan.objects.filter(episode=episode).exists()
    assert RiskAlert.objects.filter(episode=episode, acknowledged_at__isnull=False).exists()
    assert outcome("DEMO-0008").phq9.label == "partial response"
    assert outcome("DEMO-0010").phq9.label == "reliable deterioration"
    assert outcome("DEMO-0010").gad7.reliable_deterioration
    now = timezone.now()
    courses = Course.objects.open()
    overdue = courses.filter(store.raised("measures_overdue", now))
    assert list(overdue.values_list("patient__record_number", flat=True)) == ["DEMO-0009"]
    assert not courses.filter(store.raised("initial_tasks_open", now)).exists()
