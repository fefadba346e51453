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
    course = new_course(weeks=1, held_up_to=1)
    phq9(course, 1, 12)
    gad7(course, 1)
    assert flags_of(course) == set()


def gad7(course, number, total=7):
    session = course.sessions.get(number=number) if number else None
    items = [min(3, max(0, total - 3 * i)) for i in range(7)]
    Measure.objects.create(
        course=course,
        session=session,
        kind="gad7",
        recorded_by=course.therapist,
        **{f"item_{n}": v for n, v in enumerate(items, 1)},
        administered_on=timezone.localdate(),
    )


def _assessed(course, number):
    from risk import services as risk_services
    from risk.models import RiskEpisode
    from tests.risk.test_pathway import ASSESSED

    session = course.sessions.get(number=number) if number else None
    risk_services.assessment_record(
        by=course.therapist,
        episode=RiskEpisode.objects.get(course=course),
        session=session,
        fields=ASSESSED,
    )


def _opened_at(course, number, item_9=1):
    """A PHQ-9 with item 9 above 0 recorded through the service: the pathway opens."""
    from sessions import services

    session = course.sessions.get(number=number)
    answers = {f"item_{n}": 1 for n in range(1, 9)} | {"item_9": item_9}
    services.measure_record(by=course.therapist, session=session, kind="phq9", answers=answers)


def test_risk_open_until_a_review_closes_it(new_course):
    from risk import services as risk_services
    from risk.models import RiskEpisode

    course = new_course(weeks=2, held_up_to=1)
    held(course, 2, signed=False)
    _opened_at(course, 2)
    assert "risk_open" in flags_of(course)
    TherapySession.objects.filter(course=course, number=2).update(risk_check_note="No plan.")
    assert "risk_open" in flags_of(course)  # a typed note used to clear it
    _assessed(course, 2)
    assert "risk_open" in flags_of(course)
    risk_services.episode_close(
        by=course.therapist, episode=RiskEpisode.objects.get(), review="Reviewed."
    )
    assert "risk_open" not in flags_of(course)


def test_risk_not_rechecked_at_a_session_held_since(new_course):
    course = new_course(weeks=3, held_up_to=1)
    held(course, 2, signed=False)
    _opened_at(course, 2)
    _assessed(course, 2)
    assert "risk_not_rechecked" not in flags_of(course)
    held(course, 3, signed=False)
    assert "risk_not_rechecked" in flags_of(course)
    _assessed(course, 3)
    assert "risk_not_rechecked" not in flags_of(course)


def test_missed_while_at_risk(new_course):
    course = new_course(weeks=3)
    held(course, 2, signed=False)
    _opened_at(course, 2)
    held(course, 1, attendance="no_show")  # before the opening: not this flag
    assert "missed_while_at_risk" not in flags_of(course)
    held(course, 3, attendance="no_show")
    assert "missed_while_at_risk" in flags_of(course)


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


# (held sessions, missed ones, PHQ-9 at the assessment, PHQ-9 by session) -> raised?
POOR_IMPROVEMENT = [
    (6, [], 20, {6: 17}, True),  # 15 % better at session 6 of 12
    (6, [], 20, {6: 16}, False),  # exactly 20 % better
    (6, [], 20, {}, False),  # nothing measured after the baseline: nothing to judge
    (6, [], None, {1: 20}, False),  # the session-1 PHQ-9 is the baseline itself
    (6, [], None, {1: 20, 6: 17}, True),  # baseline at session 1, 15 % better at 6
    (3, [4, 5, 6], 20, {3: 19}, False),  # half the course reached, but three were missed
    (5, [], 20, {5: 20}, False),  # not yet half of 12
    (6, [], 0, {6: 0}, False),  # nothing to improve on
]


