import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from sessions import services
from sessions.models import Course, Measure
from tests.conftest import attend, make_patient, miss, open_course


def phq9_post(answers, difficulty="1"):
    data = {f"item_{n}": str(a) for n, a in enumerate(answers, 1)}
    data["difficulty"] = difficulty
    return data


def course_post(**overrides):
    start = timezone.localdate()
    data = {
        "planned_sessions": "12",
        "start_date": start.isoformat(),
        "usual_weekday": str(start.weekday()),
        "usual_time": "10:00",
        "session_minutes": "50",
        "indication": "Moderate depressive episode",
    }
    data.update(overrides)
    return data


def test_open_course_with_baseline(client_for, therapist, patient):
    data = course_post(**{f"phq9-{k}": v for k, v in phq9_post([2] * 8 + [0]).items()})
    response = client_for(therapist).post(reverse("sessions:course_open", args=[patient.pk]), data)
    course = Course.objects.get()
    assert response.url == reverse("sessions:course", args=[course.pk])
    assert course.measures.get().total == 16


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"planned_sessions": "11"}, "Select a valid choice"),
        ({"planned_sessions": "17"}, "Select a valid choice"),
        ({"usual_time": "25:00"}, "Enter a valid time"),
        ({"start_date": "2020-01-01"}, "A course starts within a year of today"),
        ({"indication": ""}, "required"),
        ({"phq9-item_1": "2"}, "Answer this item"),  # half a questionnaire
        ({"phq9-item_1": "7"}, "Select a valid choice"),
    ],
)
def test_open_course_bad_input_keeps_everything(client_for, therapist, patient, overrides, message):
    response = client_for(therapist).post(
        reverse("sessions:course_open", args=[patient.pk]),
        course_post(**{"indication": "Kept text", **overrides}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if "indication" not in overrides:
        assert "Kept text" in html
    assert not Course.objects.exists()


def test_second_open_course_is_refused_with_a_message(client_for, therapist, course):
    response = client_for(therapist).post(
        reverse("sessions:course_open", args=[course.patient.pk]), course_post()
    )
    assert response.status_code == 200
    assert b"already has an open IPT course" in response.content
    assert Course.objects.count() == 1


def test_measure_form_bad_input(client_for, therapist, first_session):
    attend(first_session)
    url = reverse("sessions:session_measure", args=[first_session.pk, "phq9"])
    response = client_for(therapist).post(url, phq9_post([1, 1, 1]))
    assert response.status_code == 200
    assert response.content.decode().count("Answer this item") == 6
    assert re.search(
        r'name="item_1" value="1"\s+id="id_item_1_1" checked', response.content.decode()
    )
    assert not Measure.objects.exists()


def test_unknown_measure_kind_is_404(client_for, therapist, first_session):
    url = reverse("sessions:session_measure", args=[first_session.pk, "bdi"])
    assert client_for(therapist).get(url).status_code == 404


def test_attendance_form_needs_minutes_and_who_cancelled(client_for, therapist, first_session):
    client = client_for(therapist)
    url = reverse("sessions:session_attendance", args=[first_session.pk])
    response = client.post(url, {"attendance": "attended", "actual_minutes": ""})
    assert b"Give the minutes" in response.content
    response = client.post(url, {"attendance": "cancelled", "cancellation_reason": "ill"})
    assert b"Say who cancelled" in response.content and b'value="ill"' in response.content


def test_contract_form_refuses_going_below_held_sessions(client_for, therapist, patient):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=13), planned=14)
    for session in course.sessions.filter(number__lte=13):
        attend(session)
    response = client_for(therapist).post(
        reverse("sessions:course_contract", args=[course.pk]),
        {
            "new_planned": "12",
            "changed_on": timezone.localdate().isoformat(),
            "reason": "patient wishes to stop sooner",
            "agreed_with_patient": "on",
        },
    )
    assert response.status_code == 200
    assert b"Session 13 has already taken place" in response.content
    assert b"patient wishes to stop sooner" in response.content


