"""Signing in: the email address of an attempt, and the backend that loads the user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import canonical_email

UserModel = get_user_model()


def normalised_login_email(request: HttpRequest, credentials: dict | None) -> str:
    """The address a sign-in attempt names, in its canonical form (models.canonical_email),
    so that the lockout counts 'Ann@Clinic.example', 'ann@clinic.example' and look-alike
    spellings that reach the same account as one person."""
    raw = ""
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    if not raw and request is not None and request.method == "POST":
        raw = request.POST.get("username", "")
    return canonical_email(raw)


class ClinicModelBackend(ModelBackend):
    """Django's model backend, loading the signed-in user with their clinic in one query:
    every request needs the clinic (its time zone, its name in the page header)."""

    def get_user(self, user_id):
        user = UserModel._default_manager.select_related("clinic").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
