"""Appointment reminders: writing, moving and cancelling their rows, and getting them sent.

The rows are the truth. Booking, moving or cancelling a session changes its reminder rows in
the same transaction as the session (`reminders_plan`, `reminders_cancel`); nothing is put on
the broker then, so a broker outage can neither fail nor slow a booking.

Sending, in three steps that each survive a crash:

1. `reminders_dispatch` (Celery beat, every minute) claims due rows, pending -> sending, with
   `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (a conditional UPDATE elsewhere), so two
   dispatchers at once never claim the same row. After the claim commits it queues one send
   task per row, carrying only the row's id.
2. `reminder_deliver` (the send task) takes a lease on the row, checks again that it should go
   (session still scheduled and ahead, patient still consents, the channel has an address),
   sends it and marks it sent, with an audit event. A transient failure puts the row back to
   pending with an exponential backoff (30 s doubling, at most 10 minutes, bounded attempts);
   a permanent one marks it failed with the reason. No task ever waits on the broker with an
   ETA or countdown: the retry is a later claim by the dispatcher.
3. `reminders_sweep` (beat, every minute) re-queues rows left in sending longer than
   REMINDER_SWEEP_SECONDS with no live lease: a worker killed mid-task, a broker that lost its
   queue. A message in flight at the instant of such a crash may be sent twice; none is lost.
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import Clinic, User
from patients.models import Patient

from .channels import PermanentSendError, ReminderMessage, TransientSendError, channel_named
from .models import Course, Reminder, TherapySession

logger = logging.getLogger(__name__)

State = Reminder.State
Kind = Reminder.Kind
Attendance = TherapySession.Attendance

DISPATCH_BATCH = 500
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=10)
OPT_OUT_SALT = "sessions.reminders.opt-out"

Enqueue = Callable[[int], object]


# --- Planning: rows follow the sessions -----------------------------------------------------


def lead_times(clinic: Clinic) -> dict[str, int]:
    """Hours before a session for each kind of reminder the clinic sends."""
    leads = {Kind.FIRST: clinic.reminder_lead_hours}
    if clinic.second_reminder_lead_hours:
        leads[Kind.SECOND] = clinic.second_reminder_lead_hours
    return leads


def reminders_plan(
    *, sessions: Iterable[TherapySession], clinic: Clinic, now: datetime | None = None
) -> None:
    """Create or move the reminder rows of `sessions` to match their scheduled start.

    Call inside the transaction that books or moves the sessions. A reminder whose time has
    already passed is written as skipped, never sent late. A row whose time is unchanged is
    left alone, so saving a session twice does not send its reminder twice.
    """
    now = now or timezone.now()
    sessions = list(sessions)
    leads = lead_times(clinic)
    existing = {
        (r.session_id, r.kind): r
        for r in Reminder.objects.filter(session__in=[s.pk for s in sessions])
    }
    to_create, to_update = [], []
    for session in sessions:
        if session.attendance != Attendance.SCHEDULED:
            continue
        for kind, hours in leads.items():
            # In UTC: arithmetic on a datetime in the clinic's zone would count wall-clock
            # hours, and a night with a clock change would move the reminder by an hour.
            send_at = session.scheduled_start.astimezone(UTC) - timedelta(hours=hours)
            row = existing.pop((session.pk, kind), None)
            if row is not None and row.send_at == send_at and row.state != State.CANCELLED:
                continue
            row = row or Reminder(session=session, kind=kind)
            row.lead_hours = hours
            row.send_at = row.next_attempt_at = send_at
            row.attempts = 0
            row.claimed_at = row.lease_until = row.sent_at = None
            row.channel = ""
            if send_at > now:
                row.state, row.reason = State.PENDING, ""
            elif session.scheduled_start <= now:
                row.state, row.reason = State.SKIPPED, "the session was already past when booked"
            else:
                row.state = State.SKIPPED
                row.reason = f"booked less than {hours} hours ahead"
            (to_update if row.pk else to_create).append(row)
    # Kinds the clinic no longer sends.
    for row in existing.values():
        if row.is_open:
            row.state, row.reason, row.lease_until = State.CANCELLED, "not sent by the clinic", None
            to_update.append(row)
    Reminder.objects.bulk_create(to_create)
    Reminder.objects.bulk_update(
        to_update,
        [
            "lead_hours",
            "send_at",
            "next_attempt_at",
            "attempts",
            "claimed_at",
            "lease_until",
            "sent_at",
            "channel",
            "state",
            "reason",
            "updated_at",
        ],
    )


def reminders_cancel(*, sessions: QuerySet | Iterable, reason: str) -> int:
    """Cancel the reminders of `sessions` that have not gone out yet. Returns how many."""
    return Reminder.objects.filter(session__in=sessions, state__in=Reminder.OPEN_STATES).update(
        state=State.CANCELLED, reason=reason, lease_until=None, updated_at=timezone.now()
    )


# --- Dispatching and sweeping ---------------------------------------------------------------


def _skip_locked() -> bool:
    return connection.features.has_select_for_update_skip_locked


def _claim(candidates: QuerySet, limit: int, now: datetime) -> list[int]:
    """Mark up to `limit` rows of `candidates` as put on the queue now; return their ids.

    PostgreSQL: lock the rows, skipping those another dispatcher holds. Elsewhere: a
    conditional UPDATE per row that repeats the conditions of `candidates`, so a row that
    someone else claimed first is not taken twice.
    """
    claim = {"state": State.SENDING, "claimed_at": now, "updated_at": now}
    with transaction.atomic():
        if _skip_locked():
            ids = list(
                candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
            )
            Reminder.objects.filter(pk__in=ids).update(**claim)
            return ids
        return [
            pk
            for pk in candidates.values_list("pk", flat=True)[:limit]
            if candidates.filter(pk=pk).update(**claim)
        ]


def _publish(ids: list[int], enqueue: Enqueue) -> int:
    """Queue a send task per id. If the broker is away, hand the rest back to the dispatcher."""
    for done, pk in enumerate(ids):
        try:
            enqueue(pk)
        except Exception as error:
            logger.error(
                "could not queue reminder sends (%s: %s); %d handed back to the dispatcher",
                type(error).__name__,
                error,
                len(ids) - done,
            )
            Reminder.objects.filter(pk__in=ids[done:], state=State.SENDING).update(
                state=State.PENDING, claimed_at=None, updated_at=timezone.now()
            )
            return done
    return len(ids)


def reminders_dispatch(
    *, enqueue: Enqueue, now: datetime | None = None, batch_size: int = DISPATCH_BATCH
) -> int:
    """Claim every reminder due by `now` and queue its send task. Returns how many."""
    now = now or timezone.now()
    queued = 0
    while True:
        due = Reminder.objects.due(now).order_by("next_attempt_at", "pk")
        ids = _claim(due, batch_size, now)
        published = _publish(ids, enqueue)
        queued += published
        if len(ids) < batch_size or published < len(ids):
            break
    if queued:
        logger.info("dispatched %d due reminders", queued)
    return queued


def reminders_sweep(*, enqueue: Enqueue, now: datetime | None = None) -> int:
    """Queue again the reminders stuck in sending: claimed too long ago, no live send lease."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REMINDER_SWEEP_SECONDS)
    stuck = Reminder.objects.filter(state=State.SENDING, claimed_at__lt=cutoff).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )
    requeued = 0
    while True:
        ids = _claim(stuck.order_by("claimed_at", "pk"), DISPATCH_BATCH, now)
        published = _publish(ids, enqueue)
        requeued += published
        if len(ids) < DISPATCH_BATCH or published < len(ids):
            break
    if requeued:
        logger.warning("re-queued %d reminders stuck in sending", requeued)
    return requeued