def test_reschedule_moves_the_session_in_clinic_time(client_for, therapist, course):
    session = course.sessions.get(number=8)
    zone = therapist.clinic.zone
    day = (timezone.localtime(session.scheduled_start, zone).date() + timedelta(days=2)).isoformat()
    client_for(therapist).post(
        reverse("sessions:session_reschedule", args=[session.pk]),
        {"day": day, "at": "16:15", "planned_minutes": "45"},
    )
    session.refresh_from_db()
    local = timezone.localtime(session.scheduled_start, zone)
    assert (local.date().isoformat(), local.strftime("%H:%M")) == (day, "16:15")


@pytest.mark.parametrize(
    ("weeks", "message"),
    [
        (-1, "Session 7 is on"),  # onto session 7's slot
        (0, None),  # its own slot: allowed
        (1, "Session 9 is on"),  # onto session 9's slot
        (3, "Session 9 is on"),  # past session 9
    ],
)
def test_a_moved_session_keeps_its_place_among_the_others(
    client_for, therapist, course, weeks, message
):
    session = course.sessions.get(number=8)
    zone = therapist.clinic.zone
    moved = timezone.localtime(session.scheduled_start, zone) + timedelta(weeks=weeks)
    response = client_for(therapist).post(
        reverse("sessions:session_reschedule", args=[session.pk]),
        {"day": moved.date().isoformat(), "at": moved.strftime("%H:%M"), "planned_minutes": "50"},
    )
    if message is None:
        assert response.status_code == 302
    else:
        assert message in response.content.decode()
        assert moved.date().isoformat() in response.content.decode()  # the input is kept


def test_a_time_skipped_by_the_clocks_going_forward_is_refused(client_for, therapist, course):
    session = course.sessions.get(number=8)
    before = session.scheduled_start
    # Europe/London (the test clinic) jumps from 01:00 to 02:00 on the last Sunday of March;
    # next year's, so that the day stays within the window a session may move in.
    march_31 = date(timezone.localdate().year + 1, 3, 31)
    clocks_change = march_31 - timedelta(days=(march_31.weekday() + 1) % 7)
    response = client_for(therapist).post(
        reverse("sessions:session_reschedule", args=[session.pk]),
        {"day": clocks_change.isoformat(), "at": "01:30", "planned_minutes": "50"},
    )
    assert f"01:30 does not exist on {clocks_change.day} Mar" in response.content.decode()
    session.refresh_from_db()
    assert session.scheduled_start == before


INITIAL_TASKS_DONE = {
    "diagnosis_given": True,
    "sick_role_explained": True,
    "medication_considered": "Not needed for now.",
    "contract_agreed": True,
}


def test_phase_specific_note_form(client_for, therapist, patient):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=5))
    first = attend(course.sessions.get(number=1))
    services.session_note_save(by=therapist, session=first, fields=INITIAL_TASKS_DONE)
    client = client_for(therapist)
    initial = client.get(
        reverse("sessions:session_note", args=[course.sessions.get(number=1).pk])
    ).content.decode()
    middle = client.get(
        reverse("sessions:session_note", args=[course.sessions.get(number=5).pk])
    ).content.decode()
    termination = client.get(
        reverse("sessions:session_note", args=[course.sessions.get(number=11).pk])
    ).content.decode()
    assert "Sick role explained" in initial and "Techniques used" not in initial
    assert "communication analysis" in middle and "Relapse plan" not in middle
    assert "Relapse plan" in termination and "Sick role" not in termination


