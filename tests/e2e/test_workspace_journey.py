"""The therapist's day in the browser: a session recorded in its workspace from the home page
in two page loads, keyboard only; a draft that survives a closed tab and an expired sign-in.
Screenshots go to test-artifacts/screens/workspace-*.png."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.models import ProblemArea, SessionFocus
from sessions import services
from sessions.models import Measure, TherapySession
from tests.conftest import PASSWORD, attend, make_patient, open_course

from .conftest import sign_in

pytestmark = pytest.mark.browser

BASELINE = {"phq9": {f"item_{n}": 2 for n in range(1, 9)} | {"item_9": 0}}


def middle_session_today(therapist, name="Ivy"):
    """Session 5 of a course, booked an hour ago today: an ordinary middle-phase session."""
    course = open_course(
        make_patient(therapist, given_name=name, family_name="Quinn"),
        start=timezone.localdate() - timedelta(weeks=6),
        baseline=BASELINE,
    )
    ProblemArea.objects.create(course=course, area="role_transition")
    for number in (1, 2, 3, 4):
        attend(course.sessions.get(number=number))
    # The initial tasks were done at session 1, the GAD-7 taken at session 4 (next due at 8).
    services.session_note_save(
        by=therapist,
        session=course.sessions.get(number=1),
        fields={
            "diagnosis_given": True,
            "sick_role_explained": True,
            "medication_considered": "Not for now.",
            "contract_agreed": True,
        },
    )
    services.measure_record(
        by=therapist,
        session=course.sessions.get(number=4),
        kind="gad7",
        answers={f"item_{n}": 1 for n in range(1, 8)},
    )
    session = course.sessions.get(number=5)
    session.scheduled_start = timezone.now() - timedelta(hours=1)
    session.save(update_fields=["scheduled_start"])
    # The later sessions weekly from next week (none of them today).
    for later in course.sessions.filter(number__gt=5):
        later.scheduled_start = timezone.now() + timedelta(weeks=later.number - 5)
        later.save(update_fields=["scheduled_start"])
    return session


def test_an_ordinary_session_in_two_page_loads_by_keyboard(page, shot, therapist):
    session = middle_session_today(therapist)
    sign_in(page, therapist.email, PASSWORD)
    page.goto("/")
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))  # page loads, not history edits
    keys = []

    def press(key: str, times: int = 1) -> None:
        for _ in range(times):
            keys.append(key)
            page.keyboard.press(key)

    with page.expect_navigation():
        page.get_by_role("link", name="Open session 5 of Ivy Quinn").click()
    shot(page, "workspace-1-opened")
    # Attendance has the focus: "attended as booked" with one key.
    press("Space")
    press("Tab")  # to the PHQ-9 grid's first item
    for answer in "110101000":  # one key per item: the row's answer, then on to the next
        press(answer)
    assert page.locator("[data-total-for=phq9]").inner_text() == "Total 4 · minimal"
    press("Tab")  # past the difficulty question, to "clear the answers"
    press("Tab")  # to GAD-7 (not due: folded)
    press("Tab")  # to "How have things been since we last met?"
    page.keyboard.type("A quieter week; saw her sister twice.")
    press("Tab")
    page.keyboard.type("Mood lifted after the visits.")
    press("Tab")
    page.keyboard.type("Weighed up the new role's good sides.")
    press("Tab")  # the first technique: exploratory questioning
    press("Space")
    press("Tab", 8)  # the other techniques, then between-session work
    press("Tab")
    page.keyboard.type("Worked on the transition; she named two gains of the new job.")
    press("Tab")  # what the session worked on (the risk check is not due: no item 9, no risk)
    press("Space")
    shot(page, "workspace-2-filled")
    with page.expect_navigation():
        press("Control+Enter")  # save and sign
    assert "Session 5 signed" in page.content()
    assert len(loads) == 2, loads  # the workspace, and the sign that leads on
    assert len(keys) <= 30, (len(keys), keys)
    session.refresh_from_db()
    assert session.is_signed and session.attendance == "attended"
    assert session.techniques == ["exploratory"]
    assert Measure.objects.get(session=session, kind="phq9").total == 4
    assert SessionFocus.objects.get(session=session).kind == "area"
    print(f"workspace: {len(loads)} page loads, {len(keys)} keys beyond the note's text")
    assert not page.console_errors


def test_a_draft_survives_a_closed_tab_and_an_expired_sign_in(browser, live_server, therapist):
    session = middle_session_today(therapist, name="Uma")
    attend(TherapySession.objects.get(pk=session.pk))
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    sign_in(page, therapist.email, PASSWORD)
    page.goto(f"/sessions/{session.pk}/workspace/")
    page.get_by_label("Progress note").fill("Typed before the tab closed.")
    page.locator("#draft-status").get_by_text("Draft saved").wait_for()
    page.close()

    page = context.new_page()
    page.goto(f"/sessions/{session.pk}/workspace/")
    assert page.get_by_label("Progress note").input_value() == "Typed before the tab closed."
    assert "unsaved draft" in page.locator("#draft-status").inner_text()

    # The sign-in expires while she types (the server forgets it: its cookie goes); the save
    # is sent on to the sign-in page.
    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.get_by_label("Progress note").fill("Typed after the sign-in expired.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "/login/" in page.url
    page.get_by_label("Email address").fill(therapist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/sessions/{session.pk}/workspace/")
    assert page.get_by_label("Progress note").input_value() == "Typed after the sign-in expired."
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    session.refresh_from_db()
    assert session.progress_note == "Typed after the sign-in expired."
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_workspace_on_small_and_large_screens(browser, live_server, shot, therapist, width):
    session = middle_session_today(therapist, name="Ada")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    sign_in(page, therapist.email, PASSWORD)
    page.goto(f"/sessions/{session.pk}/workspace/")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(page, f"workspace-{width}")
    assert not overflow
    context.close()


def test_tables_keep_their_key_columns_at_390_px(browser, live_server, shot, therapist):
    """#16: at 390 px the course's tables became cut-off rows; now each row is a card whose
    cells (attendance, note, reminders, item 9) are all on the screen."""
    session = middle_session_today(therapist, name="Bea")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 900})
    page = context.new_page()
    sign_in(page, therapist.email, PASSWORD)
    page.goto(f"/courses/{session.course_id}/")
    for label in ("Attendance", "Note", "Reminders", "Item 9"):
        cell = page.locator(f"td[data-label='{label}']").first
        box = cell.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(page, "course-390")
    page.goto("/")
    cell = page.locator("td[data-label='PHQ-9']").first
    box = cell.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    shot(page, "home-390")
    page.goto("/patients/")
    cell = page.locator("td[data-label='Status']").first
    box = cell.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    context.close()


def test_the_supervisors_dashboard_keeps_its_flags_at_390_px(
    browser, live_server, shot, therapist, supervisor
):
    middle_session_today(therapist, name="Fay")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 900})
    page = context.new_page()
    sign_in(page, supervisor.email, PASSWORD)
    page.goto("/supervision/")
    for label in ("Patient", "PHQ-9", "Flags"):
        box = page.locator(f"td[data-label='{label}']").first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    shot(page, "dashboard-390")
    context.close()


def test_baseline_answers_can_be_cleared_before_saving(page, therapist):
    from sessions.models import Course

    patient = make_patient(therapist, given_name="Cleo")
    sign_in(page, therapist.email, PASSWORD)
    page.goto(f"/patients/{patient.pk}/courses/new/")
    page.locator("#baseline-phq9 input[name='phq9-item_1'][value='2']").check()
    page.get_by_role("button", name="Clear the PHQ-9 answers").click()
    assert page.locator("#baseline-phq9 input:checked").count() == 0
    page.get_by_label("Usual time").fill("10:00")
    page.get_by_label("Indication").fill("Moderate depression")
    with page.expect_navigation():
        page.get_by_role("button", name="Open the course and book its sessions").click()
    course = Course.objects.get(patient=patient)
    assert not course.measures.exists()


def test_timeline_labels_stay_inside_the_drawing(page, therapist):
    """#16: an event near the right edge had its label cut off by the drawing's edge."""
    from inventory.models import LifeEvent

    session = middle_session_today(therapist, name="Tara")
    course = session.course
    for days, text in ((400, "Moved to London for a new job"), (30, "Argument with her sister"),
                       (0, "Started a promotion she had wanted for years")):  # fmt: skip
        LifeEvent.objects.create(
            course=course,
            occurred_on=timezone.localdate() - timedelta(days=days),
            description=text,
        )
    sign_in(page, therapist.email, PASSWORD)
    page.goto(f"/courses/{course.pk}/timeline/")
    boxes = page.evaluate(
        """() => {
          const svg = document.querySelector('svg.timeline-diagram, .timeline-diagram svg');
          const width = svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('text.event-label')].map(t => {
            const b = t.getBBox(); return [b.x, b.x + b.width, width];
          });
        }"""
    )
    assert len(boxes) == 3
    for left, right, width in boxes:
        assert left >= 0 and right <= width, (left, right, width)


