"""Create the demo clinics, staff, patients and IPT courses, idempotently."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.clinic import seed_clinical_demo
from demo.inventory import seed_inventory_demo
from demo.risk import seed_risk_demo
from demo.scale import ScaleClinicExists, seed_scale_clinic
from ipt_clinic.accounts.models import Clinic, Supervision, User
from oversight import store

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - documented in the README; demo only

DEMO_PEOPLE = [
    # (clinic, email, full name, therapist, supervisor, clinic admin)
    ("Demo Clinic", "therapist@clinic.example", "Tess Harper", True, False, False),
    ("Demo Clinic", "therapist2@clinic.example", "Theo Okafor", True, False, False),
    ("Demo Clinic", "supervisor@clinic.example", "Sara Lindqvist", False, True, False),
    ("Demo Clinic", "admin@clinic.example", "Adam Reyes", False, False, True),
    ("Other Clinic", "admin@other.example", "Olga Admin", False, False, True),
    ("Other Clinic", "therapist@other.example", "Otto Therapist", True, False, False),
]


class Command(BaseCommand):
    help = "Create the demo clinics and staff (idempotent). Refuses when DEBUG is off."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password for every demo account (default: {DEFAULT_PASSWORD})",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though DEBUG is off (never on a production installation)",
        )
        parser.add_argument(
            "--scale",
            type=float,
            metavar="N",
            help="instead of the demo clinics, create 'Scale Clinic N' in bulk for load tests: "
            "N=1 is 50 therapists, 2,000 courses and about 28,000 sessions (N may be a "
            "fraction); refuses when that clinic exists",
        )

    @transaction.atomic
    def handle(self, *args, password: str, force: bool, scale: float | None, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password; it runs only with "
                "DJANGO_DEBUG=true, or with --force on a machine that is not production."
            )
        if scale is not None:
            try:
                report = seed_scale_clinic(scale=scale, password=password, log=self.stdout.write)
            except ScaleClinicExists as exists:
                self.stdout.write(f"{exists} exists already; nothing was changed.")
            except ValueError as error:
                raise CommandError(str(error)) from error
            else:
                self.stdout.write(self.style.SUCCESS(report.summary()))
            return
        clinics = {
            # The demo clinic has two-factor sign-in off so a newcomer can look around at once
            # (its pages say so); the other clinic keeps the default and asks for it.
            "Demo Clinic": self._clinic("Demo Clinic", "Europe/London", two_factor=False),
            "Other Clinic": self._clinic("Other Clinic", "America/New_York", two_factor=True),
        }
        people = {}
        for clinic_name, email, name, therapist, supervisor, admin in DEMO_PEOPLE:
            user, created = User.objects.update_or_create(
                email=email,
                defaults={
                    "full_name": name,
                    "clinic": clinics[clinic_name],
                    "is_therapist": therapist,
                    "is_supervisor": supervisor,
                    "is_clinic_admin": admin,
                    "is_active": True,
                },
            )
            if created or not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            people[email] = user

        Supervision.objects.get_or_create(
            supervisor=people["supervisor@clinic.example"],
            therapist=people["therapist@clinic.example"],
            ends_on=None,
            defaults={"starts_on": timezone.localdate() - timedelta(days=180)},
        )
        courses = seed_clinical_demo(
            therapist=people["therapist@clinic.example"],
            therapist2=people["therapist2@clinic.example"],
            stdout=self.stdout,
        )
        # It also completes the finished course, after its termination review.
        seed_inventory_demo(courses=courses, stdout=self.stdout)
        seed_risk_demo(courses=courses, stdout=self.stdout)
        # Both wrote around the services: the courses' caseload facts are computed now.
        store.refresh(course.pk for course in courses.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(clinics)} clinics, {len(people)} staff. "
                f"Sign in as therapist@clinic.example (and the others in the README)."
            )
        )

    def _clinic(self, name: str, tz: str, *, two_factor: bool) -> Clinic:
        clinic, _ = Clinic.objects.get_or_create(
            name=name, defaults={"timezone": tz, "require_two_factor": two_factor}
        )
        return clinic
