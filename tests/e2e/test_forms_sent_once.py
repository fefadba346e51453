"""static/js/forms.js: a form is sent once; a second submit (a double click, Enter pressed
twice) is ignored, so that a note is not saved twice."""

import re

import pytest

from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.browser

# Records, after every handler of the page has run, whether each submit was let through, and
# then stops it, so that the page stays where it is.
WATCH_SUBMITS = """form => {
    window.submits = [];
    window.addEventListener("submit", event => {
        window.submits.push(!event.defaultPrevented);
        event.preventDefault();
    });
    form.requestSubmit();
    form.requestSubmit();
    return window.submits;
}"""


def test_a_second_submit_of_the_same_form_is_ignored(page, therapist):
    sign_in(page, therapist.email, PASSWORD)
    page.wait_for_url(re.compile(r"/therapist/$"))
    page.goto("/patients/new/")
    form = page.locator("main form[method=post]").first
    assert form.evaluate(WATCH_SUBMITS) == [True, False]
    assert form.get_attribute("aria-busy") == "true"
    assert page.console_errors == []
