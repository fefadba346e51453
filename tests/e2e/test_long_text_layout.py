"""A word longer than the line (a pasted link, a name without spaces) wraps instead of
widening the page; a long name is cut short in the closeness circle. Screenshots:
test-artifacts/screens/long-text-*.png."""

import re

import pytest

from inventory.models import Relationship
from sessions import services
from tests.conftest import PASSWORD, attend

from .conftest import sign_in

pytestmark = pytest.mark.browser
VIEWPORT_WIDTH = 1280


def test_long_words_do_not_widen_the_pages(page, therapist, course, shot):
    session = course.sessions.get(number=1)
    attend(session)
    services.session_note_save(
        by=therapist,
        session=session,
        fields={"progress_note": "Pasted " + "x" * 300 + " end."},
    )
    long_name = "Maximilian-Alexander von Hohenzollern"
    Relationship.objects.create(course=course, name=long_name, relation="uncle", ring=3)
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))

    page.goto(f"/sessions/{session.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT_WIDTH
    shot(page, "long-text-session")

    page.goto(f"/courses/{course.pk}/inventory/")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT_WIDTH
    assert page.locator(".closeness-circle text", has_text="Maximilian-Alex…").count() == 1
    assert page.locator("summary", has_text=long_name).is_visible()  # whole in the list
    shot(page, "long-text-inventory")
