"""Clinics, their staff and roles, supervision links, and the append-only audit trail."""

import hashlib
import unicodedata
import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.timezone import localdate, now

from ipt_clinic.validation import (
    EARLIEST_CLINIC_DATE,
    SHORT_TEXT,
    date_outside,
    limited_text,
    years_after,
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a known time zone; use a name such as Europe/London.",
            params={"value": value},
        )


class Clinic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="Sessions and reminders are shown in this time zone.",
    )
    default_session_minutes = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="First reminder, this many hours before a session.",
    )
    second_reminder_lead_hours = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(48)],
        help_text="Second reminder, this many hours before a session; 0 sends none.",
    )
    # Printed in every reminder as the way to cancel or rearrange an appointment.
    require_two_factor = models.BooleanField(
        "require two-factor sign-in",
        default=True,
        help_text="Every member of staff confirms sign-in with an authenticator app code.",
    )
    session_idle_minutes = models.PositiveSmallIntegerField(
        "sign out after minutes without activity",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(15)],
    )
    contact_phone = models.CharField(max_length=32, blank=True)
    contact_email = models.EmailField(blank=True)
    # The risk pathway (risk/): where a patient at risk is pointed, and who is alerted when a
    # therapist has no supervisor.
    crisis_lines = limited_text(
        SHORT_TEXT,
        "crisis lines and out-of-hours numbers",
        blank=True,
        help_text="Printed on every safety plan, after the clinic's own number.",
    )
    duty_clinician = models.ForeignKey(
        "User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Alerted to a patient at risk when their therapist has no supervisor.",
    )
    # The measurement schedule (sessions/measure_schedule.py): each measure every so many sessions,
    # never less often than every 4th.
    phq9_every_sessions = models.PositiveSmallIntegerField(
        "PHQ-9 every … sessions",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1: at every session (recommended: item 9 asks about self-harm).",
    )
    gad7_every_sessions = models.PositiveSmallIntegerField(
        "GAD-7 every … sessions",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="At least every 4th session.",
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phq9_every_sessions__gte=1, phq9_every_sessions__lte=4)
                & Q(gad7_every_sessions__gte=1, gad7_every_sessions__lte=4),
                name="clinic_measures_every_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(default_session_minutes__gte=15, default_session_minutes__lte=120),
                name="clinic_session_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(reminder_lead_hours__gte=1, reminder_lead_hours__lte=168),
                name="clinic_reminder_lead_range",
            ),
            models.CheckConstraint(
                condition=Q(second_reminder_lead_hours__lt=models.F("reminder_lead_hours"))
                | Q(second_reminder_lead_hours=0),
                name="clinic_second_reminder_before_first",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.second_reminder_lead_hours and (
            self.second_reminder_lead_hours >= self.reminder_lead_hours
        ):
            raise ValidationError(
                {"second_reminder_lead_hours": "The second reminder must come after the first."}
            )


def canonical_email(raw) -> str:
    """The one spelling of an email address used to store it, to look it up and to count
    failed sign-ins: Unicode NFKC case folding (NFKC_Casefold), trimmed.

    One form for all three closes a lockout bypass: a long s (U+017F) or a Kelvin sign (U+212A)
    folds onto the plain letter here, so it meets the same lockout counter and the same
    account; a dotless i (U+0131), which a database's UPPER() would also fold onto 'i', stays
    itself here and so matches no account (lookups are exact on this form, never iexact).
    """
    folded = unicodedata.normalize("NFKC", str(raw or "")).casefold()
    return unicodedata.normalize("NFKC", folded).strip()[:254]


def validate_plain_address(value: str) -> None:
    """Staff addresses are plain ASCII. Letters from other alphabets that look like Latin
    ones, and invisible characters (a soft hyphen, a zero-width space) that mail systems drop,
    would let a second account be made for a mailbox that already has one."""
    if not str(value).isascii():
        raise ValidationError(
            "Use the address in plain letters, digits and . _ - + (a domain with accents in "
            "its xn-- form): look-alike and invisible characters are not accepted."
        )


def role_names_of(holder) -> list[str]:
    """The roles a user (or an invitation) holds, in words."""
    roles = [
        ("therapist", holder.is_therapist),
        ("supervisor", holder.is_supervisor),
        ("clinic admin", holder.is_clinic_admin),
    ]
    return [name for name, held in roles if held]


class UserQuerySet(models.QuerySet["User"]):
    def therapists(self) -> "UserQuerySet":
        return self.filter(is_therapist=True, is_active=True)

    def email_taken(self, address: str) -> bool:
        """An account already has this address, or one the database would match without
        regard to case (a look-alike spelling is refused rather than made a second account)."""
        canonical = canonical_email(address)
        return self.filter(Q(email=canonical) | Q(email__iexact=canonical)).exists()


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=canonical_email(username))

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=canonical_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """The operator of the installation: no clinic, Django admin only."""
        fields["is_superuser"] = True
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of a clinic's staff, signing in with an email address.

    Roles are flags because one person often holds several (a supervisor who also treats).
    A superuser is the operator of the installation and belongs to no clinic.
    """

    email = models.EmailField(
        "email address", max_length=254, unique=True, validators=[validate_plain_address]
    )
    full_name = models.CharField(max_length=150)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    is_therapist = models.BooleanField("therapist", default=False)
    is_supervisor = models.BooleanField("supervisor", default=False)
    is_clinic_admin = models.BooleanField("clinic admin", default=False)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive staff cannot sign in; nothing is deleted."
    )
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(clinic__isnull=False),
                name="user_staff_belongs_to_clinic",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Django's admin is for the operator (superusers) only."""
        return self.is_superuser

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def role_names(self) -> list[str]:
        return role_names_of(self)

    def clean(self) -> None:
        super().clean()
        self.email = canonical_email(self.email)
        if not self.is_superuser and self.clinic_id is None:
            raise ValidationError({"clinic": "Every member of staff belongs to a clinic."})