def test_initial_tasks_follow_missed_sessions_into_later_notes(client_for, therapist, patient):
    """Error 6: with sessions 1-3 missed, session 4 is in the middle phase by number; the
    diagnosis, sick role, medication and contract must still be asked for, until a held
    session records them."""
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=6))
    for number in (1, 2, 3):
        miss(course.sessions.get(number=number))
    fourth, fifth = (attend(course.sessions.get(number=n)) for n in (4, 5))
    client = client_for(therapist)
    page = client.get(reverse("sessions:session_note", args=[fourth.pk])).content.decode()
    for label in ("Diagnosis given to the patient", "Sick role explained", "Medication considered",
                  "Treatment contract agreed with the patient"):  # fmt: skip
        assert label in page
    assert "Still to do from the initial phase" in page
    assert "communication analysis" in page  # and the middle phase's own fields
    # Session 4 records two of them; session 5 asks only for the two left.
    services.session_note_save(
        by=therapist, session=fourth, fields={"diagnosis_given": True, "contract_agreed": True}
    )
    page = client.get(reverse("sessions:session_note", args=[fifth.pk])).content.decode()
    assert "Sick role explained" in page and "Medication considered" in page
    assert "Diagnosis given" not in page and "Treatment contract agreed" not in page
    # Session 4's own note keeps showing what it recorded (it can still be unticked).
    page = client.get(reverse("sessions:session_note", args=[fourth.pk])).content.decode()
    assert "Diagnosis given to the patient" in page
    # The course page's checklist says where each was done.
    page = client.get(reverse("sessions:course", args=[course.pk])).content.decode()
    assert "Initial tasks: 4 to do" in page  # sick role, medication, inventory, formulation
    assert "(session 4)" in page


class TestSupervisorReadsTheRecord:
    @pytest.fixture
    def signed_session(self, first_session, therapist):
        actor = therapist
        attend(first_session)
        services.session_note_save(
            by=actor, session=first_session, fields={"progress_note": "RECORD-TEXT"}
        )
        services.private_note_save(by=actor, session=first_session, text="PRIVATE-CANARY")
        services.session_sign(by=actor, session=first_session)
        return first_session

    def test_supervisor_sees_the_note_but_never_the_private_note(
        self, client_for, supervisor, signed_session
    ):
        html = (
            client_for(supervisor)
            .get(reverse("sessions:session", args=[signed_session.pk]))
            .content.decode()
        )
        assert "RECORD-TEXT" in html
        assert "PRIVATE-CANARY" not in html
        assert "Private note" not in html
        assert reverse("sessions:session_amend", args=[signed_session.pk]) not in html

    def test_author_sees_own_private_note(self, client_for, therapist, signed_session):
        html = (
            client_for(therapist)
            .get(reverse("sessions:session", args=[signed_session.pk]))
            .content.decode()
        )
        assert "PRIVATE-CANARY" in html

    def test_supervisor_cannot_write(self, client_for, supervisor, signed_session):
        client = client_for(supervisor)
        assert (
            client.post(
                reverse("sessions:session_amend", args=[signed_session.pk]),
                {"reason": "x", "text": "y"},
            ).status_code
            == 403
        )
        assert signed_session.amendments.count() == 0

    def test_views_are_audited_as_the_reader(self, client_for, supervisor, signed_session):
        client_for(supervisor).get(reverse("sessions:session", args=[signed_session.pk]))
        client_for(supervisor).get(reverse("sessions:course", args=[signed_session.course_id]))
        types = set(
            AuditEvent.objects.filter(user=supervisor, action="view").values_list(
                "object_type", flat=True
            )
        )
        assert types == {"therapy_sessions.therapysession", "therapy_sessions.course"}


def test_sign_with_problems_explains_them(client_for, therapist, first_session):
    attend(first_session)
    response = client_for(therapist).post(
        reverse("sessions:session_sign", args=[first_session.pk]), follow=True
    )
    assert b"Write the progress note before signing" in response.content
    first_session.refresh_from_db()
    assert not first_session.is_signed


