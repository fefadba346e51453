"""Two hosts on loopback (issue #14): two web servers (gunicorn) and two Celery workers, each
with a var/ folder of its own, sharing one PostgreSQL, one Redis and the secret key, as
docker-compose scales them. A sign-in made on one web server is valid on the other; the opt-out
link of a reminder one worker sent works on the other web server; due reminders are sent once
across both workers."""

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from sessions.models import Reminder
from tests.conftest import PASSWORD

from .conftest import free_port, make_due_reminders, reminder_key
from .processes import ROOT, CeleryProcess, RedisServer, celery_env
from .test_reminders_faults import all_settled, tally, wait_until

pytestmark = pytest.mark.broker


class WebServer:
    """gunicorn serving the app from a var/ folder of its own, as a second host would."""

    def __init__(self, name: str, directory: Path, env: dict[str, str]):
        self.port = free_port()
        self.name = name
        self.log_path = directory / f"{name}.log"
        self.var = directory / f"{name}-var"
        self.var.mkdir()
        self.env = {**env, "IPT_VAR_DIR": str(self.var), "IPT_PLAIN_STATIC": "true",
                    "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}  # fmt: skip
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "w")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ipt_clinic.wsgi", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1)  # noqa: S310 - http
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


class Browser:
    """Cookies kept across requests, to any of the hosts (one site behind a load balancer)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, url: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(url, data=data, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_two_hosts_share_sign_ins_links_and_reminders(processes, tmp_path, smtp_sink, therapist):
    expected = make_due_reminders(therapist, 4)  # 96 reminders, due now
    # Hashed as the servers hash (the test run's own fast hasher is not in their settings).
    therapist.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    therapist.save(update_fields=["password"])
    redis = processes(RedisServer(tmp_path))
    redis.start()
    env = celery_env(tmp_path, broker_url=redis.url, smtp_port=smtp_sink.port)
    env.pop("IPT_SINGLE_HOST", None)  # several hosts: key, database and broker all set
    hosts = []
    for name in ("host-a", "host-b"):
        worker_env = {**env, "IPT_VAR_DIR": str(tmp_path / f"{name}-worker-var")}
        processes(CeleryProcess("worker", f"worker-{name}", tmp_path, worker_env)).start()
        web = processes(WebServer(f"web-{name}", tmp_path, env))
        web.start()
        hosts.append(web)
    host_a, host_b = hosts

    # A sign-in made on host A is valid on host B.
    browser = Browser()
    status, page = browser.get(f"{host_a.url}/accounts/login/")
    assert status == 200
    status, page = browser.post(
        f"{host_a.url}/accounts/login/",
        {"csrfmiddlewaretoken": csrf_token(page), "username": therapist.email,
         "password": PASSWORD},
    )  # fmt: skip
    assert status == 200 and "Tess Harper" in page  # signed in, on host A
    status, page = browser.get(f"{host_b.url}/therapist/")
    assert status == 200 and therapist.full_name in page

    # Due reminders go out once across both workers (a beat's tick, queued on host A's side).
    subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from sessions import tasks; "
         "tasks.dispatch_due_reminders.delay()"],
        cwd=ROOT, env={**env, "IPT_VAR_DIR": str(tmp_path / "host-a-worker-var")},
        check=True, timeout=60,
    )  # fmt: skip
    assert wait_until(all_settled, timeout=60)
    assert tally(smtp_sink, expected) == (0, 0)

    # The opt-out link a worker signed works on the other web server.
    message = smtp_sink.messages[0]
    link = message["List-Unsubscribe"].strip("<>")
    path = urllib.parse.urlsplit(link).path
    patient_key = reminder_key(message)
    reminder = Reminder.objects.get(public_key=patient_key)
    patient = reminder.session.course.patient
    status, _ = Browser().post(f"{host_b.url}{path}", {})
    assert status == 200
    patient.refresh_from_db()
    assert not patient.reminder_consent and patient.reminders_opted_out_at is not None
