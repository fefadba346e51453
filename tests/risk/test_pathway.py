"""The risk pathway (IPT.md, "Risk"): opened by any PHQ-9 item 9 above 0 or by the therapist,
never quieted by a typed note, a re-check at every session while open, an alert that must be
acknowledged, closed only with a documented review."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from oversight import store
from oversight.flags import FLAGS
from oversight.models import FlagThresholds
from risk import services as risk_services
from risk.models import RiskAlert, RiskEpisode
from sessions import services
from sessions.models import Course
from tests.conftest import attend, make_patient, make_user, miss, open_course

ASSESSED = {
    "ideation": "Fleeting thoughts, none today.",
    "plan": "None.",
    "intent": "None.",
    "means": "No access to medication stockpiles.",
    "history": "None.",
    "protective_factors": "Her children; her sister.",
    "level": "low",
}


SAFETY_PLAN = {
    "warning_signs": "Not sleeping",
    "own_coping": "A walk",
    "people_and_places": "The library",
    "people_to_ask": "My sister",
    "professionals": "",
    "safer_surroundings": "Pills with my sister",
}


def answers(item_9: int) -> dict:
    return {f"item_{n}": 1 for n in range(1, 9)} | {"item_9": item_9}


def flags_now(course) -> set[str]:
    """The flags raised on the course as the dashboard stores them (no recomputation: the
    services keep them)."""
    now = timezone.now()
    courses = Course.objects.filter(pk=course.pk)
    return {flag.code for flag in FLAGS if courses.filter(store.raised(flag.code, now)).exists()}


@pytest.fixture
def course(therapist):
    return open_course(make_patient(therapist), start=timezone.localdate() - timedelta(weeks=3))


def item_9_at(course, number, item_9=2):
    session = course.sessions.get(number=number)
    if session.attendance != "attended":
        session = attend(session)
    services.measure_record(
        by=course.therapist, session=session, kind="phq9", answers=answers(item_9)
    )
    return session


def test_an_item_9_opens_the_pathway_and_a_typed_note_does_not_close_it(course, supervisor):
    """It used to: any text in the risk-check note cleared the flag and unlocked signing."""
    session = item_9_at(course, 1)
    episode = RiskEpisode.objects.get(course=course)
    assert episode.is_open and episode.session == session and episode.source == "item_9"
    assert "risk_open" in flags_now(course)
    services.session_note_save(
        by=course.therapist,
        session=session,
        fields={"progress_note": "Talked.", "risk_check_note": "x"},
    )
    assert "risk_open" in flags_now(course)
    with pytest.raises(ValidationError, match="risk assessment"):
        services.session_sign(by=course.therapist, session=session)
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=session, fields=ASSESSED
    )
    services.session_sign(by=course.therapist, session=session)
    assert "risk_open" in flags_now(course)  # still open: only a review closes it


def test_an_opening_item_9_opens_the_pathway_at_once(therapist, supervisor):
    """It used to wait for "the next session's note", possibly a week later."""
    course = open_course(make_patient(therapist), baseline={"phq9": answers(1)})
    episode = RiskEpisode.objects.get(course=course)
    assert episode.session is None and episode.measure.session is None
    assert RiskAlert.objects.filter(episode=episode, recipient=supervisor).exists()
    assert "risk_open" in flags_now(course)


def test_a_zero_item_9_opens_nothing_and_a_second_one_keeps_one_episode(course):
    item_9_at(course, 1, item_9=0)
    assert not RiskEpisode.objects.exists()
    item_9_at(course, 1, item_9=1)
    item_9_at(course, 2, item_9=3)
    assert RiskEpisode.objects.open().count() == 1


def test_each_session_held_while_open_needs_its_re_check(course):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=course.sessions.get(number=1), fields=ASSESSED
    )
    assert "risk_not_rechecked" not in flags_now(course)
    later = course.sessions.get(number=2)
    attend(later)
    assert "risk_not_rechecked" in flags_now(course)
    services.session_note_save(by=course.therapist, session=later, fields={"progress_note": "x"})
    with pytest.raises(ValidationError, match="re-check"):
        services.session_sign(by=course.therapist, session=later)
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=later, fields=ASSESSED
    )
    assert "risk_not_rechecked" not in flags_now(course)
    services.session_sign(by=course.therapist, session=later)


def test_a_missed_session_while_at_risk_is_flagged(course):
    item_9_at(course, 1)
    assert "missed_while_at_risk" not in flags_now(course)
    miss(course.sessions.get(number=2))
    assert "missed_while_at_risk" in flags_now(course)


def test_closing_needs_an_assessment_and_a_review(course):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    with pytest.raises(ValidationError, match="review"):
        risk_services.episode_close(by=course.therapist, episode=episode, review=" ")
    with pytest.raises(ValidationError, match="assessment"):
        risk_services.episode_close(by=course.therapist, episode=episode, review="Reviewed.")
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=course.sessions.get(number=1), fields=ASSESSED
    )
    risk_services.episode_close(
        by=course.therapist, episode=episode, review="Item 9 at 0 for three sessions; plan kept."
    )
    assert flags_now(course) & {"risk_open", "risk_not_rechecked", "missed_while_at_risk"} == set()
    assert RiskEpisode.objects.get().closing_review.startswith("Item 9")


def test_the_duty_clinician_is_alerted_when_the_therapist_has_no_supervisor(clinic, therapist):
    duty = make_user("duty@clinic.test", clinic, name="Dee Duty", is_therapist=True)
    clinic.duty_clinician = duty
    clinic.save()
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(weeks=1))
    item_9_at(course, 1)
    assert list(RiskAlert.objects.values_list("recipient", flat=True)) == [duty.pk]


def test_the_alert_email_carries_no_clinical_detail(
    course, supervisor, eager_tasks, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        item_9_at(course, 1)
    (message,) = outbox
    assert message.to == [supervisor.email]
    text = (message.subject + message.body).lower()
    patient = course.patient
    for detail in (
        patient.given_name,
        patient.family_name,
        patient.record_number,
        "phq",
        "item 9",
        "self-harm",
        "suicid",
    ):
        assert not re.search(rf"\b{re.escape(detail.lower())}\b", text), detail
    assert reverse("risk:alerts") in message.body


def test_only_the_recipient_acknowledges(course, supervisor, client_for, colleague):
    item_9_at(course, 1)
    alert = RiskAlert.objects.get()
    url = reverse("risk:acknowledge", args=[alert.pk])
    assert client_for(colleague).post(url).status_code in (403, 404)
    response = client_for(supervisor).get(reverse("risk:alerts"))
    assert course.patient.full_name in response.content.decode()
    client_for(supervisor).post(url)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_another_therapists_episode_is_a_404(course, client_for, colleague):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    for name in ("risk:episode", "risk:assess", "risk:safety_plan", "risk:safety_plan_print"):
        assert client_for(colleague).get(reverse(name, args=[episode.pk])).status_code == 404


def test_an_assessment_is_more_than_a_typed_character(course, client_for):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    url = reverse("risk:assess", args=[episode.pk]) + f"?session={course.sessions.get(number=1).pk}"
    response = client_for(course.therapist).post(url, {**ASSESSED, "plan": "x"})
    assert response.status_code == 200
    assert "none" in response.content.decode() and "x</textarea>" in response.content.decode()
    assert not episode.assessments.exists()
    client_for(course.therapist).post(url, ASSESSED)
    assert episode.assessments.count() == 1


def test_the_printed_safety_plan_carries_the_clinics_numbers(course, client_for, clinic):
    clinic.contact_phone = "020 7946 0000"
    clinic.crisis_lines = "Samaritans 116 123"
    clinic.save()
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    client = client_for(course.therapist)
    client.post(reverse("risk:safety_plan", args=[episode.pk]), SAFETY_PLAN)
    html = client.get(reverse("risk:safety_plan_print", args=[episode.pk])).content.decode()
    assert "Not sleeping" in html and "Samaritans 116 123" in html and "020 7946 0000" in html


def test_the_therapist_can_note_risk_without_an_item_9(course, client_for, supervisor):
    url = reverse("risk:open", args=[course.pk])
    response = client_for(course.therapist).post(url, {"reason": "Said she feels a burden."})
    episode = RiskEpisode.objects.get()
    assert response.url == reverse("risk:assess", args=[episode.pk])
    assert episode.source == "noted" and "risk_open" in flags_now(course)
    assert client_for(supervisor).post(url, {"reason": "x"}).status_code == 403


def test_thresholds_do_not_touch_the_risk_flags(course):
    """Risk flags are raised from the record alone, whatever the clinic's thresholds."""
    item_9_at(course, 1)
    FlagThresholds.objects.create(clinic=course.patient.clinic, gap_days=60)
    store.refresh([course.pk])
    assert "risk_open" in flags_now(course)


