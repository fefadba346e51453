"""Inventory, timeline, formulation, problem-area work and termination review pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ipt_clinic.accounts.access import CLINICAL_ROLES, Role, may_edit, role_required
from ipt_clinic.accounts.audit import Action, audit_page_view, audit_record
from ipt_clinic.forms import add_service_errors, form_or_rejected, keep_rejected
from risk.selectors import risk_history_of
from sessions.phases import Phase
from sessions.selectors import course_get_for, held_count_of, phq9_of, session_get_for

from . import services
from .diagrams import closeness_circle, timeline
from .forms import (
    FormulationForm,
    GoalForm,
    GoalStatusForm,
    LifeEventForm,
    RelationshipForm,
    RelationshipQuickForm,
    SessionFocusForm,
    StageChangeForm,
    TerminationReviewForm,
    problem_area_form_class,
)
from .models import (
    Area,
    Formulation,
    LifeEvent,
)
from .selectors import (
    events_of,
    focus_of,
    formulation_of,
    goal_get_for,
    goals_of,
    inventory_suggestions,
    life_event_get_for,
    problem_area_get_for,
    problem_areas_of,
    relationship_get_for,
    relationships_of,
    review_start_from_notes,
    termination_review_of,
)


def _audit_view(request, obj, course, detail: str = "") -> None:
    audit_page_view(request, obj, patient_id=course.patient_id, detail=detail)


def linked_person_ids(course, formulation, areas) -> set[int]:
    """People tied to the focus: named by the rationale or at the centre of a chosen area."""
    ids = {p.pk for p in formulation.linked_people.all()} if formulation else set()
    ids |= {a.person.pk for a in areas if a.person is not None}
    return ids


def _circle_context(course) -> dict:
    people = list(relationships_of(course))
    formulation = formulation_of(course)
    areas = problem_areas_of(course)
    return {
        "people": people,
        "circle": closeness_circle(people, linked_person_ids(course, formulation, areas)),
        "areas": areas,
        "suggestions": inventory_suggestions(people, areas),
    }


# --- Inventory --------------------------------------------------------------------------------


@role_required(*CLINICAL_ROLES)
def inventory(request, course_pk: int):
    course = course_get_for(request.user, course_pk)
    can_edit = may_edit(request.user, course)
    form = RelationshipQuickForm(request.POST or None)
    if request.method == "POST":
        course = course_get_for(request.user, course_pk, for_edit=True)
        if form.is_valid():
            person = form.save(commit=False)
            person.course = course
            try:
                services.relationship_save(by=request.user, relationship=person)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{person.name} is in the inventory.")
                return redirect("inventory:inventory", course_pk=course.pk)
    _audit_view(request, course, course, detail="inventory")
    context = _circle_context(course)
    context.update(
        {
            "nav": "patients",
            "course": course,
            "patient": course.patient,
            "form": form,
            "can_edit": can_edit,
            "entries": [
                (
                    person,
                    RelationshipForm(instance=person, prefix=f"p{person.pk}") if can_edit else None,
                )
                for person in context["people"]
            ],
        }
    )
    return render(request, "inventory/inventory.html", context)


@role_required(*CLINICAL_ROLES)
def circle_print(request, course_pk: int):
    course = course_get_for(request.user, course_pk)
    _audit_view(request, course, course, detail="closeness circle")
    context = _circle_context(course)
    context.update({"course": course, "patient": course.patient})
    return render(request, "inventory/circle_print.html", context)


@role_required(Role.THERAPIST)
def person_edit(request, pk: int):
    person = relationship_get_for(request.user, pk, for_edit=True)
    form = RelationshipForm(request.POST or None, instance=person, prefix=f"p{person.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_save(
                by=request.user, relationship=form.save(commit=False), based_on=form.based_on
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{person.name} saved.")
            return redirect(
                reverse("inventory:inventory", args=[person.course_id]) + f"#person-{person.pk}"
            )
    _audit_view(request, person, person.course)
    return render(
        request,
        "inventory/person_form.html",
        {"nav": "patients", "person": person, "course": person.course, "form": form},
    )


@require_POST
@role_required(Role.THERAPIST)
def person_remove(request, pk: int):
    person = relationship_get_for(request.user, pk, for_edit=True)
    try:
        services.relationship_remove(by=request.user, relationship=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{person.name} is no longer listed; the record keeps them.")
    return redirect("inventory:inventory", course_pk=person.course_id)


# --- Timeline ---------------------------------------------------------------------------------


@role_required(*CLINICAL_ROLES)
def timeline_page(request, course_pk: int):
    course = course_get_for(request.user, course_pk, for_edit=request.method == "POST")
    people = relationships_of(course)
    # The event knows its course before validation, which checks the person belongs to it.
    form = LifeEventForm(request.POST or None, people=people, instance=LifeEvent(course=course))
    if request.method == "POST" and form.is_valid():
        try:
            services.life_event_save(by=request.user, event=form.save(commit=False))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Added to the timeline.")
            return redirect("inventory:timeline", course_pk=course.pk)
    _audit_view(request, course, course, detail="timeline")
    events = list(events_of(course))
    phq9 = phq9_of(course)
    today = timezone.localdate()
    dates = [e.occurred_on for e in events] + [m.administered_on for m in phq9]
    start = min([*dates, course.start_date]).replace(day=1)
    end = max([*dates, course.ended_on or today, today])
    return render(
        request,
        "inventory/timeline.html",
        {
            "nav": "patients",
            "course": course,
            "patient": course.patient,
            "form": form,
            "events": events,
            "phq9": phq9,
            "diagram": timeline(events, phq9, start=start, end=end),
            "can_edit": may_edit(request.user, course),
        },
    )


@require_POST
@role_required(Role.THERAPIST)
def event_remove(request, pk: int):
    event = life_event_get_for(request.user, pk, for_edit=True)
    services.life_event_remove(by=request.user, event=event)
    messages.success(request, "Removed from the timeline view; the record keeps it.")
    return redirect("inventory:timeline", course_pk=event.course_id)


# --- Formulation and problem areas -----------------------------------------------------------


@role_required(*CLINICAL_ROLES)
def formulation(request, course_pk: int):
    course = course_get_for(request.user, course_pk)
    can_edit = may_edit(request.user, course)
    current = formulation_of(course)
    areas = problem_areas_of(course)
    people = relationships_of(course)
    initial = {}
    for area in areas:
        prefix = "primary" if area.is_primary else "secondary"
        initial[f"{prefix}_area"] = area.area
        initial[f"{prefix}_person"] = area.person
    form = FormulationForm(
        request.POST if request.method == "POST" else None,
        # A first formulation is checked against its course too (the date it was agreed).
        instance=current or Formulation(course=course),
        initial=initial,
        people=people,
        events=events_of(course),
    )
    if request.method == "POST":
        course = course_get_for(request.user, course_pk, for_edit=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.formulation_save(
                    by=request.user,
                    course=course,
                    text=data["text"],
                    rationale=data["rationale"],
                    agreed_on=data["agreed_on"],
                    no_other_area_confirmed=data["no_other_area_confirmed"],
                    linked_people=data["linked_people"],
                    linked_events=data["linked_events"],
                    primary=form.choice("primary"),
                    secondary=form.choice("secondary"),
                    based_on=form.based_on,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Formulation saved.")
                return redirect("inventory:formulation", course_pk=course.pk)
        else:
            _add_area_rule_errors(form, course)
    _audit_view(request, current or course, course, detail="formulation")
    return render(
        request,
        "inventory/formulation.html",
        {
            "nav": "patients",
            "course": course,
            "patient": course.patient,
            "form": form,
            "formulation": current,
            "areas": areas,
            "can_edit": can_edit,
            "suggestions": inventory_suggestions(people, areas),
            "has_deceased": any(p.deceased for p in people),
        },
    )


AREA_RULE_FIELDS = [
    "primary_area",
    "primary_person",
    "secondary_area",
    "secondary_person",
    "no_other_area_confirmed",
]


def _add_area_rule_errors(form, course) -> None:
    """A form refused for another field (a date, say) also shows what the problem-area rules
    say, so that every error comes in one round rather than one after another."""
    if any(name in form.errors for name in AREA_RULE_FIELDS) or not form.choice("primary"):
        return
    try:
        services.check_formulation_rules(
            course=course,
            primary=form.choice("primary"),
            secondary=form.choice("secondary"),
            no_other_area_confirmed=form.cleaned_data.get("no_other_area_confirmed", False),
        )
    except ValidationError as error:
        add_service_errors(form, error)


@role_required(*CLINICAL_ROLES)
def problem_area(request, pk: int):
    area = problem_area_get_for(request.user, pk)
    form_class = problem_area_form_class(area.area)
    form = form_class(request.POST or None, instance=area)
    if request.method == "POST":
        area = problem_area_get_for(request.user, pk, for_edit=True)
        form = form_class(request.POST, instance=area)
        if form.is_valid():
            try:
                services.problem_area_update(
                    by=request.user,
                    problem_area=area,
                    fields=form.cleaned_data,
                    based_on=form.based_on,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{area.get_area_display().capitalize()} work saved.")
                return redirect("inventory:problem_area", pk=area.pk)
    return _problem_area_page(request, area, form)


def _problem_area_page(request, area, form=None, *, status: int = 200):
    """The problem area's page; shown again, status 400, for a rejected stage or goal form."""
    course = area.course
    _audit_view(request, area, course)
    return render(
        request,
        "inventory/problem_area.html",
        {
            "nav": "patients",
            "course": course,
            "patient": course.patient,
            "area": area,
            "form": form or problem_area_form_class(area.area)(instance=area),
            "can_edit": may_edit(request.user, course),
            "stage_form": form_or_rejected(request, "stage", StageChangeForm)
            if area.area == Area.ROLE_DISPUTE
            else None,
            "goal_form": form_or_rejected(request, "goal", GoalForm),
            "goal_status_forms": [
                (
                    goal,
                    form_or_rejected(
                        request,
                        f"goal_{goal.pk}",
                        lambda goal=goal: GoalStatusForm(instance=goal, prefix=f"g{goal.pk}"),
                    ),
                )
                for goal in area.goals.all()
            ],
        },
        status=status,
    )


