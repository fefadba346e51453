from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from patients.models import Patient
from tests.conftest import make_patient, open_course

VALID = {
    "given_name": "Robin",
    "family_name": "Fairweather",
    "record_number": "R-100",
    "date_of_birth": "1984-05-17",
    "email": "robin@example.org",
    "phone": "+44 7700 900456",
    "preferred_channel": "email",
    "reminder_consent": "on",
    "reminder_consent_on": "2026-01-10",
}


def test_therapist_adds_a_patient_to_own_caseload(client_for, therapist):
    response = client_for(therapist).post(reverse("patients:create"), VALID)
    patient = Patient.objects.get()
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.therapist == therapist and patient.clinic == therapist.clinic
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", (timezone.localdate() + timedelta(days=1)).isoformat(), "between"),
        ("date_of_birth", "not a date", "valid date"),
        ("email", "robin@", "valid email"),
        ("phone", "call me", "phone number"),
        ("record_number", "<script>", "letters, digits"),
        ("reminder_consent_on", "", "date the patient consented"),
        ("given_name", "", "required"),
    ],
)
def test_bad_input_is_explained_beside_the_field_and_nothing_is_lost(
    client_for, therapist, field, value, message
):
    response = client_for(therapist).post(reverse("patients:create"), {**VALID, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="error_1_id_{field}"' in html or "invalid-feedback" in html
    assert 'value="Fairweather"' in html  # the rest of the input is kept
    assert not Patient.objects.exists()


def test_record_number_is_unique_within_the_clinic_only(client_for, therapist, other_therapist):
    make_patient(therapist, record_number="R-100")
    response = client_for(therapist).post(reverse("patients:create"), VALID)
    assert b"Another patient of this clinic has this record number" in response.content
    make_patient(other_therapist, record_number="R-100")  # another clinic: fine


def test_colleague_cannot_reach_the_patient_by_guessing_ids(client_for, patient, colleague):
    client = client_for(colleague)
    for name in ["patients:detail", "patients:edit"]:
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404
    assert client.post(reverse("patients:archive", args=[patient.pk])).status_code == 404
    patient.refresh_from_db()
    assert patient.status == "active"


def test_viewing_a_patient_is_audited(client_for, patient, therapist):
    client_for(therapist).get(reverse("patients:detail", args=[patient.pk]))
    event = AuditEvent.objects.get(action="view", patient_id=patient.pk)
    assert event.user == therapist and event.object_type == "patients.patient"


def test_archive_keeps_the_record_and_restore_brings_it_back(client_for, patient, therapist):
    client = client_for(therapist)
    client.post(reverse("patients:archive", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.status == "archived" and patient.archived_at
    assert "Archer, Alice" not in client.get(reverse("patients:list")).content.decode()
    assert (
        "Archer, Alice"
        in client.get(reverse("patients:list") + "?status=archived").content.decode()
    )
    client.post(reverse("patients:restore", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.status == "active" and patient.archived_at is None


def test_a_patient_in_treatment_is_not_archived(client_for, patient, therapist):
    from tests.conftest import open_course

    course = open_course(patient)
    response = client_for(therapist).post(
        reverse("patients:archive", args=[patient.pk]), follow=True
    )
    assert "has an open course: complete it or end it early first" in response.content.decode()
    patient.refresh_from_db()
    course.refresh_from_db()
    assert patient.status == "active" and course.is_open


def test_search_by_name_or_record_number(client_for, therapist):
    make_patient(therapist, given_name="Zoe", family_name="Quill", record_number="Q-7")
    make_patient(therapist, given_name="Adam", family_name="Brook", record_number="B-1")
    client = client_for(therapist)
    by_name = client.get(reverse("patients:list"), {"q": "quil"}).content.decode()
    assert "Quill" in by_name and "Brook" not in by_name
    by_number = client.get(reverse("patients:list"), {"q": "b-1"}).content.decode()
    assert "Brook" in by_number and "Quill" not in by_number


def test_supervisor_sees_supervisees_patients_but_cannot_edit(
    client_for, supervisor, patient, colleague_patient
):
    client = client_for(supervisor)
    listing = client.get(reverse("patients:list")).content.decode()
    assert patient.family_name in listing and colleague_patient.family_name not in listing
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert reverse("patients:edit", args=[patient.pk]) not in page


def test_admin_roster_has_contacts_and_no_clinical_content(client_for, clinic_admin, course):
    course.indication = "CLINICAL-CANARY"
    course.save()
    html = client_for(clinic_admin).get(reverse("clinic_admin:roster")).content.decode()
    assert course.patient.email in html and course.patient.therapist.full_name in html
    assert "CLINICAL-CANARY" not in html
    assert reverse("patients:detail", args=[course.patient.pk]) not in html


def test_caseload_list_queries_do_not_grow(client_for, therapist, queries_for):
    client = client_for(therapist)
    for _ in range(5):
        open_course(make_patient(therapist))
    few = queries_for(client, reverse("patients:list"))
    for _ in range(55):
        open_course(make_patient(therapist))
    assert queries_for(client, reverse("patients:list")) == few <= 10


def test_pagination_handles_nonsense(client_for, therapist):
    client = client_for(therapist)
    for page in ["-1", "abc", "999", "%00"]:
        assert client.get(reverse("patients:list"), {"page": page}).status_code == 200