def test_risk_stays_on_every_page_until_a_review_closes_it(client_for, therapist, patient):
    """It used to go once any text was typed in the risk-check note."""
    from risk import services as risk_services
    from risk.models import RiskEpisode
    from tests.risk.test_pathway import ASSESSED

    course = open_course(
        patient,
        start=timezone.localdate() - timedelta(weeks=4),
        baseline={"phq9": {f"item_{n}": 2 for n in range(1, 10)}},
    )
    session = course.sessions.get(number=3)
    attend(session)
    services.measure_record(
        by=therapist,
        session=session,
        kind="phq9",
        answers={**{f"item_{n}": 0 for n in range(1, 9)}, "item_9": 1},
    )
    client = client_for(therapist)
    pages = [
        reverse("sessions:course", args=[course.pk]),
        reverse("sessions:session", args=[session.pk]),
        reverse("therapist_home"),
        reverse("patients:detail", args=[patient.pk]),
    ]
    for url in pages:
        assert (
            "Risk open" in client.get(url).content.decode()
            or "risk open" in client.get(url).content.decode()
        ), url
    html = client.get(pages[0]).content.decode()
    assert ">remission<" in html  # 18 -> 1: the headline (a remission is a response too)
    session_html = client.get(pages[1]).content.decode()
    assert "needs its own risk assessment" in session_html
    services.session_note_save(by=therapist, session=session, fields={"risk_check_note": "ok"})
    assert "needs its own risk assessment" in client.get(pages[1]).content.decode()

    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(by=therapist, episode=episode, session=session, fields=ASSESSED)
    assert "risk assessment is recorded" in client.get(pages[1]).content.decode()
    risk_services.episode_close(by=therapist, episode=episode, review="Reviewed with supervisor.")
    for url in pages:
        assert "Risk open" not in client.get(url).content.decode(), url


def test_a_signed_note_is_not_offered_for_editing(client_for, therapist, first_session):
    attend(first_session)
    actor = therapist
    services.session_note_save(by=actor, session=first_session, fields={"progress_note": "Note."})
    services.session_sign(by=actor, session=first_session)
    response = client_for(therapist).get(reverse("sessions:session_note", args=[first_session.pk]))
    assert response.status_code == 302
    assert response.url == reverse("sessions:session_amend", args=[first_session.pk])


def test_termination_prompt_from_session_n_minus_4(client_for, therapist, patient):
    """From session N-4 on, until a note from then on records the discussion: one at
    session 7 of 12 (N-5) is too early to count, and used to silence the prompt."""
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=8))
    for session in course.sessions.filter(number__lte=8):
        attend(session)
    client = client_for(therapist)
    pages = [
        reverse("sessions:course", args=[course.pk]),
        reverse("sessions:session", args=[course.sessions.get(number=8).pk]),
        reverse("sessions:session_note", args=[course.sessions.get(number=8).pk]),
    ]
    early_page = reverse("sessions:session", args=[course.sessions.get(number=7).pk])
    assert "Raise the end of treatment" not in client.get(early_page).content.decode()
    for url in pages:
        assert "Raise the end of treatment" in client.get(url).content.decode(), url
    session = course.sessions.get(number=7)
    services.session_note_save(by=therapist, session=session, fields={"termination_raised": True})
    for url in pages:
        assert "Raise the end of treatment" in client.get(url).content.decode(), url
    session = course.sessions.get(number=8)
    services.session_note_save(by=therapist, session=session, fields={"termination_raised": True})
    for url in pages:
        assert "Raise the end of treatment" not in client.get(url).content.decode(), url


def test_the_end_discussed_is_asked_from_session_n_minus_4(client_for, therapist, patient):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=8))
    for number in (7, 8):
        attend(course.sessions.get(number=number))
    client = client_for(therapist)
    for number, asked in ((7, False), (8, True)):
        url = reverse("sessions:session_note", args=[course.sessions.get(number=number).pk])
        assert ('name="termination_raised"' in client.get(url).content.decode()) == asked


