"""Reads for supervision, scoped through access.py and the course selectors."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ipt_clinic.accounts.access import is_treating, supervisees_for
from ipt_clinic.accounts.models import User
from sessions.models import Amendment, Course, TherapySession
from sessions.selectors import courses_editable_by, courses_for, sessions_for

from . import store
from .flags import FLAGS_BY_CODE
from .models import FidelityRating, FlagThresholds, NoteReview, SupervisionNote

PHASES = ["initial", "middle", "termination"]


def supervised_courses(user, supervisees: list[User] | None = None) -> QuerySet[Course]:
    """Open courses of the therapists this user supervises today (not their own caseload).
    `supervisees`: supervisees_for(user), when the caller has fetched them already; their
    ids then go in as a list, so the planner narrows the courses first (a subquery made it
    join every open course of the clinic before)."""
    if supervisees is None:
        return courses_for(user).open().filter(therapist__in=supervisees_for(user))
    return courses_for(user).open().filter(therapist_id__in=[t.pk for t in supervisees])


def course_get_for_supervision(user, pk: int) -> Course:
    return get_object_or_404(supervised_courses(user).select_related("patient", "therapist"), pk=pk)


def session_get_for_supervision(user, pk: int) -> TherapySession:
    return get_object_or_404(
        sessions_for(user)
        .filter(course__therapist__in=supervisees_for(user))
        .select_related("course", "course__patient", "course__therapist"),
        pk=pk,
    )


def session_get_for_rating(user, pk: int) -> tuple[TherapySession, str]:
    """A session this user may rate for fidelity, and in which capacity."""
    session = get_object_or_404(
        sessions_for(user).select_related("course", "course__patient", "course__therapist"),
        pk=pk,
    )
    if is_treating(user, session):
        return session, "therapist"
    if supervisees_for(user).filter(pk=session.course.therapist_id).exists():
        return session, "supervisor"
    raise Http404  # sessions_for yields only own or supervised sessions; kept as a guard


def note_review_of(session: TherapySession) -> NoteReview | None:
    return NoteReview.objects.filter(session=session).select_related("reviewer").first()


def fidelity_rating_of(session: TherapySession, rated_by: str) -> FidelityRating | None:
    return FidelityRating.objects.filter(session=session, rated_by=rated_by).first()


@dataclass
class Caseload:
    ids: list[int]  # the courses shown (filtered), most urgent first
    summaries: list[dict]  # one per supervisee with open courses, whatever the filters
    therapists: list[User]  # the supervisees, by name
    thresholds: FlagThresholds
    now: datetime  # the instant the flags are raised at

    def courses(self, ids: list[int]) -> list[Course]:
        """Some of the courses (a page of `ids`), in their order, with patient, therapist,
        and their facts and flags as attributes (one query)."""
        # The ids come from the scoped query of caseload_for.
        by_pk = Course.objects.select_related("patient", "therapist", "facts").in_bulk(ids)
        return [store.mark_stored(by_pk[pk], self.thresholds, self.now) for pk in ids]


def _counts(courses: QuerySet[Course], now: datetime) -> dict[int, dict]:
    """Per therapist: open courses, flagged ones, and unsigned notes."""
    return {
        row["therapist_id"]: row
        for row in courses.order_by()
        .values("therapist_id")
        .annotate(
            courses=Count("pk"),
            flagged=Count("pk", filter=store.any_raised(now)),
            unsigned=Sum("facts__unsigned_count"),
        )
    }


def caseload_for(user, *, therapist_id=None, phase=None, area=None, flag=None) -> Caseload:
    """The supervisor's open caseload, most urgent first, filtered, and a summary per
    therapist, in a fixed number of queries whatever the number of courses: the summary,
    the ordered ids, and later the page's courses. Severity, filters, order and counts run
    in the database, on the stored facts (store.py), which the services keep current."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    therapists = list(supervisees_for(user).order_by("full_name", "pk").only("full_name"))
    courses = supervised_courses(user, therapists)
    store.ensure(courses)
    now = timezone.now()
    counts = _counts(courses, now)
    summaries = [
        {"therapist__full_name": therapist.full_name, **counts[therapist.pk]}
        for therapist in therapists
        if therapist.pk in counts
    ]
    if therapist_id in {therapist.pk for therapist in therapists}:  # else: everyone's
        courses = courses.filter(therapist_id=therapist_id)
    if phase in PHASES:
        courses = courses.filter(facts__phase_code=phase)
    if area:
        courses = courses.filter(facts__primary_area=area)
    if flag in FLAGS_BY_CODE:
        courses = courses.filter(store.raised(flag, now))
    elif flag == "any":
        courses = courses.filter(store.any_raised(now))
    return Caseload(
        ids=list(store.most_urgent_first(courses, now).values_list("pk", flat=True)),
        summaries=summaries,
        therapists=therapists,
        thresholds=thresholds,
        now=now,
    )


def own_flagged_courses(user) -> tuple[list[Course], FlagThresholds]:
    """The therapist's own open courses that carry a flag, for their home page."""
    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    now = timezone.now()
    courses = (
        courses_editable_by(user)
        .open()
        .filter(store.any_raised(now))
        .select_related("patient", "facts")
    )
    flagged = [store.mark_stored(course, thresholds, now) for course in courses]
    return sorted(flagged, key=lambda c: (-c.flag_severity, c.pk)), thresholds


def notes_needing_revision(user):
    """The therapist's own signed notes a supervisor sent back for revision, oldest first:
    they stay listed until the supervisor co-signs; `amended` once the therapist has added
    an amendment since the review."""
    amended_since = Amendment.objects.filter(
        session=OuterRef("session"), created_at__gt=OuterRef("updated_at")
    )
    return (
        NoteReview.objects.filter(
            session__course__in=courses_editable_by(user),
            status=NoteReview.Status.NEEDS_REVISION,
        )
        .annotate(amended=Exists(amended_since))
        .select_related("reviewer", "session__course__patient")
        .order_by("updated_at", "pk")
    )


def recent_supervision_notes(user, limit: int = 5):
    """Supervision notes on the therapist's own courses, newest first."""
    return (
        SupervisionNote.objects.filter(course__in=courses_editable_by(user))
        .select_related("author", "course__patient")
        .order_by("-created_at")[:limit]
    )
