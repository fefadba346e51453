"""A patient's dates stay within a lifetime: born from 1900 until today, consent given between
birth and today. Refused in words beside the field, by the form and by full_clean alike."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.validation import in_words
from patients.models import Patient
from tests.conftest import make_patient
from tests.limits import WINDOW_EDGES, edge_day
from tests.patients.test_views import VALID

BIRTH = date(1984, 5, 17)


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_a_date_of_birth_lies_from_1900_until_today(therapist, side, offset, accepted):
    today = timezone.localdate()
    born = edge_day(date(1900, 1, 1), today, side, offset)
    if accepted:
        assert make_patient(therapist, date_of_birth=born, reminder_consent_on=today)
    else:
        with pytest.raises(ValidationError) as refused:
            make_patient(therapist, date_of_birth=born, reminder_consent_on=today)
        assert refused.value.message_dict["date_of_birth"] == [
            f"Enter a date of birth between 1 Jan 1900 and today ({in_words(today)})."
        ]


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
def test_consent_is_dated_between_birth_and_today(therapist, side, offset, accepted):
    consented = edge_day(BIRTH, timezone.localdate(), side, offset)
    if accepted:
        assert make_patient(therapist, date_of_birth=BIRTH, reminder_consent_on=consented)
    else:
        with pytest.raises(ValidationError) as refused:
            make_patient(therapist, date_of_birth=BIRTH, reminder_consent_on=consented)
        assert (
            "Consent is dated between 17 May 1984 and today"
            in (refused.value.message_dict["reminder_consent_on"][0])
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "0001-01-01"),
        ("date_of_birth", "1899-12-31"),
        ("date_of_birth", "9999-12-31"),
        ("reminder_consent_on", "9000-01-01"),
        ("reminder_consent_on", "1984-05-16"),  # the day before the birth
    ],
)
def test_a_far_off_date_is_refused_beside_the_field_with_the_input_kept(
    client_for, therapist, field, value
):
    response = client_for(therapist).post(reverse("patients:create"), {**VALID, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'value="{value}"' in response.content.decode()
    assert not Patient.objects.exists()


def test_consent_before_an_impossible_birth_is_measured_from_1900(therapist):
    with pytest.raises(ValidationError) as refused:
        make_patient(
            therapist, date_of_birth=date(9999, 12, 31), reminder_consent_on=date(1899, 12, 31)
        )
    assert "between 1 Jan 1900 and today" in refused.value.message_dict["reminder_consent_on"][0]