def test_course_page_queries_are_constant(client_for, therapist, patient, queries_for):
    course = open_course(patient, planned=16, start=timezone.localdate() - timedelta(weeks=17))
    actor = therapist
    client = client_for(therapist)
    url = reverse("sessions:course", args=[course.pk])
    counts = []
    for session in course.sessions.order_by("number"):
        attend(session)
        services.measure_record(
            by=actor,
            session=session,
            kind="phq9",
            answers={f"item_{n}": 1 for n in range(1, 10)},
        )
        services.measure_record(
            by=actor,
            session=session,
            kind="gad7",
            answers={f"item_{n}": 1 for n in range(1, 8)},
        )
        if session.number in (1, 16):
            counts.append(queries_for(client, url))
    # The course, its sessions and measures, and the panels of inventory (with the initial
    # tasks' checklist), supervision, risk (its banner, history, assessments and alerts: 5)
    # and reminders: the same count with 1 and with 16 sessions held.
    assert counts[0] == counts[1] <= 27


def test_therapist_home_queries_are_constant(client_for, therapist, queries_for):
    client = client_for(therapist)
    for _ in range(3):
        open_course(make_patient(therapist))
    few = queries_for(client, reverse("therapist_home"))
    for _ in range(37):
        open_course(make_patient(therapist))
    # (17 with the risk badges of the listed courses, the alerts waiting, the day's sessions
    # and their measures: one query each.)
    assert queries_for(client, reverse("therapist_home")) == few <= 17


@pytest.mark.parametrize(
    "url_name",
    [
        "sessions:session_reschedule",
        "sessions:session_attendance",
        "sessions:session_note",
        "sessions:session_amend",
    ],
)
def test_opening_a_session_form_is_audited_as_a_view(
    client_for, therapist, first_session, url_name
):
    client_for(therapist).get(reverse(url_name, args=[first_session.pk]))
    assert AuditEvent.objects.filter(
        action="view", object_id=str(first_session.pk), patient_id=first_session.course.patient_id
    ).exists()


def test_dates_offered_are_the_clinics_today_not_the_servers(client_for, therapist, course):
    """20:00 UTC is already tomorrow in Auckland: the end date offered is Auckland's today,
    which the service then accepts."""
    from datetime import UTC, date, datetime

    import time_machine

    clinic = therapist.clinic
    clinic.timezone = "Pacific/Auckland"
    clinic.save(update_fields=["timezone"])
    with time_machine.travel(datetime(2026, 11, 22, 20, 0, tzinfo=UTC), tick=False):
        html = client_for(therapist).get(reverse("sessions:course_close", args=[course.pk]))
        assert 'value="2026-11-23"' in html.content.decode()
        services.course_end_early(
            by=therapist,
            course=course,
            reason="moved",
            ended_on=date(2026, 11, 23),
        )


def test_a_course_booked_to_start_later_can_end_before_it_starts(patient, therapist):
    course = open_course(patient, start=timezone.localdate() + timedelta(days=10))
    services.course_end_early(
        by=therapist,
        course=course,
        reason="withdrew before the first session",
        ended_on=timezone.localdate(),
    )
    course.refresh_from_db()
    assert course.status == Course.Status.ENDED_EARLY
    assert not course.sessions.filter(attendance="scheduled").exists()


def test_postponing_a_session_with_the_later_ones(client_for, therapist, course):
    zone = therapist.clinic.zone
    before = {s.number: s.scheduled_start for s in course.sessions.all()}
    session = course.sessions.get(number=8)
    week_later = timezone.localtime(session.scheduled_start, zone) + timedelta(weeks=1)
    form = {
        "day": week_later.date().isoformat(),
        "at": week_later.strftime("%H:%M"),
        "planned_minutes": "50",
    }
    url = reverse("sessions:session_reschedule", args=[session.pk])
    client = client_for(therapist)
    refused = client.post(url, form).content.decode()
    assert "tick “Move the later sessions as well”" in refused

    assert client.post(url, {**form, "move_later": "on"}).status_code == 302
    after = {s.number: s.scheduled_start for s in course.sessions.all()}
    for number in range(1, 13):
        local_before = timezone.localtime(before[number], zone)
        local_after = timezone.localtime(after[number], zone)
        if number < 8:
            assert after[number] == before[number]
        else:  # a week later, same wall-clock time
            assert local_after.date() == local_before.date() + timedelta(weeks=1)
            assert local_after.time() == local_before.time()
    reminder = course.sessions.get(number=12).reminders.get(kind="first")
    assert reminder.send_at == after[12] - timedelta(hours=24)


