"""Audit inserts per second with 1, 4 and 8 concurrent writers, each in a clinic of its own:
one hash chain for the whole installation (how it was: every insert took one advisory lock)
against one chain a clinic (how it is), on PostgreSQL, in the same run.

    bench/run.sh audit                       # throwaway PostgreSQL, figures for docs/benchmarks.md
    bench/run.sh audit --seconds 5 --writers 1 2 4 8

Each writer is a thread with its own database connection that writes events, one transaction
each, as the services do: the event, then the rest of the service's work in the same
transaction (--hold-ms, 2 ms by default: a few more queries), during which the chain's lock is
held. The floor is the same transaction with no chain at all (no lock, no head to read).
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def configure() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Run `bench/run.sh audit` (it starts PostgreSQL), or set DATABASE_URL.")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ipt_clinic.settings",
        DJANGO_DEBUG="false",
        IPT_SINGLE_HOST="true",
        IPT_LOG_LEVEL="WARNING",
        IPT_VAR_DIR=os.environ.get("IPT_VAR_DIR") or tempfile.mkdtemp(),
    )
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def writers_run(users, seconds: float, mode: str, hold: float) -> int:
    """Events written by len(users) threads in `seconds`, each thread as its own user."""
    from django.db import connection, connections, transaction

    from ipt_clinic.accounts import models
    from ipt_clinic.accounts.audit import Action

    def insert(user) -> None:
        event = models.AuditEvent(user=user, clinic_id=user.clinic_id, action=Action.VIEW)
        with transaction.atomic():
            if mode == "per clinic":
                event.save()
            else:
                if mode == "one chain":  # as before: one lock and one head for all clinics
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT pg_advisory_xact_lock(%s)", [models.AUDIT_CHAIN_LOCK]
                        )
                    newest = models.AuditEvent.objects.order_by("-id").values_list("row_hash")
                    head = list(newest[:1])
                    event.prev_hash = head[0][0] if head else ""
                event.row_hash = event.compute_hash()
                super(models.AuditEvent, event).save()
            time.sleep(hold)  # the rest of the service's transaction

    counts = [0] * len(users)
    start = threading.Barrier(len(users) + 1)

    def work(index: int, user) -> None:
        try:
            start.wait()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                insert(user)
                counts[index] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, u)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    return sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    parser.add_argument(
        "--hold-ms", type=float, default=2.0, help="the service's work after the event"
    )
    args = parser.parse_args()
    configure()

    from django.core.management import call_command

    from ipt_clinic.accounts.models import Clinic, User

    call_command("migrate", verbosity=0)
    users = []
    for n in range(max(args.writers)):
        clinic, _ = Clinic.objects.get_or_create(name=f"Audit Bench Clinic {n}")
        user, _ = User.objects.get_or_create(
            email=f"writer{n}@audit-bench.example",
            defaults={"full_name": f"Writer {n}", "clinic": clinic, "is_therapist": True},
        )
        users.append(user)

    print(
        f"audit inserts per second, {args.seconds:g} s each, median of {args.repeats}, "
        f"{args.hold_ms:g} ms of work after each event"
    )
    print(f"{'writers':>8} {'floor (no chain)':>17} {'one chain':>10} {'per clinic':>11}")
    for count in args.writers:
        rates = {}
        for mode in ("floor", "one chain", "per clinic"):
            runs = [
                writers_run(users[:count], args.seconds, mode, args.hold_ms / 1000)
                for _ in range(args.repeats)
            ]
            rates[mode] = statistics.median(runs) / args.seconds
        print(
            f"{count:>8} {rates['floor']:>17.0f} {rates['one chain']:>10.0f} "
            f"{rates['per clinic']:>11.0f}"
        )
    print(f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
