"""Reads of courses, sessions and measures, always scoped by ipt_clinic.accounts.access."""

from datetime import datetime, time

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ipt_clinic.accounts.access import clinical_owner_ids, editable_owner_ids, roster_clinic_id
from patients.models import Patient

from .initial_tasks import outstanding_note_tasks
from .measure_schedule import due_at
from .models import (
    Course,
    Measure,
    PrivateNote,
    Reminder,
    TherapySession,
    WorkspaceDraft,
    note_fields_for,
)


def courses_for(user) -> QuerySet[Course]:
    """Courses the user may read: their own, or those of therapists they supervise today."""
    return Course.objects.filter(
        patient__clinic_id=user.clinic_id, therapist_id__in=clinical_owner_ids(user)
    )


def courses_editable_by(user) -> QuerySet[Course]:
    return Course.objects.filter(
        patient__clinic_id=user.clinic_id, therapist_id__in=editable_owner_ids(user)
    )


def _with_people(courses: QuerySet[Course]) -> QuerySet[Course]:
    return courses.select_related("patient", "therapist", "patient__clinic")


def course_get_for(user, pk: int, *, for_edit: bool = False) -> Course:
    """A course the user may read (a 404 otherwise); for_edit: one they may change."""
    courses = courses_editable_by(user) if for_edit else courses_for(user)
    return get_object_or_404(_with_people(courses), pk=pk)


def course_get_for_page(user, pk: int) -> Course:
    """A course with everything its page shows, in a fixed number of queries."""
    courses = _with_people(courses_for(user)).prefetch_related(
        Prefetch(
            "sessions",
            queryset=TherapySession.objects.order_by("number").prefetch_related(
                Prefetch("reminders", queryset=Reminder.objects.order_by("send_at"))
            ),
        ),
        Prefetch(
            "measures",
            queryset=Measure.objects.select_related("session").order_by("administered_on", "pk"),
        ),
        "contract_changes__changed_by",
    )
    course = get_object_or_404(courses, pk=pk)
    # Each prefetched session points back at this very course object (no query per row).
    for session in course.sessions.all():
        session.course = course
    return course


def sessions_for(user) -> QuerySet[TherapySession]:
    return TherapySession.objects.filter(
        course__patient__clinic_id=user.clinic_id,
        course__therapist_id__in=clinical_owner_ids(user),
    )


def sessions_editable_by(user) -> QuerySet[TherapySession]:
    return TherapySession.objects.filter(
        course__patient__clinic_id=user.clinic_id,
        course__therapist_id__in=editable_owner_ids(user),
    )


def _session_with_course(sessions: QuerySet[TherapySession]) -> QuerySet[TherapySession]:
    return sessions.select_related(
        "course",
        "course__patient",
        "course__patient__clinic",
        "course__therapist",
        "signed_by",
        "held_by",
        "note_author",
    )


def session_get_for(user, pk: int, *, for_edit: bool = False) -> TherapySession:
    """A session the user may read (a 404 otherwise); for_edit: one they may change."""
    sessions = sessions_editable_by(user) if for_edit else sessions_for(user)
    return get_object_or_404(_session_with_course(sessions), pk=pk)


def private_note_of(user, session: TherapySession) -> PrivateNote | None:
    """The user's own private note on a session; nobody else's is ever returned."""
    return PrivateNote.objects.filter(session=session, author=user).first()


def session_measures(session: TherapySession) -> dict[str, Measure]:
    return {m.kind: m for m in Measure.objects.filter(session=session)}


def taken_at(session: TherapySession, measures: list[Measure]) -> dict[str, Measure]:
    """Of the course's measures (course_measures), those taken at this session, by kind."""
    return {m.kind: m for m in measures if m.session_id == session.pk}


def course_measures(course: Course) -> list[Measure]:
    """Every measure of the course with its session (None: taken at the assessment)."""
    return list(Measure.objects.filter(course=course).select_related("session"))


def note_fields_of(session: TherapySession) -> list[str]:
    """The fields of this session's note: its phase's, and the initial tasks no other held
    session has done yet (sessions.initial_tasks)."""
    planned = session.course.planned_sessions
    return note_fields_for(min(session.number, planned), planned, outstanding_note_tasks(session))


