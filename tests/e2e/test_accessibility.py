"""axe-core on every page type, for each role: 0 serious or critical violations; and every
page usable by keyboard alone (Tab reaches every visible control).

axe-core 4.14 is vendored in tests/e2e/vendor (MPL-2.0); the context bypasses our CSP only
so that the test can inject it.
"""

from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.security.world import STAFF, pages_for, url_of

from .conftest import sign_in

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()

SERIOUS_VIOLATIONS = """async () => {
  const {violations} = await axe.run(document, {resultTypes: ['violations']});
  return violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""

MARK_FOCUSABLE = """() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== 'hidden'
      && !el.closest('details:not([open]) > :not(summary)');
  const items = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && visible(el));
  items.forEach((el, i) => el.dataset.kb = el.type === 'radio' ? 'radio:' + el.name : String(i));
  return [...new Set(items.map((el) => el.dataset.kb))];
}"""


def test_every_page_has_no_serious_accessibility_violations(rich_world, browser, live_server):
    failures = {}
    for principal in STAFF:
        context = browser.new_context(base_url=live_server.url, bypass_csp=True)
        page = context.new_page()
        sign_in(page, rich_world[principal].email, PASSWORD)
        page.wait_for_load_state()
        for name, make_kwargs in pages_for(principal):
            if name in {"logout", "healthz"}:
                continue
            page.goto(url_of(name, make_kwargs, rich_world))
            page.evaluate(AXE)
            result = page.evaluate(SERIOUS_VIOLATIONS)
            if result:
                failures[f"{principal} {name}"] = result
        context.close()
    assert failures == {}


@pytest.mark.parametrize("principal", STAFF)
def test_keyboard_reaches_every_control(rich_world, browser, live_server, principal):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, rich_world[principal].email, PASSWORD)
    page.wait_for_load_state()
    unreachable = {}
    for name, make_kwargs in pages_for(principal):
        if name in {"logout", "healthz"}:
            continue
        page.goto(url_of(name, make_kwargs, rich_world))
        wanted = set(page.evaluate(MARK_FOCUSABLE))
        reached = set()
        # Date and time inputs take a Tab per part (day, month, year), hence the margin.
        for _ in range(3 * len(wanted) + 20):
            page.keyboard.press("Tab")
            key = page.evaluate("document.activeElement && document.activeElement.dataset.kb")
            if key:
                reached.add(key)
            if reached >= wanted:
                break
        if wanted - reached:
            unreachable[name] = sorted(wanted - reached)[:5]
    context.close()
    assert unreachable == {}