@pytest.mark.parametrize(("held_up_to", "missed", "opening", "later", "raised"), POOR_IMPROVEMENT)
def test_poor_improvement_cases(new_course, held_up_to, missed, opening, later, raised):
    course = new_course(weeks=7, held_up_to=held_up_to)
    if missed:
        held(course, *missed, attendance="no_show")
    if opening is not None:
        phq9(course, None, opening)
    for number, total in later.items():
        phq9(course, number, total)
    assert ("poor_improvement" in flags_of(course)) == raised


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


# 12 planned, raised by N-2 (session 10), a discussion counting from N-4 (session 8):
# (sessions held, missed, cancelled, sessions whose note says the end was discussed) -> raised?
TERMINATION = [
    (range(1, 10), [], [], [], False),
    (range(1, 11), [], [], [], True),
    ([*range(1, 9), 10], [], [9], [], True),  # counted by number: 9 cancelled, 10 held
    (range(1, 10), [], [10], [], False),  # session 10 cancelled, 11 not yet: not passed
    (range(1, 10), [10], [], [], True),  # session 10 missed: it has passed all the same
    (range(1, 11), [], [], [4], True),  # discussed at session 4: too early to count
    (range(1, 11), [], [], [7], True),  # N-5: too early
    (range(1, 11), [], [], [8], False),  # N-4: counts
    (range(1, 11), [], [], [10], False),
]


@pytest.mark.parametrize(
    ("attended", "missed", "cancelled", "discussed"), [t[:4] for t in TERMINATION]
)
def test_termination_cases(new_course, attended, missed, cancelled, discussed):
    raised = next(t[4] for t in TERMINATION if t[:4] == (attended, missed, cancelled, discussed))
    course = new_course(weeks=11)
    held(course, *attended)
    if missed:
        held(course, *missed, attendance="no_show")
    if cancelled:
        TherapySession.objects.filter(course=course, number__in=cancelled).update(
            attendance="cancelled", cancelled_by="patient"
        )
    TherapySession.objects.filter(course=course, number__in=discussed).update(
        termination_raised=True
    )
    assert ("termination_not_raised" in flags_of(course)) == raised


def test_termination_follows_a_longer_contract(new_course):
    course = new_course(weeks=15, held_up_to=14, planned=16)
    assert "termination_not_raised" in flags_of(course)  # N-2 = 14
    TherapySession.objects.filter(course=course, number=11).update(termination_raised=True)
    assert "termination_not_raised" in flags_of(course)  # N-5 of 16
    TherapySession.objects.filter(course=course, number=12).update(termination_raised=True)
    assert "termination_not_raised" not in flags_of(course)


def test_past_contract(new_course):
    assert "past_contract" not in flags_of(new_course(weeks=11, held_up_to=11))
    assert "past_contract" in flags_of(new_course(weeks=13, held_up_to=11))


def focus(course, number, kind, area=None):
    SessionFocus.objects.create(
        session=course.sessions.get(number=number), kind=kind, problem_area=area
    )


def test_drift(new_course):
    course = new_course(weeks=7, held_up_to=7)
    area = ProblemArea.objects.create(course=course, area="role_transition")
    for number in (4, 5, 7):
        focus(course, number, "area", area)
    focus(course, 6, "drift")
    assert "drift" not in flags_of(course)
    SessionFocus.objects.filter(session__number=7).update(kind="drift", problem_area=None)
    assert "drift" in flags_of(course)


# A middle-phase session held (12 planned: sessions 4-9), by what its focus says
DRIFT_CASES = [
    ("drift", True, 2),
    ("risk", True, 0),  # a session spent on a risk or crisis is not drift
    ("area", True, 0),
    (None, True, 2),  # signed without saying what it worked on: drift
    (None, False, 0),  # not signed yet: the focus may still be recorded
]


@pytest.mark.parametrize(("kind", "signed", "drifting"), DRIFT_CASES)
def test_what_counts_as_drift(new_course, kind, signed, drifting):
    course = new_course(weeks=7, held_up_to=3)
    held(course, 5, 6, signed=signed)
    area = ProblemArea.objects.create(course=course, area="role_transition")
    if kind is not None:
        for number in (5, 6):
            focus(course, number, kind, area if kind == "area" else None)
    store.refresh([course.pk])
    assert course.facts.__class__.objects.get(pk=course.pk).drift_count == drifting
    assert ("drift" in flags_of(course)) == (drifting >= 2)


