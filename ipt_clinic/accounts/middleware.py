"""Sign-in session limits: an idle timeout and an absolute one."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

from .audit import Action, audit_record
from .signins import sign_in_seen

SESSION_STARTED = "ipt_signed_in_at"
SESSION_LAST_SEEN = "ipt_last_seen_at"
SESSION_IDLE_LIMIT = "ipt_idle_seconds"
# Refresh the idle clock at most this often, so that not every request writes the session.
LAST_SEEN_RESOLUTION_SECONDS = 30


def mark_sign_in(session, user=None) -> None:
    """Start the clocks; the idle limit is the clinic's own when it is stricter."""
    now = time.time()
    session[SESSION_STARTED] = now
    session[SESSION_LAST_SEEN] = now
    limit = settings.SESSION_IDLE_TIMEOUT.total_seconds()
    clinic = getattr(user, "clinic", None)
    if clinic is not None:
        limit = min(limit, clinic.session_idle_minutes * 60)
    session[SESSION_IDLE_LIMIT] = limit


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
        idle_limit = session.get(SESSION_IDLE_LIMIT, settings.SESSION_IDLE_TIMEOUT.total_seconds())
        idle = now - last_seen > idle_limit
        too_long = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        if idle or too_long:
            user = request.user
            audit_record(
                action=Action.SESSION_EXPIRED,
                by=user,
                detail="idle" if idle else "absolute",
            )
            logout(request)
            minutes = int(idle_limit // 60)
            messages.info(
                request,
                f"You were signed out after {minutes} minutes without activity."
                if idle
                else "You were signed out because your sign-in reached its time limit.",
            )
            return
        if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            session[SESSION_LAST_SEEN] = now
            sign_in_seen(request)
