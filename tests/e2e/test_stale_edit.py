"""Two tabs on one note in a real browser: the second tab's save is refused, its text stays
in the form, the first tab's saved text is shown beside it; nothing is lost (issue #13)."""

import re

import pytest

from tests.conftest import PASSWORD, attend

from .conftest import sign_in
from .test_accessibility import AXE, SERIOUS_VIOLATIONS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_a_stale_second_tab_keeps_its_text_and_shows_the_saved_one(
    browser, live_server, therapist, first_session, shot, width
):
    attend(first_session)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    first, second = context.new_page(), context.new_page()  # one sign-in, two tabs
    sign_in(first, therapist.email, PASSWORD)
    first.wait_for_url(re.compile(r"/therapist/$"))
    note = f"/sessions/{first_session.pk}/note/"
    second.goto(note)
    first.goto(note)

    first.get_by_label("Symptom review").fill("Tab one: PHQ-9 18, sleep poor.")
    first.get_by_role("button", name="Save the note").click()
    first.wait_for_url(re.compile(r"/sessions/\d+/$"))

    second.get_by_label("Between-session work").fill("Tab two: call her sister this week.")
    second.get_by_role("button", name="Save the note").click()
    alert = second.locator(".stale-edit")
    alert.wait_for()
    assert "Tab one: PHQ-9 18, sleep poor." in alert.inner_text()
    homework = second.get_by_label("Between-session work")
    assert homework.input_value() == "Tab two: call her sister this week."
    second.evaluate(AXE)
    assert second.evaluate(SERIOUS_VIOLATIONS) == []
    shot(second, f"stale-edit-{width}")

    second.get_by_label("Symptom review").fill("Tab one: PHQ-9 18, sleep poor.")
    second.get_by_role("button", name="Save the note").click()  # having seen both
    second.wait_for_url(re.compile(r"/sessions/\d+/$"))
    context.close()
    first_session.refresh_from_db()
    assert first_session.symptom_review == "Tab one: PHQ-9 18, sleep poor."
    assert first_session.homework == "Tab two: call her sister this week."
