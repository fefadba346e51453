"""The Celery app. Its beat schedule is static and lives here, in code."""

import os
from datetime import timedelta
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipt_clinic.settings")

app = Celery("ipt_clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _filesystem_broker_folders(sender, **kwargs) -> None:
    """The embedded broker (no CELERY_BROKER_URL) keeps its messages in folders under var/."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


app.autodiscover_tasks()
app.autodiscover_tasks(["ipt_clinic.accounts"])

app.conf.beat_schedule = {
    "clear-expired-sign-in-sessions": {
        "task": "ipt_clinic.accounts.tasks.clear_expired_sign_in_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}


@app.on_after_configure.connect
def _reminder_schedule(sender, **kwargs) -> None:
    """Dispatch and sweep reminders every REMINDER_DISPATCH_SECONDS (a minute by default).

    Two beats at once would run them twice as often, never send twice: the dispatcher claims
    rows with SKIP LOCKED. A dispatch that waited out a whole interval on the queue is dropped
    (`expires`): the next one does the same work.
    """
    from django.conf import settings

    every = timedelta(seconds=settings.REMINDER_DISPATCH_SECONDS)
    options = {"expires": every.total_seconds()}
    sender.conf.beat_schedule.update(
        {
            "dispatch-due-reminders": {
                "task": "sessions.tasks.dispatch_due_reminders",
                "schedule": every,
                "options": options,
            },
            "sweep-stuck-reminders": {
                "task": "sessions.tasks.sweep_stuck_reminders",
                "schedule": every,
                "options": options,
            },
        }
    )


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs) -> None:
    """A task queued while serving a request carries that request's id (logs join them up)."""
    from ipt_clinic.accounts.audit import current_context

    if headers is not None and current_context().request_id:
        headers.setdefault("ipt_request_id", current_context().request_id)


@task_prerun.connect
def _enter_audit_context(task_id=None, task=None, **kwargs) -> None:
    """Audit events of a task carry no client address; its logs carry the id of the request
    that queued it, or the task's own id (beat's tasks)."""
    from ipt_clinic.accounts.audit import enter_context

    if task is not None:
        request_id = getattr(task.request, "ipt_request_id", None) or task_id or ""
        task.request.audit_token = enter_context(request_id=request_id)


@task_postrun.connect
def _leave_audit_context(task=None, **kwargs) -> None:
    from ipt_clinic.accounts.audit import leave_context

    token = getattr(task.request, "audit_token", None) if task is not None else None
    if token is not None:
        leave_context(token)


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(task=None, **kwargs) -> None:
    """What Django does around each request: drop a connection that is broken or has outlived
    CONN_MAX_AGE, keep a healthy one (CELERY_DB_REUSE_MAX stops Celery closing it always)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # inline in the caller's transaction: its connection is not ours to close
    from django.db import close_old_connections

    close_old_connections()
