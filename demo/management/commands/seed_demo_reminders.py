"""Book a demo appointment two hours ahead, so that `make run` visibly sends a reminder.

The demo courses of `seed_demo` keep their weekly slots, whose reminders fall due days
apart; this gives the newcomer one that falls due within a minute. Every run books (or
moves) the appointment again, so every `make run` shows a reminder going out.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic, User
from patients.models import Patient
from patients.services import patient_create
from sessions import services
from sessions.models import Course, TherapySession

RECORD_NUMBER = "DEMO-0101"


class Command(BaseCommand):
    help = "Book a demo appointment whose reminder goes out within a minute (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even though DEBUG is off")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo_reminders is for the demo: DJANGO_DEBUG=true or --force.")
        clinic = Clinic.objects.filter(name="Demo Clinic").first()
        therapist = User.objects.filter(email="therapist@clinic.example", clinic=clinic).first()
        if clinic is None or therapist is None:
            raise CommandError("Run seed_demo first: the demo clinic and therapist are missing.")
        # Dates as the clinic sees them (a consent date, an end date), as in its requests.
        with timezone.override(clinic.zone):
            self._book(clinic, therapist)

    @transaction.atomic
    def _book(self, clinic: Clinic, therapist: User):
        if not (clinic.contact_phone or clinic.contact_email):
            clinic.contact_phone = "020 7946 0018"
            clinic.contact_email = "appointments@clinic.example"
            clinic.save(update_fields=["contact_phone", "contact_email"])
        lead = timedelta(hours=clinic.second_reminder_lead_hours or clinic.reminder_lead_hours)
        now = timezone.now()
        # On the next whole minute after `lead` from now, and never less than 10 s away.
        start = (now + lead + timedelta(seconds=70)).replace(second=0, microsecond=0)
        local = timezone.localtime(start, clinic.zone)
        today = timezone.localdate()
        patient = self._patient(clinic, therapist, today)
        course = Course.objects.filter(patient=patient).open().first()
        upcoming = (
            course.sessions.filter(attendance=TherapySession.Attendance.SCHEDULED)
            .filter(scheduled_start__gt=now)
            .order_by("number")
            .first()
            if course
            else None
        )
        if course and upcoming is None:
            services.course_end_early(
                by=therapist, course=course, reason="demo course rebooked", ended_on=today
            )
            course = None
        if course is None:
            course = services.course_open(
                by=therapist,
                patient=patient,
                therapist=therapist,
                planned_sessions=12,
                start_date=local.date(),
                usual_weekday=local.weekday(),
                usual_time=local.time(),
                session_minutes=50,
                indication="Demo course, booked to show appointment reminders.",
            )
            session = course.sessions.get(number=1)
        else:
            session = services.session_reschedule(
                by=therapist, session=upcoming, new_start=start, planned_minutes=50
            )
        due = timezone.localtime(start - lead, clinic.zone)
        self.stdout.write(
            f"Demo reminder: {patient.full_name}'s session {session.number} is at "
            f"{local:%H:%M} ({clinic.timezone}); its reminder is due at {due:%H:%M:%S} and is "
            f"written to var/mail/ by the worker within a minute of that."
        )

    def _patient(self, clinic: Clinic, therapist: User, today: date) -> Patient:
        existing = Patient.objects.filter(clinic=clinic, record_number=RECORD_NUMBER).first()
        if existing:
            return existing
        return patient_create(
            by=therapist,
            therapist=therapist,
            patient=Patient(
                clinic=clinic,
                therapist=therapist,
                record_number=RECORD_NUMBER,
                given_name="Rowan",
                family_name="Ellery",
                date_of_birth=date(1990, 7, 12),
                email="rowan.ellery@example.org",
                preferred_channel=Patient.Channel.EMAIL,
                reminder_consent=True,
                reminder_consent_on=today,
                created_at=datetime.combine(today, time(9, 0), tzinfo=clinic.zone),
            ),
        )
