"""Helpers for signing in with an email address."""

from django.http import HttpRequest


def normalised_login_email(request: HttpRequest, credentials: dict | None) -> str:
    """The address a sign-in attempt names, lower-cased, so that lockouts count
    'Ann@Clinic.example' and 'ann@clinic.example' as the same person."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None and request.method == "POST":
        raw = request.POST.get("username", "")
    return str(raw).strip().lower()[:254]
