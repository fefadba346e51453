from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from ipt_clinic.accounts.models import Clinic, Supervision, User
from tests.conftest import make_user


def test_email_is_the_login_and_is_stored_lower_case(clinic):
    user = User.objects.create_user(
        email="Mixed.Case@Clinic.TEST", password="x" * 12, full_name="M", clinic=clinic
    )
    assert user.email == "mixed.case@clinic.test"
    assert User.USERNAME_FIELD == "email"
    assert User.objects.get_by_natural_key("MIXED.case@clinic.test") == user


def test_the_same_email_cannot_belong_to_two_accounts_whatever_its_case(clinic):
    make_user("dup@clinic.test", clinic)
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        make_user("DUP@clinic.test", clinic)


def test_staff_must_belong_to_a_clinic_but_the_operator_need_not(db):
    with pytest.raises(ValidationError):
        User.objects.create_user(email="x@y.test", password="x" * 12, full_name="X")
    operator = User.objects.create_superuser(email="op@y.test", password="x" * 12, full_name="O")
    assert operator.clinic is None and operator.is_staff


def test_database_refuses_staff_without_clinic(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="raw@y.test", full_name="Raw")])


def test_one_person_may_hold_several_roles(clinic):
    user = make_user("multi@clinic.test", clinic, is_therapist=True, is_supervisor=True)
    assert user.role_names == ["therapist", "supervisor"]
    assert not user.is_staff  # Django admin is for the operator only


def test_clinic_rejects_unknown_timezone(db):
    clinic = Clinic(name="Bad", timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as err:
        clinic.full_clean()
    assert "timezone" in err.value.message_dict


def test_clinic_second_reminder_must_come_after_first(db):
    clinic = Clinic(name="Bad", reminder_lead_hours=2, second_reminder_lead_hours=24)
    with pytest.raises(ValidationError) as err:
        clinic.full_clean()
    assert "second_reminder_lead_hours" in err.value.message_dict


def test_supervision_within_one_clinic_only(supervisor, other_therapist):
    link = Supervision(supervisor=supervisor, therapist=other_therapist)
    with pytest.raises(ValidationError) as err:
        link.full_clean()
    assert "same clinic" in str(err.value)


def test_supervision_needs_the_roles(therapist, colleague):
    link = Supervision(supervisor=colleague, therapist=therapist)
    with pytest.raises(ValidationError) as err:
        link.full_clean()
    assert "supervisor" in err.value.message_dict


def test_nobody_supervises_themselves_even_in_the_database(clinic):
    both = make_user("both@clinic.test", clinic, is_therapist=True, is_supervisor=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Supervision.objects.create(supervisor=both, therapist=both)


def test_supervision_active_window(supervisor, therapist):
    link = Supervision.objects.get(supervisor=supervisor)
    link.ends_on = date.today() - timedelta(days=1)
    link.save()
    assert not Supervision.objects.active().exists()
    assert Supervision.objects.active_on(date.today() - timedelta(days=2)).exists()


# --- The canonical form of an email address ---------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("ann@clinic.example", "ann@clinic.example"),
        ("  Ann@Clinic.Example ", "ann@clinic.example"),
        ("\u212aim@clinic.example", "kim@clinic.example"),  # Kelvin sign
        ("ro\u017fe@clinic.example", "rose@clinic.example"),  # long s
        ("\uff41nn@clinic.example", "ann@clinic.example"),  # fullwidth a
        ("STRA\u00dfE@clinic.example", "strasse@clinic.example"),  # sharp s folds to ss
        ("k\u0131m@clinic.example", "k\u0131m@clinic.example"),  # dotless i is its own letter
        ("", ""),
        (None, ""),
    ],
)
def test_canonical_email(typed, canonical):
    from ipt_clinic.accounts.models import canonical_email

    assert canonical_email(typed) == canonical


def test_accounts_are_stored_and_found_by_the_canonical_form(clinic):
    from ipt_clinic.accounts.models import User

    user = User.objects.create_user(
        "Ro\u017fe@Clinic.Example", "x" * 16, full_name="R", clinic=clinic, is_therapist=True
    )
    assert user.email == "rose@clinic.example"
    assert User.objects.get_by_natural_key("ROSE@clinic.example") == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("ro\u017fe@cl\u0131nic.example")
    if connection.vendor == "postgresql":  # whose UPPER() folds the dotless i onto I
        assert User.objects.email_taken("ROSE@cl\u0131nic.example")  # not a second account
