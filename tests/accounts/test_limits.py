"""A supervision link is dated from 2000 to two years ahead, refused in words beside the field."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import Supervision
from ipt_clinic.validation import years_after
from tests.limits import WINDOW_EDGES, edge_day


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_a_supervision_link_is_dated_from_2000_to_two_years_ahead(
    client_for, clinic_admin, supervisor, colleague, field, side, offset, accepted
):
    day = edge_day(date(2000, 1, 1), years_after(timezone.localdate(), 2), side, offset)
    dates = {"starts_on": day} if field == "starts_on" else {"starts_on": date(2000, 1, 1)}
    dates[field] = day
    response = client_for(clinic_admin).post(
        reverse("staff:supervisions"),
        {"supervisor": supervisor.pk, "therapist": colleague.pk, **dates},
    )
    assert (response.status_code == 302) is accepted
    assert Supervision.objects.filter(therapist=colleague).exists() is accepted
    if not accepted:
        assert (
            "A supervision link is dated from 2000 to two years ahead"
            in (response.context["form"].errors[field][0])
        )
        assert day.isoformat() in response.content.decode()
