"""Posting fields a form does not offer (clinic, therapist, roles, superuser) changes nothing.

The staff roles form has its own test (tests/accounts/test_staff.py); these cover the rest.
"""

from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic, User
from patients.models import Patient
from sessions.models import Course
from tests.accounts.conftest import NEW_PASSWORD, path_of

SMUGGLED = {
    "clinic": "{other_clinic}",
    "clinic_id": "{other_clinic}",
    "therapist": "{colleague}",
    "therapist_id": "{colleague}",
    "is_superuser": "on",
    "is_staff": "on",
    "is_clinic_admin": "on",
    "is_supervisor": "on",
    "status": "archived",
    "signed_by": "{colleague}",
    "id": "999",
    "pk": "999",
}


def smuggled(other_clinic, colleague) -> dict:
    return {
        key: value.format(other_clinic=other_clinic.pk, colleague=colleague.pk)
        for key, value in SMUGGLED.items()
    }


PATIENT = {
    "given_name": "Mara",
    "family_name": "Smuggle",
    "record_number": "MS-1",
    "date_of_birth": "1990-02-03",
    "email": "mara@example.org",
    "phone": "",
    "preferred_channel": "email",
    "reminder_consent_on": "",
}


def test_patient_forms_keep_clinic_and_therapist(client_for, therapist, colleague, other_clinic):
    client = client_for(therapist)
    client.post(reverse("patients:create"), {**PATIENT, **smuggled(other_clinic, colleague)})
    patient = Patient.objects.get(record_number="MS-1")
    assert (patient.clinic_id, patient.therapist_id, patient.status) == (
        therapist.clinic_id,
        therapist.pk,
        "active",
    )
    client.post(
        reverse("patients:edit", args=[patient.pk]),
        {**PATIENT, "given_name": "Mira", **smuggled(other_clinic, colleague)},
    )
    patient.refresh_from_db()
    assert patient.given_name == "Mira"
    assert (patient.clinic_id, patient.therapist_id, patient.status) == (
        therapist.clinic_id,
        therapist.pk,
        "active",
    )


def test_course_form_keeps_the_therapist_and_status(
    client_for, therapist, colleague, patient, other_clinic
):
    start = timezone.localdate()
    client_for(therapist).post(
        reverse("sessions:course_open", args=[patient.pk]),
        {
            "planned_sessions": "12",
            "start_date": start.isoformat(),
            "usual_weekday": str(start.weekday()),
            "usual_time": "10:00",
            "session_minutes": "50",
            "indication": "x",
            **smuggled(other_clinic, colleague),
            "status": "completed",
        },
    )
    course = Course.objects.get()
    assert (course.therapist_id, course.status) == (therapist.pk, "planned")


def test_clinic_settings_change_only_the_admins_own_clinic(
    client_for, clinic_admin, clinic, other_clinic, colleague
):
    client = client_for(clinic_admin)
    page = client.get(reverse("clinic_admin:settings"))
    assert page.status_code == 200
    data = {}
    for form in (page.context["form"], page.context["flags_form"]):
        for name in form.fields:
            value = form[name].value()
            data[form.add_prefix(name)] = (
                "on" if value is True else "" if value in (False, None) else value
            )
    data.update(name="Renamed Clinic", **smuggled(other_clinic, colleague))
    data.pop("is_clinic_admin", None)
    client.post(reverse("clinic_admin:settings"), data)
    clinic.refresh_from_db()
    other_clinic.refresh_from_db()
    assert clinic.name == "Renamed Clinic"  # the form itself was accepted
    assert other_clinic.name == "Elsewhere Clinic"
    clinic_admin.refresh_from_db()
    assert not clinic_admin.is_superuser and clinic_admin.clinic_id == clinic.pk
    assert Clinic.objects.filter(name="Elsewhere Clinic").exists()


def test_accepting_an_invitation_grants_only_the_invited_roles(
    invite, clinic, other_clinic, colleague
):
    _, link = invite("new@clinic.test", is_therapist=True)
    from django.test import Client

    Client().post(
        path_of(link),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **smuggled(other_clinic, colleague)},
    )
    user = User.objects.get(email="new@clinic.test")
    assert (
        user.clinic_id,
        user.is_therapist,
        user.is_clinic_admin,
        user.is_superuser,
        user.is_supervisor,
    ) == (clinic.pk, True, False, False, False)