# --- Sending one ----------------------------------------------------------------------------


def backoff_after(attempts: int) -> timedelta:
    """Wait before the next attempt: 30 s, 1, 2, 4, 8 minutes, then 10 minutes at most."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


# What sending needs, and nothing more: the session's clinical note is never loaded here.
SENDING_FIELDS = [
    *["kind", "send_at", "attempts", "state", "public_key"],
    *["session__scheduled_start", "session__planned_minutes", "session__attendance"],
    *["session__updated_at", "session__course__status"],
    *["session__course__patient__email", "session__course__patient__phone"],
    *["session__course__patient__preferred_channel", "session__course__patient__status"],
    *["session__course__patient__reminder_consent"],
    *["session__course__patient__reminders_opted_out_at"],
    *["session__course__patient__clinic__name", "session__course__patient__clinic__timezone"],
    *["session__course__patient__clinic__contact_phone"],
    *["session__course__patient__clinic__contact_email"],
]


def _for_sending(now: datetime) -> QuerySet:
    later_one_due = (
        Reminder.objects.filter(
            session=OuterRef("session"), send_at__gt=OuterRef("send_at"), send_at__lte=now
        )
        .exclude(state=State.CANCELLED)
        .values("pk")
    )
    return (
        Reminder.objects.select_related("session__course__patient__clinic")
        .only(*SENDING_FIELDS)
        .annotate(later_one_due=Exists(later_one_due))
    )


def _why_not(reminder: Reminder, now: datetime) -> tuple[str, str] | None:
    """(state, reason) when the reminder must not go out now; None when it should."""
    session = reminder.session
    patient = session.course.patient
    if session.attendance != Attendance.SCHEDULED or not session.course.is_open:
        return State.CANCELLED, "the session is no longer scheduled"
    if session.scheduled_start <= now:
        return State.SKIPPED, "the session had already begun"
    if reminder.later_one_due:
        return State.SKIPPED, "overtaken by the next reminder"
    if patient.is_archived:
        return State.SKIPPED, "the patient is archived"
    if not patient.reminder_consent:
        if patient.reminders_opted_out_at:
            return State.SKIPPED, "the patient opted out of reminders"
        return State.SKIPPED, "no consent to reminders"
    if patient.preferred_channel == Patient.Channel.NONE:
        return State.SKIPPED, "the patient asked for no reminders"
    return None


def compose(reminder: Reminder) -> ReminderMessage:
    """The message for a reminder: clinic, date and time in the clinic's zone, how to cancel."""
    session = reminder.session
    clinic = session.course.patient.clinic
    starts = session.scheduled_start.astimezone(UTC)
    ends = starts + timedelta(minutes=session.planned_minutes)
    return ReminderMessage(
        clinic_name=clinic.name,
        starts_at=timezone.localtime(starts, clinic.zone),
        ends_at=timezone.localtime(ends, clinic.zone),
        contact_phone=clinic.contact_phone,
        contact_email=clinic.contact_email,
        opt_out_url=opt_out_url(reminder),
        calendar_uid=f"{calendar_uid(session)}@appointments",
        calendar_sequence=int(session.updated_at.timestamp()),
    )


