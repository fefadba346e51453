"""Load test: N signed-in clients against the app under gunicorn on PostgreSQL; p50/p95 per page.

    make load                                           # = bench/run.sh load: 50 clients, 60 s
    bench/run.sh load --clients 10 --seconds 10         # shorter: tests/bench/ runs one of these
    .venv/bin/python bench/load.py --database-url postgres://ipt@127.0.0.1:5432/postgres

Everything is on loopback and removed afterwards. On the PostgreSQL server of --database-url
(default: DATABASE_URL; bench/run.sh starts a throwaway cluster and sets it) the script creates
a database of its own, migrates it, seeds the demo clinics (`seed_demo`) and a large clinic
(`seed_demo --scale 0.2`: 10 therapists, 2 of them supervisors, 400 courses), runs
`collectstatic` into a scratch directory and starts gunicorn on a free 127.0.0.1 port with DEBUG
off, as in production. It drops the database, stops gunicorn and deletes the scratch directory
at the end, also on Ctrl-C.

Each client is a thread with its own cookies. It signs in through the real form (GET the login
page for the CSRF cookie and token, POST email and password; the password is hashed with
Argon2 as in production). When every client has signed in, the timed run starts: each client
requests pages back to back, without think time, until the time is up:

- therapists (two clients in three): therapist home, patient list, a patient, a course, a
  session, the course's inventory;
- supervisors (every third client): the supervision dashboard, the same with ?flag=any, a
  supervised course.

Ids are never guessed: a client takes them from the links of the pages it has been shown (the
patient list gives patients, patient pages and the therapist home give courses, course pages
give sessions, the dashboard gives supervised courses), so every request is in its scope.
Accounts are the demo ones (therapist@, therapist2@, supervisor@clinic.example) and those of
the scale clinic; both clinics have two-factor sign-in off, so no second step is needed. Each
account serves several clients (separate sign-ins).

Any response other than a 200 (a sign-in: a 302 away from the login page) and any exception
(refused connection, timeout) is an error. Prints count, p50, p95 and max per page and in
total; exits 1 when there was any error.

The clients run in this process, on the same cores as gunicorn and PostgreSQL: the figures are
for the whole machine under load, not for the server alone.
"""

import argparse
import http.client
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this script ever connects to
LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}
PASSWORD = os.environ.get("IPT_DEMO_PASSWORD", "demo-password-2026")
REQUEST_TIMEOUT = 30  # seconds; a slower answer counts as an error
SIGN_IN_TIMEOUT = 120  # seconds for every client to sign in before the timed run starts
POOL = 40  # ids of each kind a client remembers

THERAPIST_PAGES = (
    "therapist home",
    "patient list",
    "patient",
    "course",
    "session",
    "workspace",
    "inventory",
)
SUPERVISOR_PAGES = ("supervision dashboard", "supervision ?flag=any", "supervised course")
SIGN_IN_PAGES = ("login form", "sign in (POST)")
ORDER = (*SIGN_IN_PAGES, *THERAPIST_PAGES, *SUPERVISOR_PAGES)

