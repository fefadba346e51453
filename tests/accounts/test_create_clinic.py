"""manage.py create_clinic: a clinic and its first admin, refusing duplicates."""

import pytest
from django.core.management import CommandError, call_command

from ipt_clinic.accounts.models import AuditEvent, Clinic, User

PASSWORD = "a long and unusual passphrase 7"


def create(*args, **options):
    options.setdefault("admin_email", "Ann@Northside.example")
    options.setdefault("admin_name", "Ann Admin")
    options.setdefault("password", PASSWORD)
    call_command("create_clinic", *(args or ["Northside Clinic"]), **options)


def test_creates_the_clinic_and_its_first_admin(db, capsys):
    create(timezone="America/Chicago")
    clinic = Clinic.objects.get(name="Northside Clinic")
    assert clinic.timezone == "America/Chicago" and clinic.require_two_factor
    admin = User.objects.get(email="ann@northside.example")
    assert (admin.clinic, admin.is_clinic_admin, admin.is_therapist) == (clinic, True, False)
    assert admin.is_active and not admin.is_superuser and admin.check_password(PASSWORD)
    assert AuditEvent.objects.filter(clinic=clinic, action="create").count() == 2
    assert "Created Northside Clinic" in capsys.readouterr().out


def test_running_it_again_changes_nothing(db, capsys):
    create()
    create()
    assert Clinic.objects.count() == 1 and User.objects.count() == 1
    assert "nothing to do" in capsys.readouterr().out


def test_duplicates_are_refused(db, clinic, therapist):
    with pytest.raises(CommandError, match="already exists"):
        create(clinic.name.upper())
    with pytest.raises(CommandError, match="already exists"):
        create("New Clinic", admin_email=therapist.email)
    assert not Clinic.objects.filter(name="New Clinic").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"password": "short"}, "at least 12 characters"),
        ({"password": "ann@northside.example!"}, "too similar"),
        ({"timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"admin_email": "not-an-email"}, "valid email"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(db, options, message):
    with pytest.raises(CommandError, match=message):
        create(**options)
    assert not Clinic.objects.exists() and not User.objects.exists()


def test_the_password_is_asked_for_twice_when_not_given(db, monkeypatch):
    answers = iter(["one long passphrase 1", "different 2", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    create(password=None)
    assert User.objects.get().check_password(PASSWORD)


def test_two_factor_can_be_left_off(db):
    create(no_two_factor=True)
    assert not Clinic.objects.get().require_two_factor