def test_drift_is_counted_in_the_middle_phase_only(new_course):
    course = new_course(weeks=12)
    held(course, *range(1, 13), signed=False)
    for number in (1, 2, 10, 11):  # initial and termination phases of 12
        focus(course, number, "drift")
    assert "drift" not in flags_of(course)


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


TASKS_DONE = {
    "diagnosis_given": True,
    "sick_role_explained": True,
    "medication_considered": "Not for now.",
    "contract_agreed": True,
}
# (held, missed, the session whose note records the tasks, the task left undone) -> raised?
INITIAL_TASKS = [
    ([1, 2, 3], [], None, None, False),  # session 4 has not passed yet
    ([1, 2, 3, 4], [], None, None, True),  # nothing done by session 4
    ([1, 2, 3, 4], [], 2, None, False),  # all done, at session 2
    ([1, 2, 3, 4], [], 2, "diagnosis_given", True),
    ([1, 2, 3, 4], [], 2, "sick_role_explained", True),
    ([1, 2, 3, 4], [], 2, "medication_considered", True),  # only blanks typed
    ([1, 2, 3, 4], [], 2, "contract_agreed", True),
    ([1, 2, 3, 4], [], 2, "inventory", True),
    ([1, 2, 3, 4], [], 2, "formulation", True),
    ([4], [1, 2, 3], 4, None, False),  # sessions 1-3 missed, all done at session 4
    ([4], [1, 2, 3], None, None, True),  # sessions 1-3 missed, not caught up at 4
    ([], [1, 2, 3, 4], None, None, True),  # session 4 missed: it has passed all the same
    ([1, 2, 3], [4], 3, None, False),
    ([1, 2, 3, 4, 5, 6], [], 6, None, False),  # late, but done now
]


@pytest.mark.parametrize(("attended", "missed", "done_at", "left", "raised"), INITIAL_TASKS)
def test_initial_tasks_open_by_session_4(new_course, attended, missed, done_at, left, raised):
    """Error 6: the initial tasks belong to the course, whichever session does them."""
    course = new_course(weeks=7)
    if attended:
        held(course, *attended)
    if missed:
        held(course, *missed, attendance="no_show")
    if done_at:
        fields = {**TASKS_DONE}
        if left in fields:
            fields[left] = "   " if left == "medication_considered" else False
        TherapySession.objects.filter(course=course, number=done_at).update(**fields)
        if left != "inventory":
            Relationship.objects.create(course=course, name="S", relation="partner")
        if left != "formulation":
            Formulation.objects.create(course=course, text="x", agreed_on=timezone.localdate())
    assert ("initial_tasks_open" in flags_of(course)) == raised


def test_initial_tasks_recorded_in_a_missed_sessions_note_do_not_count(new_course):
    course = new_course(weeks=7)
    held(course, 1, 2, 3, 4)
    held(course, 5, attendance="no_show")
    TherapySession.objects.filter(course=course, number=5).update(**TASKS_DONE)
    Relationship.objects.create(course=course, name="S", relation="partner")
    Formulation.objects.create(course=course, text="x", agreed_on=timezone.localdate())
    assert "initial_tasks_open" in flags_of(course)


def _schedule(course, phq9_every, gad7_every):
    from ipt_clinic.accounts.models import Clinic

    Clinic.objects.filter(pk=course.patient.clinic_id).update(
        phq9_every_sessions=phq9_every, gad7_every_sessions=gad7_every
    )


