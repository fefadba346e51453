"""Supervisor caseload: p50/p95 of the dashboard and of a course review page at 1x and 100x
data, next to a floor measured in the same run.

    bench/run.sh caseload                        # on a throwaway PostgreSQL cluster
    DATABASE_URL=postgres://... .venv/bin/python bench/caseload.py [--requests 200] [--explain]

1x is the clinic of `seed_demo --scale 0.017` (34 courses, about 20 of them open), 100x the
one of `--scale 1.7` (3,400 courses, about 2,000 open, 85 therapists, 48,000 sessions). In
each, a benchmark supervisor supervises every therapist, so that the dashboard shows every open
course of the clinic. At 100x a second supervisor supervises just enough therapists to see as
many courses as the whole 1x clinic has open: the clinic grew, their caseload did not. Both
clinics are written to a test database (test_<name>) created on the server and dropped
afterwards; the 1x figures are taken before the 100x clinic exists.

Requests go through django.test.Client in-process, DEBUG off, through every middleware, with
the audit trail written as in production. After a warm-up, each round requests every page in
turn, so that all meet the same conditions. Two floors, defined here in a URLconf that adds
them to the project's: an authenticated page whose view runs one query and answers a line of
HTML, and the same inside the site's layout (base.html). The course page cycles through 20 of
the visible courses. --explain prints EXPLAIN ANALYZE of the dashboard's slower queries.

Targets (issue 6): each page at 100x within 1.3x of 1x, and within 3x of the floor. Prints the
figures; asserts only that every response is a 200.

--paths (issue 14, item 5) measures instead, in the 100x clinic, the dashboard of supervisors
whose caseloads hold about 30, 150 and every (2,025) open course, served two ways: from the
stored facts (CourseFacts, what the app does) and live (the facts of every listed course
computed per request by flags.fact_rows, the rules run in Python, sorted and filtered in
Python: the path that would need no store). Target for the live path: p50 <= 100 ms at
2,025 courses and <= 40 ms at 150.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import types
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMALL_SCALE = 0.017
FACTOR = 100
PATH_CASELOADS = (30, 150)  # besides every open course of the 100x clinic
LIVE_TARGETS = {150: 40.0, 2025: 100.0}  # p50 ms of the live path (issue 14)
COURSE_PAGES = 20  # distinct courses the course-page requests cycle through
TARGET_GROWTH = 1.3
TARGET_FLOOR = 3.0
LABELS = {
    "floor": "floor (1 query)",
    "page_floor": "page floor",
    "dashboard": "dashboard",
    "dashboard_small": "dashboard, 1x caseload",
    "course": "course review",
}


def configure(use_sqlite: bool, var_dir: str) -> None:
    if use_sqlite:
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL server, or run `bench/run.sh caseload`, which "
            "starts one. (--sqlite runs against SQLite: a smoke test, not figures.)"
        )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ipt_clinic.settings",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="testserver",
        IPT_PLAIN_STATIC="true",  # no collectstatic manifest needed
        IPT_LOG_LEVEL="WARNING",
        IPT_VAR_DIR=os.environ.get("IPT_VAR_DIR") or var_dir,
        IPT_SINGLE_HOST="true",  # one machine on purpose: the filesystem broker will do
    )
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def install_urlconf() -> None:
    """The project's URLs plus two floors, signed in and one query each: /bench/floor/
    answers a line of HTML, /bench/page-floor/ the line inside the site's layout."""
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, include, path
    from django.utils.html import escape

    from ipt_clinic.accounts.models import User

    shell = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}<p>{{ name }}</p>{% endblock %}'
    )

    def one_query(request) -> str:
        return User.objects.filter(pk=request.user.pk).values_list("full_name", flat=True).get()

    @login_required
    def floor(request):
        return HttpResponse(f"<!doctype html><title>floor</title><p>{escape(one_query(request))}")

    @login_required
    def page_floor(request):
        # The site's layout (navigation, messages, scripts) around the same one query.
        return HttpResponse(shell.render({"name": one_query(request)}, request))

    urlconf = types.ModuleType("bench_caseload_urls")
    urlconf.urlpatterns = [
        path("bench/floor/", floor, name="bench_floor"),
        path("bench/page-floor/", page_floor, name="bench_page_floor"),
        path("", include("ipt_clinic.urls")),
    ]
    sys.modules[urlconf.__name__] = urlconf
    settings.ROOT_URLCONF = urlconf.__name__
    clear_url_caches()


