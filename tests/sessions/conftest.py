"""Reminder test helpers: a real SMTP server, a real broker when there is one, due reminders."""

import email
import email.policy
import os
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Reminder
from tests.conftest import IN_CI, make_patient, open_course

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """An SMTP server (aiosmtpd) on a free loopback port that keeps what it receives.

    `refuse` holds addresses it answers 550 for; `down` makes it answer 451 to everyone.
    """

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.down = False
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.down:
            return "451 4.3.0 Try again later"
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def __len__(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self) >= count


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def smtp_mail(settings, smtp_sink):
    """Django's default mailer sends over SMTP to the sink."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 10},
        }
    }
    return smtp_sink


@pytest.fixture
def outbox():
    """What Django's in-memory test mailer received (the test default for every mailer)."""
    from django.core import mail

    mail.outbox = []
    return mail.outbox


@pytest.fixture
def redis_broker():
    """The real Redis broker the test command starts. Under CI its absence is a failure."""
    if not BROKER_URL.startswith("redis://"):
        if IN_CI:
            pytest.fail("CI=true but CELERY_BROKER_URL is not a redis:// URL")
        pytest.skip("needs a Redis broker (CELERY_BROKER_URL=redis://...; make test starts one)")
    return BROKER_URL


def make_due_reminders(therapist, count_courses: int, *, when=None) -> list[Reminder]:
    """Book `count_courses` 12-session courses (each patient with their own address) and make
    every reminder of them due now: 24 reminders a course."""
    start = timezone.localdate() + timedelta(days=2)
    for n in range(count_courses):
        patient = make_patient(therapist, email=f"patient{n}@example.org")
        open_course(patient, start=start)
    Reminder.objects.update(send_at=when or timezone.now(), next_attempt_at=when or timezone.now())
    return list(Reminder.objects.all())


def reminder_key(message) -> str:
    """Which reminder a received email is: the opaque key in its opt-out link."""
    link = message["List-Unsubscribe"].strip("<>")
    return link.rstrip("/").rsplit("/", 1)[-1].split(":")[0]
