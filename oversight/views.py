"""The supervisor's caseload dashboard and the supervision actions on courses and sessions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from inventory.models import Area
from ipt_clinic.accounts.access import Role, role_required
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.forms import add_service_errors, keep_rejected
from risk.selectors import alerts_for
from sessions.models import Measure, severity_band
from sessions.outcomes import PHQ9, Change
from sessions.views import course_page, session_page

from . import services
from .flags import FLAGS, raised_flags
from .forms import FidelityForm, NoteReviewForm, SupervisionNoteForm
from .models import FidelityRating
from .selectors import (
    PHASES,
    caseload_for,
    course_get_for_supervision,
    fidelity_rating_of,
    note_review_of,
    session_get_for_rating,
    session_get_for_supervision,
)

PAGE_SIZE = 25
AREA_LABELS = dict(Area.choices)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(moment, today) -> str:
    """A session's day, short; with the year when it is not this year's."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return date_format(local, "j M" if local.year == today.year else "j M Y")


def _row(course, today) -> dict:
    baseline, latest = course.phq9_baseline, course.phq9_latest
    return {
        "course": course,
        "last": _day(course.last_start, today),
        "next": _day(course.next_start, today),
        "flags": raised_flags(course),
        "outcome": Change(PHQ9, baseline, latest),
        "change": latest - baseline if baseline is not None and latest is not None else None,
        "band": severity_band(Measure.Kind.PHQ9, latest) if latest is not None else "",
        "area": AREA_LABELS.get(course.primary_area, "—"),
    }


@role_required(Role.SUPERVISOR)
def dashboard(request):
    filters = {
        "therapist_id": _int_or_none(request.GET.get("therapist")),
        "phase": request.GET.get("phase") or None,
        "area": request.GET.get("area") if request.GET.get("area") in Area.values else None,
        "flag": request.GET.get("flag") or None,
    }
    caseload = caseload_for(request.user, **filters)
    page = Paginator(caseload.ids, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [_row(course, today) for course in caseload.courses(page.object_list)]
    audit_record(
        action=Action.VIEW, by=request.user, detail=f"caseload dashboard page {page.number}"
    )
    return render(
        request,
        "caseload/dashboard.html",
        {
            "nav": "supervisor",
            "page": page,
            "rows": rows,
            "summaries": caseload.summaries,
            "therapists": caseload.therapists,
            "flags": [(flag, flag.explain(caseload.thresholds)) for flag in FLAGS],
            "alerts_waiting": alerts_for(request.user).filter(acknowledged_at__isnull=True).count(),
            "phases": PHASES,
            "areas": Area.choices,
            # Someone who is not a supervisee is not filtered on: the list says "all".
            "selected": {
                **filters,
                "therapist": filters["therapist_id"]
                if any(t.pk == filters["therapist_id"] for t in caseload.therapists)
                else None,
            },
        },
    )


@require_POST
@role_required(Role.SUPERVISOR)
def note_add(request, pk: int):
    course = course_get_for_supervision(request.user, pk)
    form = SupervisionNoteForm(request.POST)
    if not form.is_valid():
        keep_rejected(request, "supervision_note", form)
        messages.error(request, "The supervision note was not saved: see the form below.")
        return course_page(request, course, status=400)
    services.supervision_note_add(by=request.user, course=course, text=form.cleaned_data["text"])
    messages.success(
        request,
        f"Supervision note added; {course.therapist.full_name} will see it on the course.",
    )
    return redirect("sessions:course", pk=course.pk)


@require_POST
@role_required(Role.SUPERVISOR)
def course_reviewed(request, pk: int):
    course = course_get_for_supervision(request.user, pk)
    services.course_mark_reviewed(by=request.user, course=course)
    messages.success(request, "Course marked as reviewed.")
    return redirect("sessions:course", pk=course.pk)


@require_POST
@role_required(Role.SUPERVISOR)
def note_review(request, pk: int):
    session = session_get_for_supervision(request.user, pk)
    review = note_review_of(session)
    form = NoteReviewForm(request.POST, instance=review)
    if form.is_valid():
        try:
            services.note_review_save(
                by=request.user,
                session=session,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Review of the note saved.")
            return redirect("sessions:session", pk=session.pk)
    keep_rejected(request, "note_review", form)
    # The reasons themselves too: the form is not on the page when the note is not signed.
    problems = " ".join(form.non_field_errors()) or "see the form below."
    messages.error(request, f"The review was not saved: {problems}")
    return session_page(request, session, status=400)


@role_required(Role.THERAPIST, Role.SUPERVISOR)
def fidelity(request, pk: int):
    session, rated_by = session_get_for_rating(request.user, pk)
    current = fidelity_rating_of(session, rated_by)
    initial = (
        {"checklist": current.checklist, "adherence": current.adherence, "comment": current.comment}
        if current
        else {}
    )
    form = FidelityForm(
        request.POST or None,
        phase=session.phase.value,
        initial=initial,
        versioned=current or FidelityRating(session=session, rated_by=rated_by),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.fidelity_rate(
                by=request.user,
                session=session,
                rated_by=rated_by,
                based_on=form.based_on,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Fidelity rating saved.")
            return redirect("sessions:session", pk=session.pk)
    if request.method == "GET":
        audit_record(
            action=Action.VIEW,
            by=request.user,
            obj=session,
            patient_id=session.course.patient_id,
            detail="fidelity rating",
        )
    return render(
        request,
        "caseload/fidelity.html",
        {
            "nav": "supervisor" if rated_by == "supervisor" else "patients",
            "session": session,
            "form": form,
            "rated_by": rated_by,
        },
    )