def phq9_of(course: Course) -> list[Measure]:
    """The course's PHQ-9s, oldest first, each with its session (None: the baseline taken at
    the assessment)."""
    return list(
        Measure.objects.phq9()
        .filter(course=course)
        .select_related("session")
        .order_by("administered_on", "pk")
    )


def held_count_of(course: Course) -> int:
    return course.sessions.held().count()


def _latest_phq9_total(course_ref: str = "pk"):
    return Subquery(
        Measure.objects.phq9()
        .filter(course=OuterRef(course_ref))
        .order_by("-administered_on", "-pk")
        .values("total")[:1]
    )


def _first_phq9_total(course_ref: str = "pk"):
    return Subquery(
        Measure.objects.phq9()
        .filter(course=OuterRef(course_ref))
        .order_by("administered_on", "pk")
        .values("total")[:1]
    )


def _next_session_start():
    return Subquery(
        TherapySession.objects.filter(
            course=OuterRef("pk"), attendance=TherapySession.Attendance.SCHEDULED
        )
        .order_by("scheduled_start")
        .values("scheduled_start")[:1]
    )


def with_progress(courses: QuerySet[Course]) -> QuerySet[Course]:
    """Annotate sessions held, next appointment (its start and number) and PHQ-9
    baseline/latest: one query in all."""
    return courses.alias(
        phq9_count=Count("measures", filter=Q(measures__kind=Measure.Kind.PHQ9), distinct=True)
    ).annotate(
        held_count=Count("sessions", filter=Q(sessions__attendance="attended"), distinct=True),
        happened_count=Count(
            "sessions", filter=Q(sessions__attendance__in=["attended", "no_show"]), distinct=True
        ),
        next_start=_next_session_start(),
        next_number=Min("sessions__number", filter=Q(sessions__attendance="scheduled")),
        phq9_baseline=_first_phq9_total(),
        # Only a PHQ-9 taken after the baseline is a latest (sessions.outcomes).
        phq9_latest=Case(
            When(phq9_count__gte=2, then=_latest_phq9_total()),
            default=None,
            output_field=IntegerField(),
        ),
    )


def open_courses_for_home(user) -> QuerySet[Course]:
    """The therapist's own open courses for the home page, soonest appointment first."""
    return (
        with_progress(courses_editable_by(user).open())
        .select_related("patient")
        .order_by("next_start", "pk")
    )


def courses_of_patient(user, patient) -> QuerySet[Course]:
    return with_progress(courses_for(user).filter(patient=patient)).order_by("-start_date", "-pk")


def session_reminders(session: TherapySession) -> list[Reminder]:
    return list(session.reminders.order_by("send_at", "pk"))


def failed_reminders_for(user) -> QuerySet[Reminder]:
    """Failed reminders of the clinic, for its clinic admins: who to contact, and why."""
    clinic_id = roster_clinic_id(user)
    if clinic_id is None:
        return Reminder.objects.none()
    return (
        Reminder.objects.failed()
        .filter(session__course__patient__clinic_id=clinic_id)
        .select_related("session__course__patient__clinic", "session__course__therapist")
        .order_by("-updated_at", "-pk")
    )


def failed_reminder_get_for(user, pk: int) -> Reminder:
    return get_object_or_404(failed_reminders_for(user), pk=pk)


# --- Caseload handover (clinic admins) ------------------------------------------------------


def handover_courses_for(user, therapist) -> QuerySet[Course]:
    """The therapist's open courses, for a clinic admin of their clinic: roster-level data
    only (patient name and record number, status, next appointment)."""
    clinic_id = roster_clinic_id(user)
    if clinic_id is None or therapist.clinic_id != clinic_id:
        return Course.objects.none()
    return (
        Course.objects.open()
        .filter(therapist=therapist, patient__clinic_id=clinic_id)
        .annotate(next_start=_next_session_start())
        .select_related("patient")
        .only(
            "id",
            "status",
            "start_date",
            "planned_sessions",
            "therapist_id",
            "patient__id",
            "patient__given_name",
            "patient__family_name",
            "patient__record_number",
        )
        .order_by("patient__family_name", "patient__given_name", "pk")
    )