def seed(scale: float, small_caseload: int | None):
    """The scale clinic; a supervisor of all its therapists; and, given small_caseload, a
    supervisor of just enough therapists to see that many courses. Returns (supervisor,
    small supervisor or None, seconds the clinic took)."""
    from django.db import connection

    from demo.scale import email_domain, seed_scale_clinic
    from ipt_clinic.accounts.models import User

    started = time.perf_counter()
    report = seed_scale_clinic(scale=scale, password="bench-password-not-used")  # noqa: S106
    seconds = time.perf_counter() - started
    therapists = list(User.objects.filter(clinic=report.clinic, is_therapist=True).order_by("pk"))
    supervisor = bench_supervisor(report.clinic, f"bench-supervisor@{email_domain(scale)}")
    supervise(supervisor, therapists)
    small = None
    if small_caseload:
        small = supervisor_of_about(
            report.clinic, therapists, small_caseload, f"bench-small@{email_domain(scale)}"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    return supervisor, small, seconds


def supervisor_of_about(clinic, therapists, courses: int, email: str):
    """A supervisor of just enough of the therapists to see at least `courses` open courses."""
    from oversight.selectors import supervised_courses

    supervisor = bench_supervisor(clinic, email)
    for therapist in therapists:
        supervise(supervisor, [therapist])
        if supervised_courses(supervisor).count() >= courses:
            break
    return supervisor


def bench_supervisor(clinic, email: str):
    from ipt_clinic.accounts.models import User

    return User.objects.create_user(
        email=email, full_name="Bench Supervisor", clinic=clinic, is_supervisor=True
    )


def supervise(supervisor, therapists) -> None:
    from django.utils import timezone

    from ipt_clinic.accounts.models import Supervision

    Supervision.objects.bulk_create(
        Supervision(
            supervisor=supervisor,
            therapist=therapist,
            starts_on=timezone.localdate() - timedelta(days=30),
        )
        for therapist in therapists
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(supervisor, small, *, requests: int, warmup: int, explain: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from oversight.selectors import supervised_courses

    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    visible = list(supervised_courses(supervisor).order_by("pk").values_list("pk", flat=True))
    step = max(1, len(visible) // COURSE_PAGES)
    client = signed_in(supervisor)
    pages = {
        "floor": (client, [reverse("bench_floor")]),
        "page_floor": (client, [reverse("bench_page_floor")]),
        "dashboard": (client, [reverse("supervisor_home")]),
        "course": (
            client,
            [reverse("sessions:course", args=[pk]) for pk in visible[::step][:COURSE_PAGES]],
        ),
    }
    if small is not None:
        pages["dashboard_small"] = (signed_in(small), [reverse("supervisor_home")])
    timings: dict[str, list[float]] = {page: [] for page in pages}
    for round_number in range(warmup + requests):
        for page, (page_client, urls) in pages.items():
            url = urls[round_number % len(urls)]
            started = time.perf_counter()
            response = page_client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if round_number >= warmup:
                timings[page].append(elapsed)
    results = {}
    for page, (page_client, urls) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            page_client.get(urls[0])
        results[page] = {
            "p50": statistics.median(timings[page]),
            "p95": percentile(timings[page], 0.95),
            "queries": len(captured),
        }
    results["dashboard"]["courses"] = len(visible)
    if small is not None:
        results["dashboard_small"]["courses"] = supervised_courses(small).count()
    if explain:
        explain_dashboard(supervisor)
    return results


def live_caseload_for(user, *, therapist_id=None, phase=None, area=None, flag=None):
    """caseload_for without the store: every listed course's facts computed now
    (flags.fact_rows, two queries), the rules run in Python, filtered, counted and sorted in
    Python. The same answer as the app's; here only to be measured (--paths)."""
    from django.utils import timezone

    from ipt_clinic.accounts.access import supervisees_for
    from oversight.flags import FLAGS_BY_CODE, fact_rows, mark_flags
    from oversight.models import FlagThresholds
    from oversight.selectors import PHASES, Caseload, supervised_courses
    from sessions.models import Course

    thresholds = FlagThresholds.for_clinic(user.clinic_id)
    therapists = list(supervisees_for(user).order_by("full_name", "pk").only("full_name"))
    now = timezone.now()
    rows = [
        mark_flags(row, thresholds, now)
        for row in fact_rows(
            supervised_courses(user, therapists), ["therapist_id", "planned_sessions", "status"]
        )
    ]
    counts: dict[int, dict] = {}
    for row in rows:
        summary = counts.setdefault(
            row.therapist_id, {"courses": 0, "flagged": 0, "unsigned": 0, "stale": 0}
        )
        summary["courses"] += 1
        summary["flagged"] += bool(row.flag_count)
        summary["unsigned"] += row.unsigned_count
    summaries = [
        {"therapist__full_name": therapist.full_name, **counts[therapist.pk]}
        for therapist in therapists
        if therapist.pk in counts
    ]
    if therapist_id in counts:
        rows = [row for row in rows if row.therapist_id == therapist_id]
    if phase in PHASES:
        rows = [row for row in rows if row.phase_code == phase]
    if area:
        rows = [row for row in rows if row.primary_area == area]
    if flag in FLAGS_BY_CODE:
        rows = [row for row in rows if getattr(row, f"flag_{flag}")]
    elif flag == "any":
        rows = [row for row in rows if row.flag_count]
    never = now.replace(year=9999)
    rows.sort(key=lambda row: (-row.flag_severity, row.next_start or never, row.pk))
    by_pk = {row.pk: row for row in rows}

    class LiveCaseload(Caseload):
        def courses(self, ids):
            courses = Course.objects.select_related("patient", "therapist").in_bulk(ids)
            for pk in ids:
                courses[pk].__dict__.update({k: v for k, v in vars(by_pk[pk]).items() if k != "pk"})
            return [courses[pk] for pk in ids]

    return LiveCaseload(
        ids=[row.pk for row in rows],
        summaries=summaries,
        therapists=therapists,
        thresholds=thresholds,
        now=now,
    )


def measure_paths(supervisors: dict, *, requests: int, warmup: int) -> dict:
    """The dashboard's p50/p95 for each supervisor (caseload size -> user), served from the
    stored facts and live. The two paths alternate request by request."""
    from django.test import Client
    from django.urls import reverse

    import oversight.views
    from oversight.selectors import caseload_for, supervised_courses

    paths = {"stored": caseload_for, "live": live_caseload_for}
    url = reverse("supervisor_home")
    clients = {}
    for size, user in supervisors.items():
        clients[size] = Client()
        clients[size].force_login(user)
    timings = {(size, path): [] for size in supervisors for path in paths}
    for round_number in range(warmup + requests):
        for size, client in clients.items():
            for path, selector in paths.items():
                oversight.views.caseload_for = selector
                started = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (size, path, response.status_code)
                if round_number >= warmup:
                    timings[size, path].append(elapsed)
    oversight.views.caseload_for = caseload_for
    return {
        (size, path): {
            "courses": supervised_courses(supervisors[size]).count(),
            "p50": statistics.median(values),
            "p95": percentile(values, 0.95),
        }
        for (size, path), values in timings.items()
    }


def report_paths(results: dict, *, requests: int, warmup: int) -> None:
    print()
    print(f"Dashboard, stored facts against live: {requests} requests each after {warmup} warm-up")
    print(f"{'caseload':>9}  {'path':<8}{'p50 ms':>9}{'p95 ms':>9}  target (live p50)")
    for (_size, path), figures in results.items():
        courses = figures["courses"]
        target = next(
            (ms for limit, ms in LIVE_TARGETS.items() if abs(courses - limit) <= limit / 10), None
        )
        verdict_text = ""
        if path == "live" and target is not None:
            met = "met" if figures["p50"] <= target else "MISSED"
            verdict_text = f"<= {target:g} ms: {met}"
        print(
            f"{courses:>9,}  {path:<8}{figures['p50']:>9.1f}{figures['p95']:>9.1f}  {verdict_text}"
        )


def explain_dashboard(supervisor) -> None:
    """EXPLAIN ANALYZE the dashboard's selector queries that take more than a millisecond."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oversight.selectors import caseload_for

    with CaptureQueriesContext(connection) as captured:
        caseload_for(supervisor)
    for query in captured.captured_queries:
        if float(query["time"]) < 0.001:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            print("\n".join(line for (line,) in cursor.fetchall()), end="\n\n")


def report(results: dict, *, requests: int, warmup: int) -> None:
    from django.db import connection

    from demo.scale import scale_size

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 1")
        server = cursor.fetchone()[0] if connection.vendor == "postgresql" else "SQLite"
    print()
    print(f"Supervisor caseload: {server.split(' on ')[0]}, {os.cpu_count()} CPUs, ", end="")
    print(f"{requests} requests per page after {warmup} warm-up rounds")
    print()
    print(f"{'data':<6}{'page':<24}{'courses':>9}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    for size, result in results.items():
        for page, label in LABELS.items():
            if page not in result:
                continue
            figures = result[page]
            courses = f"{figures['courses']:,}" if "courses" in figures else ""
            print(
                f"{size:<6}{label:<24}{courses:>9}{figures['p50']:>9.1f}"
                f"{figures['p95']:>9.1f}{figures['queries']:>9}"
            )
        size_of = scale_size(result["scale"])
        print(
            f"      (clinic of {size_of.courses:,} courses, {size_of.therapists} therapists, "
            f"seeded in {result['seconds']:.1f} s)"
        )
    print()
    small, large = results["1x"], results[f"{FACTOR}x"]
    comparisons = [
        ("dashboard", "dashboard"),
        ("dashboard_small", "dashboard"),
        ("course", "course"),
    ]
    for page, reference in comparisons:
        for stat in ("p50", "p95"):
            growth = large[page][stat] / small[reference][stat]
            over_floor = large[page][stat] / large["floor"][stat]
            over_page = large[page][stat] / large["page_floor"][stat]
            print(
                f"{LABELS[page]:<24}{stat}: {FACTOR}x/1x {growth:5.2f} "
                f"({verdict(growth, TARGET_GROWTH)}); {FACTOR}x/floor {over_floor:5.1f} "
                f"({verdict(over_floor, TARGET_FLOOR)}); /page floor {over_page:4.1f}"
            )


def verdict(ratio: float, target: float) -> str:
    return f"target <= {target:g}: {'met' if ratio <= target else 'MISSED'}"


def run_paths(args) -> None:
    from demo.scale import email_domain
    from ipt_clinic.accounts.models import User

    scale = round(args.scale * FACTOR, 6)
    print(f"seeding {FACTOR}x (--scale {scale:g}) ...", flush=True)
    everyone, _, _ = seed(scale, None)
    therapists = list(User.objects.filter(clinic=everyone.clinic, is_therapist=True).order_by("pk"))
    supervisors = {
        size: supervisor_of_about(
            everyone.clinic, therapists, size, f"bench-{size}@{email_domain(scale)}"
        )
        for size in PATH_CASELOADS
    }
    supervisors["all"] = everyone
    print("measuring ...", flush=True)
    results = measure_paths(supervisors, requests=args.requests, warmup=args.warmup)
    report_paths(results, requests=args.requests, warmup=args.warmup)
    report_refresh(everyone.clinic, requests=args.requests)


def report_refresh(clinic, *, requests: int) -> None:
    """What keeping the store costs the writes: one course's refresh (as a service does it,
    in its transaction), and the whole clinic's (a change of its thresholds)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from oversight import store
    from sessions.models import Course

    courses = Course.objects.filter(patient__clinic=clinic)
    ids = list(courses.order_by("pk").values_list("pk", flat=True))
    timings = []
    for number in range(requests):
        with transaction.atomic():
            started = time.perf_counter()
            store.refresh([ids[number * 37 % len(ids)]])
            timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        store.refresh([ids[0]])
    started = time.perf_counter()
    with transaction.atomic():
        store.refresh_all(courses)
    whole = time.perf_counter() - started
    print()
    print(
        f"store.refresh of one course: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, {len(captured)} queries"
    )
    print(f"store.refresh_all of the clinic's {len(ids):,} courses: {whole:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per page and size")
    parser.add_argument("--warmup", type=int, default=20, help="rounds before measuring")
    parser.add_argument("--scale", type=float, default=SMALL_SCALE, help="the 1x clinic")
    parser.add_argument("--sqlite", action="store_true", help="smoke run on SQLite")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of the dashboard's facts query"
    )
    parser.add_argument(
        "--paths",
        action="store_true",
        help="the 100x dashboard at three caseload sizes, from the stored facts and live",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipt-bench-") as var_dir:
        configure(args.sqlite, var_dir)
        from django.db import connection

        install_urlconf()
        name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            if args.paths:
                run_paths(args)
                return
            results = {}
            small_caseload = None
            for size, scale in (("1x", args.scale), (f"{FACTOR}x", round(args.scale * FACTOR, 6))):
                print(f"seeding {size} (--scale {scale:g}) ...", flush=True)
                supervisor, small, seconds = seed(scale, small_caseload)
                print(f"measuring {size} ...", flush=True)
                result = measure(
                    supervisor,
                    small,
                    requests=args.requests,
                    warmup=args.warmup,
                    explain=args.explain,
                )
                results[size] = {**result, "scale": scale, "seconds": seconds}
                # At 100x, also a supervisor whose caseload is the size of the whole 1x one.
                small_caseload = result["dashboard"]["courses"]
            report(results, requests=args.requests, warmup=args.warmup)
        finally:
            connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
