"""Pages of the risk pathway. Reads go through risk.selectors (another therapist's or clinic's
episode is a 404); every view of an episode is audited; writes go through risk.services."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ipt_clinic.accounts.access import CLINICAL_ROLES, Role, may_edit, role_required
from ipt_clinic.accounts.audit import Action, audit_page_view, audit_record
from ipt_clinic.forms import add_service_errors
from sessions.selectors import course_get_for, session_get_for

from . import services
from .forms import EpisodeCloseForm, EpisodeOpenForm, RiskAssessmentForm, SafetyPlanForm
from .models import SAFETY_PLAN_STEPS, RiskAssessment, SafetyPlan
from .selectors import alert_get_for, alerts_for, assessment_at, episode_get_for, safety_plan_of


def _audit_view(request, obj, course, detail: str = "") -> None:
    audit_page_view(request, obj, patient_id=course.patient_id, detail=detail)


@role_required(Role.THERAPIST)
def episode_open(request, course_pk: int):
    """The therapist notes risk (from the course page, or a session's with ?session=)."""
    course = course_get_for(request.user, course_pk, for_edit=True)
    session_pk = request.POST.get("session") or request.GET.get("session")
    session = (
        session_get_for(request.user, int(session_pk), for_edit=True)
        if (session_pk and re.fullmatch(r"[0-9]{1,18}", session_pk))
        else None
    )
    form = EpisodeOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.episode_open(
                by=request.user, course=course, session=session, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.warning(request, "Risk is open: record the assessment and the safety plan.")
            return redirect("risk:assess", pk=episode.pk)
    _audit_view(request, course, course, detail="risk: note risk")
    return render(
        request,
        "risk/episode_open.html",
        {"nav": "patients", "course": course, "session": session, "form": form},
    )


@role_required(*CLINICAL_ROLES)
def episode_detail(request, pk: int):
    episode = episode_get_for(request.user, pk)
    _audit_view(request, episode, episode.course)
    return render(request, "risk/episode_detail.html", _episode_context(request, episode))


def _plan_steps(plan: SafetyPlan | None) -> list[tuple[str, str]]:
    """(label, what the plan says) of each of the six steps."""
    return [(label, getattr(plan, name) if plan else "") for name, label, _ in SAFETY_PLAN_STEPS]


def _episode_context(request, episode, **extra) -> dict:
    course = episode.course
    plan = safety_plan_of(episode)
    return {
        "nav": "patients",
        "episode": episode,
        "course": course,
        "patient": course.patient,
        "assessments": episode.assessments.select_related("assessed_by", "session"),
        "plan": plan,
        "plan_steps": _plan_steps(plan),
        "alerts": episode.alerts.select_related("recipient"),
        "can_edit": may_edit(request.user, episode),
        "close_form": extra.pop("close_form", None) or EpisodeCloseForm(),
        **extra,
    }


@role_required(Role.THERAPIST)
def assess(request, pk: int):
    """The assessment made at a session (?session=) or between sessions."""
    episode = episode_get_for(request.user, pk, for_edit=True)
    session_pk = request.GET.get("session", "")
    session = (
        session_get_for(request.user, int(session_pk), for_edit=True)
        if re.fullmatch(r"[0-9]{1,18}", session_pk)
        else None
    )
    existing = assessment_at(episode, session)
    form = RiskAssessmentForm(
        request.POST or None,
        instance=existing or RiskAssessment(episode=episode, session=session),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_record(
                by=request.user,
                episode=episode,
                session=session,
                fields=form.cleaned_data,
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Risk assessment saved.")
            if session is not None:
                return redirect("sessions:session", pk=session.pk)
            return redirect("risk:episode", pk=episode.pk)
    _audit_view(request, episode, episode.course, detail="risk assessment form")
    return render(
        request,
        "risk/assess.html",
        {"nav": "patients", "episode": episode, "session": session, "form": form},
    )


@role_required(Role.THERAPIST)
def safety_plan(request, pk: int):
    episode = episode_get_for(request.user, pk, for_edit=True)
    plan = safety_plan_of(episode)
    form = SafetyPlanForm(request.POST or None, instance=plan or SafetyPlan(episode=episode))
    if request.method == "POST" and form.is_valid():
        try:
            services.safety_plan_save(
                by=request.user, episode=episode, fields=form.cleaned_data, based_on=form.based_on
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Safety plan saved. Print it for the patient.")
            return redirect("risk:episode", pk=episode.pk)
    _audit_view(request, episode, episode.course, detail="safety plan form")
    return render(
        request,
        "risk/safety_plan.html",
        {
            "nav": "patients",
            "episode": episode,
            "form": form,
            "clinic": episode.course.patient.clinic,
        },
    )


@role_required(*CLINICAL_ROLES)
def safety_plan_print(request, pk: int):
    """The plan laid out for the patient to take home."""
    episode = episode_get_for(request.user, pk)
    plan = safety_plan_of(episode)
    audit_record(
        action=Action.EXPORT,
        by=request.user,
        obj=episode,
        patient_id=episode.course.patient_id,
        detail="safety plan printed",
    )
    return render(
        request,
        "risk/safety_plan_print.html",
        {
            "episode": episode,
            "patient": episode.course.patient,
            "clinic": episode.course.patient.clinic,
            "plan": plan,
            "steps": _plan_steps(plan),
        },
    )


@require_POST
@role_required(Role.THERAPIST)
def episode_close(request, pk: int):
    episode = episode_get_for(request.user, pk, for_edit=True)
    form = EpisodeCloseForm(request.POST)
    if form.is_valid():
        try:
            services.episode_close(
                by=request.user, episode=episode, review=form.cleaned_data["review"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The risk episode is closed; it stays in the risk history.")
            return redirect("sessions:course", pk=episode.course_id)
    return render(
        request,
        "risk/episode_detail.html",
        _episode_context(request, episode, close_form=form),
        status=400,
    )


@role_required(Role.SUPERVISOR, Role.THERAPIST, Role.CLINIC_ADMIN)
def alerts(request):
    """The risk alerts sent to this member of staff, the unacknowledged first."""
    shown = list(alerts_for(request.user)[:100])
    audit_record(action=Action.VIEW, by=request.user, detail=f"risk alerts ({len(shown)})")
    return render(request, "risk/alerts.html", {"nav": "alerts", "alerts": shown})


@require_POST
@role_required(Role.SUPERVISOR, Role.THERAPIST, Role.CLINIC_ADMIN)
def alert_acknowledge(request, pk: int):
    alert = alert_get_for(request.user, pk)
    services.alert_acknowledge(by=request.user, alert=alert)
    messages.success(request, "Alert acknowledged; the therapist's record shows it.")
    return redirect("risk:alerts")