def test_the_summary_prints_the_risk_history(course, client_for, supervisor):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=course.sessions.get(number=1), fields=ASSESSED
    )
    risk_services.episode_close(by=course.therapist, episode=episode, review="Reviewed at 3.")
    url = reverse("inventory:course_summary", args=[course.pk])
    html = client_for(course.therapist).get(url).content.decode()
    assert "Risk history" in html and "Reviewed at 3." in html and "low risk" in html
    assert f"Alert to {supervisor.full_name}: not acknowledged" in html


def test_nobody_outside_the_clinic_is_alerted(clinic, other_clinic, therapist):
    """A duty clinician set (around the form, which offers only the clinic's staff) to a
    member of another clinic is not told of this clinic's patient."""
    outsider = make_user("outsider@other.test", other_clinic, is_therapist=True)
    clinic.duty_clinician = outsider
    clinic.save()
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(weeks=1))
    item_9_at(course, 1)
    assert not RiskAlert.objects.exists()
    assert RiskEpisode.objects.get().is_open  # the episode opens all the same


def test_the_settings_offer_and_accept_only_the_clinics_clinicians(
    clinic, other_clinic, therapist, supervisor
):
    from oversight.clinic.forms import ClinicSettingsForm

    outsider = make_user("outsider@other.test", other_clinic, is_therapist=True)
    offered = set(ClinicSettingsForm(instance=clinic).fields["duty_clinician"].queryset)
    assert offered == {therapist, supervisor}
    form = ClinicSettingsForm({"duty_clinician": outsider.pk}, instance=clinic)
    assert not form.is_valid() and "duty_clinician" in form.errors


