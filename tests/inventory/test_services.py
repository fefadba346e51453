from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory import services
from inventory.models import DisputeStageChange, Goal, ProblemArea, SessionFocus, TerminationReview
from inventory.selectors import inventory_suggestions
from sessions import services as session_services
from tests.conftest import attend, open_course


def save(course, primary, secondary=None, confirmed=False, **extra):
    return services.formulation_save(
        by=course.therapist,
        course=course,
        text="Formulation text",
        rationale="",
        agreed_on=timezone.localdate(),
        no_other_area_confirmed=confirmed,
        linked_people=extra.get("people", []),
        linked_events=[],
        primary=primary,
        secondary=secondary,
    )


def test_role_dispute_as_primary(course, people):
    save(course, {"area": "role_dispute", "other_party": people["partner"]})
    area = ProblemArea.objects.get()
    assert (area.area, area.rank, area.other_party) == ("role_dispute", 1, people["partner"])


def test_dispute_needs_the_other_party(course, people):
    with pytest.raises(ValidationError) as error:
        save(course, {"area": "role_dispute", "other_party": None})
    assert "primary_person" in error.value.message_dict


def test_grief_needs_a_deceased_person_in_the_inventory(course):
    with pytest.raises(ValidationError, match="deceased person in the inventory"):
        save(course, {"area": "grief", "deceased": None})


def test_grief_names_the_deceased(course, people):
    with pytest.raises(ValidationError, match="marked as deceased"):
        save(course, {"area": "grief", "deceased": people["friend"]})
    save(course, {"area": "grief", "deceased": people["father"]})
    assert ProblemArea.objects.get().deceased == people["father"]


def test_deficits_needs_explicit_confirmation(course):
    with pytest.raises(ValidationError) as error:
        save(course, {"area": "interpersonal_deficits"})
    assert "no_other_area_confirmed" in error.value.message_dict
    save(course, {"area": "interpersonal_deficits"}, confirmed=True)


def test_deficits_warns_when_the_inventory_suggests_another_area(course, people):
    save(course, {"area": "interpersonal_deficits"}, confirmed=True)
    hints = inventory_suggestions(course.relationships.current(), list(course.problem_areas.all()))
    assert any("Dad" in h and "grief" in h for h in hints)
    assert any("Sam" in h and "role dispute" in h for h in hints)


def test_no_warning_for_other_areas(course, people):
    save(course, {"area": "role_dispute", "other_party": people["partner"]})
    assert (
        inventory_suggestions(course.relationships.current(), list(course.problem_areas.all()))
        == []
    )


def test_secondary_must_differ_and_is_at_most_one(course, people):
    dispute = {"area": "role_dispute", "other_party": people["partner"]}
    with pytest.raises(ValidationError, match="must differ"):
        save(course, dispute, dispute)
    save(course, dispute, {"area": "role_transition"})
    assert list(course.problem_areas.values_list("area", "rank")) == [
        ("role_dispute", 1),
        ("role_transition", 2),
    ]


def test_an_area_with_goals_cannot_change_or_go(course, people):
    save(
        course,
        {"area": "role_dispute", "other_party": people["partner"]},
        {"area": "role_transition"},
    )
    secondary = ProblemArea.objects.get(rank=2)
    Goal.objects.create(problem_area=secondary, text="find a new routine")
    with pytest.raises(ValidationError, match="stays as it is"):
        save(course, {"area": "role_dispute", "other_party": people["partner"]})
    assert ProblemArea.objects.filter(rank=2, area="role_transition").exists()


def test_dispute_stage_history(course, people, therapist):
    save(course, {"area": "role_dispute", "other_party": people["partner"]})
    area = ProblemArea.objects.get()
    actor = therapist
    week_ago = timezone.localdate() - timedelta(days=7)
    services.dispute_stage_change(
        by=actor, problem_area=area, stage="impasse", changed_on=week_ago, note=""
    )
    services.dispute_stage_change(
        by=actor,
        problem_area=area,
        stage="renegotiation",
        changed_on=timezone.localdate(),
        note="joint talk",
    )
    with pytest.raises(ValidationError, match="already at this stage"):
        services.dispute_stage_change(
            by=actor,
            problem_area=area,
            stage="renegotiation",
            changed_on=timezone.localdate(),
            note="",
        )
    history = list(DisputeStageChange.objects.values_list("stage", "changed_on"))
    assert history == [("impasse", week_ago), ("renegotiation", timezone.localdate())]
    area.refresh_from_db()
    assert area.stage == "renegotiation"


