"""Helpers for the clinic administration tests."""

import re

import pytest
from django.urls import reverse

from ipt_clinic.accounts.models import Invitation

NEW_PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def admin_client(client_for, clinic_admin):
    return client_for(clinic_admin)


@pytest.fixture
def invite(admin_client, mailoutbox):
    """invite(email, **roles) -> (invitation, the link from the email) via the invite page."""

    def send(email="nia@clinic.test", name="Nia Newcomer", **roles):
        roles = roles or {"is_therapist": True}
        response = admin_client.post(
            reverse("staff:invite"),
            {"email": email, "full_name": name, **{k: "on" for k, v in roles.items() if v}},
        )
        assert response.status_code == 302, response.content.decode()
        link = re.search(r"https?://\S+/join/\S+/", mailoutbox[-1].body).group(0)
        return Invitation.objects.get(email=email.lower(), accepted_at=None, revoked_at=None), link

    return send


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]
