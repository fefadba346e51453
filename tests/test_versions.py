"""Stale edits refused (finding 4 of issue 13): the version is a fingerprint of the fields a
form edits, as stored; a save based on another version is refused with both shown."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import Supervision
from ipt_clinic.versions import StaleEdit, check_current, version_of
from tests.conftest import version_in

NAMES = ["full_name", "is_therapist", "is_supervisor"]


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({}, True),
        ({"full_name": "Tess Harper"}, True),  # saved again unchanged
        ({"full_name": "Tess Harper "}, False),  # a space is a change
        ({"is_supervisor": True}, False),
        ({"email": "other@clinic.test"}, True),  # not a field the form edits
    ],
)
def test_the_version_follows_the_edited_fields_only(therapist, change, same):
    before = version_of(therapist, NAMES)
    for name, value in change.items():
        setattr(therapist, name, value)
    assert (version_of(therapist, NAMES) == before) is same


def test_the_version_does_not_depend_on_the_order_of_names(therapist):
    assert version_of(therapist, NAMES) == version_of(therapist, reversed(NAMES))


@pytest.mark.parametrize("based_on", [None, "current"])
def test_a_current_or_absent_version_passes(therapist, based_on):
    check_current(therapist, NAMES, version_of(therapist, NAMES) if based_on else None)


@pytest.mark.parametrize("based_on", ["", "0" * 24, "not-a-version"])
def test_any_other_version_is_stale(therapist, based_on):
    with pytest.raises(StaleEdit) as refused:
        check_current(therapist, NAMES, based_on)
    assert refused.value.version == version_of(therapist, NAMES)


# --- Two admins, one account ------------------------------------------------------------------


def test_a_stale_roles_form_is_refused_with_both_versions(client_for, clinic_admin, colleague):
    from tests.conftest import make_user

    other = make_user("ada@clinic.test", clinic_admin.clinic, name="Ada", is_clinic_admin=True)
    url = reverse("staff:detail", args=[colleague.pk])
    first, second = client_for(clinic_admin), client_for(other)
    opened = version_in(second.get(url))
    saved = first.post(url, {"full_name": "Theo Okafor-Smith", "is_therapist": "on",
                             "based_on": version_in(first.get(url))})  # fmt: skip
    assert saved.status_code == 302

    stale = second.post(
        url,
        {"full_name": "Theo Okafor", "is_therapist": "on", "is_supervisor": "on",
         "based_on": opened},
    )  # fmt: skip
    assert stale.status_code == 200
    html = stale.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "Theo Okafor-Smith" in html  # what was saved meanwhile...
    [supervisor_box] = re.findall(r'<input[^>]*name="is_supervisor"[^>]*>', html)
    assert "checked" in supervisor_box  # ...beside the input as it was typed
    colleague.refresh_from_db()
    assert colleague.full_name == "Theo Okafor-Smith" and not colleague.is_supervisor

    again = second.post(
        url,
        {"full_name": "Theo Okafor", "is_therapist": "on", "is_supervisor": "on",
         "based_on": version_in(stale)},
    )  # fmt: skip
    assert again.status_code == 302  # having seen the other version, saving is deliberate
    colleague.refresh_from_db()
    assert colleague.full_name == "Theo Okafor" and colleague.is_supervisor


def test_a_stale_supervision_dates_form_is_refused(client_for, clinic_admin, supervisor, therapist):
    link = Supervision.objects.get(supervisor=supervisor)
    url = reverse("staff:supervision_edit", args=[link.pk])
    client = client_for(clinic_admin)
    opened = version_in(client.get(url))
    Supervision.objects.filter(pk=link.pk).update(ends_on=date(2027, 6, 30))  # another tab
    response = client.post(
        url, {"starts_on": link.starts_on, "ends_on": "2027-12-31", "based_on": opened}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "30 Jun 2027" in html and 'value="2027-12-31"' in html
    link.refresh_from_db()
    assert link.ends_on == date(2027, 6, 30)


# --- Two tabs, one patient ------------------------------------------------------------------


def test_a_stale_patient_form_is_refused_and_keeps_the_input(client_for, therapist, patient):
    url = reverse("patients:edit", args=[patient.pk])
    first, second = client_for(therapist), client_for(therapist)
    opened = version_in(second.get(url))
    data = {
        "record_number": patient.record_number,
        "given_name": "Alice",
        "family_name": "Archer",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "email": "alice@example.org",
        "phone": patient.phone,
        "preferred_channel": patient.preferred_channel,
        "reminder_consent": "on",
        "reminder_consent_on": patient.reminder_consent_on.isoformat(),
    }
    assert first.post(url, {**data, "based_on": version_in(first.get(url))}).status_code == 302
    stale = second.post(
        url,
        {**data, "email": "a.archer@example.org", "phone": "+44 7700 900999", "based_on": opened},
    )
    assert stale.status_code == 200
    html = stale.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "alice@example.org" in html  # saved meanwhile, shown...
    assert (
        'value="a.archer@example.org"' in html and 'value="+44 7700 900999"' in html
    )  # ...by mine
    patient.refresh_from_db()
    assert patient.email == "alice@example.org" and patient.phone != "+44 7700 900999"


def test_editing_a_patient_never_undoes_an_archive_made_meanwhile(client_for, therapist, patient):
    from patients.models import Patient

    url = reverse("patients:edit", args=[patient.pk])
    client = client_for(therapist)
    client.get(url)
    Patient.objects.filter(pk=patient.pk).update(
        status=Patient.Status.ARCHIVED, archived_at=timezone.now()
    )
    data = {name: getattr(patient, name) or "" for name in ["record_number", "given_name",
            "family_name", "email", "phone", "preferred_channel"]}  # fmt: skip
    data |= {"date_of_birth": patient.date_of_birth, "given_name": "Alicia"}
    client.post(url, data)  # an older page, without a version: no check, but only its fields
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ARCHIVED