def test_removing_a_person_keeps_the_row_and_is_refused_while_in_use(course, people, therapist):
    save(course, {"area": "role_dispute", "other_party": people["partner"]})
    actor = therapist
    with pytest.raises(ValidationError, match="person of a chosen problem area"):
        services.relationship_remove(by=actor, relationship=people["partner"])
    services.relationship_remove(by=actor, relationship=people["friend"])
    people["friend"].refresh_from_db()
    assert people["friend"].removed_at is not None
    assert people["friend"] not in course.relationships.current()


class TestSessionFocus:
    @pytest.fixture
    def middle_session(self, patient):
        course = open_course(patient, start=timezone.localdate() - timedelta(weeks=6))
        session = course.sessions.get(number=5)
        attend(session)
        return session

    def test_focus_records_area_and_goals_or_drift(self, middle_session, therapist):
        course = middle_session.course
        from inventory.models import Relationship

        partner = Relationship.objects.create(course=course, name="S", relation="husband")
        save(course, {"area": "role_dispute", "other_party": partner})
        area = ProblemArea.objects.get(course=course)
        goal = Goal.objects.create(problem_area=area, text="weekly money talk")
        actor = therapist
        services.session_focus_save(
            by=actor, session=middle_session, kind="area", problem_area=area, goals=[goal]
        )
        focus = SessionFocus.objects.get()
        assert not focus.is_drift and list(focus.goals.all()) == [goal]
        services.session_focus_save(by=actor, session=middle_session, kind="drift")
        focus.refresh_from_db()
        assert focus.is_drift
        services.session_focus_save(by=actor, session=middle_session, kind="risk")
        focus.refresh_from_db()
        assert (focus.kind, focus.is_drift, focus.problem_area) == ("risk", False, None)

    @pytest.mark.parametrize(
        ("kind", "with_area"), [("area", False), ("drift", True), ("risk", True), ("", False)]
    )
    def test_what_was_worked_on_must_be_said_and_consistent(
        self, middle_session, therapist, kind, with_area
    ):
        area = ProblemArea.objects.create(course=middle_session.course, area="role_transition")
        with pytest.raises(ValidationError):
            services.session_focus_save(
                by=therapist,
                session=middle_session,
                kind=kind,
                problem_area=area if with_area else None,
            )
        assert not SessionFocus.objects.exists()

    def test_focus_is_for_middle_phase_sessions(self, course, therapist):
        with pytest.raises(ValidationError, match="middle-phase"):
            services.session_focus_save(
                by=therapist,
                session=course.sessions.get(number=1),
                kind="drift",
            )


def test_course_completes_only_with_a_termination_review(patient, therapist):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=11))
    attend(course.sessions.get(number=10))
    actor = therapist
    with pytest.raises(ValidationError, match="termination review"):
        session_services.course_complete(by=actor, course=course, ended_on=timezone.localdate())
    review = TerminationReview(
        course=course,
        gains_reviewed="g",
        feelings_about_ending="f",
        ipos_patient=4,
        ipos_therapist=3,
        warning_symptoms="w",
        relapse_plan="r",
        maintenance="booster",
    )
    services.termination_review_save(by=actor, review=review)
    session_services.course_complete(by=actor, course=course, ended_on=timezone.localdate())
    course.refresh_from_db()
    assert course.status == "completed"


def test_monthly_maintenance_needs_a_frequency(course, therapist):
    review = TerminationReview(
        course=course,
        gains_reviewed="g",
        feelings_about_ending="f",
        ipos_patient=4,
        ipos_therapist=3,
        warning_symptoms="w",
        relapse_plan="r",
        maintenance="monthly",
    )
    with pytest.raises(ValidationError) as error:
        services.termination_review_save(by=therapist, review=review)
    assert "maintenance_frequency" in error.value.message_dict