def calendar_uid(session: TherapySession) -> str:
    """Stable for the appointment and opaque: a calendar replaces it when it moves."""
    return salted_hmac(
        "sessions.reminders.calendar", str(session.pk), algorithm="sha256"
    ).hexdigest()[:32]


def _still_sending(reminder_id: int) -> QuerySet:
    return Reminder.objects.filter(pk=reminder_id, state=State.SENDING)


def _finish(reminder: Reminder, state: str, reason: str) -> str:
    _still_sending(reminder.pk).update(
        state=state, reason=reason[:200], lease_until=None, updated_at=timezone.now()
    )
    if state == State.FAILED:
        logger.warning("reminder %s failed: %s", reminder.pk, reason)
    return state


def _try_again_later(reminder: Reminder, reason: str, now: datetime) -> str:
    if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
        return _finish(reminder, State.FAILED, f"{reason}; gave up after {reminder.attempts} tries")
    _still_sending(reminder.pk).update(
        state=State.PENDING,
        next_attempt_at=now + backoff_after(reminder.attempts),
        claimed_at=None,
        lease_until=None,
        reason=reason[:200],
        updated_at=now,
    )
    logger.info("reminder %s: %s; attempt %d, will retry", reminder.pk, reason, reminder.attempts)
    return State.PENDING