def test_a_course_does_not_end_while_risk_is_open(course):
    """Ending it (a dropout, often) took the risk off every caseload view with the course."""
    item_9_at(course, 1)
    with pytest.raises(ValidationError, match="close the risk episode"):
        services.course_end_early(
            by=course.therapist,
            course=course,
            reason="Stopped coming",
            ended_on=timezone.localdate(),
        )
    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=course.sessions.get(number=1), fields=ASSESSED
    )
    risk_services.episode_close(by=course.therapist, episode=episode, review="Reviewed by phone.")
    services.course_end_early(
        by=course.therapist, course=course, reason="Stopped coming", ended_on=timezone.localdate()
    )


@pytest.mark.parametrize("value", ["²", "١٢", "1e3", "-1", "99999999999999999999999"])
def test_an_odd_session_parameter_is_never_a_server_error(course, client_for, value):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    client = client_for(course.therapist)
    for url in (reverse("risk:assess", args=[episode.pk]), reverse("risk:open", args=[course.pk])):
        assert client.get(url, {"session": value}).status_code in (200, 404)


def test_an_alert_leaves_with_the_supervision(course, supervisor, client_for):
    from ipt_clinic.accounts.models import Supervision

    item_9_at(course, 1)
    url = reverse("risk:alerts")
    assert course.patient.full_name in client_for(supervisor).get(url).content.decode()
    Supervision.objects.filter(supervisor=supervisor).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert course.patient.full_name not in client_for(supervisor).get(url).content.decode()


def _signed(course, number):
    session = attend(course.sessions.get(number=number))
    services.measure_record(
        by=course.therapist, session=session, kind="phq9", answers=answers(item_9=0)
    )
    services.session_note_save(by=course.therapist, session=session, fields={"progress_note": "N."})
    return services.session_sign(by=course.therapist, session=session)