class SupervisionQuerySet(models.QuerySet["Supervision"]):
    def active_on(self, day: date) -> "SupervisionQuerySet":
        """Links in effect on the day (the current time zone's): begun, not past their end
        date, and not ended at once on or before that day."""
        return self.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=day),
            Q(ended_at__isnull=True) | Q(ended_at__date__gt=day),
            starts_on__lte=day,
        )

    def active(self) -> "SupervisionQuerySet":
        return self.active_on(localdate())

    def current(self, day: date) -> "SupervisionQuerySet":
        """Links not over by the day: in effect, or still to come."""
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), ended_at__isnull=True)


class Supervision(models.Model):
    """A supervisor is responsible for a therapist's caseload from starts_on to ends_on."""

    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_given"
    )
    therapist = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisions_received"
    )
    starts_on = models.DateField(default=localdate)
    ends_on = models.DateField(null=True, blank=True, help_text="Leave empty while it lasts.")
    # Ended at once ("End now"): access stops at this instant, not at the end of ends_on.
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("therapist")),
                name="supervision_not_self",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="supervision_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.therapist}"

    def end_now(self, today: date, at: datetime) -> None:
        """End the link at this instant (access stops at once). Its end date becomes today,
        or its first day if it has not begun: end dates never precede starts."""
        self.ends_on, self.ended_at = max(today, self.starts_on), at
        self.save(update_fields=["ends_on", "ended_at"])

    def clean(self) -> None:
        errors = {}
        supervisor = self.supervisor if self.supervisor_id else None
        therapist = self.therapist if self.therapist_id else None
        if supervisor and therapist:
            if supervisor.clinic_id != therapist.clinic_id:
                errors["therapist"] = "Supervisor and therapist must belong to the same clinic."
            if supervisor.pk == therapist.pk:
                errors["therapist"] = "Nobody supervises themselves."
        if supervisor and not supervisor.is_supervisor:
            errors["supervisor"] = "This person does not hold the supervisor role."
        if therapist and not therapist.is_therapist:
            errors["therapist"] = "This person does not hold the therapist role."
        latest = years_after(localdate(), 2)
        for name in ("starts_on", "ends_on"):
            problem = date_outside(
                getattr(self, name),
                EARLIEST_CLINIC_DATE,
                latest,
                rule="A supervision link is dated from 2000 to two years ahead:",
            )
            if problem:
                errors[name] = problem
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors.setdefault("ends_on", "The end date cannot come before the start date.")
        if not errors and supervisor and therapist and self.starts_on and self.overlapping():
            errors["starts_on"] = (
                "These two already have a supervision link in this period; "
                "change its dates instead."
            )
        if errors:
            raise ValidationError(errors)

    def overlapping(self) -> bool:
        """Another link between the same two people whose period meets this one."""
        others = Supervision.objects.filter(
            supervisor_id=self.supervisor_id, therapist_id=self.therapist_id
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
        # A link ended at once is over from that instant: a new one may start that day.
        others = others.exclude(ended_at__date__lte=self.starts_on)
        if self.ends_on:
            others = others.filter(starts_on__lte=self.ends_on)
        if self.pk:
            others = others.exclude(pk=self.pk)
        return others.exists()


INVITATION_VALID_FOR = timedelta(hours=72)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, at: datetime | None = None) -> "InvitationQuerySet":
        """Neither accepted nor withdrawn, and not yet expired."""
        at = at or now()
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gt=at - INVITATION_VALID_FOR,
        )


