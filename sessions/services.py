"""Writes to courses, sessions and measures: each in one transaction, each audited."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt_clinic import hooks
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import User
from ipt_clinic.versions import EditVersion, check_current, locked_current, locked_one
from patients.models import Patient

from . import measure_schedule, reminders
from .models import (
    Amendment,
    Course,
    CourseContractChange,
    Measure,
    PrivateNote,
    TherapySession,
)
from .phases import Phase
from .scheduling import days_after, first_weekday_on_or_after, session_day_outside, weekly_starts

Attendance = TherapySession.Attendance


def course_audit(by, action, obj, course: Course, detail: str = "") -> None:
    """Audit an action on `obj`, which belongs to `course` (and so to its patient)."""
    audit_record(action=action, by=by, obj=obj, patient_id=course.patient_id, detail=detail)


def course_changed(course: Course) -> None:
    """What the apps above derive from the course's record is recomputed, in this
    transaction (oversight's caseload facts). Called by every service that changes the
    sessions, measures or contract of a course."""
    hooks.course_changed.tell([course.pk])


# --- Courses --------------------------------------------------------------------------------


@transaction.atomic
def course_open(
    *,
    by: User,
    patient: Patient,
    therapist: User,
    planned_sessions: int,
    start_date: date,
    usual_weekday: int,
    usual_time: time,
    session_minutes: int,
    indication: str,
    baseline: dict[str, dict[str, int]] | None = None,
) -> Course:
    """Open a course and book its sessions weekly in the clinic's time zone.

    `baseline` maps a measure kind to its item answers, taken at the assessment.
    """
    # The patient's row, locked: archiving at the same moment waits, then sees this course.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.is_archived:
        raise ValidationError("Restore the patient from the archive before opening a course.")
    if Course.objects.filter(patient=patient).open().exists():
        raise ValidationError("This patient already has an open IPT course.")
    course = Course(
        patient=patient,
        therapist=therapist,
        planned_sessions=planned_sessions,
        start_date=start_date,
        usual_weekday=usual_weekday,
        usual_time=usual_time,
        session_minutes=session_minutes,
        indication=indication,
    )
    course.full_clean()
    course.save()
    first_day = first_weekday_on_or_after(start_date, usual_weekday)
    starts = weekly_starts(first_day, usual_time, patient.clinic.zone, planned_sessions)
    booked = TherapySession.objects.bulk_create(
        TherapySession(
            course=course, number=n, scheduled_start=start, planned_minutes=session_minutes
        )
        for n, start in enumerate(starts, start=1)
    )
    reminders.reminders_plan(sessions=booked, clinic=patient.clinic)
    for kind, answers in (baseline or {}).items():
        measure = Measure(
            course=course, kind=kind, administered_on=start_date, recorded_by=therapist, **answers
        )
        measure.full_clean()
        measure.save()
        hooks.measure_recorded.tell(measure, by)
    course_audit(by, Action.CREATE, course, course)
    course_changed(course)
    return course


def locked_course(course: Course) -> Course:
    """The course's current row, locked for this transaction (the apps above lock it through
    this too: the course first, then its sessions, in every service)."""
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "therapist")
        .get(pk=course.pk)
    )


def _held_up_to(course: Course) -> int:
    """The highest session number already used up (attended or missed)."""
    last = course.sessions.happened().order_by("-number").values_list("number", flat=True).first()
    return last or 0


@transaction.atomic
def course_renegotiate(
    *,
    by: User,
    course: Course,
    new_planned: int,
    reason: str,
    agreed_with_patient: bool,
    changed_on: date,
    based_on: EditVersion | None = None,
) -> CourseContractChange:
    """Change the number of sessions (12-16, never below those already held) and log it.

    Added sessions are booked weekly after the last one; sessions beyond a shortened
    contract are cancelled, not deleted.
    """
    course = locked_course(course)
    check_current(course, based_on)
    if not course.is_open:
        raise ValidationError("The contract of a closed course cannot change.")
    if new_planned == course.planned_sessions:
        raise ValidationError({"new_planned": "That is the current number of sessions."})
    held = _held_up_to(course)
    if new_planned < held:
        raise ValidationError(
            {
                "new_planned": f"Session {held} has already taken place; "
                f"the contract cannot end before it."
            }
        )
    change = CourseContractChange(
        course=course,
        old_planned=course.planned_sessions,
        new_planned=new_planned,
        reason=reason,
        agreed_with_patient=agreed_with_patient,
        changed_on=changed_on,
        changed_by=by,
    )
    change.full_clean()
    change.save()

    sessions = {s.number: s for s in course.sessions.all()}
    if new_planned > course.planned_sessions:
        _book_sessions(course, sessions, range(course.planned_sessions + 1, new_planned + 1))
    else:
        reminders.reminders_cancel(
            sessions=course.sessions.filter(number__gt=new_planned), reason="contract shortened"
        )
        TherapySession.objects.filter(
            course=course, number__gt=new_planned, attendance=Attendance.SCHEDULED
        ).update(
            attendance=Attendance.CANCELLED,
            cancelled_by=TherapySession.CancelledBy.CLINIC,
            cancellation_reason="contract shortened",
            updated_at=timezone.now(),
        )
    course.planned_sessions = new_planned
    course.save(update_fields=["planned_sessions", "updated_at"])
    course_audit(
        by,
        Action.UPDATE,
        course,
        course,
        detail=f"contract {change.old_planned} -> {change.new_planned}",
    )
    course_changed(course)
    return change


def _book_sessions(course: Course, existing: dict[int, TherapySession], numbers) -> None:
    """Book `numbers` weekly after the latest appointment; reuse cancelled slots."""
    zone = course.patient.clinic.zone
    last_start = max(s.scheduled_start for s in existing.values())
    last_local_day = timezone.localtime(last_start, zone).date()
    numbers = list(numbers)
    starts = weekly_starts(last_local_day, course.usual_time, zone, len(numbers) + 1)[1:]
    for number, start in zip(numbers, starts, strict=True):
        session = existing.get(number)
        if session is None:
            TherapySession.objects.create(
                course=course,
                number=number,
                scheduled_start=start,
                planned_minutes=course.session_minutes,
            )
        elif session.attendance == Attendance.CANCELLED:
            session.attendance = Attendance.SCHEDULED
            session.scheduled_start = start
            session.cancelled_by = ""
            session.cancellation_reason = ""
            session.save()
    reminders.reminders_plan(
        sessions=course.sessions.filter(number__in=numbers), clinic=course.patient.clinic
    )


def _check_end_date(course: Course, ended_on: date) -> None:
    """A course ends no later than today and no earlier than its start or its last session
    that took place (dates in the clinic's time zone)."""
    zone = course.patient.clinic.zone
    today = timezone.localdate(timezone=zone)
    if ended_on > today:
        raise ValidationError({"ended_on": "A course ends today or earlier."})
    # A course booked to start later may end before it starts (the patient withdrew).
    if ended_on < min(course.start_date, today):
        raise ValidationError(
            {"ended_on": f"The course started on {course.start_date:%-d %b %Y}: it cannot end "
             "before."}
        )  # fmt: skip
    last = course.sessions.happened().order_by("-scheduled_start").first()
    if last and ended_on < timezone.localtime(last.scheduled_start, zone).date():
        raise ValidationError(
            {"ended_on": f"Session {last.number} took place on "
             f"{timezone.localtime(last.scheduled_start, zone):%-d %b %Y}: the course cannot "
             "end before."}
        )  # fmt: skip


def _cancel_remaining(course: Course, reason: str) -> None:
    reminders.reminders_cancel(sessions=course.sessions.all(), reason=reason)
    TherapySession.objects.filter(course=course, attendance=Attendance.SCHEDULED).update(
        attendance=Attendance.CANCELLED,
        cancelled_by=TherapySession.CancelledBy.CLINIC,
        cancellation_reason=reason,
        updated_at=timezone.now(),
    )


@transaction.atomic
def course_complete(*, by: User, course: Course, ended_on: date) -> Course:
    course = locked_course(course)
    if course.status != Course.Status.ACTIVE:
        raise ValidationError("Only an active course can be completed.")
    held = course.sessions.held().values_list("number", flat=True)
    if not any(course.phase_of(number) == Phase.TERMINATION for number in held):
        raise ValidationError(
            "A course is completed after its termination phase: no termination-phase session "
            "has been held yet. End it early instead if treatment stops now."
        )
    _check_end_date(course, ended_on)
    problems = hooks.ending_checks.problems(course) + hooks.completion_checks.problems(course)
    if problems:
        raise ValidationError(problems)
    _cancel_remaining(course, "course completed")
    course.status = Course.Status.COMPLETED
    course.ended_on = ended_on
    course.save(update_fields=["status", "ended_on", "updated_at"])
    course_audit(by, Action.UPDATE, course, course, detail="completed")
    course_changed(course)
    return course


@transaction.atomic
def course_end_early(*, by: User, course: Course, reason: str, ended_on: date) -> Course:
    course = locked_course(course)
    if not course.is_open:
        raise ValidationError("This course is already closed.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the course ends early."})
    _check_end_date(course, ended_on)
    problems = hooks.ending_checks.problems(course)
    if problems:
        raise ValidationError(problems)
    _cancel_remaining(course, "course ended early")
    course.status = Course.Status.ENDED_EARLY
    course.end_reason = reason.strip()
    course.ended_on = ended_on
    course.save(update_fields=["status", "end_reason", "ended_on", "updated_at"])
    course_audit(by, Action.UPDATE, course, course, detail="ended early")
    course_changed(course)
    return course


