"""The patient: identity, contact details and reminder consent. Nothing clinical lives here."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.models import Clinic, User
from ipt_clinic.validation import EARLIEST_LIFE_DATE, date_outside

phone_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9 ()\-]{5,22}[0-9]$",
    message="Enter a phone number of digits, spaces or dashes, optionally starting with +.",
)


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> "PatientQuerySet":
        return self.filter(status=Patient.Status.ACTIVE)

    def search(self, text: str) -> "PatientQuerySet":
        text = text.strip()
        if not text:
            return self
        query = Q(record_number__iexact=text)
        for word in text.split():
            query |= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        return self.filter(query)


class Patient(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "active"
        DISCHARGED = "discharged", "discharged"
        ARCHIVED = "archived", "archived"

    class Channel(models.TextChoices):
        EMAIL = "email", "email"
        SMS = "sms", "text message (SMS)"
        NONE = "none", "no reminders"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="patients")
    record_number = models.CharField(
        max_length=32,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9\-/.]*$",
                "Use letters, digits, dashes, dots or slashes.",
            )
        ],
        help_text="The clinic's own record number; unique within the clinic.",
    )
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=24, blank=True, validators=[phone_validator])
    preferred_channel = models.CharField(
        "preferred reminder channel", max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    reminder_consent = models.BooleanField(
        "consents to reminders",
        default=False,
        help_text="The patient agreed to receive appointment reminders.",
    )
    reminder_consent_on = models.DateField("consent given on", null=True, blank=True)
    # Set when the patient used the opt-out link of a reminder (consent is withdrawn with it).
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="patient_record_number_unique_in_clinic"
            ),
            models.CheckConstraint(
                condition=Q(reminder_consent=False) | Q(reminder_consent_on__isnull=False),
                name="patient_consent_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status="archived", archived_at__isnull=False)
                | (~Q(status="archived") & Q(archived_at__isnull=True)),
                name="patient_archived_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "therapist", "status"], name="patient_caseload"),
            models.Index(fields=["clinic", "family_name"], name="patient_clinic_name"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def wants_reminders(self) -> bool:
        """Consented and asked for a channel: pending reminders may go out (the sender checks
        again at sending, with the reasons: sessions.reminders)."""
        return self.reminder_consent and self.preferred_channel != self.Channel.NONE

    @property
    def treating_therapist_id(self) -> int:  # for access.is_treating and may_edit
        return self.therapist_id

    @property
    def lifetime_start(self) -> date:
        """The earliest day a record about the patient can carry: their birth (not before 1900)."""
        return max(self.date_of_birth or EARLIEST_LIFE_DATE, EARLIEST_LIFE_DATE)

    def clean(self) -> None:
        errors = {}
        today = timezone.localdate()
        birth = date_outside(
            self.date_of_birth, EARLIEST_LIFE_DATE, today, rule="Enter a date of birth", today=today
        )
        if birth:
            errors["date_of_birth"] = birth
        if self.reminder_consent and not self.reminder_consent_on:
            errors["reminder_consent_on"] = "Give the date the patient consented."
        consent = date_outside(
            self.reminder_consent_on,
            EARLIEST_LIFE_DATE if birth else self.lifetime_start,
            today,
            rule="Consent is dated",
            today=today,
        )
        if consent:
            errors["reminder_consent_on"] = consent
        if (
            self.reminder_consent
            and self.preferred_channel == self.Channel.EMAIL
            and not self.email
        ):
            errors["email"] = "Email reminders need an email address."
        if self.reminder_consent and self.preferred_channel == self.Channel.SMS and not self.phone:
            errors["phone"] = "Text-message reminders need a phone number."
        if self.therapist_id and self.clinic_id:
            therapist = self.therapist
            if therapist.clinic_id != self.clinic_id or not therapist.is_therapist:
                errors["therapist"] = "Choose a therapist of this clinic."
        if errors:
            raise ValidationError(errors)
