"""Inviting staff by email: a signed link that works once, for 72 hours."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent, Invitation, User
from ipt_clinic.accounts.services import invitation_token
from tests.accounts.conftest import NEW_PASSWORD, path_of


def accept(link, password=NEW_PASSWORD, client=None):
    client = client or Client()
    return client, client.post(path_of(link), {"password1": password, "password2": password})


def test_invitation_email_carries_a_link_that_creates_the_account_and_signs_in(
    invite, mailoutbox, clinic, clinic_admin
):
    invitation, link = invite("Nia@Clinic.test", is_therapist=True, is_supervisor=True)
    message = mailoutbox[-1]
    assert message.to == ["nia@clinic.test"]
    assert clinic.name in message.subject
    assert link in message.body and "works once, until" in message.body
    assert "Nia Newcomer" in message.body and clinic_admin.full_name in message.body
    assert invitation.invited_by == clinic_admin

    client, response = accept(link)
    assert response.status_code == 302 and response.url == reverse("home")
    user = User.objects.get(email="nia@clinic.test")
    assert (user.clinic, user.is_therapist, user.is_supervisor, user.is_clinic_admin) == (
        clinic,
        True,
        True,
        False,
    )
    assert user.check_password(NEW_PASSWORD)
    assert get_user(client).pk == user.pk
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_user == user
    assert AuditEvent.objects.filter(user=user, action="create", detail__contains="invitation")


def test_accept_page_names_the_clinic_and_the_roles(invite, clinic):
    _, link = invite(is_supervisor=True)
    html = Client().get(path_of(link)).content.decode()
    assert clinic.name in html and "supervisor" in html and "nia@clinic.test" in html


def test_an_invitation_works_once(invite):
    _, link = invite()
    accept(link)
    second_client, second = accept(link, password="another long passphrase 99")
    assert second.status_code == 410
    assert "used already" in second.content.decode()
    assert User.objects.filter(email="nia@clinic.test").count() == 1
    assert not get_user(second_client).is_authenticated
    assert Client().get(path_of(link)).status_code == 410


def test_an_invitation_expires_after_72_hours(invite):
    invitation, link = invite()
    with time_machine.travel(timezone.now() + timedelta(hours=71, minutes=59)):
        assert Client().get(path_of(link)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=72, seconds=1)):
        _, response = accept(link)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert not Invitation.objects.pending().filter(pk=invitation.pk).exists()
    assert not User.objects.filter(email="nia@clinic.test").exists()


def test_a_forged_or_mangled_token_is_404(invite, db):
    invitation, _ = invite()
    token = invitation_token(invitation)
    for bad in (token[:-2] + "xx", f"{invitation.pk + 1}:{token.split(':', 1)[1]}", "nonsense"):
        response = Client().get(reverse("invitation_accept", kwargs={"token": bad}))
        assert response.status_code == 404
        assert "not complete or not valid" in response.content.decode()


def test_password_rules_apply_and_input_errors_are_shown(invite):
    _, link = invite(name="Nia Newcomer")
    for password, message in [
        ("short", "at least 12 characters"),
        ("123456789012345", "entirely numeric"),
        ("nia@clinic.test1", "too similar"),
    ]:
        _, response = accept(link, password=password)
        assert response.status_code == 200
        assert message in response.content.decode(), password
    client = Client()
    response = client.post(
        path_of(link), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert "differ" in response.content.decode()
    assert not User.objects.filter(email="nia@clinic.test").exists()


def test_a_newer_invitation_replaces_the_pending_one(invite):
    first, first_link = invite(is_clinic_admin=True)
    _, second_link = invite(is_therapist=True)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert accept(first_link)[1].status_code == 410
    accept(second_link)
    user = User.objects.get(email="nia@clinic.test")
    assert user.is_therapist and not user.is_clinic_admin


def test_an_admin_withdraws_an_invitation(invite, admin_client):
    invitation, link = invite()
    admin_client.post(reverse("staff:invitation_withdraw", args=[invitation.pk]))
    response = accept(link)[1]
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_existing_address_and_missing_role_are_refused_beside_the_fields(
    admin_client, therapist, mailoutbox
):
    response = admin_client.post(
        reverse("staff:invite"),
        {"email": therapist.email.upper(), "full_name": "Again", "is_therapist": "on"},
    )
    assert "already exists" in response.content.decode()
    response = admin_client.post(
        reverse("staff:invite"), {"email": "new@clinic.test", "full_name": "No Role"}
    )
    html = response.content.decode()
    assert "at least one role" in html and 'value="new@clinic.test"' in html
    assert "invitation_has_a_role" not in html  # the words, never the constraint's name
    assert not Invitation.objects.exists() and not mailoutbox


def test_posting_clinic_or_superuser_fields_to_the_invitation_changes_nothing(
    admin_client, other_clinic, clinic, mailoutbox
):
    admin_client.post(
        reverse("staff:invite"),
        {
            "email": "nia@clinic.test",
            "full_name": "Nia",
            "is_therapist": "on",
            "clinic": other_clinic.pk,
            "is_superuser": "on",
            "invited_by": 999,
        },
    )
    invitation = Invitation.objects.get()
    assert invitation.clinic == clinic
    link = re.search(r"https?://\S+/join/\S+/", mailoutbox[-1].body).group(0)
    Client().post(
        path_of(link),
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "is_superuser": "on",
            "is_clinic_admin": "on",
            "clinic": other_clinic.pk,
        },
    )
    user = User.objects.get(email="nia@clinic.test")
    assert (user.clinic, user.is_superuser, user.is_clinic_admin) == (clinic, False, False)


def test_another_clinics_invitation_cannot_be_withdrawn(client_for, other_admin, invite):
    invitation, _ = invite()
    response = client_for(other_admin).post(
        reverse("staff:invitation_withdraw", args=[invitation.pk])
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize(
    "address",
    [
        "adam@cli\u00adnic.test",  # a soft hyphen, dropped when the domain is encoded for mail
        "adam@clinic.test\u200b",  # a zero-width space
        "adam@cli\u200bnic.test",
        "adam@\u0441linic.test",  # a Cyrillic es
        "\u0430dam@clinic.test",  # a Cyrillic a
    ],
)
def test_an_invitation_to_a_look_alike_of_an_address_is_refused(
    admin_client, clinic_admin, mailoutbox, address
):
    """An admin could otherwise make a second account for their own mailbox, link it to a
    therapist as supervisor and read the notes (found by attacking the #13 fixes)."""
    from ipt_clinic.accounts.models import Invitation

    response = admin_client.post(
        reverse("staff:invite"), {"full_name": "Second Me", "email": address, "is_supervisor": "on"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "plain letters" in html or "Enter a valid email address" in html
    assert not Invitation.objects.exists() and mailoutbox == []


def test_the_service_refuses_a_look_alike_address_too(clinic_admin):
    from django.core.exceptions import ValidationError

    from ipt_clinic.accounts.services import invitation_send

    with pytest.raises(ValidationError, match="plain letters"):
        invitation_send(
            by=clinic_admin,
            email="adam@cli\u00adnic.test",
            full_name="Second Me",
            is_supervisor=True,
        )