# --- Sessions -------------------------------------------------------------------------------


def _locked(session: TherapySession) -> TherapySession:
    """The session's current row, locked for this transaction: a note signed a moment ago in
    another tab must not be overwritten by a stale form."""
    return (
        TherapySession.objects.select_for_update(of=("self",))
        .select_related("course", "course__patient", "course__patient__clinic")
        .get(pk=session.pk)
    )


def _locked_with_course(session: TherapySession) -> TherapySession:
    """The session locked after its course, in the order every service that changes both
    takes them (course, then session): a measure that opens a risk episode locks the course
    too, and the other order could deadlock with a contract change."""
    locked_course(session.course)
    return _locked(session)


def _check_changeable(session: TherapySession) -> None:
    if not session.course.is_open:
        raise ValidationError("This course is closed; its sessions can no longer change.")


def _check_in_order(course: Course, moves: dict[int, datetime]) -> None:
    """After `moves` (session pk -> new start), the course's sessions that are not cancelled
    still come one after the other in the order of their numbers: session 2 after session 1
    and before session 3, never on the same slot."""
    zone = course.patient.clinic.zone

    def on(moment: datetime) -> str:
        local = timezone.localtime(moment, zone)
        return f"{local.day} {local:%b %Y %H:%M}"

    sessions = course.sessions.exclude(attendance=Attendance.CANCELLED).order_by("number")
    previous = None
    for session in sessions:
        start = moves.get(session.pk, session.scheduled_start)
        if previous is not None and start <= previous[1]:
            earlier, later = previous[0], session
            moved = earlier if earlier.pk in moves else later
            other = later if moved is earlier else earlier
            relation = "before" if moved is earlier else "after"
            raise ValidationError(
                {"day": f"Session {other.number} is on "
                 f"{on(moves.get(other.pk, other.scheduled_start))}: session {moved.number} "
                 f"must come {relation} it. To postpone the sessions that follow too, tick "
                 "“Move the later sessions as well”."}
            )  # fmt: skip
        previous = (session, start)