class Invitation(models.Model):
    """An invitation to join a clinic's staff, sent by email by one of its clinic admins.

    The link carries a signed token naming the invitation (ipt_clinic.accounts.invitations);
    it works once, for 72 hours. Accepting creates the account with the roles given here.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField("email address", max_length=254, validators=[validate_plain_address])
    full_name = models.CharField(max_length=150)
    is_therapist = models.BooleanField("therapist", default=False)
    is_supervisor = models.BooleanField("supervisor", default=False)
    is_clinic_admin = models.BooleanField("clinic admin", default=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # The account the invitation became.
    accepted_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Withdrawn by an admin, or replaced by a newer invitation to the same address.
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_therapist=True) | Q(is_supervisor=True) | Q(is_clinic_admin=True),
                name="invitation_has_a_role",
                violation_error_message="Give the new member of staff at least one role.",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "-created_at"], name="invitation_clinic_time")]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.clinic}"

    @property
    def expires_at(self) -> datetime:
        return self.created_at + INVITATION_VALID_FOR

    @property
    def is_expired(self) -> bool:
        return now() >= self.expires_at

    @property
    def role_names(self) -> list[str]:
        return role_names_of(self)

    def clean(self) -> None:
        self.email = canonical_email(self.email)
        # No role at all is refused by the invitation_has_a_role constraint, in words.


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    # Who may sign in and what they may see: accounts, roles, supervision links, invitations.
    ACCESS_OBJECTS = ("accounts.user", "accounts.supervision", "accounts.invitation")

    def chain_head(self, clinic_id: int | None) -> str:
        """The hash of the newest event of the clinic's chain ("" for a chain not begun)."""
        newest = self.filter(clinic_id=clinic_id).order_by("-id").values_list("row_hash")[:1]
        return newest[0][0] if newest else ""

    def access_changes(self) -> "AuditEventQuerySet":
        """Changes to who may sign in and what they may see, for a clinic's admins to review:
        roles, supervision links, invitations, deactivation, second factors."""
        return self.filter(
            object_type__in=self.ACCESS_OBJECTS,
            action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE],
        )

    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


class AuditTrailIsAppendOnly(Exception):
    pass


# pg_advisory_xact_lock(AUDIT_CHAIN_LOCK, chain): one writer at a time extends a chain. Each
# clinic has its chain (the operator's events, with no clinic, are chain 0), so writes in one
# clinic never wait on another's.
AUDIT_CHAIN_LOCK = 7_100_913
# Written once, by migration 0011, into a database that already had events: the rows up to it
# form one chain across clinics (as they were written), the rows after it one chain a clinic.
AUDIT_CHAIN_SPLIT = "audit chain: one chain per clinic from here on"


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Rows are written once, never changed.

    The database enforces this too: on PostgreSQL a trigger (migration 0002) refuses UPDATE and
    DELETE on this table. It never holds clinical text: only identifiers.
    """

    class Action(models.TextChoices):
        VIEW = "view", "viewed"
        CREATE = "create", "created"
        UPDATE = "update", "updated"
        SIGN = "sign", "signed"
        AMEND = "amend", "amended"
        ARCHIVE = "archive", "archived"
        EXPORT = "export", "exported"
        LOGIN = "login", "signed in"
        LOGOUT = "logout", "signed out"
        LOGIN_FAILED = "login_failed", "failed sign-in"
        LOCKOUT = "lockout", "locked out"
        SESSION_EXPIRED = "session_expired", "sign-in expired"
        PASSWORD_CHANGE = "password_change", "changed password"
        PASSWORD_RESET = "password_reset", "reset password"
        REMINDER_SENT = "reminder_sent", "reminder sent"
        REMINDER_OPT_OUT = "reminder_opt_out", "opted out of reminders"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "success"
        DENIED = "denied", "denied"
        FAILURE = "failure", "failure"

    at = models.DateTimeField(default=now, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # An id, not a foreign key: accounts sits below patients and never imports it.
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    # Non-clinical context only, such as the address tried in a failed sign-in.
    detail = models.CharField(max_length=255, blank=True)
    # Hash chains, one a clinic: each row's hash covers its content and the hash of the row
    # before it in its clinic's chain, so an
    # altered or removed row breaks every hash after it (manage.py verify_audit_chain).
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "-at"], name="audit_clinic_time"),
            models.Index(fields=["clinic", "-id"], name="audit_chain_head"),
            models.Index(fields=["user", "-at"], name="audit_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_type}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        with transaction.atomic(using=kwargs.get("using")):
            connection = transaction.get_connection(kwargs.get("using"))
            if connection.vendor == "postgresql":
                # One writer at a time extends this clinic's chain (until the transaction ends).
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)",
                        [AUDIT_CHAIN_LOCK, self.clinic_id or 0],
                    )
            self.prev_hash = AuditEvent.objects.chain_head(self.clinic_id)
            self.row_hash = self.compute_hash()
            super().save(*args, **kwargs)

    def chain_content(self) -> str:
        at = self.at.astimezone(UTC).isoformat() if self.at else ""
        return "|".join(
            str(part if part is not None else "")
            for part in (
                self.prev_hash,
                at,
                self.user_id,
                self.clinic_id,
                self.action,
                self.object_type,
                self.object_id,
                self.patient_id,
                self.ip_address,
                self.outcome,
                self.detail,
            )
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.chain_content().encode()).hexdigest()

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


class SignInSession(models.Model):
    """A browser signed in as a user: listed on My account, ended there or on deactivation.

    Mirrors a row of django_session (by key) so that a user's sessions can be found without
    decoding every session in the table.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=now)
    last_seen_at = models.DateTimeField(default=now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"sign-in of {self.user_id} from {self.ip_address}"
