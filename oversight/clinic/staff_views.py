"""The clinic admin's staff pages: list, invite, roles, supervision links, deactivation; and the
public page where an invitee accepts. Thin: selector -> form -> service -> redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ipt_clinic import hooks
from ipt_clinic.accounts import services, two_factor
from ipt_clinic.accounts.access import Role, role_required, staff_for, supervisions_for
from ipt_clinic.forms import add_service_errors

from .selectors import (
    invitation_get_for,
    invitations_for,
    links_of,
    staff_member_get_for,
    supervision_get_for,
)
from .staff_forms import (
    InvitationForm,
    StaffFilterForm,
    StaffForm,
    SupervisionDatesForm,
    SupervisionForm,
)

PAGE_SIZE = 50


@role_required(Role.CLINIC_ADMIN)
def staff_list(request):
    filters = StaffFilterForm(request.GET or None)
    staff = filters.filter(staff_for(request.user)).order_by("full_name", "email")
    page = Paginator(staff, PAGE_SIZE).get_page(request.GET.get("page"))
    pending = invitations_for(request.user).pending().select_related("invited_by")
    return render(
        request,
        "accounts/staff_list.html",
        {
            "nav": "staff",
            "filters": filters,
            "page": page,
            "pending": pending,
            "zone": request.user.clinic.zone,
        },
    )


@role_required(Role.CLINIC_ADMIN)
def staff_invite(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_send(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except OSError:
            form.add_error(
                None,
                "The invitation email could not be sent (the mail server did not answer). "
                "Nothing was saved; try again in a moment.",
            )
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. The link works once, for 72 hours.",
            )
            return redirect("staff:list")
    return render(request, "accounts/staff_invite.html", {"nav": "staff", "form": form})


@require_POST
@role_required(Role.CLINIC_ADMIN)
def invitation_withdraw(request, pk: int):
    invitation = invitation_get_for(request.user, pk)
    if services.invitation_withdraw(by=request.user, invitation=invitation):
        messages.success(request, f"The invitation of {invitation.email} is withdrawn.")
    else:
        messages.info(request, "That invitation was no longer pending.")
    return redirect("staff:list")


@role_required(Role.CLINIC_ADMIN)
def staff_detail(request, pk: int):
    person = staff_member_get_for(request.user, pk)
    form = StaffForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                by=request.user, person=person, based_on=form.based_on, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("staff:detail", pk=person.pk)
    links = links_of(request.user, person)
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "nav": "staff",
            "person": person,
            "form": form,
            "links": links,
            "caseload_problems": hooks.caseload_checks.problems(person)
            if person.is_therapist
            else [],
            "is_self": person.pk == request.user.pk,
            "today": timezone.localdate(),
        },
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def staff_deactivate(request, pk: int):
    """Deactivation is confirmed on the staff page (the button that sends confirm=yes sits
    behind "Deactivate…", with what it does): a stray POST does nothing."""
    person = staff_member_get_for(request.user, pk)
    if request.POST.get("confirm") != "yes":
        messages.info(request, f"{person.full_name} was not deactivated: confirm it below.")
        return redirect("staff:detail", pk=person.pk)
    try:
        ended = services.staff_deactivate(by=request.user, person=person)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, f"Not deactivated. {problem}")
    else:
        messages.success(
            request,
            f"{person.full_name} is deactivated and cannot sign in"
            f"{f'; {ended} open sign-ins were ended' if ended else ''}. "
            "Their records and history are kept.",
        )
    return redirect("staff:detail", pk=person.pk)


@require_POST
@role_required(Role.CLINIC_ADMIN)
def staff_reactivate(request, pk: int):
    person = staff_member_get_for(request.user, pk)
    services.staff_reactivate(by=request.user, person=person)
    messages.success(request, f"{person.full_name} can sign in again.")
    return redirect("staff:detail", pk=person.pk)


@role_required(Role.CLINIC_ADMIN)
def supervision_list(request):
    staff = staff_for(request.user)
    form = SupervisionForm(
        request.POST or None, staff=staff, initial={"starts_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.supervision_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Supervision link added.")
            return redirect("staff:supervisions")
    links = (
        supervisions_for(request.user)
        .select_related("supervisor", "therapist")
        .order_by("supervisor__full_name", "therapist__full_name", "-starts_on")
    )
    return render(
        request,
        "accounts/supervision_list.html",
        {
            "nav": "staff",
            "form": form,
            "links": links,
            "today": timezone.localdate(),
        },
    )


@role_required(Role.CLINIC_ADMIN)
def supervision_edit(request, pk: int):
    link = supervision_get_for(request.user, pk)
    form = SupervisionDatesForm(request.POST or None, instance=link)
    if request.method == "POST" and form.is_valid():
        try:
            services.supervision_update(
                by=request.user,
                link=link,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                based_on=form.based_on,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Supervision dates saved.")
            return redirect("staff:supervisions")
    return render(
        request, "accounts/supervision_edit.html", {"nav": "staff", "form": form, "link": link}
    )


@require_POST
@role_required(Role.CLINIC_ADMIN)
def supervision_end(request, pk: int):
    link = supervision_get_for(request.user, pk)
    try:
        services.supervision_end_now(by=request.user, link=link)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{link.supervisor.full_name} no longer supervises {link.therapist.full_name}: "
            "access to the caseload has stopped.",
        )
    return redirect("staff:supervisions")


@require_POST
@role_required(Role.CLINIC_ADMIN)
def two_factor_reset(request, pk: int):
    """A clinic admin removes a colleague's second factor (a lost phone): they enrol again."""
    person = staff_member_get_for(request.user, pk)
    try:
        two_factor.two_factor_reset(by=request.user, user=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Two-factor sign-in of {person.full_name} is reset; they set it "
            "up again at their next sign-in.",
        )
    return redirect("staff:detail", pk=person.pk)
