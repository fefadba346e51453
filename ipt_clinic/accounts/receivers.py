"""Sign-in events go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import Action, Outcome, audit_record
from .auth import normalised_login_email
from .middleware import mark_sign_in
from .models import User, canonical_email
from .signins import sign_in_forget, sign_in_record
from .two_factor import remember_own_device


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_sign_in(request.session, user)
        sign_in_record(request, user)
        remember_own_device(request, user)
    audit_record(action=Action.LOGIN, by=user)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        sign_in_forget(request.session.session_key)
    if user is not None:
        audit_record(action=Action.LOGOUT, by=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    email = normalised_login_email(request, credentials)
    known = User.objects.filter(email=email).first() if email else None
    audit_record(
        action=Action.LOGIN_FAILED,
        by=known,
        outcome=Outcome.FAILURE,
        detail=f"attempted {email}" if known is None and email else "",
    )


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs) -> None:
    known = User.objects.filter(email=canonical_email(username)).first() if username else None
    audit_record(
        action=Action.LOCKOUT,
        by=known,
        outcome=Outcome.DENIED,
        detail=f"attempted {username}" if known is None and username else "",
    )