def _shifted(moment: datetime, days: int, zone) -> datetime:
    """The same wall-clock time `days` later in the clinic's zone, across a clock change too."""
    local = timezone.localtime(moment, zone)
    return datetime.combine(days_after(local.date(), days), local.time(), tzinfo=zone)


@transaction.atomic
def session_reschedule(
    *,
    by: User,
    session: TherapySession,
    new_start: datetime,
    planned_minutes: int,
    move_later: bool = False,
    based_on: EditVersion | None = None,
) -> TherapySession:
    """Move a scheduled session; with `move_later`, its later scheduled sessions move by as
    many days too (each at its own time of day), as when a patient is away for a week."""
    course = locked_course(session.course)  # two moves in one course at once keep their order
    session = _locked(session)
    check_current(session, based_on)
    _check_changeable(session)
    if session.attendance != Attendance.SCHEDULED:
        raise ValidationError("Only a session that is still scheduled can be moved.")
    zone = course.patient.clinic.zone
    problem = session_day_outside(
        timezone.localtime(new_start, zone).date(), today=timezone.localdate(timezone=zone)
    )
    if problem:
        raise ValidationError({"day": problem})
    later = []
    if move_later:
        days = (
            timezone.localtime(new_start, zone).date()
            - timezone.localtime(session.scheduled_start, zone).date()
        ).days
        later = list(
            course.sessions.select_for_update()
            .filter(number__gt=session.number, attendance=Attendance.SCHEDULED)
            .order_by("number")
        )
        for other in later:
            other.scheduled_start = _shifted(other.scheduled_start, days, zone)
    moves = {session.pk: new_start, **{other.pk: other.scheduled_start for other in later}}
    _check_in_order(course, moves)
    session.scheduled_start = new_start
    session.planned_minutes = planned_minutes
    session.full_clean()
    session.save(update_fields=["scheduled_start", "planned_minutes", "updated_at"])
    for other in later:
        other.save(update_fields=["scheduled_start", "updated_at"])
        detail = f"rescheduled with session {session.number}"
        course_audit(by, Action.UPDATE, other, course, detail=detail)
    reminders.reminders_plan(sessions=[session, *later], clinic=course.patient.clinic)
    course_audit(by, Action.UPDATE, session, course, detail="rescheduled")
    course_changed(course)
    return session


