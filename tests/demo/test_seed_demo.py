import pytest
from django.core.management import CommandError, call_command

from ipt_clinic.accounts.models import Clinic, Supervision, User


def test_seed_demo_refuses_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_is_idempotent_and_creates_the_documented_people(db):
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")
    call_command("seed_demo", "--force", "--password", "demo passphrase 1")
    assert set(Clinic.objects.values_list("name", flat=True)) == {"Demo Clinic", "Other Clinic"}
    emails = set(User.objects.values_list("email", flat=True))
    assert emails == {
        "therapist@clinic.example",
        "therapist2@clinic.example",
        "supervisor@clinic.example",
        "admin@clinic.example",
        "admin@other.example",
        "therapist@other.example",
    }
    assert Supervision.objects.active().get().therapist.email == "therapist@clinic.example"
    assert User.objects.get(email="admin@other.example").clinic.name == "Other Clinic"
    assert User.objects.get(email="supervisor@clinic.example").check_password("demo passphrase 1")
