"""The IPT side of the demo that `seed_demo` adds: idempotent, and clinically coherent."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import (
    Area,
    DisputeStageChange,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)
from inventory.selectors import inventory_suggestions
from ipt_clinic.accounts.models import AuditEvent
from sessions.models import Course, TherapySession
from sessions.phases import Phase

MODELS = [
    Relationship,
    LifeEvent,
    Formulation,
    ProblemArea,
    DisputeStageChange,
    Goal,
    SessionFocus,
    TerminationReview,
]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["audit"] = AuditEvent.objects.count()
    counts["completed"] = Course.objects.filter(status=Course.Status.COMPLETED).count()
    return counts


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")


def _primary(area: str) -> list[ProblemArea]:
    return list(
        ProblemArea.objects.filter(area=area, rank=ProblemArea.Rank.PRIMARY).select_related(
            "course", "deceased", "other_party"
        )
    )


def _day(session: TherapySession):
    return timezone.localtime(session.scheduled_start, session.course.patient.clinic.zone).date()


def test_seeding_twice_creates_nothing_new(seeded):
    first = _counts()
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")
    assert _counts() == first
    assert first["completed"] == 1
    assert first["Formulation"] == 6


def test_each_area_is_a_primary_focus(seeded):
    primaries = ProblemArea.objects.filter(rank=ProblemArea.Rank.PRIMARY)
    assert set(primaries.values_list("area", flat=True)) == set(Area.values)


def test_every_course_has_an_inventory_and_a_timeline(seeded):
    today = timezone.localdate()
    for course in Course.objects.select_related("patient"):
        people = list(course.relationships.current())
        assert 4 <= len(people) <= 7, course.patient
        assert {p.ring for p in people} & {1}, course.patient
        events = list(course.life_events.select_related("relationship"))
        assert len(events) >= 4, course.patient
        assert any(e.kind == LifeEvent.Kind.SYMPTOMS for e in events), course.patient
        assert any(e.relationship_id for e in events), course.patient
        for event in events:
            assert event.occurred_on <= today
            assert event.relationship is None or event.relationship.course_id == course.pk


def test_formulation_after_session_3_only(seeded):
    for course in Course.objects.select_related("patient__clinic"):
        session_3 = course.sessions.held().filter(number=3).first()
        formulation = Formulation.objects.filter(course=course).first()
        if session_3 is None:
            assert formulation is None, course.patient
            assert not course.problem_areas.exists()
            continue
        assert formulation.agreed_on == _day(session_3)
        assert formulation.text.strip() and formulation.rationale.strip()
        assert formulation.linked_people.filter(course=course).exists()
        area = course.problem_areas.get(rank=ProblemArea.Rank.PRIMARY)
        assert area.goals.exists()
        # The session notes name the same focus as the formulation.
        assert area.get_area_display() in session_3.formulation_notes.lower()
    statuses = set(Goal.objects.values_list("status", flat=True))
    assert statuses == set(Goal.Status.values)


def test_role_disputes_have_a_dated_stage_history(seeded):
    disputes = _primary(Area.ROLE_DISPUTE)
    assert disputes
    for area in disputes:
        assert area.other_party.course_id == area.course_id
        changes = list(area.stage_changes.order_by("created_at", "pk"))
        assert changes, area.course.patient
        days = [c.changed_on for c in changes]
        assert days == sorted(days)
        assert changes[-1].stage == area.stage
    longest = max(disputes, key=lambda a: a.stage_changes.count())
    stages = list(longest.stage_changes.values_list("stage", flat=True))
    assert stages == [ProblemArea.Stage.IMPASSE, ProblemArea.Stage.RENEGOTIATION]


def test_grief_names_the_deceased(seeded):
    areas = _primary(Area.GRIEF)
    assert areas
    for area in areas:
        assert area.deceased.deceased
        assert area.deceased.course_id == area.course_id
        assert area.date_of_death < area.course.start_date
        assert area.complicating_factors.strip()


def test_deficits_only_when_no_other_area_applies(seeded):
    (area,) = _primary(Area.INTERPERSONAL_DEFICITS)
    assert area.course.formulation.no_other_area_confirmed
    assert area.isolation_history.strip() and area.plan_if_no_response.strip()
    people = area.course.relationships.current()
    assert inventory_suggestions(people, [area]) == []


def test_session_focus_is_recorded_for_the_middle_phase(seeded):
    focuses = list(SessionFocus.objects.select_related("session__course", "problem_area"))
    assert focuses
    drift = [f for f in focuses if f.is_drift]
    assert drift
    for focus in focuses:
        session = focus.session
        assert session.phase == Phase.MIDDLE
        assert session.attendance == TherapySession.Attendance.ATTENDED
        if focus.problem_area is not None:
            assert focus.problem_area.course_id == session.course_id
        for goal in focus.goals.all():
            assert goal.problem_area_id == focus.problem_area_id
    for focus in drift:
        assert not focus.goals.exists()
        assert focus.session.problem_area_work.startswith("Little work on")


def test_the_finished_course_is_completed_after_its_review(seeded):
    course = Course.objects.get(status=Course.Status.COMPLETED)
    assert course.patient.record_number == "DEMO-0005"
    review = course.termination_review
    assert review.recorded_by_id == course.therapist_id
    assert 1 <= review.ipos_patient <= 5 and 1 <= review.ipos_therapist <= 5
    assert review.gains_reviewed.strip() and review.relapse_plan.strip()
    assert review.warning_symptoms.strip()
    last = course.sessions.held().order_by("number").last()
    assert last.number == course.planned_sessions
    assert course.ended_on == review.reviewed_on == _day(last)
    assert not course.sessions.upcoming().exists()
    assert course.problem_areas.get().area == Area.GRIEF
    assert TerminationReview.objects.count() == 1


def test_nothing_for_the_other_clinic(seeded):
    other = {"course__patient__clinic__name": "Other Clinic"}
    assert not Relationship.objects.filter(**other).exists()
    assert not LifeEvent.objects.filter(**other).exists()
    assert not Formulation.objects.filter(**other).exists()
    assert not ProblemArea.objects.filter(**other).exists()
    assert not TerminationReview.objects.filter(**other).exists()
    assert not SessionFocus.objects.filter(
        session__course__patient__clinic__name="Other Clinic"
    ).exists()