def test_a_termination_review_waits_for_the_termination_phase_and_a_sensible_date(
    patient, therapist
):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=2))
    attend(course.sessions.get(number=1))
    actor = therapist

    def review(**fields):
        return TerminationReview(
            course=course,
            gains_reviewed="g",
            feelings_about_ending="f",
            ipos_patient=4,
            ipos_therapist=3,
            warning_symptoms="w",
            relapse_plan="r",
            maintenance="none",
            **fields,
        )

    with pytest.raises(ValidationError, match="begins at session 10"):
        services.termination_review_save(by=actor, review=review())
    for number in range(2, 11):  # sessions 2-3 past; the contract shortened to reach 10
        course.sessions.filter(number=number).update(scheduled_start=timezone.now())
        attend(course.sessions.get(number=number))
    with pytest.raises(ValidationError, match="Between the course's start"):
        services.termination_review_save(
            by=actor, review=review(reviewed_on=course.start_date - timedelta(days=1))
        )
    services.termination_review_save(by=actor, review=review())
    assert TerminationReview.objects.filter(course=course).exists()


def _review(course, **fields) -> TerminationReview:
    """A complete termination review of `course`, with `fields` changed."""
    return TerminationReview(
        course=course,
        **{
            "gains_reviewed": "g",
            "feelings_about_ending": "f",
            "ipos_patient": 4,
            "ipos_therapist": 3,
            "warning_symptoms": "w",
            "relapse_plan": "r",
            "maintenance": "none",
            **fields,
        },
    )


# (the course's areas, secondary ratings given) -> the review is saved?
IPOS_CASES = [
    (["role_transition"], None, True),
    (["role_transition"], (3, 4), False),  # no secondary area to rate
    (["role_transition", "interpersonal_deficits"], None, False),  # the secondary unrated
    (["role_transition", "interpersonal_deficits"], (3, None), False),  # half rated
    (["role_transition", "interpersonal_deficits"], (2, 4), True),
]


@pytest.mark.parametrize(("areas", "secondary", "saved"), IPOS_CASES)
def test_each_problem_area_is_rated_on_its_own(patient, therapist, areas, secondary, saved):
    """Error 7: IPOS was rated once per course, so a secondary area was never rated."""
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=11))
    attend(course.sessions.get(number=10))
    for rank, area in enumerate(areas, 1):
        ProblemArea.objects.create(course=course, area=area, rank=rank)
    patient_rating, therapist_rating = secondary or (None, None)
    review = _review(
        course, secondary_ipos_patient=patient_rating, secondary_ipos_therapist=therapist_rating
    )
    if saved:
        services.termination_review_save(by=therapist, review=review)
        assert TerminationReview.objects.get(course=course).secondary_ipos_patient == (
            patient_rating
        )
    else:
        with pytest.raises(ValidationError):
            services.termination_review_save(by=therapist, review=review)


