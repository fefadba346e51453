"""Each role signs in through the real form, in Chromium, and lands on its own home."""

import re

import pytest

from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("who", "home_path", "heading"),
    [
        ("therapist", "/therapist/", "My caseload"),
        ("supervisor", "/supervision/", "Supervision caseload"),
        ("clinic_admin", "/clinic/", "Test Clinic"),
    ],
)
def test_role_lands_on_its_home(request, who, home_path, heading, page, shot):
    user = request.getfixturevalue(who)
    sign_in(page, user.email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(home_path) + "$"))
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert user.full_name in page.get_by_role("navigation", name="Main").inner_text()
    # No CSP violations or other console errors on the way.
    assert page.console_errors == []
    shot(page, f"home-{who}")


def test_wrong_password_shows_error_beside_the_form(therapist, page, shot):
    sign_in(page, therapist.email, "definitely wrong")
    assert page.get_by_text("do not match an active account").is_visible()
    assert page.get_by_label("Email address").input_value() == therapist.email
    shot(page, "login-error")


def test_sign_out_returns_to_sign_in(therapist, page):
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    page.goto("/therapist/")
    assert "/accounts/login/" in page.url


def test_keyboard_reaches_skip_link_first(therapist, page):
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
