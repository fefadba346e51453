"""Writes to patients: each in a transaction, each audited."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt_clinic import hooks
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import User
from ipt_clinic.versions import EditVersion, with_edit_applied

from .models import Patient


@transaction.atomic
def patient_create(*, by: User, therapist: User, patient: Patient) -> Patient:
    """Save a new patient (built and validated by a form) on the therapist's caseload."""
    patient.clinic_id = therapist.clinic_id
    patient.therapist = therapist
    patient.full_clean()
    patient.save()
    audit_record(action=Action.CREATE, by=by, obj=patient, patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_update(*, by: User, patient: Patient, based_on: EditVersion | None = None) -> Patient:
    """Save the details a form changed on `patient` onto the stored row, refused when the row
    changed since the form was opened (`based_on`, ipt_clinic/versions.py). Only the form's
    fields are copied: an archive or an opt-out made meanwhile stays."""
    current = with_edit_applied(patient, based_on)
    if current.reminder_consent:
        current.reminders_opted_out_at = None  # consent given again after an opt-out
    current.full_clean()
    current.save()
    audit_record(action=Action.UPDATE, by=by, obj=current, patient_id=current.pk)
    return current


@transaction.atomic
def patient_discharge(*, by: User, patient: Patient) -> Patient:
    """Mark the patient discharged (no further treatment planned here): they leave the active
    caseload, their record stays as it is. Refused while an archive check objects (an open
    course) or when the patient is archived."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_archived:
        raise ValidationError("This patient is archived: restore them first.")
    problems = hooks.archive_checks.problems(patient)
    if problems:
        raise ValidationError(problems)
    patient.status = Patient.Status.DISCHARGED
    patient.save(update_fields=["status", "updated_at"])
    audit_record(
        action=Action.UPDATE, by=by, obj=patient, patient_id=patient.pk, detail="discharged"
    )
    return patient


@transaction.atomic
def patient_archive(*, by: User, patient: Patient) -> Patient:
    """Archive instead of delete: the record stays, out of the everyday caseload. Refused
    while a registered archive check objects (sessions: an open course)."""
    # The patient's row, locked: a course opened at the same moment waits, or is seen here.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    problems = hooks.archive_checks.problems(patient)
    if problems:
        raise ValidationError(problems)
    patient.status = Patient.Status.ARCHIVED
    patient.archived_at = timezone.now()
    patient.save(update_fields=["status", "archived_at", "updated_at"])
    audit_record(action=Action.ARCHIVE, by=by, obj=patient, patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_restore(*, by: User, patient: Patient) -> Patient:
    patient.status = Patient.Status.ACTIVE
    patient.archived_at = None
    patient.save(update_fields=["status", "archived_at", "updated_at"])
    audit_record(
        action=Action.UPDATE,
        by=by,
        obj=patient,
        patient_id=patient.pk,
        detail="restored from archive",
    )
    return patient