def test_a_full_day_of_three_sessions_from_the_home_page(page, shot, therapist):
    """Three patients today; from the home page, each signed session leads to the next."""
    sessions = [middle_session_today(therapist, name=name) for name in ("Ann", "Bo", "Cy")]
    for hours_ago, session in zip((5, 3, 1), sessions, strict=True):
        session.scheduled_start = timezone.now() - timedelta(hours=hours_ago)
        session.save(update_fields=["scheduled_start"])
    sign_in(page, therapist.email, PASSWORD)
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name="Open session 5 of Ann Quinn").click()
    for session in sessions:
        assert f"/sessions/{session.pk}/workspace/" in page.url
        page.get_by_label("Attended as booked (50 minutes)").check()
        page.get_by_label("Progress note").fill(
            f"Session with {session.course.patient.given_name}."
        )
        page.get_by_label("primary area: role transition").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save and sign").click()
    assert page.url.rstrip("/").endswith("/therapist") or "/therapist/" in page.url
    assert "No more sessions today" in page.content()
    shot(page, "workspace-day-done")
    for session in sessions:
        session.refresh_from_db()
        assert session.is_signed


def test_two_tabs_on_one_note_the_second_is_refused_and_nothing_is_lost(
    browser, live_server, therapist
):
    session = middle_session_today(therapist, name="Dee")
    attend(TherapySession.objects.get(pk=session.pk))
    context = browser.new_context(base_url=live_server.url)
    first = context.new_page()
    sign_in(first, therapist.email, PASSWORD)
    second = context.new_page()
    url = f"/sessions/{session.pk}/workspace/"
    first.goto(url)
    second.goto(url)
    first.get_by_label("Progress note").fill("Saved from the first tab.")
    with first.expect_navigation():
        first.get_by_role("button", name="Save", exact=True).click()
    second.get_by_label("Progress note").fill("Typed in the second tab.")
    with second.expect_navigation():
        second.get_by_role("button", name="Save", exact=True).click()
    page = second.content()
    assert "Saved by someone else after you opened this page" in page
    assert "Saved from the first tab." in page  # what was saved meanwhile, shown
    assert second.get_by_label("Progress note").input_value() == "Typed in the second tab."
    session.refresh_from_db()
    assert session.progress_note == "Saved from the first tab."
    context.close()


