"""Dates of the patient's life (events, a death, a change of role) fall between their birth and
today; dates of the course's work from a year before its start until today; texts keep to a
length that fits them. Refused in words beside the field, never a server error."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.models import (
    Area,
    DisputeStageChange,
    Formulation,
    LifeEvent,
    ProblemArea,
    Relationship,
)
from ipt_clinic.validation import in_words, years_after
from tests.limits import WINDOW_EDGES, edge_day, too_long

FAR_DATES = ["9999-12-31", "9000-06-01", "0001-01-01", "1899-12-31"]


def life_edge(course, side, offset):
    return edge_day(course.patient.date_of_birth, timezone.localdate(), side, offset)


def course_edge(course, side, offset):
    today = timezone.localdate(timezone=course.patient.clinic.zone)
    return edge_day(years_after(course.start_date, -1), today, side, offset)


def refusal(save) -> dict:
    with pytest.raises(ValidationError) as refused:
        save()
    return refused.value.message_dict


# --- The patient's life -------------------------------------------------------------------


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_life_event_happened_between_birth_and_today(course, side, offset, accepted):
    day = life_edge(course, side, offset)
    event = LifeEvent(course=course, occurred_on=day, description="Moved out")

    def save():
        return services.life_event_save(by=course.therapist, event=event)

    if accepted:
        assert save().occurred_on == day
    else:
        birth = course.patient.date_of_birth
        today = timezone.localdate()
        assert refusal(save)["occurred_on"] == [
            "The timeline records what has happened in the patient's life: between "
            f"{in_words(birth)} and today ({in_words(today)})."
        ]


@pytest.mark.parametrize("far", FAR_DATES)
def test_a_far_off_life_event_is_refused_beside_the_field_with_the_input_kept(
    client_for, therapist, course, far
):
    response = client_for(therapist).post(
        reverse("inventory:timeline", args=[course.pk]),
        {"occurred_on": far, "kind": "event", "description": "Kept text", "mood_effect": "none"},
    )
    assert response.status_code == 200
    assert "The timeline records" in response.context["form"].errors["occurred_on"][0]
    html = response.content.decode()
    assert f'value="{far}"' in html and "Kept text" in html
    assert not LifeEvent.objects.exists()


@pytest.fixture
def grief(course, people):
    return ProblemArea.objects.create(course=course, area=Area.GRIEF, deceased=people["father"])


@pytest.fixture
def dispute(course, people):
    return ProblemArea.objects.create(
        course=course, area=Area.ROLE_DISPUTE, rank=2, other_party=people["partner"]
    )


@pytest.mark.parametrize("field", ["date_of_death", "transition_date"])
@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_death_or_a_change_of_role_lies_in_the_patients_lifetime(
    course, grief, field, side, offset, accepted
):
    day = life_edge(course, side, offset)

    def save():
        return services.problem_area_update(
            by=course.therapist, problem_area=grief, fields={field: day}
        )

    if accepted:
        assert getattr(save(), field) == day
    else:
        assert "in the patient's lifetime: between" in refusal(save)[field][0]


@pytest.mark.parametrize("far", FAR_DATES)
def test_a_far_off_date_of_death_is_refused_beside_the_field(client_for, therapist, grief, far):
    response = client_for(therapist).post(
        reverse("inventory:problem_area", args=[grief.pk]),
        {"date_of_death": far, "circumstances_of_death": "Kept text"},
    )
    assert response.status_code == 200
    assert "Enter a date of death" in response.context["form"].errors["date_of_death"][0]
    assert "Kept text" in response.content.decode()


# --- The course's work ----------------------------------------------------------------------


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_formulation_is_agreed_from_a_year_before_the_start_until_today(
    course, side, offset, accepted
):
    formulation = Formulation(course=course, text="How it links", agreed_on=None)
    formulation.agreed_on = course_edge(course, side, offset)
    if accepted:
        formulation.full_clean()
    else:
        assert (
            "is dated from a year before the course's start until today"
            in (refusal(formulation.full_clean)["agreed_on"][0])
        )


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_dispute_stage_is_dated_from_a_year_before_the_start_until_today(
    course, dispute, side, offset, accepted
):
    day = course_edge(course, side, offset)

    def save():
        return services.dispute_stage_change(
            by=course.therapist,
            problem_area=dispute,
            stage="impasse",
            changed_on=day,
            note="",
        )

    if accepted:
        assert save().changed_on == day
    else:
        assert "A change of stage is dated" in refusal(save)["changed_on"][0]
        assert not DisputeStageChange.objects.exists()


@pytest.mark.parametrize("far", FAR_DATES)
def test_a_far_off_formulation_date_is_refused_beside_the_field(
    client_for, therapist, course, people, far
):
    response = client_for(therapist).post(
        reverse("inventory:formulation", args=[course.pk]),
        {
            "text": "Kept formulation",
            "primary_area": "role_dispute",
            "primary_person": people["partner"].pk,
            "agreed_on": far,
        },
    )
    assert response.status_code == 200
    assert "The agreement on the formulation" in response.context["form"].errors["agreed_on"][0]
    assert "Kept formulation" in response.content.decode()
    assert not Formulation.objects.exists()


# --- Length of free text ------------------------------------------------------------------


def test_a_relationship_saved_by_the_service_keeps_to_its_limit(course):
    person = Relationship(course=course, name="Sam", relation="partner", satisfying="x" * 10_001)

    def save():
        return services.relationship_save(by=course.therapist, relationship=person)

    assert refusal(save)["satisfying"] == [too_long(10_000)]
