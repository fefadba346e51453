"""The pages around reminders: the patient's opt-out link, the clinic admin's failures list,
and each session's reminder state on the therapist's pages."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from patients.models import Patient
from patients.services import patient_update
from sessions import reminders
from sessions.models import Reminder
from tests.conftest import make_patient, open_course

State = Reminder.State


@pytest.fixture
def upcoming(patient):
    """A course starting in a week: every reminder pending."""
    course = open_course(patient, start=timezone.localdate() + timedelta(days=7))
    return course.sessions.get(number=1)


@pytest.fixture
def reminder(upcoming):
    return upcoming.reminders.get(kind="first")


def opt_out_url(reminder):
    return reverse("sessions:reminder_opt_out", kwargs={"token": reminders.opt_out_token(reminder)})


# --- Opting out --------------------------------------------------------------------------------


def test_the_opt_out_link_asks_first_without_signing_in(reminder, patient):
    response = Client().get(opt_out_url(reminder))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop my appointment reminders" in html
    assert "Test Clinic" in html
    assert patient.full_name not in html  # whoever holds the link learns nothing more
    patient.refresh_from_db()
    assert patient.reminder_consent  # link checkers that open it change nothing


def test_one_click_records_the_opt_out_and_audits_it(reminder, patient):
    # Mail programs send the RFC 8058 one-click POST without any CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(opt_out_url(reminder), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "you will get no more appointment reminders" in response.content.decode()
    patient.refresh_from_db()
    assert not patient.reminder_consent
    assert patient.reminders_opted_out_at is not None
    event = AuditEvent.objects.get(action="reminder_opt_out")
    assert (event.patient_id, event.clinic_id, event.user_id) == (
        patient.pk,
        patient.clinic_id,
        None,
    )
    assert event.object_type == "patients.patient"
    client.post(opt_out_url(reminder))
    assert AuditEvent.objects.filter(action="reminder_opt_out").count() == 1


def test_after_opting_out_the_pending_reminders_are_not_sent(reminder, upcoming, outbox):
    Client().post(opt_out_url(reminder))
    Reminder.objects.filter(session=upcoming).update(next_attempt_at=timezone.now())
    queued = []
    reminders.reminders_dispatch(enqueue=queued.append)
    results = {reminders.reminder_deliver(reminder_id=pk) for pk in queued}
    assert results == {"skipped"}
    assert outbox == []
    assert set(upcoming.reminders.values_list("reason", flat=True)) - {
        "overtaken by the next reminder"
    } == {"the patient opted out of reminders"}


def test_consent_given_again_clears_the_opt_out(reminder, patient):
    Client().post(opt_out_url(reminder))
    patient = Patient.objects.get(pk=patient.pk)
    patient.reminder_consent = True
    patient.reminder_consent_on = timezone.localdate()
    patient_update(by=patient.therapist, patient=patient)
    patient.refresh_from_db()
    assert patient.reminder_consent and patient.reminders_opted_out_at is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # bad signature
        lambda token: "0" * 32 + ":" + token.split(":")[1],  # another key, same signature
        lambda token: token.split(":")[0],  # no signature at all
        lambda token: "not-a-token",
    ],
)
def test_a_forged_or_damaged_link_is_not_found(reminder, patient, mangle):
    token = mangle(reminders.opt_out_token(reminder))
    url = reverse("sessions:reminder_opt_out", kwargs={"token": token})
    assert Client().post(url).status_code == 404
    patient.refresh_from_db()
    assert patient.reminder_consent


def test_the_link_carries_an_opaque_key_not_an_id(reminder):
    token = reminders.opt_out_token(reminder)
    key, signature = token.split(":")
    assert key == reminder.public_key.hex and len(key) == 32
    assert signature
    assert reminders.reminder_for_opt_out_token(token) == reminder


def test_a_link_signed_for_something_else_does_not_work(reminder):
    from django.core import signing

    token = signing.Signer(salt="something.else").sign(reminder.public_key.hex)
    assert reminders.reminder_for_opt_out_token(token) is None


# --- The clinic admin's list of failures -------------------------------------------------------


def fail(session, reason="recipient refused by the mail server (550)"):
    Reminder.objects.filter(session=session).update(state=State.FAILED, reason=reason, attempts=1)


def test_the_admin_sees_the_clinics_failed_reminders(client_for, clinic_admin, upcoming):
    fail(upcoming)
    response = client_for(clinic_admin).get(reverse("clinic_admin:reminder_failures"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Archer, Alice" in html
    assert "recipient refused by the mail server (550)" in html
    assert "Send again" in html
    assert upcoming.course.indication not in html
    assert AuditEvent.objects.filter(
        action="view", user=clinic_admin, detail="failed reminders page 1"
    ).exists()


def test_another_clinic_sees_none_of_them(client_for, other_admin, upcoming):
    fail(upcoming)
    response = client_for(other_admin).get(reverse("clinic_admin:reminder_failures"))
    assert "Archer" not in response.content.decode()
    assert "None: every reminder" in response.content.decode()


def test_the_failures_page_queries_do_not_grow(client_for, clinic_admin, therapist, queries_for):
    client = client_for(clinic_admin)
    url = reverse("clinic_admin:reminder_failures")
    counts = []
    for more in (1, 14):
        for _ in range(more):
            course = open_course(make_patient(therapist), start=timezone.localdate() + timedelta(7))
            fail(course.sessions.get(number=1))
        counts.append(queries_for(client, url))
    assert Reminder.objects.failed().count() == 30
    assert counts[0] == counts[1]


def test_the_admin_can_send_a_failed_reminder_again(client_for, clinic_admin, upcoming):
    fail(upcoming)
    reminder = upcoming.reminders.get(kind="second")
    response = client_for(clinic_admin).post(
        reverse("clinic_admin:reminder_retry", args=[reminder.pk])
    )
    assert response.url == reverse("clinic_admin:reminder_failures")
    reminder.refresh_from_db()
    assert reminder.state == State.PENDING and reminder.attempts == 0
    assert reminder.next_attempt_at <= timezone.now()
    assert AuditEvent.objects.filter(
        action="update", object_id=str(reminder.pk), detail="failed reminder sent again"
    ).exists()


def test_a_reminder_of_a_past_appointment_is_not_sent_again(client_for, clinic_admin, patient):
    course = open_course(patient)  # started three weeks ago
    session = course.sessions.get(number=1)
    fail(session)
    reminder = session.reminders.first()
    client_for(clinic_admin).post(reverse("clinic_admin:reminder_retry", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert reminder.state == State.FAILED


@pytest.mark.parametrize("who", ["other_admin", "therapist"])
def test_nobody_else_can_resend(client_for, who, request, upcoming):
    fail(upcoming)
    reminder = upcoming.reminders.first()
    response = client_for(request.getfixturevalue(who)).post(
        reverse("clinic_admin:reminder_retry", args=[reminder.pk])
    )
    assert response.status_code == (404 if who == "other_admin" else 403)
    reminder.refresh_from_db()
    assert reminder.state == State.FAILED


def test_the_clinic_admin_home_links_to_the_failures(client_for, clinic_admin):
    html = client_for(clinic_admin).get(reverse("clinic_admin_home")).content.decode()
    assert reverse("clinic_admin:reminder_failures") in html


# --- The therapist sees each session's reminders -----------------------------------------------


def test_the_session_page_shows_each_reminder_and_its_state(client_for, therapist, upcoming):
    Reminder.objects.filter(session=upcoming, kind="first").update(
        state=State.SENT, sent_at=timezone.now(), channel="email"
    )
    Reminder.objects.filter(session=upcoming, kind="second").update(
        state=State.FAILED, reason="no email address on file"
    )
    html = client_for(therapist).get(reverse("sessions:session", args=[upcoming.pk])).content
    html = html.decode()
    assert "24 h before: sent" in html and "by email" in html
    assert "2 h before: failed" in html and "no email address on file" in html


def test_the_session_page_warns_when_reminders_will_not_go(client_for, therapist, upcoming):
    Patient.objects.filter(pk=upcoming.course.patient_id).update(reminder_consent=False)
    html = client_for(therapist).get(reverse("sessions:session", args=[upcoming.pk])).content
    assert "not consented to reminders: pending ones will not be sent" in html.decode()


def test_the_course_page_shows_reminder_states_per_session(client_for, therapist, upcoming):
    response = client_for(therapist).get(reverse("sessions:course", args=[upcoming.course_id]))
    html = response.content.decode()
    assert html.count("24 h before: pending") == 12
    assert html.count("2 h before: pending") == 12


def test_the_operator_sees_reminders_due_late_and_the_queue(therapist, redis_broker, capsys):
    """manage.py reminders_status: what is due and how late, for an operator (#14)."""
    import json
    from datetime import timedelta

    from django.core.management import call_command

    from sessions.models import Reminder
    from tests.sessions.conftest import make_due_reminders

    make_due_reminders(therapist, 1, when=timezone.now() - timedelta(minutes=7))
    Reminder.objects.filter(pk=Reminder.objects.first().pk).update(state="failed")
    call_command("reminders_status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["due"] == Reminder.objects.filter(state="pending").count() > 0
    assert 7 * 60 <= status["late_seconds"] < 9 * 60
    assert status["failed_last_day"] == 1 and status["sending"] == 0
    assert isinstance(status["queued_on_broker"], int)
    call_command("reminders_status")
    assert "oldest due for:" in capsys.readouterr().out
