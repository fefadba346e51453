"""Tracking and ending a user's sign-in sessions (browsers)."""

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import SignInSession, User
from .net import client_ip


def sign_in_record(request, user: User) -> None:
    if not request.session.session_key:
        request.session.save()
    SignInSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "started_at": timezone.now(),
            "last_seen_at": timezone.now(),
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


def sign_in_seen(request) -> None:
    key = request.session.session_key
    if key:
        SignInSession.objects.filter(session_key=key).update(last_seen_at=timezone.now())


def sign_in_forget(session_key: str | None) -> None:
    if session_key:
        SignInSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def sign_ins_end(user: User, *, keep_session_key: str | None = None) -> int:
    """End the user's sign-ins at once (all, or all but the current one). Returns how many."""
    sign_ins = SignInSession.objects.filter(user=user)
    if keep_session_key:
        sign_ins = sign_ins.exclude(session_key=keep_session_key)
    keys = list(sign_ins.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sign_ins.delete()
    return len(keys)
