"""The app behind a transaction-mode PgBouncer (issue #14): Debian's pgbouncer on a loopback port
in front of the test run's PostgreSQL, and a Django process that works through it with
IPT_DB_POOLED=true: reads that would use a server-side cursor, a service's transaction with
its audit event and chain lock, and no JIT for the role (set by a migration, not a startup
option, which PgBouncer refuses)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pgbouncer(require_postgres, transactional_db):
    if not os.access(PGBOUNCER, os.X_OK):
        if IN_CI:
            pytest.fail("CI=true but pgbouncer is not installed (apt-get install pgbouncer)")
        pytest.skip("pgbouncer is not installed")
    db = connection.settings_dict
    port = free_port()
    # Readable by the postgres user when run as root (pytest's tmp_path is private to root).
    tmp_path = Path(tempfile.mkdtemp(prefix="ipt-pgbouncer-"))
    tmp_path.chmod(0o777)
    config = tmp_path / "pgbouncer.ini"
    user = db["USER"] or "postgres"
    config.write_text(
        "[databases]\n"  # auth_type any: the server connection is made as `user`
        f"{db['NAME']} = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={user}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\nmax_client_conn = 50\n"
        "default_pool_size = 5\nignore_startup_parameters = extra_float_digits\n"
        f"logfile = {tmp_path / 'pgbouncer.log'}\npidfile = {tmp_path / 'pgbouncer.pid'}\n"
    )
    command = [PGBOUNCER, str(config)]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("pgbouncer did not start: " + process.stdout.read().decode())
    yield f"postgres://{user}@127.0.0.1:{port}/{db['NAME']}"
    process.terminate()
    process.wait(10)
    shutil.rmtree(tmp_path, ignore_errors=True)


THROUGH_THE_POOLER = """
import django
django.setup()
from datetime import date, time, timedelta
from django.db import connection
from django.utils import timezone
from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import AuditEvent, Clinic, User
from patients.models import Patient
from sessions import services

assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
with connection.cursor() as cursor:
    cursor.execute("SHOW jit")
    print("jit", cursor.fetchone()[0])
clinic = Clinic.objects.create(name="Pooled Clinic", require_two_factor=False)
therapist = User.objects.create_user(
    "pooled@clinic.test", "x" * 16, full_name="P", clinic=clinic, is_therapist=True
)
patient = Patient.objects.create(
    clinic=clinic, therapist=therapist, record_number="P-1", given_name="Pam",
    family_name="Pooled", date_of_birth=date(1980, 1, 1),
)
start = timezone.localdate()
course = services.course_open(
    by=therapist, patient=patient, therapist=therapist, planned_sessions=12,
    start_date=start, usual_weekday=start.weekday(), usual_time=time(10),
    session_minutes=50, indication="Pooled",
)
for n in range(3):
    audit_record(action=Action.VIEW, by=therapist, patient_id=patient.pk)
rows = sum(1 for _ in AuditEvent.objects.filter(clinic=clinic).iterator(chunk_size=2))
print("sessions", course.sessions.count(), "events", rows)
"""


def test_the_app_works_through_a_transaction_pooler(pgbouncer):
    from django.conf import settings

    env = dict(
        os.environ,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=pgbouncer,
        IPT_DB_POOLED="true",
        IPT_VAR_DIR=str(ROOT / "var-pgbouncer-test"),
    )
    result = subprocess.run(
        [sys.executable, "-c", THROUGH_THE_POOLER], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "jit off" in result.stdout
    assert "sessions 12 events 4" in result.stdout  # the course's, and three views
