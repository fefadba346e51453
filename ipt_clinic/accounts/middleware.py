"""Sign-in session limits: an idle timeout and an absolute one."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

from .audit import Action, audit_record

SESSION_STARTED = "ipt_signed_in_at"
SESSION_LAST_SEEN = "ipt_last_seen_at"
# Refresh the idle clock at most this often, so that not every request writes the session.
LAST_SEEN_RESOLUTION_SECONDS = 30


def mark_sign_in(session) -> None:
    now = time.time()
    session[SESSION_STARTED] = now
    session[SESSION_LAST_SEEN] = now


class SignInSessionTimeoutMiddleware:
    """Ends a sign-in after SESSION_IDLE_TIMEOUT without activity, or SESSION_ABSOLUTE_TIMEOUT
    after it began, whichever comes first. The next request then meets the sign-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request) -> None:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED)
        last_seen = session.get(SESSION_LAST_SEEN)
        if started is None or last_seen is None:
            mark_sign_in(session)
            return
        idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
        too_long = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        if idle or too_long:
            user = request.user
            audit_record(
                action=Action.SESSION_EXPIRED,
                request=request,
                user=user,
                detail="idle" if idle else "absolute",
            )
            logout(request)
            minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
            messages.info(
                request,
                f"You were signed out after {minutes} minutes without activity."
                if idle
                else "You were signed out because your sign-in reached its time limit.",
            )
            return
        if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            session[SESSION_LAST_SEEN] = now
