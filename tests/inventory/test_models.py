import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import ProblemArea, Relationship, TerminationReview


def test_database_keeps_the_ring_in_1_to_3(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(course=course, name="X", relation="y", ring=4)


def test_database_allows_one_primary_and_two_areas_at_most(course, people):
    ProblemArea.objects.create(
        course=course, area="role_dispute", rank=1, other_party=people["partner"]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemArea.objects.create(course=course, area="role_transition", rank=1)
    ProblemArea.objects.create(course=course, area="role_transition", rank=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemArea.objects.create(course=course, area="interpersonal_deficits", rank=3)


def test_database_refuses_grief_without_the_deceased_and_dispute_without_the_party(course):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemArea.objects.create(course=course, area="grief")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProblemArea.objects.create(course=course, area="role_dispute")


def test_grief_must_name_a_deceased_person_of_this_inventory(course, people):
    area = ProblemArea(course=course, area="grief", deceased=people["friend"])
    with pytest.raises(ValidationError) as error:
        area.full_clean()
    assert "deceased" in error.value.message_dict


@pytest.mark.parametrize(("by_patient", "by_therapist"), [(0, 3), (6, 3), (3, 0)])
def test_database_keeps_ipos_in_1_to_5(course, by_patient, by_therapist):
    fields = {
        "course": course,
        "gains_reviewed": "g",
        "feelings_about_ending": "f",
        "warning_symptoms": "w",
        "relapse_plan": "r",
        "maintenance": "none",
        "recorded_by": course.therapist,
        "ipos_patient": by_patient,
        "ipos_therapist": by_therapist,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        TerminationReview.objects.create(**fields)
