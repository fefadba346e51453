"""Two-factor sign-in with django-otp: TOTP authenticator apps and 10 single-use recovery codes.

Why django-otp: it is small, long maintained, and its TOTP device refuses a code reused in its
window (`last_t`) and slows down repeated wrong codes (throttling) — the two properties that
matter most — while leaving the pages to us.

Until the second step is done, the gate below lets a signed-in user reach only the two-factor
pages and sign-out: no page with patient data.
"""

import base64

import segno
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import Action, Outcome, audit_record
from .models import User

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery codes"
# Reachable before the second step: the two-factor pages themselves, and the way out.
OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz")


def two_factor_required(user) -> bool:
    """Required by the clinic, or chosen by the user (who then always confirms)."""
    clinic = getattr(user, "clinic", None)
    return bool(clinic and clinic.require_two_factor) or user_has_device(user, confirmed=True)


SESSION_REQUIRED = "ipt_two_factor_required"


def remember_requirement(request, user) -> None:
    """Decided once at sign-in and kept in the session, so pages pay no query for it."""
    request.session[SESSION_REQUIRED] = two_factor_required(user)


def needs_second_step(request) -> bool:
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    if SESSION_REQUIRED not in request.session:
        remember_requirement(request, user)
    return request.session[SESSION_REQUIRED]


class TwoFactorGateMiddleware:
    """Sends a user who has passed the password but not the code to the two-factor pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_second_step(request) and not request.path.startswith(OPEN_PATHS):
            target = "two_factor_verify" if user_has_device(request.user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


def totp_device_of(user: User, *, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.first()


def enrolment_start(user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the user (reused until confirmed)."""
    device = totp_device_of(user, confirmed=False)
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def enrolment_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI, drawn here (no external service)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def enrolment_confirm(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a first code; returns fresh recovery codes, or None."""
    if not device.verify_token(code):
        audit_record(
            action=Action.LOGIN_FAILED,
            request=request,
            outcome=Outcome.FAILURE,
            detail="two-factor enrolment code refused",
        )
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    codes = recovery_codes_renew(device.user)
    audit_record(
        action=Action.UPDATE,
        request=request,
        obj=device.user,
        detail="two-factor authenticator enrolled",
    )
    return codes


def recovery_codes_renew(user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new single-use ones (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_step_verify(request: HttpRequest, code: str) -> bool:
    """Check an authenticator code, or a recovery code (used up on success)."""
    code = code.replace(" ", "").strip()
    user = request.user
    for device in [totp_device_of(user), *StaticDevice.objects.filter(user=user)]:
        if device is None:
            continue
        if not device.verify_is_allowed()[0]:
            continue  # throttled: wrong codes came too fast
        if device.verify_token(code):
            otp_login(request, device)
            kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator"
            audit_record(
                action=Action.LOGIN, request=request, detail=f"second step verified ({kind})"
            )
            return True
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        outcome=Outcome.FAILURE,
        detail="second-step code refused",
    )
    return False


def throttled(user: User) -> bool:
    device = totp_device_of(user)
    return bool(device and not device.verify_is_allowed()[0])


@transaction.atomic
def two_factor_reset(request: HttpRequest, user: User) -> None:
    """An admin removes a user's second factor (lost phone); they enrol again at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(
        action=Action.UPDATE, request=request, obj=user, detail="second factor reset by an admin"
    )
