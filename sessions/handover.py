"""Caseload handover: a therapist's open courses (and waiting patients) move to a colleague.

It lives in sessions, not accounts, because it moves courses and patients, and accounts never
imports the apps above it. What moves, in one transaction:

- each chosen open course: `Course.therapist`; its sessions belong to the course, so every
  future appointment moves with it, and its reminder rows with the sessions. Reminders store
  nothing of the therapist (the message names the clinic, never the therapist), so pending
  reminders stay pending exactly as they were: the patient notices no change;
- the patient of each moved course, and each chosen active patient without an open course:
  `Patient.therapist`;
- closed courses stay with the therapist who held them: they record who treated the patient.

Every moved course and patient is audited with its patient id.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import User
from patients.models import Patient

from .models import Course


def open_course_problems(patient: Patient) -> list[str]:
    """An archive check for patients (registered in SessionsConfig.ready): a patient in
    treatment is archived only once their course is completed or ended."""
    if not Course.objects.open().filter(patient=patient).exists():
        return []
    return [
        f"{patient.full_name} has an open course: complete it or end it early first "
        "(that cancels its remaining sessions and reminders), then archive."
    ]


def open_caseload_problems(user: User) -> list[str]:
    """A caseload check for accounts (registered in SessionsConfig.ready): what must be handed
    over before the therapist is deactivated or loses the therapist role."""
    courses = Course.objects.open().filter(therapist=user).count()
    waiting = (
        Patient.objects.active()
        .filter(therapist=user)
        .exclude(courses__status__in=Course.OPEN_STATUSES)
        .count()
    )
    if not courses and not waiting:
        return []
    parts = []
    if courses:
        parts.append(f"{courses} open course{'s' if courses != 1 else ''}")
    if waiting:
        parts.append(f"{waiting} active patient{'s' if waiting != 1 else ''} without a course")
    return [f"{user.full_name} still has {' and '.join(parts)}: hand the caseload over first."]


def handover_check(*, admin: User, from_therapist: User, to_therapist: User) -> None:
    errors = {}
    if to_therapist.clinic_id != admin.clinic_id or from_therapist.clinic_id != admin.clinic_id:
        errors["to_therapist"] = "Choose a therapist of your clinic."
    elif to_therapist.pk == from_therapist.pk:
        errors["to_therapist"] = "Choose another therapist than the one handing over."
    elif not (to_therapist.is_active and to_therapist.is_therapist):
        errors["to_therapist"] = "Choose an active member of staff with the therapist role."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def caseload_handover(
    *,
    by: User,
    from_therapist: User,
    to_therapist: User,
    courses: Iterable[Course] | None = None,
    patients: Iterable[Patient] = (),
) -> tuple[int, int]:
    """Move open courses of `from_therapist` (all when `courses` is None) with their patients,
    and the chosen patients without an open course, to `to_therapist`.

    Returns (courses moved, patients moved). Rows that are no longer open or no longer on
    `from_therapist`'s caseload when the transaction runs are left alone.
    """
    admin = by
    handover_check(admin=admin, from_therapist=from_therapist, to_therapist=to_therapist)
    # Lock the receiving therapist's row, so they cannot be deactivated meanwhile.
    to_therapist = User.objects.select_for_update().get(pk=to_therapist.pk)
    handover_check(admin=admin, from_therapist=from_therapist, to_therapist=to_therapist)
    open_courses = Course.objects.open().filter(
        therapist=from_therapist, patient__clinic_id=admin.clinic_id
    )
    if courses is not None:
        open_courses = open_courses.filter(pk__in=[c.pk for c in courses])
    moving = list(open_courses.select_for_update().order_by("pk").values_list("pk", "patient_id"))
    course_ids = [pk for pk, _ in moving]
    now = timezone.now()
    Course.objects.filter(pk__in=course_ids).update(therapist=to_therapist, updated_at=now)

    waiting_ids = list(
        Patient.objects.active()
        .filter(
            clinic_id=admin.clinic_id,
            therapist=from_therapist,
            pk__in=[p.pk for p in patients],
        )
        .exclude(courses__status__in=Course.OPEN_STATUSES)
        .values_list("pk", flat=True)
    )
    patient_ids = sorted({patient_id for _, patient_id in moving} | set(waiting_ids))
    Patient.objects.filter(
        pk__in=patient_ids, clinic_id=admin.clinic_id, therapist=from_therapist
    ).update(therapist=to_therapist, updated_at=now)

    detail = (
        f"caseload handover from {from_therapist.full_name} (#{from_therapist.pk}) "
        f"to {to_therapist.full_name} (#{to_therapist.pk})"
    )
    for course_id, patient_id in moving:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=Course(pk=course_id),
            patient_id=patient_id,
            detail=detail,
        )
    for patient_id in waiting_ids:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=Patient(pk=patient_id),
            patient_id=patient_id,
            detail=detail,
        )
    return len(course_ids), len(waiting_ids)
