"""Each flag: a course that raises it and one that does not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Formulation, ProblemArea, Relationship, SessionFocus
from oversight import store
from oversight.flags import FLAGS
from oversight.models import FlagThresholds
from sessions.models import Course, Measure, TherapySession
from tests.conftest import make_patient, open_course


def held(course, *numbers, attendance="attended", signed=True):
    fields = {"attendance": attendance}
    if attendance == "attended":
        fields["actual_minutes"] = 50
        if signed:
            fields.update(signed_at=timezone.now(), signed_by=course.therapist)
    TherapySession.objects.filter(course=course, number__in=numbers).update(**fields)
    Course.objects.filter(pk=course.pk, status="planned").update(status="active")


def phq9(course, number, total, item_9=0):
    session = course.sessions.get(number=number) if number else None
    items = [min(3, max(0, total - 3 * i)) for i in range(8)]
    assert sum(items) == total, "use totals up to 24"
    Measure.objects.create(
        course=course,
        session=session,
        kind="phq9",
        item_9=item_9,
        recorded_by=course.therapist,
        **{f"item_{n}": v for n, v in enumerate(items, 1)},
        administered_on=timezone.localdate(),
    )


def flags_of(course) -> set[str]:
    """The flags raised on the course now, as the dashboard filters on them (the stored
    instants, in SQL), checked against what the pages show (the rules on the stored facts).
    These tests change the record around the services, so the facts are recomputed first."""
    thresholds = FlagThresholds.for_clinic(course.patient.clinic_id)
    store.refresh([course.pk])
    now = timezone.now()
    courses = Course.objects.filter(pk=course.pk)
    in_sql = {flag.code for flag in FLAGS if courses.filter(store.raised(flag.code, now)).exists()}
    shown = store.mark_stored(courses.select_related("facts").get(), thresholds, now)
    assert in_sql == {flag.code for flag in FLAGS if getattr(shown, f"flag_{flag.code}")}
    return in_sql


@pytest.fixture
def new_course(therapist):
    """Courses started `weeks` ago with sessions 1..k held by default."""

    def make(weeks, held_up_to=0, planned=12):
        course = open_course(
            make_patient(therapist),
            planned=planned,
            start=timezone.localdate() - timedelta(weeks=weeks, days=1),
        )
        if held_up_to:
            held(course, *range(1, held_up_to + 1))
        return course

    return make


def test_a_fresh_course_has_no_flags(new_course):
    assert flags_of(new_course(weeks=1, held_up_to=1)) == set()


def test_risk_unchecked(new_course):
    course = new_course(weeks=2, held_up_to=2)
    phq9(course, 2, 12, item_9=1)
    assert "risk_unchecked" in flags_of(course)
    TherapySession.objects.filter(course=course, number=2).update(risk_check_note="No plan.")
    assert "risk_unchecked" not in flags_of(course)


def test_risk_unchecked_at_the_opening_phq9(new_course):
    course = new_course(weeks=1)
    phq9(course, None, 12, item_9=2)  # taken at the assessment, before session 1
    assert "risk_unchecked" in flags_of(course)
    held(course, 1)
    TherapySession.objects.filter(course=course, number=1).update(risk_check_note="No plan.")
    assert "risk_unchecked" not in flags_of(course)


def test_missed_in_row(new_course):
    course = new_course(weeks=4, held_up_to=1)
    held(course, 2, 4, attendance="no_show")
    assert "missed_in_row" not in flags_of(course)
    held(course, 3, attendance="no_show")
    assert "missed_in_row" in flags_of(course)


def test_poor_improvement_by_mid_course(new_course):
    course = new_course(weeks=6, held_up_to=6)
    phq9(course, 0, 20)
    phq9(course, 6, 17)  # 15 % better: under the 20 % threshold
    assert "poor_improvement" in flags_of(course)
    Measure.objects.filter(course=course, session__number=6).delete()
    phq9(course, 6, 15)  # 25 % better
    assert "poor_improvement" not in flags_of(course)


def test_poor_improvement_waits_for_mid_course(new_course):
    course = new_course(weeks=5, held_up_to=5)
    phq9(course, 0, 20)
    phq9(course, 5, 20)
    assert "poor_improvement" not in flags_of(course)


def test_no_problem_area_by_session_4(new_course):
    course = new_course(weeks=3, held_up_to=3)
    assert "no_problem_area" not in flags_of(course)
    held(course, 4)
    assert "no_problem_area" in flags_of(course)
    partner = Relationship.objects.create(course=course, name="S", relation="partner")
    ProblemArea.objects.create(course=course, area="role_dispute", other_party=partner)
    Formulation.objects.create(course=course, text="x")
    assert "no_problem_area" in flags_of(course)  # chosen but not agreed with the patient
    Formulation.objects.filter(course=course).update(agreed_on=timezone.localdate())
    assert "no_problem_area" not in flags_of(course)


def test_termination_not_raised_by_n_minus_2(new_course):
    course = new_course(weeks=10, held_up_to=9)
    assert "termination_not_raised" not in flags_of(course)
    held(course, 10)
    assert "termination_not_raised" in flags_of(course)
    TherapySession.objects.filter(course=course, number=8).update(termination_raised=True)
    assert "termination_not_raised" not in flags_of(course)


def test_past_contract(new_course):
    assert "past_contract" not in flags_of(new_course(weeks=11, held_up_to=11))
    assert "past_contract" in flags_of(new_course(weeks=13, held_up_to=11))


def test_drift(new_course):
    course = new_course(weeks=7, held_up_to=7)
    SessionFocus.objects.create(session=course.sessions.get(number=5))
    assert "drift" not in flags_of(course)
    SessionFocus.objects.create(session=course.sessions.get(number=6))
    assert "drift" in flags_of(course)


def test_deficits_questioned_when_inventory_suggests_another_area(new_course):
    course = new_course(weeks=5, held_up_to=4)
    ProblemArea.objects.create(course=course, area="interpersonal_deficits")
    Relationship.objects.create(course=course, name="A", relation="friend")
    assert "deficits_questioned" not in flags_of(course)
    Relationship.objects.create(course=course, name="Dad", relation="father", deceased=True)
    assert "deficits_questioned" in flags_of(course)


def test_unsigned_notes_after_48_hours(new_course):
    course = new_course(weeks=3, held_up_to=1)
    held(course, 2, 3, signed=False)  # held one and two weeks ago, never signed
    assert "unsigned_notes" in flags_of(course)
    TherapySession.objects.filter(course=course).update(
        signed_at=timezone.now(), signed_by=course.therapist
    )
    assert "unsigned_notes" not in flags_of(course)


def test_recent_unsigned_note_is_not_flagged_yet(therapist):
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(days=1))
    held(course, 1, signed=False)
    assert "unsigned_notes" not in flags_of(course)


def test_gap_of_14_days(new_course):
    course = new_course(weeks=5, held_up_to=2)  # last session ~3 weeks ago
    assert "gap" in flags_of(course)
    held(course, 5)  # about a week ago
    assert "gap" not in flags_of(course)


def test_gap_on_a_course_whose_sessions_pass_unrecorded(new_course):
    """A course never marked started: counted from its first booked session."""
    assert "gap" in flags_of(new_course(weeks=3))
    assert "gap" not in flags_of(new_course(weeks=1))


def test_thresholds_come_from_the_clinic(new_course, clinic):
    course = new_course(weeks=5, held_up_to=2)
    FlagThresholds.objects.create(clinic=clinic, gap_days=30)
    assert "gap" not in flags_of(course)


def test_every_flag_has_a_test():
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    for flag in FLAGS:
        assert any(name.startswith(flag.code) for name in tested), flag.code
