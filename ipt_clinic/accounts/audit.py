"""Writing the audit trail. Every view of patient data and every change calls audit_record."""

from django.db import models
from django.http import HttpRequest

from .models import AuditEvent, User
from .net import client_ip

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    clinic_id: int | None = None,
) -> AuditEvent:
    """Append one event. The acting user defaults to the request's signed-in user.

    `clinic_id` is for events without a member of staff (a reminder sent by the worker, a
    patient's opt-out link); otherwise the clinic is the acting user's.
    """
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    return AuditEvent.objects.create(
        user=user,
        clinic_id=user.clinic_id if user else clinic_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        ip_address=client_ip(request) if request is not None else None,
        outcome=outcome,
        detail=detail[:255],
    )
