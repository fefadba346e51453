"""The clinic admin's staff pages: list, roles, supervision links, deactivation."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent, SignInSession, Supervision, User
from tests.conftest import PASSWORD, make_user

# --- The list -------------------------------------------------------------------------------


def test_staff_list_shows_own_clinic_only_filtered_by_role_and_status(
    admin_client, therapist, supervisor, inactive_user, other_therapist
):
    url = reverse("staff:list")
    html = admin_client.get(url).content.decode()
    assert therapist.email in html and supervisor.email in html
    assert inactive_user.email not in html  # active staff by default
    assert other_therapist.email not in html

    html = admin_client.get(url, {"role": "supervisor"}).content.decode()
    assert supervisor.email in html and therapist.email not in html

    html = admin_client.get(url, {"status": "inactive"}).content.decode()
    assert inactive_user.email in html and therapist.email not in html

    html = admin_client.get(url, {"status": "all", "role": "therapist"}).content.decode()
    assert inactive_user.email in html and therapist.email in html
    assert supervisor.email not in html


def test_staff_list_queries_do_not_grow_with_staff(admin_client, clinic, clinic_admin, queries_for):
    url = reverse("staff:list")
    few = queries_for(admin_client, url, status="all")
    for i in range(25):
        make_user(f"staff{i}@clinic.test", clinic, is_therapist=True, is_active=i % 2 == 0)
    assert queries_for(admin_client, url, status="all") == few


def test_another_clinics_staff_are_404(client_for, other_admin, therapist, supervisor):
    client = client_for(other_admin)
    link = supervisor.supervisions_given.get()
    assert client.get(reverse("staff:detail", args=[therapist.pk])).status_code == 404
    assert client.post(reverse("staff:deactivate", args=[therapist.pk])).status_code == 404
    assert client.post(reverse("staff:reactivate", args=[therapist.pk])).status_code == 404
    assert client.get(reverse("staff:supervision_edit", args=[link.pk])).status_code == 404
    assert client.get(reverse("clinic_admin:handover", args=[therapist.pk])).status_code == 404
    therapist.refresh_from_db()
    assert therapist.is_active


# --- Roles ----------------------------------------------------------------------------------


def roles_post(client, person, **roles):
    data = {"full_name": roles.pop("full_name", person.full_name)}
    data.update({name: "on" for name, held in roles.items() if held})
    return client.post(reverse("staff:detail", args=[person.pk]), data)


def test_an_admin_changes_name_and_roles_and_it_is_audited(admin_client, colleague):
    response = roles_post(
        admin_client, colleague, full_name="Theo O.", is_therapist=True, is_supervisor=True
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.full_name == "Theo O." and colleague.is_supervisor
    event = AuditEvent.objects.filter(object_id=str(colleague.pk), action="update").last()
    assert "therapist -> therapist, supervisor" in event.detail


def test_posting_clinic_email_or_superuser_to_the_roles_form_changes_nothing(
    admin_client, colleague, other_clinic, clinic
):
    admin_client.post(
        reverse("staff:detail", args=[colleague.pk]),
        {
            "full_name": colleague.full_name,
            "is_therapist": "on",
            "clinic": other_clinic.pk,
            "email": "stolen@evil.test",
            "is_superuser": "on",
            "is_active": "",
            "password": "x",
        },
    )
    colleague.refresh_from_db()
    assert colleague.clinic == clinic and colleague.email == "theo@clinic.test"
    assert not colleague.is_superuser and colleague.is_active
    assert colleague.check_password(PASSWORD)


def test_role_changes_that_would_strand_someone_are_refused(
    admin_client, clinic_admin, therapist, supervisor, course
):
    html = roles_post(admin_client, clinic_admin, is_therapist=True).content.decode()
    assert "your own clinic admin role" in html
    html = roles_post(admin_client, therapist, is_supervisor=True).content.decode()
    assert "1 open course" in html
    html = roles_post(admin_client, supervisor, is_therapist=True).content.decode()
    assert "They supervise therapists" in html
    html = roles_post(admin_client, supervisor).content.decode()
    assert "at least one role" in html
    clinic_admin.refresh_from_db(), therapist.refresh_from_db(), supervisor.refresh_from_db()
    assert clinic_admin.is_clinic_admin and therapist.is_therapist and supervisor.is_supervisor


# --- Supervision links ----------------------------------------------------------------------


def test_an_admin_adds_a_supervision_link_and_ends_it(admin_client, supervisor, colleague):
    today = timezone.localdate()
    response = admin_client.post(
        reverse("staff:supervisions"),
        {"supervisor": supervisor.pk, "therapist": colleague.pk, "starts_on": today},
    )
    assert response.status_code == 302
    link = Supervision.objects.get(therapist=colleague)
    assert link.ends_on is None
    response = admin_client.post(
        reverse("staff:supervision_edit", args=[link.pk]),
        {"starts_on": today, "ends_on": today + timedelta(days=30)},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.ends_on == today + timedelta(days=30)
    assert AuditEvent.objects.filter(object_type="accounts.supervision").count() == 2


def test_a_link_ended_now_stops_access_at_once(admin_client, client_for, therapist, clinic):
    """Even a link that began today (an end date cannot precede its start, and a link
    ending today lasts until midnight)."""
    from tests.conftest import make_patient, make_user, open_course

    supervisor = make_user("new-sup@clinic.test", clinic, is_supervisor=True)
    today = timezone.localdate()
    admin_client.post(
        reverse("staff:supervisions"),
        {"supervisor": supervisor.pk, "therapist": therapist.pk, "starts_on": today},
    )
    link = Supervision.objects.get(supervisor=supervisor)
    course = open_course(make_patient(therapist))
    supervisor_client = client_for(supervisor)
    course_url = reverse("sessions:course", args=[course.pk])
    assert supervisor_client.get(course_url).status_code == 200

    response = admin_client.post(reverse("staff:supervision_end", args=[link.pk]), follow=True)
    assert "access to the caseload has stopped" in response.content.decode()
    assert supervisor_client.get(course_url).status_code == 404
    link.refresh_from_db()
    assert link.ended_at and link.ends_on == today
    assert AuditEvent.objects.filter(object_id=str(link.pk), detail__contains="ended at once")

    # Over for good: its dates cannot reopen it, a second "End now" says so, a new link can
    # start the same day.
    response = admin_client.post(
        reverse("staff:supervision_edit", args=[link.pk]), {"starts_on": today, "ends_on": ""}
    )
    assert "add a new link" in response.content.decode()
    response = admin_client.post(reverse("staff:supervision_end", args=[link.pk]), follow=True)
    assert "already ended" in response.content.decode()
    admin_client.post(
        reverse("staff:supervisions"),
        {"supervisor": supervisor.pk, "therapist": therapist.pk, "starts_on": today},
    )
    assert supervisor_client.get(course_url).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"therapist": "supervisor"}, "Select a valid choice"),  # not a therapist
        ({"ends_on": "yesterday"}, "cannot come before the start date"),
        ({"overlap": True}, "already have a supervision link in this period"),
    ],
)
def test_supervision_link_validation_shows_errors_beside_fields(
    admin_client, supervisor, therapist, colleague, change, message
):
    today = timezone.localdate()
    data = {"supervisor": supervisor.pk, "therapist": colleague.pk, "starts_on": today}
    if change.get("therapist"):
        data["therapist"] = supervisor.pk
    if change.get("ends_on"):
        data["ends_on"] = today - timedelta(days=1)
    if change.get("overlap"):
        data["therapist"] = therapist.pk  # supervisor already supervises them, open-ended
    response = admin_client.post(reverse("staff:supervisions"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Supervision.objects.count() == 1


def test_another_clinics_people_cannot_be_linked(admin_client, supervisor, other_therapist):
    response = admin_client.post(
        reverse("staff:supervisions"),
        {
            "supervisor": supervisor.pk,
            "therapist": other_therapist.pk,
            "starts_on": timezone.localdate(),
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Supervision.objects.filter(therapist=other_therapist).exists()


# --- Deactivation ---------------------------------------------------------------------------


def sign_in(client, user):
    return client.post(reverse("login"), {"username": user.email, "password": PASSWORD})


def signed_in_client(user) -> Client:
    """A browser signed in through the sign-in page (so its sign-in is tracked)."""
    client = Client()
    assert sign_in(client, user).status_code == 302
    return client


def test_deactivation_ends_every_sign_in_of_the_user_at_once(admin_client, colleague):
    laptop, phone = signed_in_client(colleague), signed_in_client(colleague)
    assert laptop.get(reverse("therapist_home")).status_code == 200
    assert SignInSession.objects.filter(user=colleague).count() == 2
    keys = list(SignInSession.objects.filter(user=colleague).values_list("session_key", flat=True))

    response = admin_client.post(
        reverse("staff:deactivate", args=[colleague.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302

    colleague.refresh_from_db()
    assert not colleague.is_active
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not SignInSession.objects.filter(user=colleague).exists()
    for client in (laptop, phone):
        response = client.get(reverse("therapist_home"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert not get_user(client).is_authenticated
    # ... and cannot sign in again; nothing of theirs was deleted.
    assert sign_in(Client(), colleague).status_code == 200  # the form again, with an error
    assert User.objects.filter(pk=colleague.pk).exists()
    event = AuditEvent.objects.filter(object_id=str(colleague.pk), action="update").last()
    assert "deactivated; 2 sign-ins ended" in event.detail


def test_deactivating_a_therapist_with_open_courses_is_refused(admin_client, therapist, course):
    client = signed_in_client(therapist)
    response = admin_client.post(
        reverse("staff:deactivate", args=[therapist.pk]), {"confirm": "yes"}, follow=True
    )
    html = response.content.decode()
    assert "still has 1 open course" in html and "hand the caseload over first" in html
    assert reverse("clinic_admin:handover", args=[therapist.pk]) in html
    therapist.refresh_from_db()
    assert therapist.is_active
    assert client.get(reverse("therapist_home")).status_code == 200


def test_an_admin_cannot_deactivate_themselves(admin_client, clinic_admin):
    response = admin_client.post(
        reverse("staff:deactivate", args=[clinic_admin.pk]), {"confirm": "yes"}, follow=True
    )
    assert "cannot deactivate your own account" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


def test_deactivating_a_supervisor_ends_their_supervision_links(admin_client, supervisor):
    admin_client.post(reverse("staff:deactivate", args=[supervisor.pk]), {"confirm": "yes"})
    link = supervisor.supervisions_given.get()
    assert link.ends_on == timezone.localdate()
    assert link.ended_at  # at once, not at midnight


def test_reactivation_lets_them_sign_in_again(admin_client, inactive_user):
    response = admin_client.post(reverse("staff:reactivate", args=[inactive_user.pk]))
    assert response.status_code == 302
    assert signed_in_client(inactive_user).get(reverse("therapist_home")).status_code == 200
    assert AuditEvent.objects.filter(object_id=str(inactive_user.pk), detail="reactivated")


def test_staff_pages_are_for_clinic_admins_only(client_for, therapist, supervisor):
    for user in (therapist, supervisor):
        assert client_for(user).get(reverse("staff:list")).status_code == 403
        assert client_for(user).post(reverse("staff:invite"), {}).status_code == 403


def test_admin_home_links_every_admin_page_and_the_menu_names_staff_and_audit(
    admin_client, client_for, therapist
):
    html = admin_client.get(reverse("clinic_admin_home")).content.decode()
    for name in (
        "staff:list",
        "staff:supervisions",
        "clinic_admin:settings",
        "clinic_admin:audit",
        "clinic_admin:reminder_failures",
        "clinic_admin:roster",
    ):
        assert f'href="{reverse(name)}"' in html, name
    assert f'href="{reverse("staff:detail", args=[therapist.pk])}"' in html
    therapist_html = client_for(therapist).get(reverse("therapist_home")).content.decode()
    assert reverse("staff:list") not in therapist_html
    assert reverse("clinic_admin:audit") not in therapist_html


# --- Nobody grants themselves access (finding 3 of issue 13) ---------------------------------


@pytest.mark.parametrize("role", ["is_supervisor", "is_therapist"])
def test_an_admin_cannot_give_themselves_a_role(admin_client, clinic_admin, role):
    html = roles_post(admin_client, clinic_admin, is_clinic_admin=True, **{role: True})
    assert "You cannot give yourself a role" in html.content.decode()
    clinic_admin.refresh_from_db()
    assert not getattr(clinic_admin, role)
    assert not AuditEvent.objects.filter(object_id=str(clinic_admin.pk), action="update")


def test_an_admin_cannot_drop_their_own_roles_either(client_for, clinic, clinic_admin):
    clinic_admin.is_supervisor = True
    clinic_admin.save()
    response = roles_post(client_for(clinic_admin), clinic_admin, is_clinic_admin=True)
    assert "You cannot change your own roles" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_supervisor


def test_an_admin_who_is_a_supervisor_cannot_link_themselves_to_a_therapist(
    client_for, clinic_admin, therapist, patient, course
):
    """The probe's path to clinical notes: tick the supervisor role (refused above), or, holding
    it already, link oneself to a therapist and read their courses."""
    clinic_admin.is_supervisor = True
    clinic_admin.save()
    client = client_for(clinic_admin)
    response = client.post(
        reverse("staff:supervisions"),
        {
            "supervisor": clinic_admin.pk,
            "therapist": therapist.pk,
            "starts_on": timezone.localdate(),
        },
    )
    assert response.status_code == 200
    assert "supervision link of your own" in response.content.decode()
    assert not Supervision.objects.filter(supervisor=clinic_admin).exists()
    assert client.get(reverse("sessions:course", args=[course.pk])).status_code == 404


def test_an_admin_cannot_change_or_end_a_link_of_their_own(
    client_for, clinic, clinic_admin, therapist
):
    clinic_admin.is_supervisor = True
    clinic_admin.save()
    link = Supervision.objects.create(
        supervisor=clinic_admin, therapist=therapist, starts_on=timezone.localdate()
    )
    client = client_for(clinic_admin)
    later = timezone.localdate() + timedelta(days=400)
    response = client.post(
        reverse("staff:supervision_edit", args=[link.pk]),
        {"starts_on": timezone.localdate(), "ends_on": later},
    )
    assert "supervision link of your own" in response.content.decode()
    client.post(reverse("staff:supervision_end", args=[link.pk]))
    link.refresh_from_db()
    assert link.ends_on is None and link.ended_at is None


def test_an_admin_cannot_reset_their_own_second_factor(client_for, clinic_admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=clinic_admin, name="authenticator", confirmed=True)
    client = client_for(clinic_admin)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # passed the second step (django_otp.login)
    session.save()
    response = client.post(reverse("staff:two_factor_reset", args=[clinic_admin.pk]), follow=True)
    assert "cannot reset your own two-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()


def test_access_changes_are_shown_to_the_clinics_other_admins(
    client_for, clinic, clinic_admin, colleague, supervisor
):
    other = make_user("ada@clinic.test", clinic, name="Ada Other", is_clinic_admin=True)
    roles_post(client_for(other), colleague, is_therapist=True, is_supervisor=True)
    client_for(other).post(
        reverse("staff:supervisions"),
        {"supervisor": supervisor.pk, "therapist": colleague.pk, "starts_on": timezone.localdate()},
    )
    html = client_for(clinic_admin).get(reverse("clinic_admin_home")).content.decode()
    assert "Changes to access" in html
    assert "Theo Okafor: roles therapist -&gt; therapist, supervisor" in html
    assert "Sara Lindqvist supervises Theo Okafor" in html
    assert html.count("Ada Other") >= 2  # who made each change


def test_the_admin_home_lists_access_changes_in_constant_queries(
    client_for, clinic, clinic_admin, colleague, queries_for
):
    other = make_user("ada@clinic.test", clinic, name="Ada Other", is_clinic_admin=True)
    client = client_for(clinic_admin)
    roles_post(client_for(other), colleague, is_therapist=True, is_supervisor=True)
    few = queries_for(client, reverse("clinic_admin_home"))
    for n in range(5):
        person = make_user(f"p{n}@clinic.test", clinic, is_therapist=True)
        roles_post(client_for(other), person, is_therapist=True, is_supervisor=True)
    assert queries_for(client, reverse("clinic_admin_home")) == few


def test_deactivation_waits_for_its_confirmation(admin_client, colleague):
    url = reverse("staff:deactivate", args=[colleague.pk])
    page = admin_client.get(reverse("staff:detail", args=[colleague.pk])).content.decode()
    assert f"Yes, deactivate {colleague.full_name}" in page and 'value="yes"' in page
    response = admin_client.post(url, follow=True)  # a stray POST: nothing happens
    colleague.refresh_from_db()
    assert colleague.is_active and "confirm it below" in response.content.decode()
    admin_client.post(url, {"confirm": "yes"})
    colleague.refresh_from_db()
    assert not colleague.is_active