LINKS = {
    "patients": re.compile(r'href="/patients/(\d+)/"'),
    "courses": re.compile(r'href="/courses/(\d+)/"'),
    "sessions": re.compile(r'href="/sessions/(\d+)/"'),
    # A session's workspace, linked from the home's day and from an unsigned session's page.
    "workspaces": re.compile(r'href="/sessions/(\d+)/workspace/"'),
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Setup: database, seed data, gunicorn ------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Stack:
    """What the script started, stopped in reverse order by close()."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.cleanups: list = []

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning up
                print(f"cleanup: {error}", file=sys.stderr)
        self.cleanups.clear()

    def database(self, server_url: str) -> str:
        """A fresh database on the server of server_url; its URL. Dropped by close()."""
        import psycopg2

        parts = urlsplit(server_url)
        if parts.scheme not in {"postgres", "postgresql"}:
            sys.exit(
                "The load test needs PostgreSQL: pass --database-url postgres://... or set "
                "DATABASE_URL, or run `bench/run.sh load`, which starts a throwaway cluster."
            )
        if (parts.hostname or "") not in LOOPBACK:
            sys.exit(f"refusing {parts.hostname}: the load test only uses servers on loopback")
        name = f"ipt_load_{os.getpid()}_{secrets.token_hex(3)}"
        admin = psycopg2.connect(server_url)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

        self.cleanups.append(drop)
        return parts._replace(path=f"/{name}").geturl()

    def manage(self, env: dict, *args: str) -> None:
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        print(f"  manage.py {' '.join(args)}: {time.monotonic() - started:.1f} s", flush=True)

    def gunicorn(self, env: dict, *, port: int, workers: int) -> None:
        import gunicorn

        log = self.scratch / "gunicorn.log"
        command = [
            sys.executable, "-m", "gunicorn", "ipt_clinic.wsgi",
            "--bind", f"{HOST}:{port}", "--workers", str(workers),
            "--timeout", str(REQUEST_TIMEOUT * 2), "--error-logfile", str(log),
        ]  # fmt: skip
        if gunicorn.version_info >= (25, 1):  # else it opens a socket in ~/.gunicorn/
            command.append("--no-control-socket")
        process = subprocess.Popen(  # noqa: S603 - fixed command
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def stop():
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        self.cleanups.append(stop)
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = request(port, "GET", "/healthz", cookies={})
                if status == 200:
                    return
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn did not start:\n{log.read_text() if log.exists() else ''}")
            time.sleep(0.2)


def prepare(stack: Stack, server_url: str, scale: float) -> dict:
    """Environment of the app, with its database migrated and seeded and static files built."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "IPT_", "CELERY_")) and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=stack.database(server_url),
        DJANGO_SETTINGS_MODULE="ipt_clinic.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_STATIC_ROOT=str(stack.scratch / "static"),
        IPT_VAR_DIR=str(stack.scratch / "var"),
        IPT_SINGLE_HOST="true",  # one machine on purpose: the filesystem broker will do
        IPT_LOG_LEVEL="WARNING",
        IPT_DEMO_PASSWORD=PASSWORD,
    )
    stack.manage(env, "migrate", "--verbosity", "0")
    stack.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    seed = {**env, "DJANGO_DEBUG": "true"}  # seed_demo refuses to run with DEBUG off
    stack.manage(seed, "seed_demo", "--password", PASSWORD)
    if scale:
        stack.manage(seed, "seed_demo", "--scale", f"{scale:g}", "--password", PASSWORD)
    import psycopg2

    with psycopg2.connect(env["DATABASE_URL"]) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    conn.close()
    return env


def accounts(env: dict, scale: float) -> tuple[list[str], list[str]]:
    """(therapists, supervisors) to sign in as: the staff of Demo Clinic and of the scale
    clinic. Supervisors of the scale clinic also treat; they sign in as supervisors here."""
    import psycopg2

    clinics = ["Demo Clinic", *([f"Scale Clinic {scale:g}"] if scale else [])]
    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM accounts_clinic WHERE name = ANY(%s) AND require_two_factor",
            [clinics],
        )
        if asking := [row[0] for row in cursor.fetchall()]:
            sys.exit(f"{', '.join(asking)} asks for two-factor sign-in; the clients cannot")
        cursor.execute(
            "SELECT u.email, u.is_supervisor FROM accounts_user u "
            "JOIN accounts_clinic c ON c.id = u.clinic_id "
            "WHERE c.name = ANY(%s) AND u.is_active AND (u.is_therapist OR u.is_supervisor) "
            "ORDER BY c.name, u.email",
            [clinics],
        )
        rows = cursor.fetchall()
    conn.close()
    therapists = [email for email, supervisor in rows if not supervisor]
    supervisors = [email for email, supervisor in rows if supervisor]
    if not therapists or not supervisors:
        sys.exit(f"no therapist or no supervisor to sign in as in {clinics}")
    return therapists, supervisors


# --- The clients -------------------------------------------------------------------------------


