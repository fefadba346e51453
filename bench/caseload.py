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
    from oversight.selectors import supervised_courses

    started = time.perf_counter()
    report = seed_scale_clinic(scale=scale, password="bench-password-not-used")  # noqa: S106
    seconds = time.perf_counter() - started
    therapists = list(User.objects.filter(clinic=report.clinic, is_therapist=True).order_by("pk"))
    supervisor = bench_supervisor(report.clinic, f"bench-supervisor@{email_domain(scale)}")
    supervise(supervisor, therapists)
    small = None
    if small_caseload:
        small = bench_supervisor(report.clinic, f"bench-small@{email_domain(scale)}")
        for therapist in therapists:
            supervise(small, [therapist])
            if supervised_courses(small).count() >= small_caseload:
                break
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    return supervisor, small, seconds


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per page and size")
    parser.add_argument("--warmup", type=int, default=20, help="rounds before measuring")
    parser.add_argument("--scale", type=float, default=SMALL_SCALE, help="the 1x clinic")
    parser.add_argument("--sqlite", action="store_true", help="smoke run on SQLite")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of the dashboard's facts query"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ipt-bench-") as var_dir:
        configure(args.sqlite, var_dir)
        from django.db import connection

        install_urlconf()
        name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
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
