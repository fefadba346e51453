"""The Celery app. Its beat schedule is static and lives here, in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipt_clinic.settings")

app = Celery("ipt_clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["ipt_clinic.accounts"])

app.conf.beat_schedule = {
    "clear-expired-sign-in-sessions": {
        "task": "ipt_clinic.accounts.tasks.clear_expired_sign_in_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
}
