"""The security sweep: escaping, CSRF, safe GETs, redirects, headers, private notes, SQL."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from ipt_clinic.accounts.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.world import STAFF, pages_for, post_forms, url_of

ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = {"accounts", "patients", "therapy_sessions", "inventory", "caseload"}
CANARY = "<script>alert('xss-canary')</script>\"'><img src=x onerror=alert(1)>"
# Tables a GET may write: the audit trail, the sign-in bookkeeping, and the caseload's stored
# facts (derived from the record, recomputed when read; never entered).
GET_MAY_WRITE = {"accounts.auditevent", "accounts.signinsession", "caseload.coursefacts"}


def _all_pages(world):
    for principal in STAFF:
        for name, make_kwargs in pages_for(principal):
            yield principal, url_of(name, make_kwargs, world)


def _poison_every_text_field():
    """Write the canary into every free-text column of every clinical row."""
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or model is AuditEvent:
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and f.name not in {"email", "password", "record_number", "phone", "timezone"}
        ]
        for obj in model.objects.all():
            for name in fields:
                limit = model._meta.get_field(name).max_length or 10_000
                setattr(obj, name, f"{CANARY}#{obj.pk}"[:limit])
            if fields:
                model.objects.filter(pk=obj.pk).update(**{n: getattr(obj, n) for n in fields})


def test_stored_xss_canaries_are_always_escaped(rich_world, client_for):
    _poison_every_text_field()
    for principal, url in _all_pages(rich_world):
        html = client_for(rich_world[principal]).get(url).content.decode()
        assert CANARY[:30] not in html, f"unescaped canary on {url} for {principal}"
        assert "<script>alert(" not in html, url


# RFC 8058 one-click opt-out: mail programs POST it without a CSRF token; a signed token in
# the URL authorises it instead (tests/sessions cover forged and expired tokens).
CSRF_EXEMPT_PREFIXES = ("/reminders/stop/",)


def test_every_state_change_without_csrf_token_is_refused(rich_world):
    for principal in STAFF:
        client = Client(enforce_csrf_checks=True)
        client.force_login(rich_world[principal])
        for _, url in [(p, u) for p, u in _all_pages(rich_world) if p == principal]:
            for form in post_forms(client.get(url).content.decode()):
                target = form["action"] or url
                if target.startswith(CSRF_EXEMPT_PREFIXES):
                    continue
                response = client.post(target, {})
                assert response.status_code == 403, (url, target)


def _domain_counts():
    return {
        model._meta.label_lower: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and model._meta.label_lower not in GET_MAY_WRITE
    }


def test_no_get_request_writes_domain_rows(rich_world, client_for):
    before = _domain_counts()
    for principal, url in _all_pages(rich_world):
        client_for(rich_world[principal]).get(url)
    assert _domain_counts() == before


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_no_open_redirect_through_next(client, therapist, target):
    response = client.post(
        f"{reverse('login')}?next={target}",
        {"username": therapist.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.url.startswith("/") and not response.url.startswith("//"), response.url
    assert "evil" not in response.url and "javascript" not in response.url


def test_every_page_has_the_security_headers(rich_world, client_for):
    for principal, url in _all_pages(rich_world):
        response = client_for(rich_world[principal]).get(url)
        headers = response.headers
        assert "unsafe-inline" not in headers["Content-Security-Policy"], url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["Referrer-Policy"] == "same-origin", url
        assert "no-store" in headers["Cache-Control"], url


def test_private_note_canary_appears_only_to_its_author_on_the_session_page(
    rich_world, client_for, caplog, mailoutbox
):
    author = rich_world["therapist"]
    for principal, url in _all_pages(rich_world):
        html = client_for(rich_world[principal]).get(url).content.decode()
        if "PRIVATE-CANARY" in html:
            assert principal == "therapist" and "/sessions/" in url, (principal, url)
    course = rich_world["rich_course"]
    for user in (author, rich_world["supervisor"]):
        summary = client_for(user).get(reverse("inventory:course_summary", args=[course.pk]))
        assert b"PRIVATE-CANARY" not in summary.content
    assert "PRIVATE-CANARY" not in caplog.text
    assert not any("PRIVATE-CANARY" in (m.body or "") for m in mailoutbox)
    assert not AuditEvent.objects.filter(detail__contains="PRIVATE-CANARY").exists()


def _python_sources():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "tests", "migrations", "bench", "node_modules"}:
            continue
        yield path


def test_no_mark_safe_or_safe_filter_on_user_data():
    allowed = {"sessions/templatetags/course_panels.py"}  # joins autoescaped templates only
    for path in _python_sources():
        if "mark_safe(" in path.read_text():
            assert str(path.relative_to(ROOT)) in allowed, path
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "|safe" not in text and "autoescape off" not in text, template
    # Plain-text mail templates switch autoescape off on purpose (no HTML to inject into).
    for template in (ROOT / "templates").rglob("*.txt"):
        assert "|safe" not in template.read_text(), template


RAW_SQL = re.compile(r"\.(raw|extra)\(|cursor\.execute\(")
BUILT_STRING = re.compile(
    r"(\.(raw|extra)|cursor\.execute)\(\s*(f[\"']|[^,)]*%\s|[^,)]*\.format\()"
)


def test_raw_sql_is_never_built_from_strings():
    for path in _python_sources():
        source = path.read_text()
        for line in source.splitlines():
            if RAW_SQL.search(line):
                assert not BUILT_STRING.search(line), f"{path}: {line.strip()}"
