"""Reminder throughput and lateness, next to the floor measured in the same run.

    .venv/bin/python bench/reminders.py            # 10,000 reminders (make bench)
    .venv/bin/python bench/reminders.py --count 2000

It starts what it needs on loopback ports and removes it afterwards: a throwaway PostgreSQL
cluster (unless DATABASE_URL points at one; a database ipt_bench is then created and dropped
on that server), a redis-server, and an SMTP sink process (bench/smtp_sink.py). Then:

1. books courses through the services until there are COUNT reminders, and makes them all
   due at the same instant T0;
2. floor: the same COUNT messages, rendered beforehand, sent with smtplib over one
   connection to the same sink;
3. build floor: the same messages built from their rows by the email channel (Django's mail
   framework: text, HTML, .ics) and sent through Django's SMTP backend over one connection,
   in this one process, with no database, broker or bookkeeping: what any sender of these
   messages pays before doing anything else;
4. the real path: one Celery worker (prefork, 2 processes, as the Procfile runs it) against
   Redis; at T0 one dispatch is queued, as beat would; the worker claims the rows, queues a
   send task per reminder and sends them. Lateness = sent_at - send_at of each reminder.

Prints throughput, p50/p99 lateness and the ratio to the floor. Not a test: it asserts only
that every reminder was sent exactly once.
"""

import argparse
import email.policy
import os
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)  # noqa: S603 - fixed commands


def as_postgres(*command):
    if os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--", *command)
    return run(*command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Services:
    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.cleanups = []

    def postgres(self) -> str:
        if os.environ.get("DATABASE_URL"):
            import psycopg2
            from dj_database_url import parse

            server = parse(os.environ["DATABASE_URL"])
            admin = psycopg2.connect(
                dbname=server["NAME"],
                user=server["USER"],
                password=server["PASSWORD"],
                host=server["HOST"],
                port=server["PORT"],
            )
            admin.autocommit = True
            admin.cursor().execute("DROP DATABASE IF EXISTS ipt_bench")
            admin.cursor().execute("CREATE DATABASE ipt_bench")
            self.cleanups.append(lambda: admin.cursor().execute("DROP DATABASE ipt_bench"))
            base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
            return f"{base}/ipt_bench"
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bindir:
            sys.exit("PostgreSQL is not installed: set DATABASE_URL to a PostgreSQL server.")
        bindir = bindir[-1]
        data, sock, port = self.scratch / "pg", self.scratch / "pgsock", free_port()
        data.mkdir()
        sock.mkdir()
        self.scratch.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
            shutil.chown(sock, "postgres")
        as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "ipt", "--auth=trust")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sock} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-w", "-o", options, "start")
        self.cleanups.append(
            lambda: as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        )
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "ipt", "bench")
        return f"postgres://ipt@127.0.0.1:{port}/bench"

    def process(self, command, *, ready: str | None = None, **kwargs) -> subprocess.Popen:
        log = open(self.scratch / f"{len(self.cleanups)}.log", "w+")  # noqa: SIM115
        process = subprocess.Popen(  # noqa: S603 - fixed commands
            command, stdout=log, stderr=subprocess.STDOUT, **kwargs
        )

        def stop():
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

        self.cleanups.append(stop)
        deadline = time.monotonic() + 60
        while ready:
            log.seek(0)
            if ready in log.read():
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                sys.exit(f"{command[:3]} did not start:\n{log.read()}")
            time.sleep(0.1)
        return process

    def redis(self) -> str:
        port = free_port()
        self.process(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", str(self.scratch)],
            ready="Ready to accept connections",
        )  # fmt: skip
        return f"redis://127.0.0.1:{port}/0"

    def close(self):
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {error}", file=sys.stderr)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--prefetch", type=int, default=None, help="worker prefetch multiplier (default: settings)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ipt-bench-"))
    services = Services(scratch)
    try:
        bench(args, services, scratch)
    finally:
        services.close()
        shutil.rmtree(scratch, ignore_errors=True)


