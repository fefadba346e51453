"""Real processes for the reminder fault tests: a redis-server of the test's own, and Celery
workers and beats run exactly as production runs them (`python -m celery -A ipt_clinic ...`),
pointed at pytest-django's test database through DATABASE_URL."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    db = connection.settings_dict  # already the test database, test_<name>
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class RedisServer:
    """redis-server on a free loopback port, nothing saved to disk; stop() loses the queue."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603, RUF100 - our own fixed command line
            [
                shutil.which("redis-server") or "redis-server",
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # the queue is gone with it, as in a crash
            self.process.wait(timeout=10)
        self.process = None


class CeleryProcess:
    """`celery worker` (solo pool) or `celery beat` in a subprocess of its own."""

    def __init__(self, kind: str, name: str, directory: Path, env: dict[str, str]):
        self.kind, self.name, self.directory, self.env = kind, name, directory, env
        self.log_path = directory / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def _command(self) -> list[str]:
        base = [sys.executable, "-m", "celery", "-A", "ipt_clinic", self.kind, "--loglevel=INFO"]
        if self.kind == "worker":
            return [
                *base,
                "--pool=solo",
                "--concurrency=1",
                f"--hostname={self.name}@localhost",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ]
        return [
            *base,
            f"--schedule={self.directory / (self.name + '-schedule')}",
            f"--pidfile={self.directory / (self.name + '.pid')}",
        ]

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "a")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(  # noqa: S603, RUF100 - our own fixed command line
            self._command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        ready = "ready." if self.kind == "worker" else "beat: Starting"
        deadline = time.monotonic() + timeout
        while ready not in self.log_path.read_text()[offset:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, the task in hand is cut off."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def celery_env(tmp_path: Path, *, broker_url: str, smtp_port: int, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        CELERY_BROKER_URL=broker_url,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        IPT_VAR_DIR=str(tmp_path / "var"),
        IPT_EMAIL_BACKEND="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        IPT_REMINDER_DISPATCH_SECONDS="1",
        IPT_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env
