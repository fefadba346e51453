"""Clinic admin pages that reach across the apps: the clinic's settings (with the caseload
flag thresholds) and the audit report with its CSV export."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from ipt_clinic.accounts.access import (
    Role,
    access_changes_for,
    role_required,
    staff_for,
    supervisions_for,
)
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import Clinic
from ipt_clinic.forms import add_service_errors
from ipt_clinic.versions import StaleEdit
from oversight import services
from oversight.models import FlagThresholds
from patients.forms import CaseloadFilterForm
from patients.models import Patient
from patients.selectors import roster_for
from sessions import handover, reminders
from sessions.selectors import (
    failed_reminder_get_for,
    failed_reminders_for,
    handover_courses_for,
    handover_patients_for,
)

from . import audit_report
from .forms import (
    SORTS,
    AuditFilterForm,
    ClinicSettingsForm,
    FlagThresholdsForm,
    HandoverForm,
)
from .selectors import clinic_of, staff_member_get_for

REPORT_PAGE_SIZE = 50
ACCESS_CHANGES_DAYS = 30
ACCESS_CHANGES_SHOWN = 25
ROSTER_PAGE_SIZE = 25


@role_required(Role.CLINIC_ADMIN)
def clinic_settings(request):
    # A fresh copy: a refused form must not leave half-changed values on request.user.clinic.
    clinic = clinic_of(request.user)
    thresholds = FlagThresholds.for_clinic(clinic.pk)
    data = request.POST if request.method == "POST" else None
    form = ClinicSettingsForm(data, instance=clinic)
    flags_form = FlagThresholdsForm(data, instance=thresholds)
    if request.method == "POST" and form.is_valid() and flags_form.is_valid():
        try:
            services.clinic_settings_save(
                by=request.user,
                clinic=form.save(commit=False),
                thresholds=flags_form.save(commit=False),
                changed=form.changed_data,
                thresholds_changed=flags_form.changed_data,
                clinic_based_on=form.based_on,
                thresholds_based_on=flags_form.based_on,
            )
        except StaleEdit as stale:
            (form if isinstance(stale.current, Clinic) else flags_form).show_stale(stale)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("clinic_admin:settings")
    return render(
        request,
        "caseload/clinic_settings.html",
        {"nav": "clinic", "form": form, "flags_form": flags_form},
    )


def _sort_links(request, current: str) -> dict[str, dict]:
    """For each sortable column: the query string that sorts by it (flipping the direction
    when it is the current sort), and whether it is the current sort, and which way."""
    links = {}
    for key in SORTS:
        query = request.GET.copy()
        query.pop("page", None)
        ascending_now = current == key
        query["sort"] = f"-{key}" if ascending_now else key
        links[key] = {
            "query": query.urlencode(),
            "direction": (
                "ascending" if current == key else "descending" if current == f"-{key}" else ""
            ),
        }
    return links


@role_required(Role.CLINIC_ADMIN)
def audit_report_page(request):
    form = AuditFilterForm(request.GET or None, staff=staff_for(request.user))
    filters, sort = form.filters(), form.sort_key()
    events = audit_report.audit_events_for(request.user, filters=filters, sort=sort)
    page = Paginator(events, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    labels = audit_report.object_labels(request.user, page.object_list)
    for event in page.object_list:
        event.object_label = labels.get((event.object_type, event.object_id), "")
    audit_record(action=Action.VIEW, by=request.user, detail=f"audit report page {page.number}")
    left, _ = audit_report.exports_left(request.user)
    return render(
        request,
        "caseload/audit_report.html",
        {
            "nav": "audit",
            "form": form,
            "page": page,
            "sort": sort,
            "sort_links": _sort_links(request, sort),
            "zone": request.user.clinic.zone,
            "exports_left": left,
            "export_limit": audit_report.EXPORT_LIMIT,
        },
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def audit_export(request):
    """The filtered report as CSV. The export is itself audited, and limited in rate."""
    form = AuditFilterForm(request.POST, staff=staff_for(request.user))
    filters, sort = form.filters(), form.sort_key()
    left, again_at = audit_report.exports_left(request.user)
    if not left:
        audit_report.export_record(by=request.user, rows=0, filters=filters, allowed=False)
        response = render(
            request,
            "caseload/audit_export_limited.html",
            {
                "nav": "audit",
                "limit": audit_report.EXPORT_LIMIT,
                "minutes": int(audit_report.EXPORT_WINDOW.total_seconds() // 60),
                "again_at": timezone.localtime(again_at, request.user.clinic.zone),
            },
            status=429,
        )
        response["Retry-After"] = str(max(int((again_at - timezone.now()).total_seconds()), 1))
        return response
    events = audit_report.audit_events_for(request.user, filters=filters, sort=sort)
    audit_report.export_record(by=request.user, rows=events.count(), filters=filters, allowed=True)
    clinic = request.user.clinic
    name = f"audit-{slugify(clinic.name) or 'clinic'}-{timezone.localdate()}"
    response = StreamingHttpResponse(
        audit_report.csv_lines(events, clinic.zone), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@role_required(Role.CLINIC_ADMIN)
def home(request):
    """The clinic admin's landing page: settings, staff, supervision, recent access changes."""
    staff = staff_for(request.user).order_by("-is_active", "full_name")
    supervisions = (
        supervisions_for(request.user)
        .select_related("supervisor", "therapist")
        .order_by("supervisor__full_name", "therapist__full_name")
    )
    since = timezone.now() - timedelta(days=ACCESS_CHANGES_DAYS)
    changes = list(access_changes_for(request.user, since=since)[:ACCESS_CHANGES_SHOWN])
    names = {str(person.pk): person.full_name for person in staff}
    for event in changes:
        event.whom = names.get(event.object_id, "") if event.object_type == "accounts.user" else ""
    return render(
        request,
        "home/clinic_admin.html",
        {
            "nav": "clinic",
            "clinic": request.user.clinic,
            "staff": staff,
            "supervisions": supervisions,
            "access_changes": changes,
            "access_changes_days": ACCESS_CHANGES_DAYS,
            "today": timezone.localdate(),
        },
    )


