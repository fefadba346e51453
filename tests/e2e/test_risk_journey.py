"""The risk pathway in the browser: the therapist records PHQ-9 item 9 = 2 at session 3, the
pathway opens; they record the assessment and the safety plan; the supervisor acknowledges
the alert; the risk badge stays on the course until a review closes it. Screenshots go to
test-artifacts/screens/risk-*.png."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, attend, make_patient, open_course

from .conftest import sign_in

pytestmark = pytest.mark.browser

# Items 1-9; item 9 (thoughts of self-harm) is 2: more than half the days.
PHQ9_ANSWERS = [2, 2, 1, 2, 1, 1, 1, 0, 2]


@pytest.fixture
def session_3(therapist, supervisor):
    course = open_course(
        make_patient(therapist, given_name="Rowan", family_name="Reed"),
        start=timezone.localdate() - timedelta(weeks=3),
    )
    return attend(course.sessions.get(number=3))


def new_page(browser, live_server, width: int = 1280):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return context, page


def test_item_9_opens_the_pathway_until_a_review_closes_it(
    therapist, supervisor, session_3, browser, live_server, shot
):
    context, page = new_page(browser, live_server)
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.goto(f"/sessions/{session_3.pk}/")
    page.get_by_role("link", name="score PHQ-9").click()
    for item, answer in enumerate(PHQ9_ANSWERS, start=1):
        page.locator(f"input[name='item_{item}'][value='{answer}']").check()
    page.get_by_role("button", name="Save PHQ-9").click()
    banner = page.get_by_role("alert").filter(has_text="Risk open")
    assert banner.is_visible()
    assert banner.get_by_text("needs its own risk assessment").is_visible()
    shot(page, "risk-1-session-opened")

    banner.get_by_role("link", name="Record it").click()
    page.get_by_label("Thoughts of self-harm or suicide").fill(
        "Thinks she would be better off gone."
    )
    page.get_by_label("Plan").fill("None.")
    page.get_by_label("Intent").fill("None.")
    page.get_by_label("Access to means").fill("Prescribed sleeping tablets at home.")
    page.get_by_label("History of self-harm or attempts").fill("Overdose at 19.")
    page.get_by_label("Protective factors").fill("Her dog; her brother.")
    page.get_by_role("radio", name="moderate").check()
    page.get_by_role("button", name="Save the assessment").click()
    assert page.get_by_text("Risk assessment saved.").is_visible()
    assert page.get_by_text("risk assessment is recorded").is_visible()

    page.get_by_role("link", name="The risk pathway").first.click()
    page.get_by_role("link", name="Write the safety plan").click()
    page.get_by_label("1. Warning signs").fill("Not sleeping; cancelling on friends.")
    page.get_by_label("2. Things I can do on my own").fill("Walk the dog.")
    page.get_by_label("3. People and places that distract me").fill("The park; the library.")
    page.get_by_label("4. People I can ask for help").fill("My brother Sam.")
    page.get_by_label("6. Making my surroundings safer").fill("Sam keeps the tablets.")
    page.get_by_role("button", name="Save the safety plan").click()
    assert page.get_by_text("Safety plan saved.").is_visible()
    assert page.get_by_text("not acknowledged yet").is_visible()
    shot(page, "risk-2-pathway")
    assert page.console_errors == []
    context.close()

    context, page = new_page(browser, live_server, 390)
    sign_in(page, supervisor.email, PASSWORD)
    page.wait_for_url(re.compile(r"/supervision/$"))
    assert page.get_by_text("1 risk alert").is_visible()
    page.get_by_role("link", name="See the alerts").click()
    shot(page, "risk-3-alerts-390")
    page.get_by_role("button", name="Acknowledge the alert about Rowan Reed").click()
    assert page.get_by_text("Alert acknowledged").is_visible()
    context.close()

    context, page = new_page(browser, live_server)
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.get_by_role("link", name="Rowan Reed", exact=True).first.click()
    assert page.get_by_role("alert").filter(has_text="Risk open").is_visible()
    page.get_by_role("link", name="Open the risk pathway").click()
    assert page.get_by_text("acknowledged").first.is_visible()
    page.get_by_label("Review that closes the episode").fill(
        "Re-assessed with supervisor: item 9 at 0 twice; plan kept; GP informed."
    )
    page.get_by_role("button", name="Close with this review").click()
    assert page.get_by_text("The risk episode is closed").is_visible()
    assert page.get_by_role("alert").filter(has_text="Risk open").count() == 0
    shot(page, "risk-4-closed")
    assert page.console_errors == []
    context.close()
