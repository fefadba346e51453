"""How the reminders are doing, for an operator: what is due and not yet sent, how late the
oldest is, what is being sent, what failed, and how many messages wait on the broker."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q
from django.utils import timezone

from sessions.models import Reminder

State = Reminder.State


def reminders_status(now=None) -> dict:
    now = now or timezone.now()
    counts = Reminder.objects.aggregate(
        due=Count("pk", filter=Q(state=State.PENDING, next_attempt_at__lte=now)),
        oldest_due=Min("next_attempt_at", filter=Q(state=State.PENDING, next_attempt_at__lte=now)),
        sending=Count("pk", filter=Q(state=State.SENDING)),
        failed_last_day=Count(
            "pk", filter=Q(state=State.FAILED, updated_at__gte=now - timedelta(days=1))
        ),
    )
    oldest = counts.pop("oldest_due")
    counts["late_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
    counts["queued_on_broker"] = broker_queue_depth()
    return counts


def broker_queue_depth() -> int | None:
    """Messages waiting in Celery's default queue on Redis (None: not Redis, or not reached)."""
    from ipt_clinic.celery import app

    try:
        with app.connection_for_read() as connection:
            if connection.transport_cls not in {"redis", "rediss"}:
                return None
            return connection.default_channel.client.llen(app.conf.task_default_queue)
    except Exception:
        return None


class Command(BaseCommand):
    help = "Reminders due and not sent, how late the oldest is, and the broker's queue depth."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args, **options):
        status = reminders_status()
        if options["json"]:
            self.stdout.write(json.dumps(status))
            return
        depth = status["queued_on_broker"]
        self.stdout.write(
            f"due, not sent yet:      {status['due']}\n"
            f"oldest due for:         {status['late_seconds']} s\n"
            f"being sent:             {status['sending']}\n"
            f"failed, last 24 hours:  {status['failed_last_day']}\n"
            f"waiting on the broker:  {'unknown' if depth is None else depth}"
        )
