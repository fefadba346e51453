"""A therapist's first session with a new patient, end to end in Chromium.

Creates a patient, opens a 12-session course, logs session 1 with a PHQ-9 and a note, signs
it, amends it, and sees the chart. Screenshots go to test-artifacts/screens/journey-*.png.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.browser

PHQ9_ANSWERS = [2, 2, 3, 2, 1, 2, 1, 1, 0]  # total 14, moderate


def test_therapist_logs_and_signs_a_first_session(therapist, page, shot):
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))

    # A new patient; bad input first: a birth date in the future keeps what was typed.
    page.get_by_role("link", name="Add a patient").first.click()
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Fairweather")
    page.get_by_label("Record number").fill("E2E-001")
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    page.get_by_label("Date of birth").fill(future)
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_role("button", name="Add patient").click()
    assert page.get_by_text("Enter a date of birth between").is_visible()
    assert page.get_by_label("Given name").input_value() == "Robin"
    shot(page, "journey-1-patient-error")
    page.get_by_label("Date of birth").fill("1984-05-17")
    page.get_by_role("button", name="Add patient").click()
    page.wait_for_url(re.compile(r"/patients/\d+/$"))
    assert page.get_by_role("heading", name="Robin Fairweather").is_visible()

    # Open a 12-session course that started last week, so session 1 has taken place.
    page.get_by_role("link", name="Open an IPT course").click()
    start = timezone.localdate() - timedelta(days=7)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("Usual weekday").select_option(str(start.weekday()))
    page.get_by_label("Usual time").fill("09:30")
    page.get_by_label("Indication").fill("Depressive episode after a move abroad.")
    page.get_by_role("button", name="Open the course and book its sessions").click()
    page.wait_for_url(re.compile(r"/courses/\d+/$"))
    assert page.get_by_text("Course opened: 12 sessions booked.").is_visible()
    assert page.locator(".strip-cell").count() == 12
    assert page.locator(".strip-cell.phase-initial").count() == 3
    assert page.locator(".strip-cell.phase-termination").count() == 3
    shot(page, "journey-2-course")

    # Session 1: attendance, PHQ-9, note.
    page.locator(".strip-cell").first.click()
    page.get_by_role("link", name="Record attendance").click()
    page.get_by_role("radio", name="attended", exact=True).check()
    page.get_by_label("Minutes (if attended)").fill("50")
    page.get_by_role("button", name="Record attendance").click()
    page.get_by_role("link", name="score PHQ-9").click()
    for item, answer in enumerate(PHQ9_ANSWERS, start=1):
        page.locator(f"input[name='item_{item}'][value='{answer}']").check()
    page.get_by_role("button", name="Save PHQ-9").click()
    assert page.get_by_text("PHQ-9 recorded: 14 (moderate).").is_visible()

    page.get_by_role("link", name="Write the note").click()
    page.get_by_label("Symptom review").fill("PHQ-9 14: low mood, poor sleep since the move.")
    page.get_by_label("Sick role explained").check()
    page.get_by_label("Progress note").fill("Engaged well; agreed to 12 sessions.")
    shot(page, "journey-3-note-form")
    page.get_by_role("button", name="Save the note").click()
    page.get_by_role("button", name="Sign the note").click()
    assert page.get_by_text("Note signed.").is_visible()

    # Amend the signed note: the original stays.
    page.get_by_role("link", name="Add an amendment").click()
    page.get_by_label("Why").fill("Medication discussion omitted")
    page.get_by_role("textbox", name="Amendment").fill(
        "Discussed medication; patient prefers to wait."
    )
    page.get_by_role("button", name="Add the amendment").click()
    assert page.get_by_text("Discussed medication; patient prefers to wait.").is_visible()
    assert page.get_by_text("Engaged well; agreed to 12 sessions.").is_visible()
    shot(page, "journey-4-signed-and-amended")

    # The chart on the course page.
    page.get_by_role("link", name="IPT course").click()
    assert page.locator("svg[role='img'] circle.dot-phq9").count() == 1
    assert page.get_by_role("cell", name="14", exact=True).is_visible()
    assert page.console_errors == []
    shot(page, "journey-5-course-with-chart")