def test_a_low_baseline_alone_is_not_shown_as_remission(client_for, therapist, patient):
    """Baseline PHQ-9 of 4 and nothing after it: the course page used to say "remission"."""
    low = {f"item_{n}": 0 for n in range(1, 10)} | {"item_1": 2, "item_2": 2}
    course = open_course(patient, baseline={"phq9": low})
    client = client_for(therapist)
    html = client.get(reverse("sessions:course", args=[course.pk])).content.decode()
    assert "not yet measurable" in html and ">remission<" not in html
    session = course.sessions.get(number=1)
    attend(session)
    services.measure_record(by=therapist, session=session, kind="phq9", answers=low)
    html = client.get(reverse("sessions:course", args=[course.pk])).content.decode()
    assert "4 → 4" in html and "no reliable change" in html and ">remission<" not in html
    home = client.get(reverse("therapist_home")).content.decode()
    assert "no reliable change" in home and ">remission<" not in home


def test_the_difficulty_item_is_asked_on_both_and_shown(client_for, therapist, patient):
    """PHQ-9's difficulty item was stored but never shown; GAD-7 could not have one."""
    course = open_course(patient)
    session = attend(course.sessions.get(number=1))
    client = client_for(therapist)
    gad7 = {f"item_{n}": "1" for n in range(1, 8)} | {"difficulty": "2"}
    client.post(reverse("sessions:session_measure", args=[session.pk, "gad7"]), gad7)
    client.post(reverse("sessions:session_measure", args=[session.pk, "phq9"]), phq9_post([1] * 9))
    assert {m.kind: m.difficulty for m in session.measures.all()} == {"gad7": 2, "phq9": 1}
    page = client.get(reverse("sessions:session", args=[session.pk])).content.decode()
    course_page = client.get(reverse("sessions:course", args=[course.pk])).content.decode()
    for html in (page, course_page):
        assert "Very difficult" in html and "Somewhat difficult" in html


def test_a_longer_contract_warns_that_an_early_discussion_no_longer_counts(
    client_for, therapist, patient
):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=9))
    for number in range(1, 10):
        attend(course.sessions.get(number=number))
    services.session_note_save(
        by=therapist, session=course.sessions.get(number=9), fields={"termination_raised": True}
    )
    response = client_for(therapist).post(
        reverse("sessions:course_contract", args=[course.pk]),
        {
            "new_planned": "16",
            "reason": "More time for the dispute",
            "agreed_with_patient": "on",
            "changed_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )
    assert "no longer counts with 16 sessions" in response.content.decode()


def test_session_2_is_not_signed_without_a_baseline_and_the_page_says_what_is_due(
    client_for, therapist, patient
):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=5))
    first, second = (attend(course.sessions.get(number=n)) for n in (1, 2))
    for session in (first, second):
        services.session_note_save(by=therapist, session=session, fields={"progress_note": "N."})
    client = client_for(therapist)
    services.session_sign(by=therapist, session=first)  # session 1 may come before it
    page = client.get(reverse("sessions:session", args=[second.pk])).content.decode()
    assert "Record the baseline PHQ-9 before signing" in page
    assert "PHQ-9 due" in page and "GAD-7 due" in page  # never taken: both due
    refused = client.post(reverse("sessions:session_sign", args=[second.pk]), follow=True)
    assert "Record the baseline PHQ-9 before signing" in refused.content.decode()
    second.refresh_from_db()
    assert not second.is_signed
    answers = {f"item_{n}": 1 for n in range(1, 9)} | {"item_9": 0}
    services.measure_record(by=therapist, session=second, kind="phq9", answers=answers)
    page = client.get(reverse("sessions:session", args=[second.pk])).content.decode()
    assert "PHQ-9 taken" in page and "Record the baseline" not in page
    client.post(reverse("sessions:session_sign", args=[second.pk]))
    second.refresh_from_db()
    assert second.is_signed


