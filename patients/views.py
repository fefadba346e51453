from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ipt_clinic.accounts.access import CLINICAL_ROLES, Role, may_edit, role_required
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.forms import add_service_errors

from . import services
from .forms import CaseloadFilterForm, PatientForm
from .selectors import patient_get_for, patients_for

PAGE_SIZE = 25


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(*CLINICAL_ROLES)
def patient_list(request):
    filters = CaseloadFilterForm(request.GET or None)
    patients = filters.filter(patients_for(request.user)).order_by("family_name", "given_name")
    page = _page(request, patients)
    audit_record(action=Action.VIEW, by=request.user, detail=f"caseload list page {page.number}")
    return render(
        request,
        "patients/patient_list.html",
        {
            "nav": "patients",
            "filters": filters,
            "page": page,
            "shows_others": request.user.is_supervisor,
        },
    )


@role_required(Role.THERAPIST)
def patient_create(request):
    form = PatientForm(
        request.POST or None, clinic_id=request.user.clinic_id, submit_label="Add patient"
    )
    if request.method == "POST" and form.is_valid():
        patient = services.patient_create(
            by=request.user, therapist=request.user, patient=form.save(commit=False)
        )
        messages.success(request, f"{patient.full_name} is on your caseload.")
        return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {"nav": "patients", "form": form, "title": "Add a patient"},
    )


@role_required(*CLINICAL_ROLES)
def patient_detail(request, pk: int):
    patient = patient_get_for(request.user, pk)
    audit_record(action=Action.VIEW, by=request.user, obj=patient, patient_id=patient.pk)
    can_edit = may_edit(request.user, patient)
    return render(
        request,
        "patients/patient_detail.html",
        {"nav": "patients", "patient": patient, "can_edit": can_edit},
    )


@role_required(Role.THERAPIST)
def patient_edit(request, pk: int):
    patient = patient_get_for(request.user, pk, for_edit=True)
    form = PatientForm(
        request.POST or None,
        instance=patient,
        clinic_id=request.user.clinic_id,
        submit_label="Save changes",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                by=request.user, patient=form.save(commit=False), based_on=form.based_on
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Patient details saved.")
            return redirect("patients:detail", pk=patient.pk)
    if request.method == "GET":
        audit_record(action=Action.VIEW, by=request.user, obj=patient, patient_id=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {"nav": "patients", "form": form, "patient": patient, "title": f"Edit {patient.full_name}"},
    )


@require_POST
@role_required(Role.THERAPIST)
def patient_archive(request, pk: int):
    patient = patient_get_for(request.user, pk, for_edit=True)
    if not patient.is_archived:
        try:
            services.patient_archive(by=request.user, patient=patient)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{patient.full_name} is archived. Nothing was deleted.")
    return redirect("patients:detail", pk=patient.pk)


@require_POST
@role_required(Role.THERAPIST)
def patient_restore(request, pk: int):
    patient = patient_get_for(request.user, pk, for_edit=True)
    if patient.is_archived:
        services.patient_restore(by=request.user, patient=patient)
        messages.success(request, f"{patient.full_name} is back on your caseload.")
    return redirect("patients:detail", pk=patient.pk)