@require_POST
@role_required(Role.THERAPIST)
def dispute_stage(request, pk: int):
    area = problem_area_get_for(request.user, pk, for_edit=True)
    form = StageChangeForm(request.POST)
    if form.is_valid():
        try:
            services.dispute_stage_change(by=request.user, problem_area=area, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The dispute is now at {form.cleaned_data['stage']}.")
            return redirect("inventory:problem_area", pk=area.pk)
    keep_rejected(request, "stage", form)
    messages.error(request, "The stage was not recorded: see the form below.")
    return _problem_area_page(request, area, status=400)


@require_POST
@role_required(Role.THERAPIST)
def goal_add(request, pk: int):
    area = problem_area_get_for(request.user, pk, for_edit=True)
    form = GoalForm(request.POST)
    if not form.is_valid():
        keep_rejected(request, "goal", form)
        messages.error(request, "The goal was not added: see the form below.")
        return _problem_area_page(request, area, status=400)
    goal = form.save(commit=False)
    goal.problem_area = area
    services.goal_save(by=request.user, goal=goal)
    messages.success(request, "Goal added.")
    return redirect("inventory:problem_area", pk=area.pk)


@require_POST
@role_required(Role.THERAPIST)
def goal_update(request, pk: int):
    goal = goal_get_for(request.user, pk, for_edit=True)
    form = GoalStatusForm(request.POST, instance=goal, prefix=f"g{goal.pk}")
    if not form.is_valid():
        keep_rejected(request, f"goal_{goal.pk}", form)
        messages.error(request, "The goal was not changed: see its status below.")
        return _problem_area_page(request, goal.problem_area, status=400)
    try:
        services.goal_save(by=request.user, goal=form.save(commit=False), based_on=form.based_on)
    except ValidationError as error:
        add_service_errors(form, error)
        keep_rejected(request, f"goal_{goal.pk}", form)
        messages.error(request, "The goal was not changed: see its status below.")
        return _problem_area_page(request, goal.problem_area, status=400)
    messages.success(request, f"Goal marked {goal.get_status_display()}.")
    return redirect("inventory:problem_area", pk=goal.problem_area_id)


# --- Session focus and termination -----------------------------------------------------------


@role_required(Role.THERAPIST)
def session_focus(request, session_pk: int):
    session = session_get_for(request.user, session_pk, for_edit=True)
    course = session.course
    areas = course.problem_areas.all()
    goals = goals_of(course)
    focus = focus_of(session)
    form = SessionFocusForm(
        request.POST if request.method == "POST" else None,
        instance=focus,
        areas=areas,
        goals=goals,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_focus_save(
                by=request.user,
                session=session,
                kind=form.cleaned_data["kind"],
                problem_area=form.cleaned_data["problem_area"],
                goals=form.cleaned_data["goals"],
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Focus of the session saved.")
            return redirect("sessions:session", pk=session.pk)
    _audit_view(request, session, course, detail="problem-area focus")
    return render(
        request,
        "inventory/session_focus.html",
        {
            "nav": "patients",
            "session": session,
            "course": course,
            "form": form,
            "has_areas": areas.exists(),
            "is_middle": session.phase == Phase.MIDDLE,
        },
    )


@role_required(*CLINICAL_ROLES)
def termination_review(request, course_pk: int):
    course = course_get_for(request.user, course_pk)
    review = termination_review_of(course)
    form = TerminationReviewForm(
        request.POST or None,
        instance=review,
        areas=problem_areas_of(course),
        # A first review starts from what the termination notes already hold.
        initial=review_start_from_notes(course) if review is None else None,
    )
    if request.method == "POST":
        course = course_get_for(request.user, course_pk, for_edit=True)
        if form.is_valid():
            review = form.save(commit=False)
            review.course = course
            try:
                services.termination_review_save(
                    by=request.user, review=review, based_on=form.based_on
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, "Termination review saved. The course can now be completed."
                )
                return redirect("sessions:course", pk=course.pk)
    _audit_view(request, review or course, course, detail="termination review")
    return render(
        request,
        "inventory/termination_review.html",
        {
            "nav": "patients",
            "course": course,
            "patient": course.patient,
            "form": form,
            "review": review,
            "can_edit": may_edit(request.user, course),
        },
    )


@role_required(*CLINICAL_ROLES)
def course_summary(request, course_pk: int):
    """The printable summary: formulation, goals and outcomes, PHQ-9, relapse plan.

    Built only from the record: private notes are never read here.
    """
    course = course_get_for(request.user, course_pk)
    audit_record(
        action=Action.EXPORT,
        by=request.user,
        obj=course,
        patient_id=course.patient_id,
        detail="course summary",
    )
    phq9 = phq9_of(course)
    held = held_count_of(course)
    return render(
        request,
        "inventory/course_summary.html",
        {
            "course": course,
            "patient": course.patient,
            "formulation": formulation_of(course),
            "areas": problem_areas_of(course),
            "review": termination_review_of(course),
            "risk_history": risk_history_of(course),
            "phq9": phq9,
            "held": held,
            "people": relationships_of(course),
            "events": events_of(course),
            "generated_at": timezone.now(),
        },
    )