@transaction.atomic
def session_record_attendance(
    *,
    by: User,
    session: TherapySession,
    attendance: str,
    actual_minutes: int | None = None,
    cancelled_by: str = "",
    cancellation_reason: str = "",
    based_on: EditVersion | None = None,
) -> TherapySession:
    session = _locked_with_course(session)
    check_current(session, based_on)
    _check_changeable(session)
    if session.is_signed:
        raise ValidationError("The note is signed; attendance can no longer change.")
    if attendance != Attendance.CANCELLED and session.scheduled_start > timezone.now():
        raise ValidationError("This session has not started yet: it can only be cancelled.")
    session.attendance = attendance
    session.actual_minutes = actual_minutes if attendance == Attendance.ATTENDED else None
    session.cancelled_by = cancelled_by if attendance == Attendance.CANCELLED else ""
    session.cancellation_reason = cancellation_reason if attendance == Attendance.CANCELLED else ""
    # Who held it: the course's therapist now (a later handover does not rewrite it).
    session.held_by_id = session.course.therapist_id if attendance == Attendance.ATTENDED else None
    session.full_clean()
    session.save()
    if attendance != Attendance.SCHEDULED:
        reminders.reminders_cancel(
            sessions=[session], reason=f"session marked {session.get_attendance_display()}"
        )
    course = session.course
    if attendance == Attendance.ATTENDED and course.status == Course.Status.PLANNED:
        course.status = Course.Status.ACTIVE
        course.save(update_fields=["status", "updated_at"])
    course_audit(by, Action.UPDATE, session, course, detail=f"attendance {attendance}")
    course_changed(course)
    return session


def _check_note_editable(session: TherapySession) -> None:
    if session.is_signed:
        raise ValidationError("The note is signed. Add an amendment instead.")
    if session.attendance != Attendance.ATTENDED:
        raise ValidationError("Record that the session took place before writing its note.")


@transaction.atomic
def session_note_save(
    *,
    by: User,
    session: TherapySession,
    fields: dict,
    based_on: EditVersion | None = None,
) -> TherapySession:
    session = _locked(session)
    _check_note_editable(session)
    check_current(session, based_on)
    for name, value in fields.items():
        setattr(session, name, value)
    if session.note_author_id is None:
        session.note_author = by  # the first to write it; a later editor is in the audit
    session.full_clean()
    session.save()
    course_audit(by, Action.UPDATE, session, session.course, detail="note")
    course_changed(session.course)
    return session


