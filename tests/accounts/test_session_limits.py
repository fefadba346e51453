"""Idle timeout (15 minutes) and absolute limit (12 hours) on a sign-in."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent

HOME = "/therapist/"


def test_signed_out_after_15_idle_minutes(client_for, therapist):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(therapist)
        assert client.get(HOME).status_code == 200
        clock.shift(timedelta(minutes=14, seconds=50))
        assert client.get(HOME).status_code == 200  # activity restarts the idle clock
        clock.shift(timedelta(minutes=14, seconds=50))
        assert client.get(HOME).status_code == 200
        clock.shift(timedelta(minutes=15, seconds=31))
        response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    event = AuditEvent.objects.get(action="session_expired")
    assert event.user == therapist and event.detail == "idle"
    page = client.get(response.url)
    assert b"signed out after 15 minutes without activity" in page.content


def test_signed_out_12_hours_after_sign_in_even_when_active(client_for, therapist):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(therapist)
        for _ in range(12 * 6):  # a request every 10 minutes, the last at 11 h 50 min
            assert client.get(HOME).status_code == 200
            clock.shift(timedelta(minutes=10))
        clock.shift(timedelta(minutes=1))
        response = client.get(HOME)
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="session_expired").detail == "absolute"
