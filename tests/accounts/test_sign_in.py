"""Sign-in, lockout (django-axes, per username + IP), sign-out and password reset."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def attempt(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_with_email_lands_on_role_home(client, therapist):
    response = attempt(client, "TESS@clinic.test", PASSWORD)
    assert response.status_code == 302
    assert client.get(response.url).url == reverse("therapist_home")
    assert AuditEvent.objects.filter(user=therapist, action="login", ip_address="10.0.0.1").exists()


def test_wrong_password_keeps_the_email_and_explains(client, therapist):
    response = attempt(client, "tess@clinic.test", "wrong password here")
    assert response.status_code == 200
    assert b'value="tess@clinic.test"' in response.content
    assert b"do not match an active account" in response.content
    event = AuditEvent.objects.get(action="login_failed")
    assert event.user == therapist and event.outcome == "failure"


def test_failed_sign_in_for_unknown_address_is_audited_without_a_user(client, db):
    attempt(client, "nobody@clinic.test", "whatever password")
    event = AuditEvent.objects.get(action="login_failed")
    assert event.user is None and event.detail == "attempted nobody@clinic.test"


def test_inactive_user_cannot_sign_in(client, inactive_user):
    response = attempt(client, inactive_user.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_that_username_from_that_address_for_15_minutes(client, therapist):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            attempt(client, therapist.email, "not the password")
        locked = attempt(client, therapist.email, PASSWORD)
        assert locked.status_code == 429
        assert b"Sign-in paused" in locked.content
        assert AuditEvent.objects.filter(action="lockout", user=therapist).exists()

        # Same person from another address, and another person from this address: not locked.
        assert attempt(client, therapist.email, PASSWORD, ip="10.0.0.2").status_code == 302
        client.logout()

        clock.shift(timedelta(minutes=14))
        assert attempt(client, therapist.email, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=2))
        assert attempt(client, therapist.email, PASSWORD).status_code == 302


def test_lockout_does_not_spill_over_to_other_users_on_the_same_address(
    client, therapist, colleague
):
    for _ in range(5):
        attempt(client, therapist.email, "not the password")
    assert attempt(client, colleague.email, PASSWORD).status_code == 302


def test_four_failures_then_success_resets_the_count(client, therapist):
    for _ in range(4):
        attempt(client, therapist.email, "not the password")
    assert attempt(client, therapist.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, therapist.email, "not the password")
    assert attempt(client, therapist.email, PASSWORD).status_code == 302


def test_sign_out_is_post_only_and_audited(client_for, therapist):
    client = client_for(therapist)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert AuditEvent.objects.filter(action="logout", user=therapist).exists()
    assert client.get(reverse("therapist_home")).status_code == 302


def _reset_link(email_body: str) -> str:
    match = re.search(r"https?://[^/]+(/accounts/password/reset/[^\s]+/)", email_body)
    assert match, email_body
    return match.group(1)


@pytest.fixture
def reset_by_email(client, eager_tasks, django_capture_on_commit_callbacks):
    """reset_by_email(address): ask for a reset link as a person would; the queued task runs
    as a worker would, once the request has committed."""

    def ask(address):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": address})

    return ask


def test_password_reset_by_email_works_once(client, therapist, reset_by_email):
    reset_by_email("tess@clinic.test")
    assert len(mail.outbox) == 1
    link = _reset_link(mail.outbox[0].body)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    new_password = "a brand new passphrase"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.check_password(new_password)
    assert AuditEvent.objects.filter(action="password_reset", user=therapist).exists()
    # Used once: the same link no longer works.
    assert b"no longer works" in client.get(link).content


def test_password_reset_link_expires_after_one_hour(client, therapist, reset_by_email):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        reset_by_email(therapist.email)
        link = _reset_link(mail.outbox[0].body)
        clock.shift(timedelta(minutes=61))
        response = client.get(link, follow=True)
    assert b"no longer works" in response.content


def test_password_reset_for_unknown_address_reveals_nothing(db, reset_by_email):
    response = reset_by_email("nobody@clinic.test")
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_link_uses_the_sites_address(therapist, reset_by_email, settings):
    settings.SITE_URL = "https://clinic.example.org"
    reset_by_email(therapist.email)
    assert "https://clinic.example.org/accounts/password/reset/" in mail.outbox[0].body


@pytest.mark.parametrize("address", ["tess@clinic.test", "nobody@clinic.test"])
def test_a_reset_request_takes_the_same_path_for_known_and_unknown_addresses(
    client, therapist, address, django_capture_on_commit_callbacks
):
    """Finding 7 of issue 13: the request only queues a task, whoever the address names; no
    lookup and no mail in the request whose timing could tell the two apart."""
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as queued,
    ):
        response = client.post(reverse("password_reset"), {"email": address})
    assert response.status_code == 302
    assert mail.outbox == []
    assert len(queued) == 1
    assert [q["sql"] for q in queries.captured_queries if "accounts_user" in q["sql"]] == []


@pytest.mark.parametrize("bad", ["short", "123456789012345", "password12345"])
def test_password_change_enforces_policy_and_keeps_input(client_for, therapist, bad):
    client = client_for(therapist)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": bad, "new_password2": bad},
    )
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content
    therapist.refresh_from_db()
    assert therapist.check_password(PASSWORD)


def test_password_change_requires_12_characters_and_is_audited(client_for, therapist):
    client = client_for(therapist)
    good = "twelve chars and more"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": good, "new_password2": good},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="password_change", user=therapist).exists()
    # Still signed in after the change (Django keeps the session hash up to date).
    assert client.get(reverse("therapist_home")).status_code == 200


# --- One address, one counter: look-alike spellings (security finding 2 of issue 13) ---------

KIM = "kim.sims@clinic.test"
KELVIN, LONG_S, DOTLESS_I = "\u212a", "\u017f", "\u0131"


@pytest.fixture
def kim(clinic):
    from tests.conftest import make_user

    return make_user(KIM, clinic, is_therapist=True)


@pytest.mark.parametrize(
    "spelling",
    [
        "KIM.SIMS@CLINIC.TEST",
        f"{KELVIN}im.sims@clinic.test",  # Kelvin sign for K
        f"kim.{LONG_S}ims@clinic.test",  # long s
        f"kim.sims@clinic.te{LONG_S}t",
        f"k{DOTLESS_I}m.sims@clinic.test",  # dotless i: PostgreSQL's UPPER() folds it onto i
        f"{KELVIN}{DOTLESS_I}m.{LONG_S}ims@clinic.test",
    ],
)
def test_a_locked_out_address_stays_locked_in_any_spelling(client, kim, spelling):
    for _ in range(5):
        attempt(client, KIM, "not the password")
    assert attempt(client, KIM, PASSWORD).status_code == 429
    response = attempt(client, spelling, PASSWORD)
    assert "_auth_user_id" not in client.session, f"{spelling!r} signed in during a lockout"
    assert response.status_code in {200, 429}


@pytest.mark.parametrize(
    "spelling",
    [f"{KELVIN}im.sims@clinic.test", f"kim.{LONG_S}ims@clinic.test", "Kim.Sims@clinic.test"],
)
def test_failures_in_look_alike_spellings_count_for_the_address(client, kim, spelling):
    for _ in range(5):
        attempt(client, spelling, "not the password")
    assert attempt(client, KIM, PASSWORD).status_code == 429


def test_a_dotless_i_spelling_matches_no_account(client, kim):
    response = attempt(client, f"k{DOTLESS_I}m.sims@clinic.test", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_operators_admin_sign_in_counts_look_alikes_as_one_address(client, operator):
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(admin_login, {"username": operator.email, "password": "not it"})
    client.post(admin_login, {"username": f"root@operator.te{LONG_S}t", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.broker
def test_a_celery_worker_sends_the_reset_link(celery_worker, smtp_mail, client, therapist):
    client.post(reverse("password_reset"), {"email": therapist.email})
    assert smtp_mail.wait_for(1, timeout=20)
    [message] = smtp_mail.messages
    assert message["To"] == therapist.email
    assert "/accounts/password/reset/" in message.get_content()
