"""Create a clinic and its first clinic admin: the operator's one step to open a clinic.

    manage.py create_clinic "Northside Clinic" --admin-email ann@northside.example \
        --admin-name "Ann Admin" --timezone Europe/London

The password is asked for twice (or given with --password, for scripts). Running it again for
the same clinic and admin changes nothing; a clinic name or an email address already in use
otherwise is refused. Everything else (staff, settings) the admin then does in the app.
"""

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import Clinic, User, canonical_email, validate_timezone


class Command(BaseCommand):
    help = "Create a clinic and its first clinic admin (refuses names and emails in use)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the clinic's name (unique)")
        parser.add_argument("--admin-email", required=True, help="the first admin's email")
        parser.add_argument("--admin-name", required=True, help="the first admin's full name")
        parser.add_argument(
            "--timezone", default="Europe/London", help="e.g. Europe/London (the default)"
        )
        parser.add_argument(
            "--password",
            help="the admin's password (asked for when not given; prefer the prompt)",
        )
        parser.add_argument(
            "--no-two-factor",
            action="store_true",
            help="do not require two-factor sign-in (the admin can change it later)",
        )

    def handle(self, *args, name, admin_email, admin_name, timezone, password, **options):
        name, admin_name = name.strip(), admin_name.strip()
        email = canonical_email(admin_email)
        if not name or not admin_name or not email:
            raise CommandError("The clinic name, admin name and admin email must not be empty.")
        try:
            validate_timezone(timezone)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

        existing = Clinic.objects.filter(name__iexact=name).first()
        admin = User.objects.filter(email=email).first()
        if existing and admin and admin.clinic_id == existing.pk and admin.is_clinic_admin:
            self.stdout.write(f"{existing.name} and its admin {admin.email} exist: nothing to do.")
            return
        if existing:
            raise CommandError(f"A clinic named {existing.name!r} already exists.")
        if admin:
            raise CommandError(f"An account with the email address {email} already exists.")

        clinic = Clinic(
            name=name, timezone=timezone, require_two_factor=not options["no_two_factor"]
        )
        user = User(
            email=email, full_name=admin_name, clinic=clinic, is_clinic_admin=True, is_active=True
        )
        password = password if password is not None else self._ask_password(user)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None

        with transaction.atomic():
            try:
                clinic.full_clean()
                clinic.save()
                user.clinic = clinic
                user.set_password(password)
                user.full_clean(exclude=["password"])
                user.save()
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            audit_record(
                action=Action.CREATE,
                obj=clinic,
                clinic_id=clinic.pk,
                detail=f"clinic created by manage.py create_clinic, first admin {user.pk}",
            )
            audit_record(
                action=Action.CREATE,
                obj=user,
                clinic_id=clinic.pk,
                detail="first clinic admin, created by manage.py create_clinic",
            )
        two_factor = "required" if clinic.require_two_factor else "not required"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {clinic.name} ({clinic.timezone}; two-factor sign-in {two_factor}) "
                f"and its clinic admin {user.email}."
            )
        )

    def _ask_password(self, user: User) -> str:
        for _ in range(3):
            first = getpass.getpass(f"Password for {user.email}: ")
            second = getpass.getpass("The same password again: ")
            if first != second:
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                password_validation.validate_password(first, user)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return first
        raise CommandError("No acceptable password given.")