def handover_patients_for(user, therapist) -> QuerySet[Patient]:
    """The therapist's active patients without an open course (waiting, or between courses)."""
    clinic_id = roster_clinic_id(user)
    if clinic_id is None or therapist.clinic_id != clinic_id:
        return Patient.objects.none()
    return (
        Patient.objects.active()
        .filter(clinic_id=clinic_id, therapist=therapist)
        .exclude(courses__status__in=Course.OPEN_STATUSES)
        .only("id", "given_name", "family_name", "record_number", "therapist_id")
        .order_by("family_name", "given_name", "pk")
    )


def workspace_draft_of(user, session: TherapySession) -> WorkspaceDraft | None:
    """The user's own unsaved draft of the session's workspace, if newer than the session's
    last save (an older one was overtaken by a save elsewhere)."""
    draft = WorkspaceDraft.objects.filter(session=session, author=user).first()
    if draft is None or draft.saved_at < session.updated_at:
        return None
    return draft


def next_session_today(user, *, after: TherapySession) -> TherapySession | None:
    """The user's next session today to record after `after`: booked later today (clinic's
    day), in a course they treat, not signed, not cancelled."""
    _, end_of_day = _clinic_day(after.scheduled_start, after.course.patient.clinic.zone)
    return (
        _session_with_course(sessions_editable_by(user))
        .filter(scheduled_start__gt=after.scheduled_start, scheduled_start__lte=end_of_day)
        .filter(signed_at__isnull=True)
        .exclude(attendance=TherapySession.Attendance.CANCELLED)
        .order_by("scheduled_start")
        .first()
    )


def _clinic_day(moment, zone) -> tuple[datetime, datetime]:
    """The first and last instant of the clinic's day that contains `moment`."""
    day = timezone.localtime(moment, zone).date()
    return (
        timezone.make_aware(datetime.combine(day, time.min), zone),
        timezone.make_aware(datetime.combine(day, time.max), zone),
    )


def day_of_work(user, now) -> dict[str, list[TherapySession]]:
    """The therapist's day, for their home: today's sessions (the clinic's day), earlier ones
    whose attendance is not recorded, and earlier notes to finish and sign; each in a course
    they treat that is open, soonest first. One query."""
    start, end = _clinic_day(now, user.clinic.zone)
    Attendance = TherapySession.Attendance
    today = Q(scheduled_start__range=(start, end)) & ~Q(attendance=Attendance.CANCELLED)
    earlier = Q(scheduled_start__lt=start)
    unrecorded = earlier & Q(attendance=Attendance.SCHEDULED)
    unsigned = earlier & Q(attendance=Attendance.ATTENDED, signed_at__isnull=True)
    sessions = (
        _session_with_course(sessions_editable_by(user))
        .filter(course__status__in=Course.OPEN_STATUSES)
        .filter(today | unrecorded | unsigned)
        .order_by("scheduled_start", "pk")
    )
    work = {"today": [], "to_record": [], "to_sign": []}
    sessions = list(sessions)
    _mark_measures_due(sessions)
    for session in sessions:
        if session.scheduled_start >= start:
            work["today"].append(session)
        elif session.attendance == Attendance.SCHEDULED:
            work["to_record"].append(session)
        else:
            work["to_sign"].append(session)
    return work


def _mark_measures_due(sessions: list[TherapySession]) -> None:
    """Set `measures_due` (the labels of the measures due and not yet taken) on each session,
    from its course's measures: one query for all of them."""
    by_course: dict[int, list[Measure]] = {}
    measures = Measure.objects.filter(course_id__in={s.course_id for s in sessions})
    for measure in measures.select_related("session"):
        by_course.setdefault(measure.course_id, []).append(measure)
    for session in sessions:
        due = due_at(session, by_course.get(session.course_id, []))
        session.measures_due = [d.label for d in due if d.outstanding]