# (PHQ-9 every, GAD-7 every, held, missed, PHQ-9 taken at, GAD-7 taken at; 0 = at the
# assessment) -> raised?
MEASURES = [
    (1, 4, [], [], [], [], False),  # nothing held yet
    (1, 4, [1], [], [1], [1], False),
    (1, 4, [1], [], [], [1], True),  # no PHQ-9 at all
    (1, 4, [1], [], [1], [], True),  # no GAD-7 at all, not even a baseline
    (1, 4, [1], [], [0], [0], True),  # a baseline at the assessment; PHQ-9 due at session 1
    (1, 4, [1, 2], [], [1], [1], True),  # PHQ-9 not taken at session 2
    (1, 4, [1, 2, 3, 4], [], [1, 2, 3, 4], [1], False),  # GAD-7 next due at session 5
    (1, 4, [1, 2, 3, 4], [], [0, 1, 2, 3, 4], [0], True),  # from the assessment: due at 4
    (1, 4, [1, 2, 3, 4, 5], [], [1, 2, 3, 4, 5], [1], True),  # due at 5, not taken
    (1, 4, [1, 2, 3, 4, 5], [], [1, 2, 3, 4, 5], [1, 5], False),
    (1, 4, [1, 2, 3, 5], [4], [1, 2, 3, 5], [1], True),  # counted by number: 4 missed
    (1, 4, [1, 2, 3], [4], [1, 2, 3], [1], False),  # a missed session takes no measure
    (2, 4, [1, 2], [], [1], [1], False),  # PHQ-9 every 2nd: next due at 3
    (2, 4, [1, 2, 3], [], [1], [1], True),
    (1, 1, [1, 2], [], [1, 2], [1], True),  # GAD-7 at every session
    (4, 4, [1, 2, 3, 4], [], [1], [1], False),
    (4, 4, [1, 2, 3, 4, 5], [], [1], [1], True),
]


@pytest.mark.parametrize(
    ("phq9_every", "gad7_every", "attended", "missed", "phq9_at", "gad7_at", "raised"), MEASURES
)
def test_measures_overdue(
    new_course, phq9_every, gad7_every, attended, missed, phq9_at, gad7_at, raised
):
    course = new_course(weeks=7)
    _schedule(course, phq9_every, gad7_every)
    if attended:
        held(course, *attended)
    if missed:
        held(course, *missed, attendance="no_show")
    for number in phq9_at:
        phq9(course, number, 12)
    for number in gad7_at:
        gad7(course, number)
    assert ("measures_overdue" in flags_of(course)) == raised


def test_measures_overdue_waits_for_the_notes_grace_period(new_course):
    """The therapist has the unsigned-notes threshold (48 hours by default) to enter the
    measures of a session just held."""
    course = new_course(weeks=7)
    held(course, 1)
    session = course.sessions.get(number=1)
    for hours_ago, raised in ((1, False), (47, False), (49, True)):
        session.scheduled_start = timezone.now() - timedelta(hours=hours_ago)
        session.save(update_fields=["scheduled_start"])
        assert ("measures_overdue" in flags_of(course)) == raised


def test_risk_alert_unanswered_when_nobody_was_alerted(new_course):
    course = new_course(weeks=3)
    held(course, 1, signed=False)
    _opened_at(course, 1)  # the therapist has no supervisor, the clinic no duty clinician
    assert "risk_alert_unanswered" in flags_of(course)


def test_risk_alert_unanswered_after_24_hours_until_acknowledged(new_course, supervisor):
    from risk import services as risk_services
    from risk.models import RiskAlert

    course = new_course(weeks=3)
    held(course, 1, signed=False)
    _opened_at(course, 1)
    alert = RiskAlert.objects.get()
    assert "risk_alert_unanswered" not in flags_of(course)
    for hours, raised in ((23, False), (25, True)):
        RiskAlert.objects.filter(pk=alert.pk).update(
            created_at=timezone.now() - timedelta(hours=hours)
        )
        assert ("risk_alert_unanswered" in flags_of(course)) == raised
    risk_services.alert_acknowledge(by=supervisor, alert=alert)
    assert "risk_alert_unanswered" not in flags_of(course)
