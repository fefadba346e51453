"""Course and session pages. Thin: selector -> form -> service -> redirect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ipt_clinic import hooks
from ipt_clinic.accounts.access import CLINICAL_ROLES, Role, is_treating, may_edit, role_required
from ipt_clinic.accounts.audit import Action, audit_page_view, audit_record
from ipt_clinic.forms import add_service_errors, form_or_rejected, keep_rejected
from patients.selectors import patient_get_for
from patients.services import patient_discharge

from . import reminders, services
from .charts import measure_chart
from .forms import (
    AmendmentForm,
    AttendanceForm,
    CompleteCourseForm,
    ContractForm,
    CourseOpenForm,
    EndEarlyForm,
    MeasureForm,
    PrivateNoteForm,
    RescheduleForm,
    note_form_class,
)
from .measure_schedule import due_at
from .models import ANSWER_CHOICES, NOTE_TASKS, Measure, PrivateNote
from .outcomes import course_outcome
from .phases import Phase, contract_change_warnings, should_raise_termination, termination_discussed
from .progress import progress_of
from .scheduling import local_datetime
from .selectors import (
    course_get_for,
    course_get_for_page,
    course_measures,
    next_session_today,
    note_fields_of,
    private_note_of,
    session_get_for,
    session_measures,
    session_reminders,
    taken_at,
    workspace_draft_of,
)
from .workspace import Workspace
from .workspace import draft_save as workspace_draft_save


def _audit_view(request, obj, course) -> None:
    audit_record(action=Action.VIEW, by=request.user, obj=obj, patient_id=course.patient_id)


def _audit_get(request, obj, course) -> None:
    """A form shows patient data too: showing one, or showing it again after a refused POST,
    is a view (a POST that succeeds is audited as the change)."""
    audit_page_view(request, obj, patient_id=course.patient_id)


# --- Courses --------------------------------------------------------------------------------


@role_required(Role.THERAPIST)
def course_open(request, patient_pk: int):
    patient = patient_get_for(request.user, patient_pk, for_edit=True)
    clinic = patient.clinic
    data = request.POST if request.method == "POST" else None
    form = CourseOpenForm(
        data,
        patient=patient,
        initial={
            "start_date": timezone.localdate(),
            "session_minutes": clinic.default_session_minutes,
            "usual_weekday": timezone.localdate().weekday(),
        },
    )
    baseline_forms = [
        MeasureForm(data, kind=Measure.Kind.PHQ9, optional=True, prefix="phq9"),
        MeasureForm(data, kind=Measure.Kind.GAD7, optional=True, prefix="gad7"),
    ]
    if request.method == "POST" and form.is_valid() & all(f.is_valid() for f in baseline_forms):
        try:
            course = services.course_open(
                by=request.user,
                patient=patient,
                therapist=request.user,
                baseline={f.kind: f.answers() for f in baseline_forms if not f.is_empty},
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Course opened: {course.planned_sessions} sessions booked.")
            return redirect("sessions:course", pk=course.pk)
    if request.method == "GET":
        audit_record(action=Action.VIEW, by=request.user, obj=patient, patient_id=patient.pk)
    return render(
        request,
        "sessions/course_open.html",
        {
            "nav": "patients",
            "patient": patient,
            "form": form,
            "baseline_forms": baseline_forms,
        },
    )


def _course_context(request, course) -> dict:
    sessions = list(course.sessions.all())
    measures = list(course.measures.all())
    in_contract = [s for s in sessions if s.in_contract]
    progress = progress_of(course, sessions)
    termination_raised = termination_discussed(
        [s.number for s in sessions if s.termination_raised], course.planned_sessions
    )
    outcome = course_outcome(measures)
    patient = course.patient
    return {
        "nav": "patients",
        "course": course,
        "patient": patient,
        # What the measures table says beside a positive item 9: the risk's state now.
        "risk_open": hooks.has_badge(course, hooks.RISK_OPEN),
        # Pending reminders this patient will not get (no consent, opted out, no channel).
        "reminders_blocked": not patient.wants_reminders,
        "sessions": sessions,
        "strip": in_contract,
        "current": progress.next_session,
        "held": progress.held,
        "measures": measures,
        "outcome": outcome,
        "chart": measure_chart(course.planned_sessions, measures),
        "prompt_termination": (
            course.is_open
            and progress.position
            and not termination_raised
            and should_raise_termination(progress.position, course.planned_sessions)
        ),
        "can_edit": may_edit(request.user, course),
        "zone": course.patient.clinic.zone,
    }


@role_required(*CLINICAL_ROLES)
def course_detail(request, pk: int):
    return course_page(request, course_get_for_page(request.user, pk))


def course_page(request, course, *, status: int = 200):
    """The course page; also shown again, status 400, for a panel's rejected form."""
    _audit_view(request, course, course)
    return render(
        request, "sessions/course_detail.html", _course_context(request, course), status=status
    )


