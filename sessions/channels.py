"""How a reminder reaches a patient: email through Django's mailers, or a text message.

Every channel has the same interface: `address_of(patient)` names where it would go (empty:
the channel cannot reach this patient) and `send(to=..., message=...)` delivers it or raises
`TransientSendError` (worth another attempt later) or `PermanentSendError` (it never will be
delivered as it is; the reminder is marked failed).

A message carries no clinical detail: the clinic's name, the date and time in the clinic's
time zone, how to cancel or rearrange, and the opt-out link. No therapist, no session number,
no phase, nothing from the record.

Text messages go through the class named by the SMS_BACKEND setting (IPT_SMS_BACKEND). The
built-in `LoggingSmsBackend` only logs; a real provider is a class of your own with the same
method, for example::

    class ProviderSmsBackend:
        def send_text(self, *, to: str, body: str) -> None:
            response = httpx.post(PROVIDER_URL, auth=..., data={"to": to, "body": body})
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientSendError(f"SMS provider answered {response.status_code}")
            if response.status_code >= 400:
                raise PermanentSendError(f"SMS provider refused ({response.status_code})")

and IPT_SMS_BACKEND=yourpackage.sms.ProviderSmsBackend.
"""

import contextlib
import logging
import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from functools import cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SendError(Exception):
    """A channel could not deliver. The text is a short reason, never the message itself."""


class TransientSendError(SendError):
    """Try again later: the server was away, busy, or said 4xx."""


class PermanentSendError(SendError):
    """Trying again will not help: the address was refused, the channel cannot reach them."""


@dataclass(frozen=True)
class ReminderMessage:
    """What a reminder says. Times are already in the clinic's time zone."""

    clinic_name: str
    starts_at: datetime  # aware, in the clinic's zone
    ends_at: datetime
    contact_phone: str
    contact_email: str
    opt_out_url: str
    calendar_uid: str  # stable for the appointment, so a calendar updates rather than adds
    calendar_sequence: int

    @property
    def context(self) -> dict:
        return {
            "clinic_name": self.clinic_name,
            "day": f"{self.starts_at:%A} {self.starts_at.day} {self.starts_at:%B %Y}",
            "short_day": f"{self.starts_at:%a} {self.starts_at.day} {self.starts_at:%b}",
            "time": f"{self.starts_at:%H:%M}",
            "zone": self.starts_at.tzname(),
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
            "opt_out_url": self.opt_out_url,
        }


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,").replace("\n", r"\n")


def calendar_entry(message: ReminderMessage) -> str:
    """An iCalendar (RFC 5545) event for the appointment, times in UTC."""

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    contact = " or ".join(filter(None, [message.contact_phone, message.contact_email]))
    description = f"To cancel or rearrange, contact {message.clinic_name}"
    description += f": {contact}." if contact else "."
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Clinic appointments//Reminders//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{message.calendar_uid}",
        f"SEQUENCE:{message.calendar_sequence}",
        f"DTSTAMP:{utc(datetime.now(UTC))}",
        f"DTSTART:{utc(message.starts_at)}",
        f"DTEND:{utc(message.ends_at)}",
        f"SUMMARY:{_ics_text(f'Appointment at {message.clinic_name}')}",
        f"DESCRIPTION:{_ics_text(description)}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


class _ReminderEmail(EmailMultiAlternatives):
    """Python's email package folds headers at 78 characters, and writes a long word it cannot
    fold (the opt-out URL of List-Unsubscribe) as RFC 2047 encoded words, in which mail
    programs no longer see a URL, so their unsubscribe button would not work. Lines of up to
    998 characters are what RFC 5322 allows."""

    def message(self, *, policy=email_policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


class EmailChannel:
    name = "email"

    def address_of(self, patient) -> str:
        return patient.email.strip()

    def build(self, *, to: str, message: ReminderMessage) -> EmailMultiAlternatives:
        context = message.context
        subject = render_to_string("sessions/reminders/email_subject.txt", context)
        email = _ReminderEmail(
            subject=" ".join(subject.split()),
            body=render_to_string("sessions/reminders/email.txt", context),
            to=[to],
            headers={
                # RFC 8058: mail programs offer their own one-click "unsubscribe" button.
                "List-Unsubscribe": f"<{message.opt_out_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
        email.attach_alternative(
            render_to_string("sessions/reminders/email.html", context), "text/html"
        )
        email.attach("appointment.ics", calendar_entry(message), "text/calendar")
        return email

    def send(self, *, to: str, message: ReminderMessage) -> None:
        email = self.build(to=to, message=message)
        try:
            _smtp_connections.send(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = sorted({code for code, _ in error.recipients.values()})
            raise _by_code(codes[0], "recipient refused by the mail server") from error
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, "the mail server refused the message") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientSendError(f"mail server unreachable ({type(error).__name__})") from error


class _ReusedSmtpConnections:
    """One open SMTP connection per worker process (and thread), reused from one reminder to
    the next: a connection, greeting and EHLO per message would cost more than the message.

    A connection idle for IDLE_SECONDS is closed before use (servers drop idle clients); one
    dropped by the server mid-way is opened again once. Other mail backends (file, console,
    the tests' in-memory one) are used as Django gives them, one message at a time.
    """

    IDLE_SECONDS = 30

    def __init__(self):
        self._local = threading.local()

    def _close(self) -> None:
        cached = getattr(self._local, "cached", None)
        self._local.cached = None
        if cached:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                cached[1].close()

    def _reusable(self, config: str):
        cached = getattr(self._local, "cached", None)
        if cached and cached[0] == config and time.monotonic() - cached[2] < self.IDLE_SECONDS:
            return cached[1]
        self._close()
        mailer = mailers["default"]
        if not isinstance(mailer, SmtpBackend):
            return None
        mailer.open()
        self._local.cached = (config, mailer, time.monotonic())
        return mailer

    def send(self, email: EmailMultiAlternatives) -> None:
        config = repr(settings.MAILERS.get("default"))
        mailer = self._reusable(config)
        if mailer is None:
            email.send(using="default")
            return
        try:
            mailer.send_messages([email])
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            self._close()  # dropped while idle: one fresh connection, then give up
            self._reusable(config).send_messages([email])
        except Exception:
            self._close()  # the conversation is in an unknown state: start afresh next time
            raise
        self._local.cached = (config, mailer, time.monotonic())


_smtp_connections = _ReusedSmtpConnections()


def _by_code(code: int, what: str) -> SendError:
    if 400 <= code < 500:
        return TransientSendError(f"{what}, for now ({code})")
    return PermanentSendError(f"{what} ({code})")


class LoggingSmsBackend:
    """Logs the text message instead of sending it: the development default.

    The number is masked in the log; the text holds nothing clinical by construction.
    """

    def send_text(self, *, to: str, body: str) -> None:
        logger.info("SMS (logging backend, not sent) to ...%s: %s", to[-3:], body)


@cache
def _sms_backend(path: str):
    return import_string(path)()


class SmsChannel:
    name = "sms"

    def address_of(self, patient) -> str:
        return patient.phone.strip()

    def render(self, message: ReminderMessage) -> str:
        text = render_to_string("sessions/reminders/sms.txt", message.context)
        return " ".join(text.split())

    def send(self, *, to: str, message: ReminderMessage) -> None:
        _sms_backend(settings.SMS_BACKEND).send_text(to=to, body=self.render(message))


CHANNELS = {"email": EmailChannel(), "sms": SmsChannel()}


def channel_named(name: str) -> EmailChannel | SmsChannel | None:
    return CHANNELS.get(name)
