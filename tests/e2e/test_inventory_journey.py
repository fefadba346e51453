"""The IPT core in Chromium: inventory of five, closeness circle, formulation with a role
dispute, the dispute moving from impasse to renegotiation, and the termination review.

Screenshots go to test-artifacts/screens/inventory-*.png.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, attend, open_course

from .conftest import sign_in

pytestmark = pytest.mark.browser

PEOPLE = [
    # name, relation, ring, deceased, changed around onset
    ("Sam", "husband", "1", False, True),
    ("Mum", "mother", "1", False, False),
    ("Grandad", "grandfather", "2", True, False),
    ("Lee", "colleague", "2", False, False),
    ("Ana", "old friend", "3", False, False),
]


@pytest.fixture
def late_course(patient):
    """A 12-session course in its termination phase, sessions 1-10 held."""
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=10, days=1))
    for session in course.sessions.filter(number__lte=10):
        attend(session)
    return course


def test_inventory_formulation_dispute_and_termination(therapist, late_course, page, shot):
    course = late_course
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.goto(f"/courses/{course.pk}/")
    page.get_by_role("link", name=re.compile(r"^Inventory")).click()

    for name, relation, ring, deceased, changed in PEOPLE:
        page.get_by_label("Name or initials").first.fill(name)
        page.get_by_label("Relation").first.fill(relation)
        page.get_by_label("Closeness").first.select_option(ring)
        if deceased:
            page.get_by_label("Deceased").first.check()
        if changed:
            page.get_by_label("Changed around the onset of symptoms").first.check()
        page.get_by_role("button", name="Add to the inventory").click()
        assert page.get_by_text(f"{name} is in the inventory.").is_visible()

    circle = page.locator("svg[role='img'] g.person")
    assert circle.count() == 5
    assert page.locator("svg g.person.deceased").count() == 1
    shot(page, "inventory-1-circle")

    # Edit a person in place.
    sam = page.locator("details.person-entry").filter(has_text="Sam, husband")
    sam.locator("summary").click()
    sam.get_by_label("Unsatisfying aspects").fill("Argues about money; feels unheard.")
    sam.get_by_role("button", name="Save").click()
    assert page.get_by_text("Sam saved.").is_visible()

    # Formulation: bad input first (a dispute without the other party), then right.
    page.get_by_role("link", name="Formulation", exact=True).click()
    page.locator("#id_text").fill(
        "Depression began as arguments with Sam about money became constant."
    )
    page.get_by_label("Primary problem area").select_option("role_dispute")
    page.get_by_role("button", name="Save the formulation").click()
    assert page.get_by_text("A role dispute needs the other party: choose them").is_visible()
    assert "arguments with Sam" in page.locator("#id_text").input_value()
    page.get_by_label("Person of the primary area").select_option(label="Sam (husband)")
    page.get_by_label("Agreed with the patient on").fill(
        (timezone.localdate() - timedelta(weeks=8)).isoformat()
    )
    page.get_by_role("button", name="Save the formulation").click()
    assert page.get_by_text("Formulation saved.").is_visible()
    shot(page, "inventory-2-formulation")

    # The dispute: first at impasse, then renegotiation, with a dated history.
    page.get_by_role("link", name="Role dispute").first.click()
    page.get_by_label("New stage").select_option("impasse")
    page.get_by_label("Since").fill((timezone.localdate() - timedelta(weeks=6)).isoformat())
    page.get_by_role("button", name="Record the stage").click()
    page.get_by_label("New stage").select_option("renegotiation")
    page.get_by_label("What moved it").fill("Sam came to a joint budget talk")
    page.get_by_role("button", name="Record the stage").click()
    assert page.get_by_role("heading", name="Stage of the dispute: renegotiation").is_visible()
    assert page.locator("ol li").filter(has_text="impasse").count() == 1
    page.locator("#id_text").fill("Talk about money once a week without shouting")
    page.get_by_role("button", name="Add the goal").click()
    shot(page, "inventory-3-dispute")

    # Termination review: IPOS out of range is impossible in the form; a missing field is
    # explained; then it saves and the course can be completed.
    page.goto(f"/courses/{course.pk}/termination-review/")
    page.get_by_label("Gains reviewed with the patient").fill("Fewer rows; mood lifted.")
    page.get_by_role("button", name="Save the termination review").click()
    assert page.get_by_text("This field is required.").first.is_visible()
    assert page.get_by_label("Gains reviewed with the patient").input_value() == (
        "Fewer rows; mood lifted."
    )
    page.get_by_label("Feelings about ending").fill("Sad but ready.")
    page.get_by_label("Role dispute (primary): resolved, rated by the patient").select_option("4")
    page.get_by_label("Role dispute (primary): resolved, rated by the therapist").select_option("4")
    page.get_by_label("Warning symptoms").fill("Sleeping badly, withdrawing from Sam.")
    page.get_by_label("Relapse plan").fill("Budget talk weekly; call the clinic if low 2 weeks.")
    page.get_by_label("Maintenance decision").select_option("monthly")
    page.get_by_role("button", name="Save the termination review").click()
    assert page.get_by_text("Say how often monthly maintenance takes place.").is_visible()
    page.get_by_label("Maintenance frequency").fill("monthly for 6 months")
    page.get_by_role("button", name="Save the termination review").click()
    assert page.get_by_text("Termination review saved.").is_visible()

    page.get_by_role("link", name="Complete or end").click()
    page.get_by_role("button", name="Complete the course").click()
    assert page.get_by_text("The course is closed.").is_visible()
    page.goto(f"/courses/{course.pk}/summary/")
    assert page.get_by_text("Talk about money once a week without shouting").is_visible()
    assert page.get_by_text("monthly for 6 months").is_visible()
    assert page.console_errors == []
    shot(page, "inventory-4-summary")