@role_required(Role.THERAPIST)
def course_contract(request, pk: int):
    course = course_get_for(request.user, pk, for_edit=True)
    form = ContractForm(
        request.POST or None, initial={"new_planned": course.planned_sessions}, versioned=course
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = services.course_renegotiate(
                by=request.user, course=course, based_on=form.based_on, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The contract is changed and the change is logged.")
            for warning in contract_change_warnings(
                course.sessions.filter(termination_raised=True).values_list("number", flat=True),
                max(course.sessions.happened().values_list("number", flat=True), default=0),
                change.old_planned,
                change.new_planned,
            ):
                messages.warning(request, warning)
            return redirect("sessions:course", pk=course.pk)
    _audit_get(request, course, course)
    return render(
        request,
        "sessions/course_contract.html",
        {"nav": "patients", "course": course, "form": form},
    )


@role_required(Role.THERAPIST)
def course_close(request, pk: int):
    course = course_get_for(request.user, pk, for_edit=True)
    action = request.POST.get("action") if request.method == "POST" else None
    complete_form = CompleteCourseForm(request.POST if action == "complete" else None)
    early_form = EndEarlyForm(request.POST if action == "early" else None)
    # What the apps above ask when the course completes (inventory: each goal's outcome).
    data = request.POST if action == "complete" else None
    parts = [part for make in hooks.completion_parts if (part := make(request, course, data))]
    form = {"complete": complete_form, "early": early_form}.get(action)
    valid = form is not None and form.is_valid()
    if action == "complete":
        valid = all([valid, *(part.form.is_valid() for part in parts)])
    if valid:
        try:
            if action == "complete":
                _complete(request, course, complete_form.cleaned_data, parts)
            else:
                services.course_end_early(by=request.user, course=course, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The course is closed.")
            return redirect("sessions:course", pk=course.pk)
    _audit_get(request, course, course)
    return render(
        request,
        "sessions/course_close.html",
        {
            "nav": "patients",
            "course": course,
            "complete_form": complete_form,
            "early_form": early_form,
            "parts": parts,
        },
    )


@transaction.atomic
def _complete(request, course, data: dict, parts) -> None:
    """Each part (the goals' outcomes), the completion, and the discharge if asked: all or
    nothing."""
    for part in parts:
        part.save(request.user, part.form)
    services.course_complete(by=request.user, course=course, ended_on=data["ended_on"])
    if data["discharge"]:
        patient_discharge(by=request.user, patient=course.patient)


# --- Sessions -------------------------------------------------------------------------------


def _prompt_termination(session) -> bool:
    """Whether to ask, on this session's pages, for the end to be raised: from session N-4
    on, in an open course, while no note from then on records the discussion."""
    course = session.course
    return (
        course.is_open
        and should_raise_termination(session.number, course.planned_sessions)
        and not termination_discussed(
            course.sessions.filter(termination_raised=True).values_list("number", flat=True),
            course.planned_sessions,
        )
    )


def _catch_up(session, note_fields: list[str]) -> list[str]:
    """The initial tasks a note after the initial phase asks for again."""
    if session.phase == Phase.INITIAL:
        return []
    return [label for task, label in NOTE_TASKS.items() if task in note_fields]


@role_required(*CLINICAL_ROLES)
def session_detail(request, pk: int):
    return session_page(request, session_get_for(request.user, pk))


def session_page(request, session, *, status: int = 200):
    """The session page; also shown again, status 400, for a panel's rejected form."""
    course = session.course
    _audit_view(request, session, course)
    is_author = is_treating(request.user, course)
    all_measures = course_measures(course)
    measures = taken_at(session, all_measures)
    phase = session.phase
    note_fields = note_fields_of(session)
    private = private_note_of(request.user, session) if is_author else None
    return render(
        request,
        "sessions/session_detail.html",
        {
            "nav": "patients",
            "session": session,
            "course": course,
            "patient": course.patient,
            "phase": phase,
            "note_fields": [(session._meta.get_field(f), getattr(session, f)) for f in note_fields],
            "measures": measures,
            "amendments": session.amendments.select_related("author"),
            "sign_problems": services.sign_problems(session),
            "due": due_at(session, all_measures) if session.attendance != "cancelled" else [],
            "catch_up": _catch_up(session, note_fields),
            "can_edit": is_author and course.is_open,
            "is_author": is_author,
            "private_form": form_or_rejected(
                request,
                "private_note",
                lambda: PrivateNoteForm(
                    instance=private or PrivateNote(session=session, author=request.user)
                ),
            )
            if is_author
            else None,
            "zone": course.patient.clinic.zone,
            "reminders": session_reminders(session),
            "reminders_blocked": not course.patient.wants_reminders,
            "countersign": not session.signs_as_author(request.user),
            "prompt_termination": _prompt_termination(session),
        },
        status=status,
    )


@role_required(Role.THERAPIST)
def session_reschedule(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    zone = session.course.patient.clinic.zone
    local = timezone.localtime(session.scheduled_start, zone)
    form = RescheduleForm(
        request.POST or None,
        zone=zone,
        initial={
            "day": local.date(),
            "at": local.time(),
            "planned_minutes": session.planned_minutes,
        },
        versioned=session,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.session_reschedule(
                by=request.user,
                session=session,
                new_start=local_datetime(data["day"], data["at"], zone),
                planned_minutes=data["planned_minutes"],
                move_later=data["move_later"],
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Session {session.number} is moved"
                f"{', and the later sessions with it' if data['move_later'] else ''}.",
            )
            return redirect("sessions:session", pk=session.pk)
    _audit_get(request, session, session.course)
    return render(
        request,
        "sessions/session_form.html",
        {
            "nav": "patients",
            "session": session,
            "form": form,
            "title": f"Move session {session.number}",
        },
    )


@role_required(Role.THERAPIST)
def session_attendance(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    form = AttendanceForm(
        request.POST or None,
        initial={
            "attendance": session.attendance if session.attendance != "scheduled" else None,
            "actual_minutes": session.actual_minutes or session.planned_minutes,
        },
        versioned=session,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_record_attendance(
                by=request.user, session=session, based_on=form.based_on, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Attendance of session {session.number} recorded.")
            return redirect("sessions:session", pk=session.pk)
    _audit_get(request, session, session.course)
    return render(
        request,
        "sessions/session_form.html",
        {
            "nav": "patients",
            "session": session,
            "form": form,
            "title": f"Attendance at session {session.number}",
        },
    )


@role_required(Role.THERAPIST)
def session_note(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    if session.is_signed:
        messages.info(request, "This note is signed: it changes only by an amendment.")
        return redirect("sessions:session_amend", pk=session.pk)
    phase = session.phase
    form_class = note_form_class(note_fields_of(session))
    form = form_class(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_note_save(
                by=request.user,
                session=session,
                fields=form.cleaned_data,
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Note saved. Sign it when it is complete.")
            return redirect("sessions:session", pk=session.pk)
    _audit_get(request, session, session.course)
    return render(
        request,
        "sessions/session_note.html",
        {
            "nav": "patients",
            "session": session,
            "form": form,
            "phase": phase,
            "measures": session_measures(session),
            "prompt_termination": _prompt_termination(session),
            "catch_up": _catch_up(session, list(form.fields)),
        },
    )


@require_POST
@role_required(Role.THERAPIST)
def session_private_note(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    private = private_note_of(request.user, session)
    form = PrivateNoteForm(
        request.POST, instance=private or PrivateNote(session=session, author=request.user)
    )
    if form.is_valid():
        try:
            services.private_note_save(
                by=request.user,
                session=session,
                text=form.cleaned_data["text"],
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Private note saved. Only you can read it.")
            return redirect("sessions:session", pk=session.pk)
    keep_rejected(request, "private_note", form)
    messages.error(request, "The private note was not saved: see the form below.")
    return session_page(request, session, status=400)


@require_POST
@role_required(Role.THERAPIST)
def session_sign(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    try:
        signed = services.session_sign(
            by=request.user, session=session, countersign=request.POST.get("countersign") == "1"
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(
            request,
            "Note countersigned; it keeps its author. From now on it changes only by amendment."
            if signed.is_countersigned
            else "Note signed. From now on it changes only by amendment.",
        )
    return redirect("sessions:session", pk=session.pk)


@role_required(Role.THERAPIST)
def session_amend(request, pk: int):
    session = session_get_for(request.user, pk, for_edit=True)
    form = AmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_amend(by=request.user, session=session, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Amendment added; the signed original is kept.")
            return redirect("sessions:session", pk=session.pk)
    _audit_get(request, session, session.course)
    return render(
        request,
        "sessions/amend_form.html",
        {
            "nav": "patients",
            "session": session,
            "form": form,
            "title": f"Amend the signed note of session {session.number}",
            "note_fields": [
                (session._meta.get_field(name), getattr(session, name))
                for name in note_fields_of(session)
            ],
            "amendments": session.amendments.select_related("author"),
            "zone": session.course.patient.clinic.zone,
        },
    )


@role_required(Role.THERAPIST)
def session_measure(request, pk: int, kind: str):
    if kind not in Measure.Kind.values:
        raise Http404
    session = session_get_for(request.user, pk, for_edit=True)
    existing = session_measures(session).get(kind)
    initial = {f: getattr(existing, f) for f in MeasureForm(kind=kind).fields} if existing else {}
    form = MeasureForm(
        request.POST or None, kind=kind, initial=initial, versioned=existing or Measure(kind=kind)
    )
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_record(
                by=request.user,
                session=session,
                kind=kind,
                answers=form.answers(),
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{measure.get_kind_display()} recorded: {measure.computed_total} "
                f"({measure.band}).",
            )
            if measure.self_harm_positive:
                messages.warning(
                    request,
                    "PHQ-9 item 9 is above 0: the risk pathway is open. Assess risk with the "
                    "patient now and record the assessment; the supervisor is alerted.",
                )
            return redirect("sessions:session", pk=session.pk)
    _audit_get(request, existing or session, session.course)
    return render(
        request,
        "sessions/measure_form.html",
        {
            "nav": "patients",
            "session": session,
            "form": form,
            "kind_label": Measure.Kind(kind).label,
        },
    )


# --- Reminders ------------------------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail programs POST the one-click opt-out without a CSRF token;
# the signed token in the address is the whole authority, and it only ever stops reminders.
@require_http_methods(["GET", "POST"])
def reminder_opt_out(request, token: str):
    """The link in every reminder. GET asks (link checkers in mail systems open links, and
    must not opt anyone out); POST, one click, records the opt-out. No sign-in needed."""
    reminder = reminders.reminder_for_opt_out_token(token)
    if reminder is None:
        raise Http404("This link is not valid.")
    patient = reminder.session.course.patient
    if request.method == "POST":
        patient = reminders.patient_opt_out(reminder=reminder)
    stopped = not patient.reminder_consent and patient.reminders_opted_out_at is not None
    return render(
        request,
        "sessions/reminder_opt_out.html",
        {"clinic": patient.clinic, "stopped": stopped},
    )


# --- Caseload handover (clinic admins) ------------------------------------------------------


# --- The session workspace ------------------------------------------------------------------


@role_required(Role.THERAPIST)
def session_workspace(request, pk: int):
    """Everything about one session on one page, saved (and signed) with one button."""
    session = session_get_for(request.user, pk, for_edit=True)
    if session.is_signed:
        messages.info(request, "This note is signed: it changes only by an amendment.")
        return redirect("sessions:session", pk=session.pk)
    draft = workspace_draft_of(request.user, session) if request.method == "GET" else None
    workspace = Workspace(request, session, draft=draft)
    status = 200
    if request.method == "POST":
        if workspace.is_valid():
            try:
                workspace.save(by=request.user)
            except ValidationError as error:
                workspace.refused(error)
            else:
                session = workspace.session
                if request.POST.get("action") != "sign":
                    messages.success(request, f"Session {session.number} saved.")
                    return _saved(session, reverse("sessions:session_workspace", args=[pk]))
                return _sign_from_workspace(request, session)
        status = 400
    audit_page_view(request, session, patient_id=session.course.patient_id, detail="workspace")
    return render(
        request,
        "sessions/workspace.html",
        _workspace_context(request, workspace, draft),
        status=status,
    )


def _sign_from_workspace(request, session):
    """Sign what was just saved; a refused signature leaves it saved and says why."""
    try:
        signed = services.session_sign(
            by=request.user, session=session, countersign=request.POST.get("countersign") == "1"
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        messages.info(request, "Everything was saved; the note is not signed yet.")
        return _saved(session, reverse("sessions:session_workspace", args=[session.pk]))
    following = next_session_today(request.user, after=signed)
    if following is None:
        messages.success(request, f"Session {signed.number} signed. No more sessions today.")
    else:
        at = timezone.localtime(following.scheduled_start, following.course.patient.clinic.zone)
        messages.success(
            request,
            f"Session {signed.number} signed. Next: {following.course.patient.full_name} at "
            f"{at:%H:%M}.",
        )
        return _saved(signed, reverse("sessions:session_workspace", args=[following.pk]))
    return _saved(signed, reverse("therapist_home"))


def _saved(session, to: str):
    """Redirect after a save, saying which workspace was saved (its copy kept in the
    browser tab for an expired sign-in is dropped: static/js/forms.js)."""
    draft_url = reverse("sessions:workspace_draft", args=[session.pk])
    return redirect(f"{to}?{urlencode({'saved': draft_url})}")


def _workspace_context(request, workspace, draft) -> dict:
    session, course = workspace.session, workspace.course
    measures = workspace.course_measures
    return {
        "nav": "patients",
        "ws": workspace,
        "session": session,
        "course": course,
        "patient": course.patient,
        "phase": session.phase,
        "due": {d.kind: d for d in due_at(session, measures)},
        "sign_problems": services.sign_problems(session)
        if session.attendance == "attended"
        else [],
        "catch_up": _catch_up(session, list(workspace.note.fields)),
        "prompt_termination": _prompt_termination(session),
        "draft": draft,
        "zone": course.patient.clinic.zone,
        "countersign": not session.signs_as_author(request.user),
        "fresh": request.method == "GET",
        "answer_choices": ANSWER_CHOICES,
        # The risk check is asked when due: risk open, an item 9 above 0 here, or one written.
        "risk_check_due": bool(session.risk_check_note)
        or any(m.self_harm_positive for m in measures if m.session_id == session.pk)
        or hooks.has_badge(course, hooks.RISK_OPEN),
    }


@require_POST
@role_required(Role.THERAPIST)
def workspace_draft(request, pk: int):
    """The page's autosave: keep what was typed, unvalidated, for its author only."""
    session = session_get_for(request.user, pk, for_edit=True)
    if session.is_signed:
        return JsonResponse({"saved": False, "reason": "signed"}, status=409)
    draft = workspace_draft_save(by=request.user, session=session, data=request.POST)
    zone = session.course.patient.clinic.zone
    return JsonResponse(
        {"saved": True, "at": f"{timezone.localtime(draft.saved_at, zone):%H:%M:%S}"}
    )
