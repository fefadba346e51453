"""Reads of patients, always scoped by ipt_clinic.accounts.access."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ipt_clinic.accounts.access import clinical_owner_ids, editable_owner_ids, roster_clinic_id

from .models import Patient


def patients_for(user) -> QuerySet[Patient]:
    """Patients whose clinical record the user may read (own, or supervisees')."""
    return Patient.objects.filter(
        clinic_id=user.clinic_id, therapist_id__in=clinical_owner_ids(user)
    ).select_related("therapist")


def patients_editable_by(user) -> QuerySet[Patient]:
    return Patient.objects.filter(
        clinic_id=user.clinic_id, therapist_id__in=editable_owner_ids(user)
    ).select_related("therapist")


def patient_get_for(user, pk: int, *, for_edit: bool = False) -> Patient:
    """A patient the user may read (a 404 otherwise); for_edit: one they may change."""
    return get_object_or_404(patients_editable_by(user) if for_edit else patients_for(user), pk=pk)


def roster_for(user) -> QuerySet[Patient]:
    """The clinic's roster for its admins: identity, contact, therapist; nothing clinical."""
    clinic_id = roster_clinic_id(user)
    if clinic_id is None:
        return Patient.objects.none()
    return (
        Patient.objects.filter(clinic_id=clinic_id)
        .select_related("therapist")
        .only(
            "pk",
            "record_number",
            "given_name",
            "family_name",
            "email",
            "phone",
            "preferred_channel",
            "reminder_consent",
            "status",
            "therapist__full_name",
        )
    )
