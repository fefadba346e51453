"""Check the audit trail's hash chain and name the first row that does not fit."""

from django.core.management.base import BaseCommand, CommandError

from ipt_clinic.accounts.models import AuditEvent


def first_broken_event(events) -> tuple[AuditEvent, str] | None:
    """Walk the events in id order; return the first one whose hash does not hold, and why."""
    previous = ""
    for event in events:
        if event.prev_hash != previous:
            return (
                event,
                "its link to the previous row does not match (a row before it was "
                "removed or changed)",
            )
        if event.compute_hash() != event.row_hash:
            return event, "its content does not match its hash (the row was altered)"
        previous = event.row_hash
    return None


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first altered row."

    def handle(self, *args, **options):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        broken = first_broken_event(events)
        if broken:
            event, why = broken
            raise CommandError(
                f"Audit chain broken at event id {event.pk} ({event.at:%Y-%m-%d %H:%M:%S} UTC, "
                f"{event.action}): {why}."
            )
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} events verified."))
