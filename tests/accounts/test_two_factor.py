"""Two-factor sign-in: enrolment, replay refusal, throttling, recovery codes, the gate."""

import re
import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ipt_clinic.accounts.models import AuditEvent
from tests.conftest import PASSWORD


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    """The code an authenticator app would show at time `at` (now by default)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = at if at is not None else time.time()
    return f"{generator.token():0{device.digits}d}"


@pytest.fixture
def strict_clinic(clinic):
    clinic.require_two_factor = True
    clinic.save()
    return clinic


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client.get(response.url)


def enrol(client):
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    return device, response


def test_required_two_factor_sends_a_new_user_to_enrolment(
    client, strict_clinic, therapist, patient
):
    response = sign_in(client, therapist)
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))
    # No page with patient data before the second step.
    blocked = client.get(reverse("patients:detail", args=[patient.pk]))
    assert blocked.status_code == 302 and "two-factor" in blocked.url


def test_enrolment_shows_a_local_qr_code_and_ten_recovery_codes(
    client, strict_clinic, therapist, patient
):
    sign_in(client, therapist)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page  # drawn locally, no external service
    device, response = enrol(client)
    codes = re.findall(r"<code>([0-9a-z]+)</code>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_wrong_enrolment_code_is_explained(client, strict_clinic, therapist):
    sign_in(client, therapist)
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert b"did not match" in response.content
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


@pytest.fixture
def enrolled(client, strict_clinic, therapist):
    sign_in(client, therapist)
    device, _ = enrol(client)
    client.post(reverse("logout"))
    return device


def test_second_step_at_the_next_sign_in(client, enrolled, therapist, patient):
    response = sign_in(client, therapist)
    assert response.url.startswith(reverse("two_factor_verify"))
    # The code just used at enrolment is refused: a code is good once in its window.
    refused = client.post(reverse("two_factor_verify"), {"code": code_for(enrolled)})
    assert b"did not match" in refused.content or b"Too many" in refused.content
    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        ok = client.post(reverse("two_factor_verify"), {"code": code_for(enrolled, later)})
        assert ok.status_code == 302
        assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="login", detail__startswith="second step").exists()


def test_wrong_codes_are_throttled(client, enrolled, therapist):
    start = time.time() + 60  # a fresh time window, away from the enrolment code
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, therapist)
        wrong = client.post(reverse("two_factor_verify"), {"code": "123456"})
        assert b"Too many wrong codes" in wrong.content  # the next try must wait
        # Even the right code is refused while the wait lasts...
        right = client.post(reverse("two_factor_verify"), {"code": code_for(enrolled, start)})
        assert b"Too many wrong codes" in right.content
        # ...and accepted once it is over.
        clock.shift(2)
        accepted = client.post(
            reverse("two_factor_verify"), {"code": code_for(enrolled, start + 2)}
        )
        assert accepted.status_code == 302
    refused = AuditEvent.objects.filter(action="login_failed", detail="second-step code refused")
    assert refused.count() == 2


def test_recovery_code_works_once(client, enrolled, therapist):
    recovery = StaticToken.objects.filter(device__user=therapist).first().token
    sign_in(client, therapist)
    assert client.post(reverse("two_factor_verify"), {"code": recovery}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, therapist)
    again = client.post(reverse("two_factor_verify"), {"code": recovery})
    assert again.status_code == 200
    assert StaticToken.objects.filter(device__user=therapist).count() == 9


def test_admin_resets_a_second_factor(client_for, enrolled, therapist, clinic_admin, strict_clinic):
    strict_clinic.require_two_factor = False  # so that the test admin needs no phone
    strict_clinic.save()
    response = client_for(clinic_admin).post(reverse("staff:two_factor_reset", args=[therapist.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=therapist).exists()
    assert AuditEvent.objects.filter(
        action="update", object_id=str(therapist.pk), detail="second factor reset by an admin"
    ).exists()


def test_admin_cannot_reset_another_clinics_user(client_for, other_admin, therapist, enrolled):
    response = client_for(other_admin).post(reverse("staff:two_factor_reset", args=[therapist.pk]))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=therapist).exists()


def test_clinic_without_requirement_says_so(client_for, therapist):
    html = client_for(therapist).get(reverse("my_account")).content.decode()
    assert "off for this clinic" in html


def test_end_other_sign_ins(client, therapist):
    from django.test import Client

    other_browser = Client()
    sign_in(other_browser, therapist)
    sign_in(client, therapist)
    assert therapist.sign_in_sessions.count() == 2
    client.post(reverse("end_other_sign_ins"))
    assert therapist.sign_in_sessions.count() == 1
    assert other_browser.get(reverse("therapist_home")).status_code == 302
    assert client.get(reverse("therapist_home")).status_code == 200


def test_unverified_user_reaches_nothing_but_the_two_factor_pages(
    client, enrolled, therapist, course
):
    sign_in(client, therapist)
    for url in [
        reverse("therapist_home"),
        reverse("patients:list"),
        reverse("sessions:course", args=[course.pk]),
        reverse("my_account"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/two-factor/" in response.url, url


# --- Enrolment needs the second step once an authenticator exists (finding 1 of issue 13) ---


def _state_of_second_factor(user):
    return (
        sorted(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed", "key")),
        sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)),
    )


@pytest.mark.parametrize("clinic_requires", [True, False])
def test_a_password_alone_never_reaches_enrolment_of_an_enrolled_account(
    client, enrolled, therapist, patient, strict_clinic, clinic_requires
):
    strict_clinic.require_two_factor = clinic_requires
    strict_clinic.save()
    before = _state_of_second_factor(therapist)
    sign_in(client, therapist)  # the attacker knows the password, not the phone

    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 302 and page.url.startswith(reverse("two_factor_verify"))
    posted = client.post(reverse("two_factor_setup"), {"code": "123456", "current_code": ""})
    assert posted.status_code == 302 and posted.url.startswith(reverse("two_factor_verify"))

    assert _state_of_second_factor(therapist) == before  # the owner's authenticator stays
    blocked = client.get(reverse("patients:detail", args=[patient.pk]))
    assert blocked.status_code == 302 and "two-factor" in blocked.url


def _verified_client(client, device, user, at):
    sign_in(client, user)
    response = client.post(reverse("two_factor_verify"), {"code": code_for(device, at)})
    assert response.status_code == 302
    return client


def test_replacing_the_authenticator_needs_a_current_code(
    client, enrolled, therapist, eager_tasks, django_capture_on_commit_callbacks, outbox
):
    later = time.time() + 31
    with time_machine.travel(later, tick=False) as clock:
        _verified_client(client, enrolled, therapist, later)
        page = client.get(reverse("two_factor_setup"))
        assert b"Replace your authenticator app" in page.content
        new = TOTPDevice.objects.get(user=therapist, confirmed=False)
        refused = client.post(
            reverse("two_factor_setup"), {"current_code": "000000", "code": code_for(new, later)}
        )
        assert refused.status_code == 200
        assert b"not a current code" in refused.content
        assert TOTPDevice.objects.get(user=therapist, confirmed=True).pk == enrolled.pk

        recovery = StaticToken.objects.filter(device__user=therapist).first().token
        clock.shift(2)  # a wrong code slows the next try down (throttling)
        with django_capture_on_commit_callbacks(execute=True):
            replaced = client.post(
                reverse("two_factor_setup"),
                {"current_code": recovery, "code": code_for(new, later + 2)},
            )
    assert replaced.status_code == 200 and b"recovery" in replaced.content
    assert list(TOTPDevice.objects.filter(user=therapist).values_list("pk", "confirmed")) == [
        (new.pk, True)
    ]
    assert AuditEvent.objects.filter(
        action="update",
        object_id=str(therapist.pk),
        detail__startswith="two-factor authenticator replaced",
    ).exists()
    assert AuditEvent.objects.filter(
        detail="current code refused when replacing the authenticator", outcome="failure"
    ).exists()
    [notice] = outbox
    assert notice.to == [therapist.email]
    assert "replaced" in notice.body and "clinic admin" in notice.body


def test_a_first_enrolment_and_an_admin_reset_are_told_to_the_owner(
    client, client_for, strict_clinic, therapist, clinic_admin, eager_tasks,
    django_capture_on_commit_callbacks, outbox,
):  # fmt: skip
    sign_in(client, therapist)
    with django_capture_on_commit_callbacks(execute=True):
        enrol(client)
    strict_clinic.require_two_factor = False  # so that the test admin needs no phone
    strict_clinic.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(clinic_admin).post(reverse("staff:two_factor_reset", args=[therapist.pk]))
    assert [m.to for m in outbox] == [[therapist.email], [therapist.email]]
    assert "was set up" in outbox[0].body
    assert "reset your two-factor sign-in" in outbox[1].body
    for message in outbox:  # nothing about patients, no codes
        assert "Alice" not in message.body and "Archer" not in message.body


# --- The clinic's requirement reaches people already signed in (finding 6 of issue 13) ------


def test_switching_two_factor_on_reaches_people_already_signed_in(
    client, clinic, therapist, patient
):
    sign_in(client, therapist)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    clinic.require_two_factor = True
    clinic.save()
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


# --- Found by attacking the fixes above -----------------------------------------------------


def test_each_sign_in_gets_its_own_enrolment_key(strict_clinic, therapist):
    """A password-only attacker who opened the setup page must not learn the key the owner
    enrols a moment later (they shared one unconfirmed device)."""
    from django.test import Client

    attacker, owner = Client(), Client()
    sign_in(attacker, therapist)
    attacker_page = attacker.get(reverse("two_factor_setup")).content.decode()
    sign_in(owner, therapist)
    owner_page = owner.get(reverse("two_factor_setup")).content.decode()
    key = re.compile(r'<code class="fs-6">([A-Z0-9 ]+)</code>')
    assert key.search(attacker_page).group(1) != key.search(owner_page).group(1)

    attackers_device = TOTPDevice.objects.filter(user=therapist).order_by("pk").first()
    owners_device = TOTPDevice.objects.filter(user=therapist).order_by("pk").last()
    owner.post(reverse("two_factor_setup"), {"code": code_for(owners_device)})
    assert not TOTPDevice.objects.filter(pk=attackers_device.pk).exists()
    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        sign_in(attacker, therapist)
        guess = attacker.post(
            reverse("two_factor_verify"), {"code": code_for(attackers_device, later)}
        )
    assert guess.status_code == 200  # refused: the attacker's key is not the owner's


def test_enrolling_ends_the_accounts_other_sign_ins(client, clinic, therapist, patient):
    """A sign-in made with the password alone before the owner enrolled must not go on."""
    from django.test import Client

    attacker = Client()
    sign_in(attacker, therapist)
    assert attacker.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    sign_in(client, therapist)
    enrol(client)
    after = attacker.get(reverse("patients:detail", args=[patient.pk]))
    assert after.status_code == 302 and after.url.startswith(reverse("login"))
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