@transaction.atomic
def _mark_sent(reminder: Reminder, channel: str) -> str:
    now = timezone.now()
    marked = _still_sending(reminder.pk).update(
        state=State.SENT, sent_at=now, channel=channel, reason="", lease_until=None, updated_at=now
    )
    patient = reminder.session.course.patient
    detail = f"{reminder.get_kind_display()} by {channel}"
    if not marked:
        # Cancelled or moved while the message was on its way: it went out all the same.
        detail += ", although cancelled or moved meanwhile"
    audit_record(
        action=Action.REMINDER_SENT,
        obj=reminder,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        detail=detail,
    )
    return State.SENT


def reminder_deliver(*, reminder_id: int) -> str:
    """Send one claimed reminder, at most once while its lease lasts. Returns the new state."""
    now = timezone.now()
    lease = timedelta(seconds=settings.REMINDER_SWEEP_SECONDS)
    taken = (
        _still_sending(reminder_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + lease, attempts=F("attempts") + 1, updated_at=now)
    )
    if not taken:
        return "not claimed"  # sent, cancelled or moved meanwhile, or another task has it
    reminder = _for_sending(now).get(pk=reminder_id)
    refusal = _why_not(reminder, now)
    if refusal:
        return _finish(reminder, *refusal)
    patient = reminder.session.course.patient
    channel = channel_named(patient.preferred_channel)
    if channel is None:
        return _finish(reminder, State.FAILED, "unknown reminder channel")
    address = channel.address_of(patient)
    if not address:
        what = "email address" if channel.name == "email" else "mobile number"
        return _finish(reminder, State.FAILED, f"no {what} on file")
    try:
        channel.send(to=address, message=compose(reminder))
    except PermanentSendError as error:
        return _finish(reminder, State.FAILED, str(error))
    except TransientSendError as error:
        return _try_again_later(reminder, str(error), now)
    except Exception as error:
        logger.exception("reminder %s: unexpected error while sending", reminder_id)
        return _try_again_later(reminder, f"unexpected error ({type(error).__name__})", now)
    return _mark_sent(reminder, channel.name)


# --- Admin: failures ------------------------------------------------------------------------


@transaction.atomic
def reminder_retry(*, by: User, reminder: Reminder) -> bool:
    """Send a failed reminder again (after its contact details were put right)."""
    now = timezone.now()
    retried = Reminder.objects.filter(
        pk=reminder.pk,
        state=State.FAILED,
        session__attendance=Attendance.SCHEDULED,
        session__scheduled_start__gt=now,
        session__course__status__in=Course.OPEN_STATUSES,
    ).update(
        state=State.PENDING,
        next_attempt_at=now,
        attempts=0,
        claimed_at=None,
        lease_until=None,
        reason="",
        updated_at=now,
    )
    if retried:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=reminder,
            patient_id=reminder.session.course.patient_id,
            detail="failed reminder sent again",
        )
    return bool(retried)


# --- Opting out -----------------------------------------------------------------------------


def opt_out_token(reminder: Reminder) -> str:
    """Signed and opaque: it names the reminder by a random key, never by an id."""
    return signing.Signer(salt=OPT_OUT_SALT).sign(reminder.public_key.hex)


def opt_out_url(reminder: Reminder) -> str:
    path = reverse("sessions:reminder_opt_out", kwargs={"token": opt_out_token(reminder)})
    return f"{settings.SITE_URL}{path}"


def reminder_for_opt_out_token(token: str) -> Reminder | None:
    try:
        key = uuid.UUID(hex=signing.Signer(salt=OPT_OUT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (
        Reminder.objects.select_related("session__course__patient__clinic")
        .filter(public_key=key)
        .first()
    )


@transaction.atomic
def patient_opt_out(*, reminder: Reminder) -> Patient:
    """The patient followed the link in a reminder: no more reminders, and it is recorded.

    Consent is withdrawn; reminders already planned are then skipped when they fall due
    (they go out again only if the therapist records new consent).
    """
    patient = Patient.objects.select_for_update().get(pk=reminder.session.course.patient_id)
    if patient.reminder_consent or patient.reminders_opted_out_at is None:
        patient.reminder_consent = False
        patient.reminders_opted_out_at = timezone.now()
        patient.save(update_fields=["reminder_consent", "reminders_opted_out_at", "updated_at"])
        audit_record(
            action=Action.REMINDER_OPT_OUT,
            obj=patient,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail="by the link in a reminder",
        )
    return patient
