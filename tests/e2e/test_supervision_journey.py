"""A supervisor triages the caseload, writes a note and co-signs a session; the therapist
then reads the note. Screenshots go to test-artifacts/screens/supervision-*.png."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions import services
from tests.conftest import PASSWORD, attend, make_patient, miss, open_course

from .conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def caseload(therapist, supervisor):
    quiet = open_course(
        make_patient(therapist, given_name="Quinn", family_name="Calm"),
        start=timezone.localdate(),
    )
    troubled = open_course(
        make_patient(therapist, given_name="Terry", family_name="Troubled"),
        start=timezone.localdate() - timedelta(weeks=5),
    )
    first = troubled.sessions.get(number=1)
    attend(first)
    actor = therapist
    services.session_note_save(
        by=actor, session=first, fields={"progress_note": "Explored the inventory."}
    )
    services.session_sign(by=actor, session=first)
    for number in [2, 3]:
        miss(troubled.sessions.get(number=number))
    return quiet, troubled


def test_supervisor_triages_and_the_therapist_reads_the_note(
    supervisor, therapist, caseload, browser, live_server, shot
):
    _quiet, troubled = caseload
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, supervisor.email, PASSWORD)
    page.wait_for_url(re.compile(r"/supervision/$"))
    assert page.get_by_role("cell", name="Terry Troubled").is_visible()
    shot(page, "supervision-1-dashboard")

    page.get_by_label("Flag").select_option("any")
    page.get_by_role("button", name="Filter").click()
    assert page.locator(".caseload-table").get_by_text("Two missed sessions in a row").is_visible()
    assert page.get_by_role("link", name="Quinn Calm").count() == 0
    page.get_by_role("link", name="Terry Troubled").click()
    page.wait_for_url(re.compile(rf"/courses/{troubled.pk}/$"))

    page.get_by_label("Supervision note for the therapist").fill(
        "Two missed sessions: call Terry and renegotiate the day of the week."
    )
    page.get_by_role("button", name="Add the note").click()
    assert page.get_by_text("Supervision note added").is_visible()
    shot(page, "supervision-2-course")

    page.get_by_role("link", name="Session 1", exact=True).click()
    page.get_by_label("Review of the signed note").select_option("co_signed")
    page.get_by_label("Comment for the therapist").fill("Clear and complete.")
    page.get_by_role("button", name="Save the review").click()
    assert page.get_by_text("co-signed").first.is_visible()
    shot(page, "supervision-3-cosigned")
    context.close()

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    assert page.get_by_text("call Terry and renegotiate the day of the week").is_visible()
    assert page.get_by_text("Two missed sessions in a row").is_visible()
    shot(page, "supervision-4-therapist-home")
    context.close()
