"""Celery tasks of the accounts app. Thin: each takes ids or an address, never a secret, and
builds its message in the worker."""

from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone


@shared_task
def clear_expired_sign_in_sessions() -> None:
    """Delete expired rows of django_session (sign-in sessions, not therapy sessions)."""
    call_command("clearsessions")


@shared_task(acks_late=True, ignore_result=True)
def password_reset_send(*, email: str) -> None:
    """Look the address up and, for an active account, send its reset link.

    The sign-in page only queues this task, for every address alike: whether an account
    exists never changes what the request does or how long it takes.
    """
    site = urlsplit(settings.SITE_URL)
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        )


SECURITY_CHANGES = {
    "enrolled": "an authenticator app was set up for your two-factor sign-in",
    "replaced": "the authenticator app of your two-factor sign-in was replaced by another",
    "reset": "a clinic admin reset your two-factor sign-in; you set it up again at your next "
    "sign-in",
}


@shared_task(acks_late=True, ignore_result=True)
def security_notice(*, user_id: int, change: str, ip_address: str | None = None) -> None:
    """Tell a member of staff that the second factor of their account changed."""
    from .models import User

    user = User.objects.select_related("clinic").filter(pk=user_id).first()
    if user is None or change not in SECURITY_CHANGES:
        return
    zone = user.clinic.zone if user.clinic else timezone.get_default_timezone()
    context = {
        "user": user,
        "what": SECURITY_CHANGES[change],
        "at": timezone.localtime(timezone.now(), zone),
        "ip_address": ip_address,
        "clinic": user.clinic,
    }
    EmailMessage(
        subject="Your IPT Clinic sign-in has changed",
        body=render_to_string("registration/security_notice_email.txt", context),
        to=[user.email],
    ).send()
