"""Headers and settings a clinic's security officer will check."""

import pytest
from django.urls import reverse

from ipt_clinic import settings as project_settings


def test_production_hasher_is_argon2():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    import argon2  # noqa: F401 - the hasher's library is installed


def test_minimum_password_length_is_12():
    lengths = [
        v["OPTIONS"]["min_length"]
        for v in project_settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert lengths == [12]


def test_axes_locks_by_username_and_ip_together():
    assert project_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert project_settings.AXES_FAILURE_LIMIT == 5
    assert project_settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


@pytest.mark.parametrize("url_name", ["login", "password_reset"])
def test_public_pages_carry_csp_without_unsafe_inline(client, db, url_name):
    response = client.get(reverse(url_name))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_never_stored(client_for, therapist):
    response = client_for(therapist).get(reverse("therapist_home"))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("url_name", ["therapist_home", "login"])
def test_pages_have_no_inline_script_or_style(client_for, therapist, url_name):
    """CSP forbids them, so any inline code would silently break in the browser."""
    client = client_for(therapist if url_name != "login" else None)
    html = client.get(reverse(url_name)).content.decode()
    assert " style=" not in html
    assert "<style" not in html
    assert "<script>" not in html and "<script type" not in html
    assert " onclick=" not in html and " onload=" not in html


def test_session_cookie_is_httponly_and_expires_with_browser():
    assert project_settings.SESSION_COOKIE_HTTPONLY
    assert project_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
