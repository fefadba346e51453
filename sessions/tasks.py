"""Celery tasks for reminders. Thin: each takes at most an id and calls sessions.reminders.

acks_late with reject_on_worker_lost (set for every task in settings): a worker that dies
mid-task leaves the message to be delivered again, and the row's own state decides whether
anything is left to do. None of them is ever queued with an ETA or countdown.
"""

from celery import shared_task

from . import reminders


def _queue_send(reminder_id: int) -> None:
    # No publish retries: if the broker is away the dispatcher hands the rows back at once.
    send_reminder.apply_async((reminder_id,), retry=False)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due_reminders() -> int:
    """Beat, every minute: claim due reminders and queue a send task for each."""
    return reminders.reminders_dispatch(enqueue=_queue_send)


@shared_task(acks_late=True, ignore_result=True)
def sweep_stuck_reminders() -> int:
    """Beat, every minute: queue again the reminders a crash left in sending."""
    return reminders.reminders_sweep(enqueue=_queue_send)


@shared_task(acks_late=True, ignore_result=True)
def send_reminder(reminder_id: int) -> str:
    """Send one claimed reminder (re-checked first); its row records what happened."""
    return reminders.reminder_deliver(reminder_id=reminder_id)
