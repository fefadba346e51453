"""Sign-in, sign-out and password pages: Django's views with our templates and audit events."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ipt_clinic.forms import add_service_errors

from . import services, two_factor
from .access import clinic_member_required
from .audit import Action, audit_record
from .forms import (
    EmailAuthenticationForm,
    EnrolmentForm,
    InvitationAcceptForm,
    QueuedPasswordResetForm,
    SecondStepForm,
)
from .signins import sign_ins_end


class SignInView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action=Action.PASSWORD_CHANGE, by=self.request.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action=Action.PASSWORD_RESET, by=form.user)
        return response


# --- Two-factor sign-in and My account ----------------------------------------------------


def _safe_next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@login_required
def two_factor_setup(request):
    """Enrol an authenticator app (QR code and key, then a first code), or replace the one in
    use: that needs the second step of this sign-in and a code from the current one."""
    if not two_factor.may_enrol(request):
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor_setup')}")
    replacing = two_factor.has_authenticator(request.user)
    device = two_factor.enrolment_start(request)
    form = EnrolmentForm(request.POST or None, replacing=replacing)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.enrolment_confirm(
                request,
                device,
                form.cleaned_data["code"],
                current_code=form.cleaned_data.get("current_code", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "replacing": replacing,
            "qr_uri": two_factor.enrolment_qr_data_uri(device),
            "manual_key": two_factor.manual_key(device),
            "required": request.user.clinic and request.user.clinic.require_two_factor,
            "next": request.GET.get("next", ""),
        },
    )


@login_required
def two_factor_verify(request):
    """The second step of signing in."""
    if request.user.is_verified():
        return redirect(_safe_next(request))
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.second_step_verify(request, form.cleaned_data["code"]):
            return redirect(_safe_next(request))
        message = (
            "Too many wrong codes: wait a little before the next try."
            if two_factor.throttled(request.user)
            else "That code did not match."
        )
        form.add_error("code", message)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


@require_POST
@login_required
def two_factor_recovery_codes(request):
    if not request.user.is_verified():
        return redirect("two_factor_verify")
    codes = two_factor.recovery_codes_renew(request.user)
    audit_record(
        action=Action.UPDATE, by=request.user, obj=request.user, detail="recovery codes renewed"
    )
    return render(
        request,
        "registration/two_factor_codes.html",
        {"codes": codes, "next": reverse("my_account")},
    )


@clinic_member_required
def my_account(request):
    sign_ins = request.user.sign_in_sessions.all()
    return render(
        request,
        "registration/my_account.html",
        {
            "nav": "account",
            "sign_ins": sign_ins,
            "current_key": request.session.session_key,
            "has_authenticator": two_factor.totp_device_of(request.user) is not None,
            "recovery_left": two_factor.recovery_codes_left(request.user),
            "clinic": request.user.clinic,
        },
    )


@require_POST
@clinic_member_required
def end_other_sign_ins(request):
    ended = sign_ins_end(request.user, keep_session_key=request.session.session_key)
    audit_record(action=Action.LOGOUT, by=request.user, detail=f"ended {ended} other sign-ins")
    messages.success(
        request, f"Signed out everywhere else ({ended} other sign-in{'s' if ended != 1 else ''})."
    )
    return redirect("my_account")


# --- Public: the invitee accepts ------------------------------------------------------------


def invitation_accept(request, token: str):
    """The link in the invitation email: choose a password, and be signed in."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationUnusable as unusable:
        return _unusable(request, unusable)
    form = InvitationAcceptForm(
        request.POST or None, new_user=services.invitation_new_user(invitation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password1"]
            )
        except services.InvitationUnusable as unusable:
            return _unusable(request, unusable)
        login(request, user, backend="ipt_clinic.accounts.auth.ClinicModelBackend")
        messages.success(request, f"Welcome to {invitation.clinic.name}, {user.get_short_name()}.")
        return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "zone": invitation.clinic.zone},
    )


def _unusable(request, unusable: "services.InvitationUnusable"):
    """Expired, used or withdrawn: 410 Gone with a page that says which; a made-up link: 404."""
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"reason": unusable.reason, "invitation": unusable.invitation},
        status=404 if unusable.reason == "invalid" else 410,
    )