@role_required(Role.CLINIC_ADMIN)
def reminder_failures(request):
    """Reminders that could not be sent, so that someone calls the patient or fixes the
    contact details. Roster-level data only: names, contact, appointment time, reason."""
    page = Paginator(failed_reminders_for(request.user), 50).get_page(request.GET.get("page"))
    audit_record(action=Action.VIEW, by=request.user, detail=f"failed reminders page {page.number}")
    return render(
        request,
        "sessions/reminder_failures.html",
        {
            "nav": "clinic",
            "page": page,
            "zone": request.user.clinic.zone,
            "now": timezone.now(),
        },
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def reminder_retry(request, pk: int):
    reminder = failed_reminder_get_for(request.user, pk)
    if reminders.reminder_retry(by=request.user, reminder=reminder):
        messages.success(request, "The reminder will be sent again within a minute.")
    else:
        messages.error(request, "The appointment is no longer ahead: nothing to send.")
    return redirect("clinic_admin:reminder_failures")


@role_required(Role.CLINIC_ADMIN)
def patient_roster(request):
    filters = CaseloadFilterForm(request.GET or None)
    patients = filters.filter(roster_for(request.user)).order_by("family_name", "given_name")
    page = Paginator(patients, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(action=Action.VIEW, by=request.user, detail=f"patient roster page {page.number}")
    return render(
        request,
        "patients/patient_roster.html",
        {"nav": "roster", "filters": filters, "page": page, "statuses": Patient.Status},
    )


@role_required(Role.CLINIC_ADMIN)
def caseload_handover(request, pk: int):
    """Move a therapist's open courses (all or some) and waiting patients to a colleague."""
    therapist = staff_member_get_for(request.user, pk)
    courses = handover_courses_for(request.user, therapist)
    patients = handover_patients_for(request.user, therapist)
    receivers = staff_for(request.user).therapists().exclude(pk=therapist.pk)
    form = HandoverForm(
        request.POST or None,
        receivers=receivers,
        courses=courses,
        patients=patients,
        zone=request.user.clinic.zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved_courses, moved_patients = handover.caseload_handover(
                by=request.user,
                from_therapist=therapist,
                to_therapist=form.cleaned_data["to_therapist"],
                courses=form.cleaned_data.get("courses") or [],
                patients=form.cleaned_data.get("patients") or [],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Handed over to {form.cleaned_data['to_therapist'].full_name}: "
                f"{moved_courses} course{'s' if moved_courses != 1 else ''} and "
                f"{moved_patients} patient{'s' if moved_patients != 1 else ''} without a course.",
            )
            return redirect("staff:detail", pk=therapist.pk)
    return render(
        request,
        "sessions/caseload_handover.html",
        {
            "nav": "staff",
            "therapist": therapist,
            "form": form,
            "nothing_to_hand_over": "courses" not in form.fields and "patients" not in form.fields,
        },
    )
