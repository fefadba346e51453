"""One audit hash chain a clinic instead of one for the whole installation, so that writes in
one clinic never wait on another's.

A database that already has events keeps them as they were written, one chain across clinics,
and gets a marker event closing that chain: verify_audit_chain checks the rows up to the marker
as one chain and the rows after it as one chain a clinic (each continuing from its clinic's
last row before the marker). An empty database gets no marker.
"""

import hashlib
from datetime import UTC

from django.db import migrations, models
from django.utils import timezone

SPLIT = "audit chain: one chain per clinic from here on"  # models.AUDIT_CHAIN_SPLIT


def row_hash(event) -> str:
    # A copy of AuditEvent.chain_content and compute_hash as they are today: a migration must
    # not change when the application's code does.
    parts = (
        event.prev_hash,
        event.at.astimezone(UTC).isoformat(),
        event.user_id,
        event.clinic_id,
        event.action,
        event.object_type,
        event.object_id,
        event.patient_id,
        event.ip_address,
        event.outcome,
        event.detail,
    )
    content = "|".join(str(part if part is not None else "") for part in parts)
    return hashlib.sha256(content.encode()).hexdigest()


def close_the_single_chain(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    last = AuditEvent.objects.order_by("-id").first()
    if last is None:
        return
    marker = AuditEvent(
        at=timezone.now(), action="update", outcome="success", detail=SPLIT, prev_hash=last.row_hash
    )
    marker.row_hash = row_hash(marker)
    marker.save()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_staff_addresses_plain"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["clinic", "-id"], name="audit_chain_head"),
        ),
        migrations.RunPython(close_the_single_chain, migrations.RunPython.noop),
    ]
