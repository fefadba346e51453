"""The clinic settings page: the clinic's own fields and its caseload flag thresholds."""

import pytest
from django.urls import reverse

from ipt_clinic.accounts.models import AuditEvent, Clinic
from oversight.models import FlagThresholds

URL = reverse("clinic_admin:settings")


@pytest.fixture
def admin_client(client_for, clinic_admin):
    return client_for(clinic_admin)


def valid(**changes) -> dict:
    data = {
        "name": "Test Clinic",
        "timezone": "Europe/Dublin",
        "default_session_minutes": "60",
        "reminder_lead_hours": "48",
        "second_reminder_lead_hours": "3",
        "contact_phone": "+44 20 7946 0000",
        "contact_email": "desk@clinic.test",
        "require_two_factor": "",
        "session_idle_minutes": "10",
        "phq9_every_sessions": "1",
        "gad7_every_sessions": "4",
        "flags-problem_area_by_session": "5",
        "flags-min_improvement_percent": "25",
        "flags-drift_sessions": "2",
        "flags-termination_raised_before_end": "2",
        "flags-unsigned_note_hours": "72",
        "flags-gap_days": "21",
        "flags-past_contract_grace_days": "7",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_an_admin_saves_the_settings_and_thresholds_together(admin_client, clinic):
    response = admin_client.post(URL, valid())
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.timezone, clinic.default_session_minutes, clinic.reminder_lead_hours) == (
        "Europe/Dublin",
        60,
        48,
    )
    assert clinic.session_idle_minutes == 10 and not clinic.require_two_factor
    thresholds = FlagThresholds.objects.get(clinic=clinic)
    assert (thresholds.gap_days, thresholds.unsigned_note_hours) == (21, 72)
    event = AuditEvent.objects.get(object_type="accounts.clinic")
    assert "timezone" in event.detail and "session_idle_minutes" in event.detail
    event = AuditEvent.objects.get(object_type="caseload.flagthresholds")
    assert "gap_days" in event.detail and "drift_sessions" not in event.detail


def test_the_page_shows_the_current_values(admin_client, clinic):
    FlagThresholds.objects.create(clinic=clinic, gap_days=30)
    html = admin_client.get(URL).content.decode()
    assert 'value="30"' in html and 'value="Test Clinic"' in html
    assert '<option value="Europe/London" selected>' in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"second_reminder_lead_hours": "48"}, "second_reminder_lead_hours", "after the first"),
        ({"session_idle_minutes": "20"}, "session_idle_minutes", "less than or equal to 15"),
        ({"session_idle_minutes": "4"}, "session_idle_minutes", "greater than or equal to 5"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
        ({"default_session_minutes": "abc"}, "default_session_minutes", "whole number"),
        ({"contact_phone": "call me"}, "contact_phone", "digits, spaces or dashes"),
        ({"contact_email": "desk@"}, "contact_email", "valid email"),
        ({"name": ""}, "name", "required"),
        ({"flags-gap_days": "3"}, "flags-gap_days", "greater than or equal to 7"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_kept(
    admin_client, clinic, changes, field, message
):
    response = admin_client.post(URL, valid(**changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="error_1_id_{field}"' in html  # crispy's error element beside the field
    assert "Nothing was saved" in html
    assert 'value="desk@clinic.test"' in html or field == "contact_email"  # input kept
    clinic.refresh_from_db()
    assert clinic.timezone == "Europe/London" and clinic.reminder_lead_hours == 24
    assert not FlagThresholds.objects.exists()


def test_a_name_used_by_another_clinic_is_refused(admin_client, clinic, other_clinic):
    response = admin_client.post(URL, valid(name=other_clinic.name))
    assert "already exists" in response.content.decode()


def test_an_admin_changes_only_their_own_clinic(client_for, other_admin, clinic, other_clinic):
    client_for(other_admin).post(URL, valid(name="Renamed", clinic=clinic.pk, pk=clinic.pk))
    clinic.refresh_from_db(), other_clinic.refresh_from_db()
    assert clinic.name == "Test Clinic" and other_clinic.name == "Renamed"


def test_settings_are_for_clinic_admins_only(client_for, therapist, supervisor):
    for user in (therapist, supervisor):
        assert client_for(user).post(URL, valid(name="Hijacked")).status_code == 403
    assert Clinic.objects.filter(name="Hijacked").count() == 0


def test_time_zones_offered_are_the_current_names_and_the_clinics_own(tmp_path, monkeypatch):
    from oversight.clinic import forms as clinic_forms

    table = tmp_path / "zone.tab"
    table.write_text(
        "# comment\nIN\t+2232+08822\tAsia/Kolkata\nNO\t+5955+01045\tEurope/Oslo\n"
        "XX\t+0000+00000\tNot/AZone\n"
    )
    monkeypatch.setattr(clinic_forms, "ZONE_TABLE", table)
    clinic_forms._zone_names.cache_clear()
    try:
        names = [name for name, _ in clinic_forms.timezone_choices()]
        assert names == ["Asia/Kolkata", "Europe/Oslo", "UTC"]  # known zones only, plus UTC
        kept = [name for name, _ in clinic_forms.timezone_choices("Asia/Calcutta")]
        assert "Asia/Calcutta" in kept  # a clinic already on an old alias keeps it
    finally:
        clinic_forms._zone_names.cache_clear()


# The measurement schedule: each measure every 1 to 4 sessions (IPT certification asks for
# both at least every 4th), in the form and in the database.
@pytest.mark.parametrize(
    ("phq9", "gad7", "saved"),
    [("1", "4", True), ("4", "1", True), ("2", "2", True), ("0", "4", False),
     ("1", "5", False), ("5", "4", False), ("", "4", False), ("1", "-1", False)],
)  # fmt: skip
def test_the_measurement_schedule_stays_within_every_4_sessions(
    admin_client, clinic, phq9, gad7, saved
):
    response = admin_client.post(URL, valid(phq9_every_sessions=phq9, gad7_every_sessions=gad7))
    assert (response.status_code == 302) == saved
    clinic.refresh_from_db()
    expected = (int(phq9), int(gad7)) if saved else (1, 4)
    assert (clinic.phq9_every_sessions, clinic.gad7_every_sessions) == expected


def test_the_database_refuses_a_schedule_past_every_4_sessions(clinic):
    from django.db import IntegrityError, transaction

    from ipt_clinic.accounts.models import Clinic

    for field in ("phq9_every_sessions", "gad7_every_sessions"):
        for value in (0, 5):
            with pytest.raises(IntegrityError), transaction.atomic():
                Clinic.objects.filter(pk=clinic.pk).update(**{field: value})
