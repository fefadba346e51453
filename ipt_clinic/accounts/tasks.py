from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sign_in_sessions() -> None:
    """Delete expired rows of django_session (sign-in sessions, not therapy sessions)."""
    call_command("clearsessions")
