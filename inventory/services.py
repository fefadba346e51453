"""Writes to the inventory, timeline, formulation, problem areas and termination review.

Each runs in one transaction and records an audit event; nothing clinical is deleted (people
and events are removed from view with a timestamp and stay in the record).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.audit import Action
from ipt_clinic.accounts.models import User
from ipt_clinic.versions import (
    EditVersion,
    check_current,
    locked_current,
    locked_one,
    with_edit_applied,
)
from sessions.models import Course, TherapySession
from sessions.phases import Phase
from sessions.services import course_audit, course_changed

from .models import (
    Area,
    DisputeStageChange,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)


def _check_open(course: Course) -> None:
    if not course.is_open:
        raise ValidationError("This course is closed; its record can no longer change.")


# --- Inventory and timeline -------------------------------------------------------------------


@transaction.atomic
def relationship_save(
    *, by: User, relationship: Relationship, based_on: EditVersion | None = None
) -> Relationship:
    _check_open(relationship.course)
    created = relationship.pk is None
    relationship = with_edit_applied(relationship, based_on)
    relationship.full_clean()
    relationship.save()
    course_audit(by, Action.CREATE if created else Action.UPDATE, relationship, relationship.course)
    course_changed(relationship.course)
    return relationship


@transaction.atomic
def relationship_remove(*, by: User, relationship: Relationship) -> None:
    """Take a person off the inventory. Refused while the formulation or an area names them."""
    _check_open(relationship.course)
    in_use = ProblemArea.objects.filter(Q(deceased=relationship) | Q(other_party=relationship))
    if in_use.exists():
        raise ValidationError(
            f"{relationship.name} is the person of a chosen problem area; change the "
            "formulation first."
        )
    relationship.removed_at = timezone.now()
    relationship.save(update_fields=["removed_at", "updated_at"])
    course_audit(by, Action.ARCHIVE, relationship, relationship.course)
    course_changed(relationship.course)


@transaction.atomic
def life_event_save(*, by: User, event: LifeEvent) -> LifeEvent:
    _check_open(event.course)
    created = event.pk is None
    event.full_clean()
    event.save()
    course_audit(by, Action.CREATE if created else Action.UPDATE, event, event.course)
    return event


@transaction.atomic
def life_event_remove(*, by: User, event: LifeEvent) -> None:
    _check_open(event.course)
    event.removed_at = timezone.now()
    event.save(update_fields=["removed_at"])
    course_audit(by, Action.ARCHIVE, event, event.course)


# --- Formulation and problem areas -------------------------------------------------------------


def _has_work(area: ProblemArea) -> bool:
    return (
        area.goals.exists()
        or area.stage_changes.exists()
        or SessionFocus.objects.filter(problem_area=area).exists()
    )


def _place_area(course: Course, rank: int, choice: dict | None) -> ProblemArea | None:
    """Put the chosen area at `rank`, keeping an existing row (and its work) when it stays.

    An area that already has goals, stage history or session work is part of the record:
    it can be neither removed nor turned into another area.
    """
    current = ProblemArea.objects.filter(course=course, rank=rank).first()
    changes = current is not None and (choice is None or current.area != choice["area"])
    if changes and _has_work(current):
        raise ValidationError(
            f"The {current.get_rank_display()} area ({current.get_area_display()}) already has "
            "goals or session work, so it stays as it is."
        )
    if choice is None:
        if current is not None:
            current.delete()  # a choice never worked on: no clinical content is lost
        return None
    area = current or ProblemArea(course=course, rank=rank)
    area.area = choice["area"]
    area.deceased = choice.get("deceased") if choice["area"] == Area.GRIEF else None
    area.other_party = choice.get("other_party") if choice["area"] == Area.ROLE_DISPUTE else None
    area.full_clean()
    area.save()
    return area


def check_formulation_rules(
    *, course: Course, primary: dict, secondary: dict | None, no_other_area_confirmed: bool
) -> None:
    errors: dict[str, list[str]] = {}
    chosen = [primary, *([secondary] if secondary else [])]
    if secondary and secondary["area"] == primary["area"]:
        errors.setdefault("secondary_area", []).append(
            "The secondary area must differ from the primary one."
        )
    people = list(course.relationships.current())
    for prefix, choice in (("primary", primary), ("secondary", secondary)):
        if not choice:
            continue
        if choice["area"] == Area.GRIEF:
            if not any(p.deceased for p in people):
                errors.setdefault(f"{prefix}_area", []).append(
                    "Grief needs a deceased person in the inventory: add them first."
                )
            elif not choice.get("deceased"):
                errors.setdefault(f"{prefix}_person", []).append("Choose the person who died.")
            elif not choice["deceased"].deceased:
                errors.setdefault(f"{prefix}_person", []).append(
                    "For grief, choose a person marked as deceased."
                )
        if choice["area"] == Area.ROLE_DISPUTE and not choice.get("other_party"):
            errors.setdefault(f"{prefix}_person", []).append(
                "A role dispute needs the other party: choose them from the inventory."
            )
    if any(c["area"] == Area.INTERPERSONAL_DEFICITS for c in chosen) and not (
        no_other_area_confirmed
    ):
        errors.setdefault("no_other_area_confirmed", []).append(
            "Interpersonal deficits is chosen only when no other area applies: confirm it."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def formulation_save(
    *,
    by: User,
    course: Course,
    text: str,
    rationale: str,
    agreed_on: date | None,
    no_other_area_confirmed: bool,
    linked_people,
    linked_events,
    primary: dict,
    secondary: dict | None,
    based_on: EditVersion | None = None,
) -> Formulation:
    """Save the formulation and its chosen areas (primary, at most one secondary)."""
    _check_open(course)
    locked_one(
        Formulation.objects.filter(course=course), based_on, blank=Formulation(course=course)
    )
    check_formulation_rules(
        course=course,
        primary=primary,
        secondary=secondary,
        no_other_area_confirmed=no_other_area_confirmed,
    )
    formulation, created = Formulation.objects.get_or_create(course=course, defaults={"text": text})
    formulation.text = text
    formulation.rationale = rationale
    formulation.agreed_on = agreed_on
    formulation.no_other_area_confirmed = no_other_area_confirmed
    formulation.full_clean()
    formulation.save()
    formulation.linked_people.set(linked_people)
    formulation.linked_events.set(linked_events)
    existing = {a.rank: a.area for a in ProblemArea.objects.filter(course=course)}
    if existing.get(ProblemArea.Rank.SECONDARY) == primary["area"] or (
        secondary and existing.get(ProblemArea.Rank.PRIMARY) == secondary["area"]
    ):
        raise ValidationError(
            "To swap the primary and secondary areas, first save the formulation without the "
            "secondary area."
        )
    _place_area(course, ProblemArea.Rank.PRIMARY, primary)
    _place_area(course, ProblemArea.Rank.SECONDARY, secondary)
    course_audit(by, Action.CREATE if created else Action.UPDATE, formulation, course)
    course_changed(course)
    return formulation


@transaction.atomic
def problem_area_update(
    *,
    by: User,
    problem_area: ProblemArea,
    fields: dict,
    based_on: EditVersion | None = None,
) -> ProblemArea:
    _check_open(problem_area.course)
    problem_area = locked_current(problem_area, based_on)
    first_stage = problem_area.area == Area.ROLE_DISPUTE and not problem_area.stage
    for name, value in fields.items():
        setattr(problem_area, name, value)
    problem_area.full_clean()
    problem_area.save()
    if first_stage and problem_area.stage:
        DisputeStageChange.objects.create(
            problem_area=problem_area,
            stage=problem_area.stage,
            recorded_by=by,
            note="first assessed",
        )
    course_audit(by, Action.UPDATE, problem_area, problem_area.course)
    return problem_area


@transaction.atomic
def dispute_stage_change(
    *, by: User, problem_area: ProblemArea, stage: str, changed_on: date, note: str
) -> DisputeStageChange:
    """Move a role dispute to another stage, keeping the dated history."""
    _check_open(problem_area.course)
    if problem_area.area != Area.ROLE_DISPUTE:
        raise ValidationError("Only a role dispute has stages.")
    if stage == problem_area.stage:
        raise ValidationError({"stage": "The dispute is already at this stage."})
    change = DisputeStageChange(
        problem_area=problem_area,
        stage=stage,
        changed_on=changed_on,
        note=note,
        recorded_by=by,
    )
    change.full_clean()
    change.save()
    problem_area.stage = stage
    problem_area.save(update_fields=["stage", "updated_at"])
    course_audit(by, Action.UPDATE, problem_area, problem_area.course, detail="dispute stage")
    return change


@transaction.atomic
def goal_save(*, by: User, goal: Goal, based_on: EditVersion | None = None) -> Goal:
    _check_open(goal.problem_area.course)
    created = goal.pk is None
    goal = with_edit_applied(goal, based_on)
    goal.full_clean()
    goal.save()
    course_audit(by, Action.CREATE if created else Action.UPDATE, goal, goal.problem_area.course)
    return goal


@transaction.atomic
def session_focus_save(
    *,
    by: User,
    session: TherapySession,
    kind: str,
    problem_area: ProblemArea | None = None,
    goals=(),
    based_on: EditVersion | None = None,
) -> SessionFocus:
    """Record what a middle-phase session worked on: an area of the course and its goals, a
    risk or crisis, or none of the chosen areas (drift)."""
    course = session.course
    _check_open(course)
    if session.phase != Phase.MIDDLE:
        raise ValidationError("The problem-area focus is recorded for middle-phase sessions.")
    if session.is_signed:
        raise ValidationError("The session is signed; its focus is part of the record.")
    if kind not in SessionFocus.Kind.values:
        raise ValidationError({"worked_on": "Choose what the session worked on."})
    if (kind == SessionFocus.Kind.AREA) != (problem_area is not None):
        raise ValidationError({"worked_on": "Choose the area the session worked on."})
    if problem_area is not None and problem_area.course_id != course.pk:
        raise ValidationError({"worked_on": "Choose an area of this course."})
    goals = list(goals)
    if any(g.problem_area_id != getattr(problem_area, "pk", None) for g in goals):
        raise ValidationError({"goals": "Choose goals of the area worked on."})
    focus = locked_one(
        SessionFocus.objects.filter(session=session), based_on, blank=SessionFocus(session=session)
    )
    focus = focus or SessionFocus(session=session)
    focus.kind = kind
    focus.problem_area = problem_area
    focus.save()
    focus.goals.set(goals)
    course_audit(by, Action.UPDATE, session, course, detail="problem-area focus")
    course_changed(course)
    return focus


def focus_missing(session: TherapySession) -> list[str]:
    """A middle-phase note is signed once what the session worked on is recorded."""
    if session.phase != Phase.MIDDLE or SessionFocus.objects.filter(session=session).exists():
        return []
    return [
        "Record what this session worked on (its problem-area focus, a risk or crisis, or "
        "drift) before signing."
    ]


def _check_review_timing(review: TerminationReview) -> None:
    """The review belongs to the termination phase: a session of that phase has taken place
    or is the next one booked. It is dated between the course's start and today."""
    course = review.course
    termination = [n for n in range(1, course.planned_sessions + 1)
                   if course.phase_of(n) == Phase.TERMINATION]  # fmt: skip
    happened = course.sessions.happened().filter(number__in=termination).exists()
    next_booked = (
        course.sessions.filter(attendance=TherapySession.Attendance.SCHEDULED)
        .order_by("number")
        .values_list("number", flat=True)
        .first()
    )
    if not happened and next_booked not in termination:
        raise ValidationError(
            f"The termination review belongs to the termination phase, which begins at "
            f"session {termination[0]}. Raise the end of treatment in the sessions before it."
        )
    today = timezone.localdate(timezone=course.patient.clinic.zone)
    if review.reviewed_on and not course.start_date <= review.reviewed_on <= today:
        raise ValidationError(
            {"reviewed_on": f"Between the course's start ({course.start_date.day} "
             f"{course.start_date:%b %Y}) and today."}
        )  # fmt: skip


@transaction.atomic
def termination_review_save(
    *, by: User, review: TerminationReview, based_on: EditVersion | None = None
) -> TerminationReview:
    _check_open(review.course)
    saved = TerminationReview.objects.select_for_update().filter(course=review.course).first()
    if saved is not None and review.pk is None:
        check_current(saved, based_on)  # another window wrote the review meanwhile
        review.pk = saved.pk
    created = review.pk is None
    review = with_edit_applied(review, based_on)
    review.recorded_by = by
    review.full_clean()
    _check_review_timing(review)
    review.save()
    course_audit(by, Action.CREATE if created else Action.UPDATE, review, review.course)
    return review


def termination_review_missing(course: Course) -> list[str]:
    """Completion check registered with sessions: no completion without the review."""
    if TerminationReview.objects.filter(course=course).exists():
        return []
    return ["Record the termination review before completing the course."]