def test_the_workspace_states_have_no_serious_accessibility_violations(
    browser, live_server, therapist
):
    """axe-core on the workspace's own states: as opened, with the item-9 warning and the risk
    check shown, with errors beside the fields, and with a draft restored."""
    from tests.e2e.test_accessibility import AXE, SERIOUS_VIOLATIONS

    session = middle_session_today(therapist, name="Axel")
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    sign_in(page, therapist.email, PASSWORD)
    url = f"/sessions/{session.pk}/workspace/"
    failures = {}

    def check(state: str) -> None:
        page.evaluate(AXE)
        if found := page.evaluate(SERIOUS_VIOLATIONS):
            failures[state] = found

    page.goto(url)
    check("opened")
    page.locator("input[name='phq9-item_9'][value='2']").check()
    assert page.locator(".item-9-warning").is_visible()
    assert page.locator(".risk-check-field").is_visible()
    check("item 9 above 0")
    page.locator("input[name='phq9-item_1'][value='1']").check()  # half a questionnaire
    page.get_by_label("Progress note").fill("Half done.")
    page.locator("#draft-status").get_by_text("Draft saved").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_text("Answer this item (0 to 3).").first.is_visible()
    check("errors shown")
    page.goto(url)
    assert page.get_by_label("Progress note").input_value() == "Half done."  # the draft
    check("draft restored")
    context.close()
    assert failures == {}