def test_sessions_signed_before_the_risk_was_known_need_no_re_check(course):
    """Risk noted after sessions 1-2 were signed: they are not "not re-checked" (nothing can
    be added to a signed note), and risk cannot be tied to a signed session."""
    first = _signed(course, 1)
    _signed(course, 2)
    with pytest.raises(ValidationError, match="signed"):
        risk_services.episode_open(by=course.therapist, course=course, session=first, reason="R.")
    episode = risk_services.episode_open(by=course.therapist, course=course, reason="Said so.")
    assert "risk_open" in flags_now(course) and "risk_not_rechecked" not in flags_now(course)
    assert not risk_services.sessions_not_rechecked(episode)
    # A session held after the opening does need its re-check.
    course.sessions.filter(number=3).update(scheduled_start=timezone.now())
    third = attend(course.sessions.get(number=3))
    assert risk_services.sessions_not_rechecked(episode) == [third]
    assert "risk_not_rechecked" in flags_now(course)


def test_closing_waits_for_the_re_check_of_every_session_held_while_open(course):
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=course.sessions.get(number=1), fields=ASSESSED
    )
    second = attend(course.sessions.get(number=2))
    with pytest.raises(ValidationError, match="re-check of session 2"):
        risk_services.episode_close(by=course.therapist, episode=episode, review="Settled.")
    risk_services.assessment_record(
        by=course.therapist, episode=episode, session=second, fields=ASSESSED
    )
    risk_services.episode_close(by=course.therapist, episode=episode, review="Settled.")
    assert not RiskEpisode.objects.open().exists()


def test_a_new_positive_item_9_raises_an_acknowledged_alert_again(
    course, supervisor, eager_tasks, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        item_9_at(course, 1)
    alert = RiskAlert.objects.get()
    risk_services.alert_acknowledge(by=supervisor, alert=alert)
    with django_capture_on_commit_callbacks(execute=True):
        item_9_at(course, 1, item_9=3)  # a correction at the same session: no new alert
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and len(outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        item_9_at(course, 2, item_9=1)  # a new answer, a later session
    alert.refresh_from_db()
    assert alert.acknowledged_at is None and len(outbox) == 2
    assert RiskEpisode.objects.count() == 1
    assert "risk_alert_unanswered" not in flags_now(course)  # alerted just now


def test_the_alerted_duty_clinician_reads_the_risk_record_and_it_is_audited(
    clinic, therapist, client_for, colleague
):
    from ipt_clinic.accounts.models import AuditEvent

    duty = make_user("duty@clinic.test", clinic, name="Dee Duty", is_therapist=True)
    clinic.duty_clinician = duty
    clinic.save()
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(weeks=1))
    item_9_at(course, 1)
    episode = RiskEpisode.objects.get()
    alerts = client_for(duty).get(reverse("risk:alerts")).content.decode()
    url = reverse("risk:episode", args=[episode.pk])
    assert url in alerts
    assert client_for(duty).get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="view", user=duty, object_id=str(episode.pk), patient_id=course.patient_id
    ).exists()
    # Read only: the duty clinician does not write the therapist's assessment.
    assert client_for(duty).get(reverse("risk:assess", args=[episode.pk])).status_code == 404
    # A colleague who was not alerted, and the duty clinician once someone else is on duty,
    # get a 404.
    assert client_for(colleague).get(url).status_code == 404
    clinic.duty_clinician = colleague
    clinic.save()
    assert client_for(duty).get(url).status_code == 404


def test_the_course_page_says_when_nobody_was_alerted(therapist, client_for):
    course = open_course(make_patient(therapist), start=timezone.localdate() - timedelta(weeks=1))
    item_9_at(course, 1)
    assert not RiskAlert.objects.exists()
    page = client_for(therapist).get(reverse("sessions:course", args=[course.pk]))
    assert "Nobody was alerted" in page.content.decode()
    assert "risk_alert_unanswered" in flags_now(course)
