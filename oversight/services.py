"""Supervision writes: notes, review marks, note reviews and fidelity ratings, all audited."""

from django.core.exceptions import ValidationError
from django.db import transaction

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import Clinic, User
from ipt_clinic.versions import EditVersion, locked_one, with_edit_applied
from sessions.models import Course, TherapySession
from sessions.services import course_audit

from . import store
from .models import (
    FIDELITY_CHECKLIST,
    CourseReview,
    FidelityRating,
    FlagThresholds,
    NoteReview,
    SupervisionNote,
)


@transaction.atomic
def supervision_note_add(*, by: User, course: Course, text: str) -> SupervisionNote:
    note = SupervisionNote(course=course, author=by, text=text.strip())
    note.full_clean()
    note.save()
    course_audit(by, Action.CREATE, note, course)
    return note


@transaction.atomic
def course_mark_reviewed(*, by: User, course: Course) -> CourseReview:
    review = CourseReview.objects.create(course=course, reviewer=by)
    course_audit(by, Action.UPDATE, course, course, detail="marked reviewed")
    return review


@transaction.atomic
def note_review_save(
    *,
    by: User,
    session: TherapySession,
    status: str,
    comment: str,
    based_on: EditVersion | None = None,
) -> NoteReview:
    if not session.is_signed:
        raise ValidationError("Only a signed note can be reviewed.")
    locked_one(
        NoteReview.objects.filter(session=session), based_on, blank=NoteReview(session=session)
    )
    review, _ = NoteReview.objects.get_or_create(session=session, defaults={"reviewer": by})
    review.reviewer = by
    review.status = status
    review.comment = comment.strip()
    review.full_clean()
    review.save()
    course_audit(
        by,
        Action.UPDATE if status != "co_signed" else Action.SIGN,
        session,
        session.course,
        detail=f"note review: {NoteReview.Status(status).label}",
    )
    return review


@transaction.atomic
def fidelity_rate(
    *,
    by: User,
    session: TherapySession,
    rated_by: str,
    checklist: list[str],
    adherence: int,
    comment: str,
    based_on: EditVersion | None = None,
) -> FidelityRating:
    if session.attendance != TherapySession.Attendance.ATTENDED:
        raise ValidationError("Only a session that took place can be rated.")
    allowed = {code for code, _ in FIDELITY_CHECKLIST[session.phase.value]}
    if not set(checklist) <= allowed:
        raise ValidationError({"checklist": "Tick items of this phase's checklist."})
    locked_one(
        FidelityRating.objects.filter(session=session, rated_by=rated_by),
        based_on,
        blank=FidelityRating(session=session, rated_by=rated_by),
    )
    rating, _ = FidelityRating.objects.get_or_create(
        session=session,
        rated_by=rated_by,
        defaults={"rater": by, "adherence": adherence},
    )
    rating.rater = by
    rating.checklist = checklist
    rating.adherence = adherence
    rating.comment = comment.strip()
    rating.full_clean()
    rating.save()
    course_audit(by, Action.UPDATE, session, session.course, detail=f"fidelity by {rated_by}")
    return rating


# The clinic settings the caseload's facts read (the measurement schedule).
SCHEDULE_SETTINGS = {"phq9_every_sessions", "gad7_every_sessions"}


@transaction.atomic
def clinic_settings_save(
    *,
    by: User,
    clinic: Clinic,
    thresholds: FlagThresholds,
    changed: list[str],
    thresholds_changed: list[str],
    clinic_based_on: EditVersion | None = None,
    thresholds_based_on: EditVersion | None = None,
) -> None:
    """Save a clinic's settings and its caseload flag thresholds together, or neither; refused
    when either changed since the form was opened (ipt_clinic/versions.py)."""
    clinic = with_edit_applied(clinic, clinic_based_on)
    thresholds = with_edit_applied(thresholds, thresholds_based_on)
    clinic.full_clean()
    clinic.save()
    thresholds.clinic = clinic
    thresholds.full_clean()
    thresholds.save()
    if changed:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=clinic,
            detail=f"clinic settings changed: {', '.join(changed)}",
        )
    if thresholds_changed:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=thresholds,
            detail=f"flag thresholds changed: {', '.join(thresholds_changed)}",
        )
    if thresholds_changed or set(changed) & SCHEDULE_SETTINGS:
        # Every course's stored flags were computed with the old thresholds or schedule.
        store.refresh_all(Course.objects.filter(patient__clinic=clinic))
