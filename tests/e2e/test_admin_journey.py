"""A clinic admin invites a therapist, who accepts and sets up two-factor sign-in; the admin
hands over a colleague's caseload and reads the audit report.
Screenshots go to test-artifacts/screens/admin-*.png."""

import re
import time

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD, make_patient, open_course

from .conftest import sign_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a fresh and long passphrase 9"


def current_code(device: TOTPDevice) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits)
    generator.time = time.time()
    return f"{generator.token():06d}"


def test_invite_enrol_hand_over_and_audit(
    clinic_admin, therapist, colleague, browser, live_server, shot
):
    moving = open_course(make_patient(colleague, given_name="Moira", family_name="Moving"))
    admin = browser.new_context(base_url=live_server.url).new_page()
    sign_in(admin, clinic_admin.email, PASSWORD)
    admin.wait_for_url(re.compile(r"/clinic/$"))

    # Invite.
    admin.goto("/clinic/staff/invite/")
    admin.get_by_label("Full name").fill("Nina Newhire")
    admin.get_by_label("Email address").fill("nina@clinic.test")
    admin.get_by_label("Therapist: treats patients").check()
    admin.get_by_role("button", name="Send the invitation").click()
    assert admin.get_by_text("nina@clinic.test").first.is_visible()
    shot(admin, "admin-1-invited")
    link = re.search(r"https?://\S+/join/\S+/", mail.outbox[-1].body).group(0)

    # The invitee accepts and sets up two-factor sign-in from My account.
    invitee = browser.new_context(base_url=live_server.url).new_page()
    invitee.goto(re.sub(r"^https?://[^/]+", "", link))
    invitee.get_by_label("Choose a password").fill(NEW_PASSWORD)
    invitee.get_by_label("The same password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create my account").click()
    invitee.wait_for_url(re.compile(r"/therapist/$"))
    invitee.get_by_role("link", name="My account").click()
    invitee.get_by_role("link", name="Set up two-factor sign-in").click()
    assert invitee.locator("img.qr-code").is_visible()
    shot(invitee, "admin-2-enrol")
    device = TOTPDevice.objects.get(user__email="nina@clinic.test", confirmed=False)
    invitee.get_by_label("Code from your authenticator app").fill(current_code(device))
    invitee.get_by_role("button", name="Confirm").click()
    assert invitee.locator("ol.recovery-codes li").count() == 10
    shot(invitee, "admin-3-recovery-codes")

    # The admin hands over the colleague's caseload to the first therapist.
    admin.goto(f"/clinic/staff/{colleague.pk}/handover/")
    admin.get_by_label("Hand over to").select_option(label=therapist.full_name)
    admin.get_by_role("button", name="Hand over").click()
    shot(admin, "admin-4-handed-over")
    moving.refresh_from_db()
    assert moving.therapist_id == therapist.pk

    # ... and reads the audit report.
    admin.goto("/clinic/audit/")
    assert admin.get_by_role("heading", name="Audit report").is_visible()
    assert admin.locator("table").get_by_text("Nina Newhire").first.is_visible()
    shot(admin, "admin-5-audit-report")
