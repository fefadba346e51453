"""Check the audit trail's hash chains and name the first row that does not fit."""

from django.core.management.base import BaseCommand, CommandError

from ipt_clinic.accounts.models import AUDIT_CHAIN_SPLIT, AuditEvent

LINK_BROKEN = (
    "its link to the previous row of its chain does not match (a row before it was removed or "
    "changed)"
)


def first_broken_event(events, *, split_at: int | None = None) -> tuple[AuditEvent, str] | None:
    """Walk the events in id order; return the first one whose hash does not hold, and why.

    Each clinic's events form a chain of their own (the operator's, with no clinic, another).
    Rows up to `split_at` (the marker of migration 0011, in a database that had events before
    the chains were split) form one chain across clinics, as they were written; each clinic's
    chain after it continues from that clinic's last row before it. After the split a row may
    also link to the row just before it (a process still running the code from before the
    split, during a rolling upgrade, links so): either way it names a row that exists, so a
    removed or altered row is still found.
    """
    single = ""  # the head of the one chain: the newest row so far
    heads: dict[int | None, str] = {}  # the head of each clinic's chain
    for event in events:
        if split_at is not None and event.pk <= split_at:
            allowed = {single}
        else:
            allowed = {heads.get(event.clinic_id, ""), *([single] if split_at else [])}
        if event.prev_hash not in allowed:
            return event, LINK_BROKEN
        if event.compute_hash() != event.row_hash:
            return event, "its content does not match its hash (the row was altered)"
        single = event.row_hash
        heads[event.clinic_id] = event.row_hash
    return None


def split_marker_id() -> int | None:
    marker = AuditEvent.objects.filter(clinic__isnull=True, detail=AUDIT_CHAIN_SPLIT)
    return marker.order_by("id").values_list("id", flat=True).first()


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains; exit 1 naming the first altered row."

    def handle(self, *args, **options):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        broken = first_broken_event(events, split_at=split_marker_id())
        if broken:
            event, why = broken
            raise CommandError(
                f"Audit chain broken at event id {event.pk} ({event.at:%Y-%m-%d %H:%M:%S} UTC, "
                f"{event.action}): {why}."
            )
        count = AuditEvent.objects.count()
        chains = AuditEvent.objects.values("clinic_id").distinct().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {count} events verified in {chains} "
                f"chain{'s' if chains != 1 else ''}."
            )
        )
