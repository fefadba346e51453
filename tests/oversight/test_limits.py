"""A supervision note keeps to its length; the audit report asks about 2000 to 2100."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oversight import services
from tests.limits import WINDOW_EDGES, edge_day, too_long


def test_a_supervision_note_added_by_the_service_keeps_to_its_limit(supervisor, course):
    with pytest.raises(ValidationError) as refused:
        services.supervision_note_add(by=supervisor, course=course, text="x" * 10_001)
    assert refused.value.message_dict["text"] == [too_long(10_000)]


@pytest.mark.parametrize(("side", "offset", "accepted"), WINDOW_EDGES)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_the_audit_report_asks_about_2000_to_2100(
    client_for, clinic_admin, field, side, offset, accepted
):
    day = edge_day(date(2000, 1, 1), date(2100, 12, 31), side, offset)
    response = client_for(clinic_admin).get(reverse("clinic_admin:audit"), {field: day.isoformat()})
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field, [])
    expected = [] if accepted else ["Choose a date between 1 Jan 2000 and 31 Dec 2100."]
    assert errors == expected
