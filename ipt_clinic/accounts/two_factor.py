"""Two-factor sign-in with django-otp: TOTP authenticator apps and 10 single-use recovery codes.

Why django-otp: it is small, long maintained, and its TOTP device refuses a code reused in its
window (`last_t`) and slows down repeated wrong codes (throttling) — the two properties that
matter most — while leaving the pages to us.

Until the second step is done, the gate below lets a signed-in user reach only the two-factor
pages and sign-out: no page with patient data.
"""

import base64

import segno
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import tasks
from .audit import Action, Outcome, audit_record, current_context
from .models import User
from .signins import sign_ins_end

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery codes"
# Reachable before the second step: the two-factor pages themselves, and the way out.
OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz", "/readyz")


SESSION_OWN_DEVICE = "ipt_two_factor_own_device"


def remember_own_device(request, user) -> None:
    """Whether the user has an authenticator of their own, noted at sign-in so that pages pay
    no query for it (enrolment and an admin's reset change it within the sign-in too)."""
    request.session[SESSION_OWN_DEVICE] = user_has_device(user, confirmed=True)


def needs_second_step(request) -> bool:
    """Signed in with the password, and the second step is asked for: by the clinic (read on
    every request, so that switching it on reaches everyone signed in at once; the clinic is
    loaded with the user), or by the user, who enrolled an authenticator of their own."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    if user.clinic is not None and user.clinic.require_two_factor:
        return True
    if SESSION_OWN_DEVICE not in request.session:
        remember_own_device(request, user)
    return request.session[SESSION_OWN_DEVICE]


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


SESSION_ENROLMENT_DEVICE = "ipt_enrolment_device"


def enrolment_start(request: HttpRequest) -> TOTPDevice:
    """The unconfirmed authenticator of this sign-in (reused while it lasts). Each sign-in gets
    a key of its own: someone who signed in with the password elsewhere never sees the key the
    owner is about to enrol, and so cannot compute its codes."""
    user = request.user
    device = TOTPDevice.objects.filter(
        pk=request.session.get(SESSION_ENROLMENT_DEVICE), user=user, confirmed=False
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
        request.session[SESSION_ENROLMENT_DEVICE] = device.pk
    return device


def enrolment_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI, drawn here (no external service)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def may_enrol(request: HttpRequest) -> bool:
    """A new authenticator is for someone without one yet, or for someone who has passed the
    second step in this sign-in (who must then also give a current code to replace it).
    A password alone never sees a new key for an account that already has one."""
    return request.user.is_verified() or not has_authenticator(request.user)


def enrolment_confirm(
    request: HttpRequest, device: TOTPDevice, code: str, *, current_code: str = ""
) -> list[str]:
    """Confirm a new authenticator with its first code; returns fresh recovery codes.

    Replacing the authenticator in use also takes `current_code`, from it or a recovery code:
    a borrowed, unlocked browser is not enough. Refusals are audited (and kept: they happen
    outside the transaction that makes the change) and raised as ValidationError naming the
    field whose code was refused.
    """
    user = request.user
    replacing = has_authenticator(user)
    if replacing and not (user.is_verified() and _device_accepting(user, current_code)):
        _audit_refused(request, "current code refused when replacing the authenticator")
        raise ValidationError(
            {"current_code": "That is not a current code of your authenticator app or an "
             "unused recovery code."}
        )  # fmt: skip
    if not device.verify_token(code.replace(" ", "")):
        _audit_refused(request, "two-factor enrolment code refused")
        raise ValidationError(
            {"code": "That code did not match. Check the time on your phone and enter the "
             "newest code."}
        )  # fmt: skip
    return _enrolment_finish(request, device, replacing=replacing)


@transaction.atomic
def _enrolment_finish(request: HttpRequest, device: TOTPDevice, *, replacing: bool) -> list[str]:
    user = User.objects.select_for_update().get(pk=device.user_id)  # one enrolment at a time
    if has_authenticator(user) != replacing:
        raise ValidationError(
            "Your authenticator changed in another window meanwhile: start again."
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    request.session[SESSION_OWN_DEVICE] = True
    request.session.pop(SESSION_ENROLMENT_DEVICE, None)
    # Every other sign-in of the account ends: one made with the password alone before the
    # authenticator existed must not go on without it.
    ended = sign_ins_end(user, keep_session_key=request.session.session_key)
    codes = recovery_codes_renew(user)
    change = "replaced" if replacing else "enrolled"
    audit_record(
        action=Action.UPDATE,
        by=request.user,
        obj=user,
        detail=f"two-factor authenticator {change}; {ended} other sign-ins ended",
    )
    security_notice_send(user=user, change=change)
    return codes


def _audit_refused(request: HttpRequest, detail: str) -> None:
    audit_record(
        action=Action.LOGIN_FAILED, by=request.user, outcome=Outcome.FAILURE, detail=detail
    )


def security_notice_send(*, user: User, change: str) -> None:
    """Tell the owner by email that their second factor changed, once the change is committed
    (queued: the mail is built by a worker). The message names no patient and no code."""
    ip = current_context().ip_address
    transaction.on_commit(
        lambda: tasks.security_notice.delay(user_id=user.pk, change=change, ip_address=ip)
    )


def recovery_codes_renew(user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new single-use ones (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _device_accepting(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The user's authenticator or recovery-code device that accepts `code` (a recovery code is
    used up), or None; a device slowed down by recent wrong codes is not asked."""
    code = (code or "").replace(" ", "").strip()
    if not code:
        return None
    for device in [totp_device_of(user), *StaticDevice.objects.filter(user=user)]:
        if device is None or not device.verify_is_allowed()[0]:
            continue
        if device.verify_token(code):
            return device
    return None


def second_step_verify(request: HttpRequest, code: str) -> bool:
    """Check an authenticator code, or a recovery code (used up on success)."""
    device = _device_accepting(request.user, code)
    if device is None:
        _audit_refused(request, "second-step code refused")
        return False
    otp_login(request, device)
    kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator"
    audit_record(action=Action.LOGIN, by=request.user, detail=f"second step verified ({kind})")
    return True


def throttled(user: User) -> bool:
    device = totp_device_of(user)
    return bool(device and not device.verify_is_allowed()[0])


@transaction.atomic
def two_factor_reset(*, by: User, user: User) -> None:
    """An admin removes a user's second factor (lost phone); they enrol again at next sign-in.
    Never their own: they replace it from My account, with a current code."""
    if user.pk == by.pk:
        raise ValidationError(
            "You cannot reset your own two-factor sign-in; replace the authenticator from My "
            "account, or ask another clinic admin."
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action=Action.UPDATE, by=by, obj=user, detail="second factor reset by an admin")
    security_notice_send(user=user, change="reset")