def test_a_form_shown_again_after_a_refused_post_is_an_audited_view(client_for, therapist, patient):
    """The refused form shows the record again: that is a view, audited as one."""
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=2))
    session = course.sessions.get(number=1)
    url = reverse("sessions:session_attendance", args=[session.pk])
    before = AuditEvent.objects.filter(action="view", object_id=str(session.pk)).count()
    response = client_for(therapist).post(url, {"attendance": "attended", "actual_minutes": ""})
    assert response.status_code == 200  # shown again, with the error
    shown = AuditEvent.objects.filter(action="view", object_id=str(session.pk))
    assert shown.count() == before + 1
    assert shown.latest("pk").detail == "form shown again"


def test_the_course_page_says_which_reminders_will_not_be_sent(client_for, therapist):
    """As the session page does: pending reminders of a patient without consent say so."""
    without = open_course(make_patient(therapist, given_name="Nora", reminder_consent=False))
    page = client_for(therapist).get(reverse("sessions:course", args=[without.pk]))
    text = page.content.decode()
    assert "won't be sent" in text and ": pending</span>" not in text
    with_consent = open_course(make_patient(therapist, given_name="Cora"))
    text = client_for(therapist).get(reverse("sessions:course", args=[with_consent.pk]))
    assert ": pending</span>" in text.content.decode()


def test_the_item_9_badge_follows_the_risk(client_for, therapist, patient):
    from risk import services as risk_services
    from risk.models import RiskEpisode
    from tests.risk.test_pathway import ASSESSED

    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=2))
    session = attend(course.sessions.get(number=1))
    services.measure_record(
        by=therapist,
        session=session,
        kind="phq9",
        answers={f"item_{n}": 1 for n in range(1, 10)},
    )
    url = reverse("sessions:course", args=[course.pk])
    assert ">risk open</span>" in client_for(therapist).get(url).content.decode()
    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(by=therapist, episode=episode, session=session, fields=ASSESSED)
    risk_services.episode_close(by=therapist, episode=episode, review="Reviewed.")
    page = client_for(therapist).get(url).content.decode()
    assert ">followed up</span>" in page and ">risk open</span>" not in page


# (days before today the course starts, confirmed?) -> opened?
PAST_STARTS = [(0, False, True), (7, False, True), (8, False, False), (8, True, True),
               (90, False, False), (90, True, True)]  # fmt: skip


@pytest.mark.parametrize(("days", "confirmed", "opened"), PAST_STARTS)
def test_a_start_in_the_past_is_booked_only_once_confirmed(
    client_for, therapist, patient, days, confirmed, opened
):
    start = timezone.localdate() - timedelta(days=days)
    data = course_post(start_date=start.isoformat(), usual_weekday=str(start.weekday()))
    if confirmed:
        data["past_start_confirmed"] = "on"
    response = client_for(therapist).post(reverse("sessions:course_open", args=[patient.pk]), data)
    assert (response.status_code == 302) == opened
    assert Course.objects.filter(patient=patient).exists() == opened
    if not opened:
        page = response.content.decode()
        assert f"This start was {days} days ago" in page
        assert (
            'value="Moderate depressive episode"' in page or "Moderate depressive episode" in page
        )


def test_the_amendment_form_shows_the_signed_original_beside_it(client_for, therapist, patient):
    course = open_course(patient)
    session = attend(course.sessions.get(number=1))
    services.session_note_save(
        by=therapist, session=session, fields={"progress_note": "THE-SIGNED-ORIGINAL"}
    )
    services.session_sign(by=therapist, session=session)
    services.session_amend(by=therapist, session=session, reason="typo", text="FIRST-AMENDMENT")
    page = client_for(therapist).get(reverse("sessions:session_amend", args=[session.pk]))
    text = page.content.decode()
    original = text.split('id="original-heading"', 1)[1]
    assert "THE-SIGNED-ORIGINAL" in original and "FIRST-AMENDMENT" in original
    assert 'name="text"' in text  # and the form to write the next one