def bench(args: argparse.Namespace, services: Services, scratch: Path) -> None:
    count = args.count
    database_url = services.postgres()
    broker_url = services.redis()
    smtp_port = free_port()
    sink_counts = scratch / "sink-count"
    sink = services.process(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(smtp_port), str(sink_counts)],
        ready="ready",
    )
    os.environ.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        IPT_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        IPT_VAR_DIR=str(scratch / "var"),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="ipt_clinic.settings",
        IPT_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from datetime import date, timedelta
    from datetime import time as clock_time

    from django.core.management import call_command
    from django.utils import timezone

    from ipt_clinic.accounts.models import Clinic, User
    from patients.models import Patient
    from sessions import reminders, tasks
    from sessions import services as session_services
    from sessions.channels import EmailChannel
    from sessions.models import Reminder

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(
        name="Bench Clinic", timezone="Europe/London", contact_phone="020 7946 0000"
    )
    therapist = User.objects.create_user(
        email="bench@clinic.example", full_name="Bench Therapist", clinic=clinic,
        is_therapist=True,
    )  # fmt: skip
    started = time.monotonic()
    courses = -(-count // 24)
    start_day = timezone.localdate() + timedelta(days=3)
    for n in range(courses):
        patient = Patient.objects.create(
            clinic=clinic, therapist=therapist, record_number=f"B-{n}", given_name="Bench",
            family_name=f"Patient{n}", date_of_birth=date(1980, 1, 1),
            email=f"patient{n}@example.org", reminder_consent=True,
            reminder_consent_on=timezone.localdate(),
        )  # fmt: skip
        session_services.course_open(
            by=therapist, patient=patient, therapist=therapist, planned_sessions=12,
            start_date=start_day, usual_weekday=start_day.weekday(),
            usual_time=clock_time(10, 0), session_minutes=50, indication="Bench",
        )  # fmt: skip
    extra = Reminder.objects.order_by("-pk").values_list("pk", flat=True)[: courses * 24 - count]
    Reminder.objects.filter(pk__in=list(extra)).update(state="cancelled")
    rows = list(
        Reminder.objects.filter(state="pending").select_related("session__course__patient__clinic")
    )
    assert len(rows) == count
    print(f"booked {courses} courses, {count} reminders in {time.monotonic() - started:.1f} s")

    # --- Floor: the same messages, rendered beforehand, straight over smtplib ----------------
    channel = EmailChannel()
    rendered = [
        (
            row.session.course.patient.email,
            channel.build(to=row.session.course.patient.email, message=reminders.compose(row))
            .message(policy=email.policy.SMTP)  # as Django's SMTP backend renders it
            .as_bytes(),
        )
        for row in rows
    ]
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        for to, message in rendered:
            smtp.sendmail("no-reply@localhost", [to], message)
    floor = time.monotonic() - started

    # --- Build floor: the messages built by Django's mail framework, one process, no bookkeeping
    from django.core.mail import mailers

    started = time.monotonic()
    with mailers["default"] as mailer:
        for row in rows:
            to = row.session.course.patient.email
            mailer.send_messages([channel.build(to=to, message=reminders.compose(row))])
    build_floor = time.monotonic() - started

    # --- The real path: beat's tick, one worker, Redis, SMTP ---------------------------------
    from django.conf import settings

    prefetch = args.prefetch or settings.CELERY_WORKER_PREFETCH_MULTIPLIER
    worker = services.process(
        [sys.executable, "-m", "celery", "-A", "ipt_clinic", "worker", "--loglevel=INFO",
         f"--concurrency={args.concurrency}", f"--prefetch-multiplier={prefetch}",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=dict(os.environ, IPT_LOG_LEVEL="INFO"), ready="ready.",
    )  # fmt: skip
    t0 = timezone.now()
    Reminder.objects.filter(state="pending").update(send_at=t0, next_attempt_at=t0)
    tasks.dispatch_due_reminders.delay()
    wall = time.monotonic()
    while Reminder.objects.filter(state__in=["pending", "sending"]).exists():
        if time.monotonic() - wall > 1800 or worker.poll() is not None:
            sys.exit("the worker did not finish")
        time.sleep(0.25)
    sent = list(Reminder.objects.filter(state="sent").values_list("send_at", "sent_at"))
    lateness = [(sent_at - send_at).total_seconds() for send_at, sent_at in sent]
    elapsed = max(sent_at for _, sent_at in sent) - t0
    from django.db import connections

    connections.close_all()  # so that the bench database can be dropped afterwards
    sink.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    received = int(sink_counts.read_text())
    duplicates = received - 3 * count  # the floor and the build floor sent each once too

    print()
    print(
        f"reminders: {count} due at once; one worker ({args.concurrency} processes, prefetch "
        f"multiplier {prefetch}), Redis, local SMTP sink"
    )
    print(f"{'':30}{'seconds':>10}{'messages/s':>14}{'x floor':>10}")
    real = elapsed.total_seconds()
    for label, seconds in (
        ("floor (smtplib, prebuilt)", floor),
        ("build floor (Django mail)", build_floor),
        ("reminders (Celery)", real),
    ):
        print(f"{label:30}{seconds:>10.1f}{count / seconds:>14.0f}{seconds / floor:>10.2f}")
    print(f"lateness p50 {percentile(lateness, 0.5):.1f} s, p99 {percentile(lateness, 0.99):.1f} s,"
          f" max {max(lateness):.1f} s")  # fmt: skip
    print(f"sent {len(sent)} of {count}; duplicates at the sink: {duplicates}")
    assert len(sent) == count and duplicates == 0


if __name__ == "__main__":
    main()
