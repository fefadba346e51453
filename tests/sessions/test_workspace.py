"""The session workspace: everything about a session on one page, saved and signed at once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import ProblemArea, SessionFocus
from ipt_clinic.accounts.models import AuditEvent
from sessions import services
from sessions.models import Measure, PrivateNote, TherapySession, WorkspaceDraft
from tests.conftest import attend, open_course


def grid(kind: str, answers: list[int], difficulty: int | None = None) -> dict:
    data = {f"{kind}-item_{n}": str(a) for n, a in enumerate(answers, 1)}
    if difficulty is not None:
        data[f"{kind}-difficulty"] = str(difficulty)
    return data


@pytest.fixture
def middle(patient, therapist):
    """Session 5 of a course with a baseline and a primary area: an ordinary middle session."""
    course = open_course(
        patient,
        start=timezone.localdate() - timedelta(weeks=6),
        baseline={"phq9": {f"item_{n}": 2 for n in range(1, 9)} | {"item_9": 0}},
    )
    ProblemArea.objects.create(course=course, area="role_transition")
    for number in (1, 2, 3, 4):
        attend(course.sessions.get(number=number))
    return course.sessions.get(number=5)


def url(session) -> str:
    return reverse("sessions:session_workspace", args=[session.pk])


def test_one_post_records_attendance_measures_note_focus_and_signs(client_for, therapist, middle):
    area = ProblemArea.objects.get(course=middle.course)
    data = {
        "att-attendance": "as_booked",
        **grid("phq9", [1, 1, 1, 1, 1, 1, 1, 0, 0], difficulty=1),
        "note-since_last_met": "A better week.",
        "note-progress_note": "Worked on the new role.",
        "note-techniques": ["clarification"],
        "focus-worked_on": f"area:{area.pk}",
        "private-text": "My own thoughts.",
        "action": "sign",
    }
    response = client_for(therapist).post(url(middle), data)
    assert response.status_code == 302
    middle.refresh_from_db()
    assert middle.attendance == "attended" and middle.actual_minutes == middle.planned_minutes
    assert middle.is_signed and middle.signed_by == therapist and middle.note_author == therapist
    assert middle.techniques == ["clarification"] and middle.since_last_met == "A better week."
    phq9 = Measure.objects.get(session=middle, kind="phq9")
    assert phq9.total == 7 and phq9.difficulty == 1
    assert not Measure.objects.filter(session=middle, kind="gad7").exists()  # left blank
    assert SessionFocus.objects.get(session=middle).problem_area == area
    assert PrivateNote.objects.get(session=middle, author=therapist).text == "My own thoughts."


def test_bad_input_comes_back_with_everything_kept_and_nothing_saved(client_for, therapist, middle):
    data = {
        "att-attendance": "as_booked",
        **grid("phq9", [1, 1, 1, 1]),  # half answered
        "note-progress_note": "KEEP-THIS-TEXT",
        "action": "sign",
    }
    response = client_for(therapist).post(url(middle), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "KEEP-THIS-TEXT" in page and "Answer this item (0 to 3)." in page
    assert 'value="1" id="id_phq9-item_1_1" checked' in page
    middle.refresh_from_db()
    assert middle.attendance == "scheduled" and not middle.progress_note


def test_a_refused_signature_keeps_what_was_saved(client_for, therapist, middle):
    data = {"att-attendance": "as_booked", "note-progress_note": "Saved.", "action": "sign"}
    response = client_for(therapist).post(url(middle), data, follow=True)
    page = response.content.decode()
    assert "Record what this session worked on" in page  # the focus is missing
    assert "Everything was saved; the note is not signed yet." in page
    middle.refresh_from_db()
    assert middle.progress_note == "Saved." and not middle.is_signed


def test_signing_leads_to_the_next_session_today(client_for, therapist, middle, colleague):
    from tests.conftest import make_patient

    other = open_course(make_patient(therapist, given_name="Nell"))
    later = other.sessions.order_by("number").first()
    later.scheduled_start = middle.scheduled_start + timedelta(hours=2)
    later.save(update_fields=["scheduled_start"])
    area = ProblemArea.objects.get(course=middle.course)
    data = {
        "att-attendance": "as_booked",
        "note-progress_note": "Done.",
        "focus-worked_on": f"area:{area.pk}",
        "action": "sign",
    }
    response = client_for(therapist).post(url(middle), data)
    assert response.status_code == 302
    assert response["Location"].startswith(url(later))


def test_a_stale_second_tab_is_refused_and_shows_both(client_for, therapist, middle):
    attend(middle)
    client = client_for(therapist)
    first = client.get(url(middle)).content.decode()
    version = first.split('name="note-based_on" value="', 1)[1].split('"', 1)[0]
    services.session_note_save(
        by=therapist, session=middle, fields={"progress_note": "Saved in the other tab."}
    )
    response = client.post(
        url(middle),
        {"note-based_on": version, "note-progress_note": "Typed in this tab.", "action": "save"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Saved in the other tab." in page and "Typed in this tab." in page
    middle.refresh_from_db()
    assert middle.progress_note == "Saved in the other tab."


def test_a_draft_is_kept_for_its_author_and_restored(client_for, therapist, middle, colleague):
    attend(middle)
    client = client_for(therapist)
    draft_url = reverse("sessions:workspace_draft", args=[middle.pk])
    response = client.post(draft_url, {"note-progress_note": "Half a thought", "phq9-item_1": "2"})
    assert response.status_code == 200 and response.json()["saved"]
    assert WorkspaceDraft.objects.get(session=middle).data["note-progress_note"] == [
        "Half a thought"
    ]
    page = client.get(url(middle)).content.decode()
    assert "Half a thought" in page and "unsaved draft" in page
    assert 'id="id_phq9-item_1_2" checked' in page
    # Nobody else reads or writes it.
    assert client_for(colleague).post(draft_url, {"note-progress_note": "x"}).status_code == 404
    assert client_for(colleague).get(url(middle)).status_code == 404
    # Saving the workspace drops the draft.
    client.post(url(middle), {"note-progress_note": "Whole thought", "action": "save"})
    assert not WorkspaceDraft.objects.exists()


def test_the_workspace_view_is_audited(client_for, therapist, middle):
    client_for(therapist).get(url(middle))
    assert AuditEvent.objects.filter(
        action="view", object_id=str(middle.pk), detail="workspace"
    ).exists()


def test_workspace_queries_do_not_grow_with_the_course(client_for, therapist, patient, queries_for):
    course = open_course(patient, planned=16, start=timezone.localdate() - timedelta(weeks=17))
    client = client_for(therapist)
    counts = []
    for session in course.sessions.order_by("number"):
        attend(session)
        services.measure_record(
            by=therapist,
            session=session,
            kind="phq9",
            answers={f"item_{n}": 1 for n in range(1, 9)} | {"item_9": 0},
        )
        if session.number in (5, 11):  # both middle phase, before N-4
            counts.append(queries_for(client, url(session)))
    assert counts[0] == counts[1]


def test_a_signed_session_opens_its_page_instead(client_for, therapist, middle):
    attend(middle)
    TherapySession.objects.filter(pk=middle.pk).update(
        signed_at=timezone.now(), signed_by=therapist, progress_note="x"
    )
    response = client_for(therapist).get(url(middle))
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:session", args=[middle.pk])


def test_the_home_opens_on_today(client_for, therapist, patient, colleague, queries_for):
    from tests.conftest import make_patient, miss

    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=3))
    first, second, third = (course.sessions.get(number=n) for n in (1, 2, 3))
    attend(first)  # attended, note unsigned: to sign
    miss(second)  # missed: nothing to do
    # third: three days... left as booked in the past: to record
    today = open_course(make_patient(therapist, given_name="Tia"), start=timezone.localdate())
    now_session = today.sessions.get(number=1)
    client = client_for(therapist)
    page = client.get(reverse("therapist_home")).content.decode()
    today_part = page.split('id="today-heading"', 1)[1].split('id="courses-heading"', 1)[0]
    assert url(now_session) in today_part  # today (its start is today, clinic's day)
    to_record = today_part.split("Earlier sessions to record", 1)[1].split("Notes to finish", 1)[0]
    assert url(third) in to_record and url(second) not in today_part
    to_sign = today_part.split("Notes to finish and sign", 1)[1]
    assert url(first) in to_sign
    # Each says what is due: nothing was taken, so the PHQ-9 and the GAD-7.
    assert "PHQ-9 due" in today_part and "GAD-7 due" in today_part
    # Constant in the caseload's size.
    before = queries_for(client, reverse("therapist_home"))
    for n in range(3):
        open_course(make_patient(therapist, given_name=f"P{n}"), start=timezone.localdate())
    assert queries_for(client, reverse("therapist_home")) == before


def test_the_risk_check_is_asked_when_due(client_for, therapist, middle):
    from risk import services as risk_services

    client = client_for(therapist)
    assert 'class="risk-check-field" hidden' in client.get(url(middle)).content.decode()
    risk_services.episode_open(by=therapist, course=middle.course, reason="Said so.")
    page = client.get(url(middle)).content.decode()
    assert 'class="risk-check-field">' in page
