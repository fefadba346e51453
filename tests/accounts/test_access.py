"""The scoping rules of ipt_clinic/accounts/access.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ipt_clinic.accounts import access
from ipt_clinic.accounts.models import Supervision


def test_therapist_reads_only_own_caseload(therapist, colleague):
    assert list(access.clinical_owner_ids(therapist).values_list("pk", flat=True)) == [therapist.pk]


def test_supervisor_reads_current_supervisees_only(supervisor, therapist, colleague):
    ids = set(access.clinical_owner_ids(supervisor).values_list("pk", flat=True))
    assert ids == {therapist.pk}


def test_ended_supervision_removes_access_at_once(supervisor, therapist):
    Supervision.objects.filter(supervisor=supervisor).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert not access.clinical_owner_ids(supervisor).exists()
    assert not access.supervisees_for(supervisor).exists()


def test_future_supervision_grants_nothing_yet(clinic, supervisor, colleague):
    Supervision.objects.create(
        supervisor=supervisor,
        therapist=colleague,
        starts_on=timezone.localdate() + timedelta(days=3),
    )
    assert colleague.pk not in set(
        access.clinical_owner_ids(supervisor).values_list("pk", flat=True)
    )


def test_clinic_admin_reads_no_caseload_but_the_staff_list(
    clinic_admin, therapist, other_therapist
):
    assert not access.clinical_owner_ids(clinic_admin).exists()
    staff = set(access.staff_for(clinic_admin))
    assert therapist in staff and other_therapist not in staff


def test_inactive_and_operator_see_nothing(inactive_user, operator, therapist):
    for user in (inactive_user, operator):
        assert not access.clinical_owner_ids(user).exists()
        assert not access.staff_for(user).exists()


def test_supervisor_who_loses_the_role_loses_access(supervisor, therapist):
    supervisor.is_supervisor = False
    supervisor.save()
    assert not access.clinical_owner_ids(supervisor).exists()


def test_home_is_chosen_by_role(therapist, supervisor, clinic_admin):
    assert access.home_url_name(therapist) == "therapist_home"
    assert access.home_url_name(supervisor) == "supervisor_home"
    assert access.home_url_name(clinic_admin) == "clinic_admin_home"


# --- may_edit and is_treating: one rule for "may this user change this record" (#14) --------


@pytest.mark.parametrize(
    ("principal", "closed", "treating", "editable"),
    [
        ("therapist", False, True, True),
        ("therapist", True, True, False),  # a closed course's record no longer changes
        ("colleague", False, False, False),
        ("supervisor", False, False, False),  # reads, never writes
        ("clinic_admin", False, False, False),
        ("other_therapist", False, False, False),
        ("inactive_user", False, False, False),
    ],
)
def test_who_treats_and_who_may_edit(world, principal, closed, treating, editable):
    from ipt_clinic.accounts.access import is_treating, may_edit

    course, session, patient = world["course"], world["session"], world["patient"]
    if closed:
        course.status = course.Status.ENDED_EARLY
    user = world[principal]
    for obj in (course, session):
        assert is_treating(user, obj) is treating
        assert may_edit(user, obj) is editable
    assert may_edit(user, patient) is treating  # a patient's details stay editable
