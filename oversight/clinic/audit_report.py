"""The audit report for clinic admins: their own clinic's events, filtered, sorted, exported.

It lives in caseload, the top of the dependency chain, because it resolves a patient's record
number (patients) for events that store only a patient id (accounts).
"""

import csv
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from django.apps import apps
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from ipt_clinic.accounts.access import Role, has_role
from ipt_clinic.accounts.audit import Action, Outcome, audit_record
from ipt_clinic.accounts.models import AuditEvent, User
from patients.models import Patient

from .forms import DEFAULT_SORT, SORTS

EXPORT_LIMIT = 5
EXPORT_WINDOW = timedelta(minutes=10)
EXPORT_DETAIL = "audit report CSV"
CSV_COLUMNS = [
    "time",
    "user",
    "user email",
    "action",
    "object type",
    "object id",
    "patient id",
    "patient record number",
    "outcome",
    "ip address",
    "detail",
    "row hash",
]


def patient_ids_matching(user, text: str) -> QuerySet:
    """Ids of the clinic's patients whose record number (or id) is `text`, as a subquery."""
    query = Q(record_number__iexact=text)
    if text.isdigit() and len(text) <= 18:
        query |= Q(pk=int(text))
    return Patient.objects.filter(query, clinic_id=user.clinic_id).values("pk")


def audit_events_for(user, *, filters: dict, sort: str = DEFAULT_SORT) -> QuerySet[AuditEvent]:
    """The admin's own clinic's events (nothing for anyone else), filtered and sorted."""
    if not has_role(user, Role.CLINIC_ADMIN):
        return AuditEvent.objects.none()
    zone = user.clinic.zone
    events = AuditEvent.objects.filter(clinic_id=user.clinic_id)
    if "date_from" in filters:
        events = events.filter(at__gte=datetime.combine(filters["date_from"], time.min, zone))
    if "date_to" in filters:
        end = datetime.combine(filters["date_to"] + timedelta(days=1), time.min, zone)
        events = events.filter(at__lt=end)
    if "user" in filters:
        events = events.filter(user=filters["user"])
    if "patient" in filters:
        events = events.filter(patient_id__in=patient_ids_matching(user, filters["patient"]))
    if "action" in filters:
        events = events.filter(action=filters["action"])
    if "outcome" in filters:
        events = events.filter(outcome=filters["outcome"])
    record_number = Patient.objects.filter(
        pk=OuterRef("patient_id"), clinic_id=user.clinic_id
    ).values("record_number")[:1]
    descending = sort.startswith("-")
    ordering = SORTS.get(sort.lstrip("-"), SORTS["at"])
    return (
        events.annotate(patient_record=Subquery(record_number))
        .select_related("user")
        .order_by(*[f"-{field}" if descending else field for field in ordering])
    )


def model_names() -> dict[str, str]:
    """'therapy_sessions.course' -> 'course', for the report's object column."""
    return {model._meta.label_lower: str(model._meta.verbose_name) for model in apps.get_models()}


# How the report names an object of these types (one query per type on a page): a person
# by name, a session by its number, a patient by record number. No clinical content.
NAMED = {
    "accounts.user": (User, "full_name", "{}", ("clinic_id",)),
    "patients.patient": (Patient, "record_number", "patient {}", ("clinic_id",)),
    "therapy_sessions.therapysession": (
        "therapy_sessions.TherapySession",
        "number",
        "session {}",
        ("course__patient__clinic_id",),
    ),
}


def object_labels(user, events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """{(object type, object id): how the report names it} for these events: people and
    objects by name, not by database id; what cannot be named (gone, or of another clinic)
    falls back to its type and id."""
    names = model_names()
    labels = {}
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    for object_type, ids in wanted.items():
        if object_type not in NAMED:
            continue
        model, field, shown, (scope,) = NAMED[object_type]
        model = apps.get_model(model) if isinstance(model, str) else model
        rows = model.objects.filter(pk__in=ids, **{scope: user.clinic_id}).values_list("pk", field)
        for pk, value in rows:
            labels[(object_type, str(pk))] = shown.format(value)
    for event in events:
        key = (event.object_type, event.object_id)
        if event.object_type and key not in labels:
            labels[key] = f"{names.get(event.object_type, event.object_type)} #{event.object_id}"
    return labels


# --- Export ---------------------------------------------------------------------------------


def exports_left(user, now: datetime | None = None) -> tuple[int, datetime | None]:
    """How many exports the user may still make now, counted from the audit trail itself,
    and when the oldest export of the window stops counting."""
    now = now or timezone.now()
    recent = list(
        AuditEvent.objects.filter(
            user=user,
            action=Action.EXPORT,
            outcome=Outcome.SUCCESS,
            detail__startswith=EXPORT_DETAIL,
            at__gt=now - EXPORT_WINDOW,
        )
        .order_by("at")
        .values_list("at", flat=True)[:EXPORT_LIMIT]
    )
    left = max(EXPORT_LIMIT - len(recent), 0)
    return left, (recent[0] + EXPORT_WINDOW if recent and not left else None)


def export_record(*, by: User, rows: int, filters: dict, allowed: bool) -> None:
    described = ", ".join(f"{key}={value}" for key, value in sorted(filters.items(), key=str))
    audit_record(
        action=Action.EXPORT,
        by=by,
        outcome=Outcome.SUCCESS if allowed else Outcome.DENIED,
        detail=(
            f"{EXPORT_DETAIL}: {rows} rows; {described or 'no filters'}"
            if allowed
            else f"{EXPORT_DETAIL} refused: rate limit"
        ),
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): such cells get a '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(events: QuerySet[AuditEvent], zone) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    timezone.localtime(event.at, zone).isoformat(timespec="seconds"),
                    event.user.full_name if event.user else "",
                    event.user.email if event.user else "",
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.patient_id,
                    event.patient_record,
                    event.outcome,
                    event.ip_address,
                    event.detail,
                    event.row_hash,
                )
            ]
        )