def request(port: int, method: str, path: str, *, cookies: dict, form: dict | None = None):
    """One request to 127.0.0.1:port on a connection of its own (gunicorn's sync workers close
    it after each response anyway). Updates cookies; returns (status, location, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    headers = {"Host": f"{HOST}:{port}", "User-Agent": "ipt-load"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"http://{HOST}:{port}"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    cookies.pop(name, None)
                else:
                    cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), content
    finally:
        connection.close()


@dataclass
class Results:
    seconds: float
    max_requests: int
    deadline: float = math.inf  # set when every client has signed in
    started: float | None = None
    timings: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    examples: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0
    load_before: float = 0.0  # the machine's 1-minute load average when the clients started
    client_cpu: float = 0.0  # CPU seconds the clients (this process) used
    sign_in_seconds: float = 0.0

    def admit(self) -> bool:
        """Whether another request may start (time and request count both bound the run)."""
        with self.lock:
            if time.monotonic() >= self.deadline or self.count >= self.max_requests:
                return False
            self.count += 1
            return True

    def start_clock(self) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds

    def record(self, page: str, milliseconds: float | None, error: str | None = None) -> None:
        with self.lock:
            if milliseconds is not None:
                self.timings[page].append(milliseconds)
            if error:
                self.errors[page] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{page}: {error}")


class Client:
    def __init__(self, number: int, email: str, supervisor: bool, port: int, results: Results,
                 barrier: threading.Barrier):  # fmt: skip
        self.email, self.supervisor, self.port, self.results = email, supervisor, port, results
        self.barrier = barrier
        self.rng = random.Random(number)
        self.cookies: dict = {}
        self.ids: dict[str, list[str]] = {kind: [] for kind in LINKS}

    def get(self, page: str, path: str) -> str | None:
        """GET path, timed under `page`; the body when it was a 200, else None (an error)."""
        started = time.perf_counter()
        try:
            status, location, body = request(self.port, "GET", path, cookies=self.cookies)
        except Exception as error:
            self.results.record(page, _ms(started), f"GET {path}: {error!r}")
            return None
        problem = None if status == 200 else f"GET {path}: {status} {location}".strip()
        self.results.record(page, _ms(started), problem)
        if problem:
            return None
        for kind, pattern in LINKS.items():
            known = self.ids[kind]
            for found in pattern.findall(body):
                if found not in known:
                    known.append(found)
            del known[:-POOL]
        return body

    def sign_in(self) -> bool:
        body = self.get("login form", "/accounts/login/")
        token = CSRF_INPUT.search(body or "")
        if not token:
            if body is not None:
                self.results.record("login form", None, "no CSRF token in the sign-in form")
            return False
        started = time.perf_counter()
        form = {"csrfmiddlewaretoken": token[1], "username": self.email, "password": PASSWORD}
        try:
            status, location, _ = request(
                self.port, "POST", "/accounts/login/", cookies=self.cookies, form=form
            )
        except Exception as error:
            self.results.record("sign in (POST)", _ms(started), repr(error))
            return False
        signed_in = status == 302 and not location.startswith(("/accounts/", "http"))
        problem = None if signed_in else f"{self.email}: {status} {location}"
        self.results.record("sign in (POST)", _ms(started), problem)
        return signed_in

    def pick(self, kind: str) -> str | None:
        return self.rng.choice(self.ids[kind]) if self.ids[kind] else None

    def visit(self, page: str) -> None:
        """Request `page`, or, while no link to one is known yet, the page that lists them."""
        if page == "therapist home":
            self.get(page, "/therapist/")
        elif page == "patient list":
            self.get(page, "/patients/")
        elif page == "patient":
            pk = self.pick("patients")
            self.get(page, f"/patients/{pk}/") if pk else self.get("patient list", "/patients/")
        elif page in {"course", "inventory"}:
            pk = self.pick("courses")
            if pk is None:
                self.visit("patient")
            else:
                suffix = "inventory/" if page == "inventory" else ""
                self.get(page, f"/courses/{pk}/{suffix}")
        elif page == "session":
            pk = self.pick("sessions")
            self.get(page, f"/sessions/{pk}/") if pk else self.visit("course")
        elif page == "workspace":
            pk = self.pick("workspaces")
            if pk is None:
                self.get("therapist home", "/therapist/")
            else:
                self.get(page, f"/sessions/{pk}/workspace/")
        elif page == "supervision dashboard":
            self.get(page, "/supervision/")
        elif page == "supervision ?flag=any":
            self.get(page, "/supervision/?flag=any")
        elif page == "supervised course":
            pk = self.pick("courses")
            if pk:
                self.get(page, f"/courses/{pk}/")
            else:
                self.get("supervision dashboard", "/supervision/")

    def run(self) -> None:
        """Sign in; once every client has (the barrier), request pages until the time is up."""
        signed_in = False
        try:
            signed_in = self.results.admit() and self.sign_in()
        except Exception as error:  # a bug here must show as an error, not vanish
            self.results.record("client", None, f"{self.email}: {error!r}")
        try:
            self.barrier.wait(timeout=SIGN_IN_TIMEOUT)
        except threading.BrokenBarrierError:
            self.results.record("client", None, "the sign-in phase did not finish in time")
            return
        if not signed_in:
            return
        try:
            pages = SUPERVISOR_PAGES if self.supervisor else THERAPIST_PAGES
            step = self.rng.randrange(len(pages))  # clients start at different pages
            while self.results.admit():
                self.visit(pages[step % len(pages)])
                step += 1
        except Exception as error:  # a bug here must show as an error, not vanish
            self.results.record("client", None, f"{self.email}: {error!r}")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def drive(port: int, therapists: list[str], supervisors: list[str], *, clients: int,
          seconds: float, max_requests: int):  # fmt: skip
    results = Results(seconds=seconds, max_requests=max_requests)
    barrier = threading.Barrier(clients, action=results.start_clock)
    threads, used = [], set()
    for number in range(clients):
        supervisor = number % 3 == 2
        pool = supervisors if supervisor else therapists
        email = pool[(number // 3 if supervisor else number - number // 3) % len(pool)]
        used.add((supervisor, email))
        client = Client(number, email, supervisor, port, results, barrier)
        threads.append(threading.Thread(target=client.run, daemon=True, name=f"client-{number}"))
    results.load_before = os.getloadavg()[0]
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    give_up = started + SIGN_IN_TIMEOUT + seconds + 2 * REQUEST_TIMEOUT
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        results.record("client", None, f"{hung} clients still running after the deadline")
    ended = time.monotonic()
    results.sign_in_seconds = (results.started or ended) - started
    wall = ended - (results.started or ended)
    after = resource.getrusage(resource.RUSAGE_SELF)
    results.client_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return results, wall, (sum(not s for s, _ in used), sum(s for s, _ in used))


# --- Report ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(results: Results, wall: float, args, accounts_used, versions: str) -> int:
    errors = sum(results.errors.values())
    timed = [page for page in ORDER if page not in SIGN_IN_PAGES and page in results.timings]
    total = [ms for page in timed for ms in results.timings[page]]
    print()
    print(
        f"Load: {args.clients} clients ({accounts_used[0]} therapist and {accounts_used[1]} "
        f"supervisor accounts), {args.seconds:g} s, gunicorn {args.workers} sync workers, "
        f"{versions}, {os.cpu_count()} CPUs"
    )
    print()
    print(f"{'page':<24}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")

    def row(label: str, values: list[float], errors: int) -> None:
        figures = (
            f"{percentile(values, 0.5):>9.0f}{percentile(values, 0.95):>9.0f}{max(values):>9.0f}"
            if values
            else ""
        )
        print(f"{label:<24}{len(values):>10,}{errors:>8}{figures}")

    for page in SIGN_IN_PAGES:
        row(page, results.timings.get(page, []), results.errors[page])
    print(f"  (all {args.clients} clients signed in within {results.sign_in_seconds:.1f} s; "
          "then the timed run)")  # fmt: skip
    for page in timed:
        row(page, results.timings[page], results.errors[page])
    if results.errors["client"]:
        row("client", [], results.errors["client"])
    row("all pages", total, errors - sum(results.errors[page] for page in SIGN_IN_PAGES))
    print()
    rate = len(total) / wall if wall else 0
    print(f"{len(total):,} page requests in {wall:.1f} s: {rate:.1f} requests/s; {errors} errors")
    print(
        f"load average {results.load_before:.2f} before the clients started; they used "
        f"{results.client_cpu:.1f} CPU-s ({results.client_cpu / (wall or 1):.0%} of one CPU)"
    )
    for example in results.examples:
        print(f"  error: {example}")
    return 1 if errors or not total else 0


def versions(env: dict) -> str:
    import psycopg2

    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0].split()[0]
    conn.close()
    import django
    import gunicorn

    python = ".".join(map(str, sys.version_info[:2]))
    return f"PostgreSQL {server}, Python {python}, Django {django.__version__}, " + (
        f"gunicorn {gunicorn.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default: 2 x CPUs + 1)",
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=0.2,
        help="seed_demo --scale N clinic besides the demo ones (0: none)",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="a bound on the run")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server on loopback (default: DATABASE_URL); the "
        "script creates and drops a database of its own there",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 0 < args.seconds <= 3600:
        parser.error("--clients must be 1..500 and --seconds 0..3600")

    scratch = Path(tempfile.mkdtemp(prefix="ipt-load-"))
    stack = Stack(scratch)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that finally: cleans up
    try:
        print("preparing (database, seed data, static files) ...", flush=True)
        env = prepare(stack, args.database_url, args.scale)
        therapists, supervisors = accounts(env, args.scale)
        port = free_port()
        stack.gunicorn(env, port=port, workers=args.workers)
        print(
            f"gunicorn on {HOST}:{port}; {args.clients} clients for {args.seconds:g} s ...",
            flush=True,
        )
        results, wall, used = drive(
            port,
            therapists,
            supervisors,
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
        )
        status = report(results, wall, args, used, versions(env))
        if status:
            log = scratch / "gunicorn.log"
            if log.exists():
                print("\ngunicorn's log (last 40 lines):")
                print("\n".join(log.read_text().splitlines()[-40:]))
        return status
    finally:
        stack.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