def test_the_review_form_names_each_area_and_the_summary_prints_both(
    client_for, patient, therapist
):
    from django.urls import reverse

    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=11))
    attend(course.sessions.get(number=10))
    ProblemArea.objects.create(course=course, area="role_transition", rank=1)
    client = client_for(therapist)
    url = reverse("inventory:termination_review", args=[course.pk])
    page = client.get(url).content.decode()
    assert "Role transition (primary): resolved, rated by the patient" in page
    assert "secondary_ipos_patient" not in page
    ProblemArea.objects.create(course=course, area="interpersonal_deficits", rank=2)
    page = client.get(url).content.decode()
    assert "Interpersonal deficits (secondary): resolved, rated by the therapist" in page
    data = {
        "reviewed_on": timezone.localdate().isoformat(),
        "gains_reviewed": "g",
        "feelings_about_ending": "f",
        "ipos_patient": "4",
        "ipos_therapist": "3",
        "warning_symptoms": "w",
        "relapse_plan": "r",
        "maintenance": "none",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the secondary area is not rated yet
    assert "This field is required." in response.content.decode()
    response = client.post(
        url, {**data, "secondary_ipos_patient": "2", "secondary_ipos_therapist": "5"}
    )
    assert response.status_code == 302
    summary = client.get(reverse("inventory:course_summary", args=[course.pk])).content.decode()
    assert "Secondary area resolved (IPOS)" in summary and "therapist 5/5" in summary


def test_the_database_keeps_secondary_ratings_paired_and_in_1_to_5(course, therapist):
    from django.db import IntegrityError, transaction

    base = {
        "course": course,
        "gains_reviewed": "g",
        "feelings_about_ending": "f",
        "ipos_patient": 4,
        "ipos_therapist": 3,
        "warning_symptoms": "w",
        "relapse_plan": "r",
        "maintenance": "none",
        "recorded_by": therapist,
    }
    for patient_rating, therapist_rating in ((3, None), (None, 3), (0, 3), (3, 6)):
        with pytest.raises(IntegrityError), transaction.atomic():
            TerminationReview.objects.create(
                **base,
                secondary_ipos_patient=patient_rating,
                secondary_ipos_therapist=therapist_rating,
            )


def test_a_first_termination_review_starts_from_the_termination_notes(
    client_for, patient, therapist
):
    from django.urls import reverse

    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=13))
    for number, gains in ((10, "Back at choir."), (11, ""), (12, "Sleeping well.")):
        session = attend(course.sessions.get(number=number))
        session_services.session_note_save(
            by=therapist,
            session=session,
            fields={"gains_reviewed": gains, "relapse_plan": f"Plan {number}"},
        )
    url = reverse("inventory:termination_review", args=[course.pk])
    page = client_for(therapist).get(url).content.decode()
    assert "Session 10: Back at choir." in page and "Session 12: Sleeping well." in page
    assert "Session 11:" not in page.split('name="gains_reviewed"', 1)[1].split("</textarea>")[0]
    assert "Session 12: Plan 12" in page


def _ready_to_complete(patient, therapist):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=13))
    attend(course.sessions.get(number=10))
    area = ProblemArea.objects.create(course=course, area="role_transition")
    goals = [
        Goal.objects.create(problem_area=area, text="Join a choir"),
        Goal.objects.create(problem_area=area, text="Call Mum weekly", status="in_progress"),
    ]
    services.termination_review_save(by=therapist, review=_review(course))
    return course, goals


@pytest.mark.parametrize("discharge", [True, False])
def test_completing_asks_each_goals_outcome_and_offers_discharge(
    client_for, patient, therapist, discharge
):
    from django.urls import reverse

    course, (choir, mum) = _ready_to_complete(patient, therapist)
    url = reverse("sessions:course_close", args=[course.pk])
    client = client_for(therapist)
    page = client.get(url).content.decode()
    assert "Role transition: Join a choir" in page and "Mark the patient discharged" in page
    data = {
        "action": "complete",
        "complete-ended_on": timezone.localdate().isoformat(),
        f"goals-goal_{choir.pk}": "achieved",
        f"goals-goal_{mum.pk}": "in_progress",
    }
    if discharge:
        data["complete-discharge"] = "on"
    assert client.post(url, data).status_code == 302
    course.refresh_from_db()
    choir.refresh_from_db()
    patient.refresh_from_db()
    assert course.status == "completed" and choir.status == "achieved"
    assert patient.status == ("discharged" if discharge else "active")


def test_a_refused_completion_changes_no_goal(client_for, patient, therapist):
    from django.urls import reverse

    course, (choir, _) = _ready_to_complete(patient, therapist)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client_for(therapist).post(
        reverse("sessions:course_close", args=[course.pk]),
        {"action": "complete", "complete-ended_on": future, f"goals-goal_{choir.pk}": "achieved"},
    )
    assert response.status_code == 200
    choir.refresh_from_db()
    course.refresh_from_db()
    assert choir.status == "open" and course.is_open