def sign_problems(session: TherapySession) -> list[str]:
    """What stops the note from being signed, in words the therapist can act on: its own
    state, and what the apps above require (hooks.sign_checks: the risk re-check while risk
    is open, a middle-phase session's focus)."""
    problems = []
    if session.attendance != Attendance.ATTENDED:
        problems.append("Only the note of an attended session can be signed.")
    if not session.progress_note.strip():
        problems.append("Write the progress note before signing.")
    if session.attendance == Attendance.ATTENDED:
        phq9s = Measure.objects.phq9().filter(course_id=session.course_id).select_related("session")
        if measure_schedule.baseline_missing(session, list(phq9s)):
            problems.append(
                "Record the baseline PHQ-9 before signing: none was taken at the assessment "
                "or at a session up to this one."
            )
        problems += hooks.sign_checks.problems(session)
    return problems


@transaction.atomic
def session_sign(*, by: User, session: TherapySession, countersign: bool = False) -> TherapySession:
    """Sign the note: its author signs it as their own; anyone else who may sign it (the
    therapist who took the course over) only as "reviewed and countersigned", saying so
    (`countersign`), and the note keeps its author."""
    session = _locked(session)
    if session.is_signed:
        raise ValidationError("This note is already signed.")
    problems = sign_problems(session)
    if problems:
        raise ValidationError(problems)
    countersigning = not session.signs_as_author(by)
    if countersigning and not countersign:
        raise ValidationError(
            f"This note was written by {session.note_author.full_name}: read it, then sign it "
            "as reviewed and countersigned."
        )
    session.signed_at = timezone.now()
    session.signed_by = by
    session.save(update_fields=["signed_at", "signed_by", "updated_at"])
    course_audit(
        by, Action.SIGN, session, session.course, detail="countersigned" if countersigning else ""
    )
    course_changed(session.course)
    return session


@transaction.atomic
def session_amend(*, by: User, session: TherapySession, reason: str, text: str) -> Amendment:
    session = _locked(session)
    if not session.is_signed:
        raise ValidationError("The note is not signed yet: edit it directly.")
    amendment = Amendment(session=session, author=by, reason=reason, text=text)
    amendment.full_clean()
    amendment.save()
    course_audit(by, Action.AMEND, session, session.course)
    return amendment


@transaction.atomic
def private_note_save(
    *,
    by: User,
    session: TherapySession,
    text: str,
    based_on: EditVersion | None = None,
) -> PrivateNote:
    note, _ = PrivateNote.objects.get_or_create(session=session, author=by)
    note = locked_current(note, based_on)
    note.text = text
    note.save()
    course_audit(by, Action.UPDATE, session, session.course, detail="private note")
    return note


# --- Measures -------------------------------------------------------------------------------


@transaction.atomic
def measure_record(
    *,
    by: User,
    session: TherapySession,
    kind: str,
    answers: dict[str, int | None],
    based_on: EditVersion | None = None,
) -> Measure:
    """Record (or correct, until the note is signed) a session's PHQ-9 or GAD-7; refused when
    another window recorded or corrected it since the form was opened (a positive item 9
    must never be overwritten unseen)."""
    session = _locked_with_course(session)
    _check_changeable(session)
    if session.is_signed:
        raise ValidationError("The session is signed; its measures are part of the record.")
    if session.attendance != Attendance.ATTENDED:
        raise ValidationError("Record that the session took place before scoring measures.")
    measure = locked_one(
        Measure.objects.filter(session=session, kind=kind), based_on, blank=Measure(kind=kind)
    )
    created = measure is None
    if created:
        measure = Measure(course=session.course, session=session, kind=kind, recorded_by=by)
    measure.administered_on = timezone.localtime(
        session.scheduled_start, session.course.patient.clinic.zone
    ).date()
    for name, value in answers.items():
        setattr(measure, name, value)
    measure.full_clean()
    measure.save()
    hooks.measure_recorded.tell(measure, by)
    audit_record(
        action=Action.CREATE if created else Action.UPDATE,
        by=by,
        obj=measure,
        patient_id=session.course.patient_id,
    )
    course_changed(session.course)
    return measure
