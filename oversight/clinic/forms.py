"""Forms of the clinic admin's settings page and audit report."""

import zoneinfo
from datetime import date
from functools import cache
from pathlib import Path

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.db.models import Q
from django.utils import timezone

from ipt_clinic.accounts.audit import Action, Outcome
from ipt_clinic.accounts.models import Clinic, User
from ipt_clinic.forms import DateInput, form_helper
from ipt_clinic.validation import EARLIEST_CLINIC_DATE, date_outside
from ipt_clinic.versions import VersionedForm
from oversight.models import FlagThresholds
from patients.models import phone_validator
from sessions.models import Course

ZONE_TABLE = Path("/usr/share/zoneinfo/zone.tab")


@cache
def _zone_names() -> tuple[str, ...]:
    """The zones a clinic chooses from: the tz database's table of one zone per country or
    region (zone.tab: Europe/Oslo, Asia/Kolkata), without the old aliases that
    available_timezones() also names (Asia/Calcutta, Africa/Asmera, US/Eastern). Without the
    table on this system: every zone Python knows."""
    known = zoneinfo.available_timezones()
    try:
        lines = ZONE_TABLE.read_text().splitlines()
    except OSError:
        return tuple(sorted(known))
    names = {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
    return tuple(sorted((names & known) | {"UTC"}))


def timezone_choices(current: str = "") -> list[tuple[str, str]]:
    """The choices, with the clinic's current zone kept even if it is an alias."""
    names = _zone_names()
    if current and current not in names:
        names = tuple(sorted({*names, current}))
    return [(name, name) for name in names]


# Dates a report may ask about; beyond them a date is a typing slip.
EARLIEST_REPORT_DATE = EARLIEST_CLINIC_DATE
LATEST_REPORT_DATE = date(2100, 12, 31)


class ClinicSettingsForm(VersionedForm):
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Appointments, reminders and the audit report are shown in this time zone.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Clinic
        fields = [
            "name",
            "timezone",
            "default_session_minutes",
            "reminder_lead_hours",
            "second_reminder_lead_hours",
            "contact_phone",
            "contact_email",
            "require_two_factor",
            "session_idle_minutes",
            "crisis_lines",
            "duty_clinician",
            "phq9_every_sessions",
            "gad7_every_sessions",
        ]
        widgets = {"crisis_lines": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "name": "Clinic name",
            "default_session_minutes": "Default session length (minutes, 15 to 120)",
            "reminder_lead_hours": "First reminder: hours before the session (1 to 168)",
            "second_reminder_lead_hours": "Second reminder: hours before the session (0 for none)",
            "contact_phone": "Phone number printed in reminders",
            "contact_email": "Email address printed in reminders",
            "require_two_factor": "Require two-factor sign-in for every member of staff",
            "session_idle_minutes": "Sign out after this many minutes without activity (5 to 15)",
            "duty_clinician": "Duty clinician",
            "phq9_every_sessions": "PHQ-9 every … sessions (1 to 4)",
            "gad7_every_sessions": "GAD-7 every … sessions (1 to 4)",
        }
        help_texts = {
            "default_session_minutes": "Offered when a therapist opens a course.",
            "reminder_lead_hours": "Applies to appointments booked or moved after the change.",
            "second_reminder_lead_hours": "Must be fewer hours than the first reminder.",
            "contact_phone": "Patients call it to cancel or rearrange an appointment.",
            "require_two_factor": (
                "Staff without an authenticator app set one up at their next page view."
            ),
            "session_idle_minutes": "Applies from each person's next sign-in.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices(self.instance.timezone)
        self.fields["contact_phone"].validators.append(phone_validator)
        # A clinician of this clinic, active: another clinic's staff is not offered (nor
        # accepted: a posted id outside this queryset is refused as an invalid choice).
        self.fields["duty_clinician"].queryset = (
            User.objects.filter(clinic_id=self.instance.pk, is_active=True)
            .filter(Q(is_therapist=True) | Q(is_supervisor=True))
            .order_by("full_name")
        )
        self.fields["duty_clinician"].label_from_instance = lambda user: user.full_name
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.render_hidden_fields = True
        self.helper.layout = Layout(
            Fieldset(
                "Clinic",
                Row(Column("name"), Column("timezone")),
                Row(Column("contact_phone"), Column("contact_email")),
            ),
            Fieldset(
                "Sessions and reminders",
                "default_session_minutes",
                Row(Column("reminder_lead_hours"), Column("second_reminder_lead_hours")),
            ),
            Fieldset(
                "Measures",
                HTML(
                    '<p class="small text-body-secondary">A baseline is taken at the assessment '
                    "or the first session; then each measure is due every so many sessions "
                    "(a missed session moves it to the next one held).</p>"
                ),
                Row(Column("phq9_every_sessions"), Column("gad7_every_sessions")),
            ),
            Fieldset("Risk", "duty_clinician", "crisis_lines"),
            Fieldset("Sign-in security", "require_two_factor", "session_idle_minutes"),
        )


class FlagThresholdsForm(VersionedForm):
    class Meta:
        model = FlagThresholds
        fields = [
            "problem_area_by_session",
            "min_improvement_percent",
            "drift_sessions",
            "termination_raised_before_end",
            "unsigned_note_hours",
            "gap_days",
            "past_contract_grace_days",
        ]
        labels = {
            "problem_area_by_session": "Problem area agreed by session (2 to 8)",
            "min_improvement_percent": "PHQ-9 improvement expected by mid-course, % (5 to 60)",
            "drift_sessions": "Middle-phase sessions off the chosen area (1 to 6)",
            "termination_raised_before_end": (
                "End raised this many sessions before the last (1 to 4)"
            ),
            "unsigned_note_hours": "Hours before an unsigned note is flagged (12 to 240)",
            "gap_days": "Days without a session before a course is flagged (7 to 60)",
            "past_contract_grace_days": "Days past the last planned session (0 to 30)",
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "flags")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.render_hidden_fields = True
        self.helper.layout = Layout(
            Fieldset(
                "Caseload flags (what the supervisors' dashboard flags)",
                Row(Column("problem_area_by_session"), Column("min_improvement_percent")),
                Row(Column("drift_sessions"), Column("termination_raised_before_end")),
                Row(Column("unsigned_note_hours"), Column("gap_days")),
                "past_contract_grace_days",
            ),
            Submit("save", "Save the settings"),
        )


SORTS = {
    # ?sort= value -> the ordering it stands for (always ending in id: a stable order).
    "at": ["at", "id"],
    "user": ["user__full_name", "user__email", "id"],
    "action": ["action", "id"],
    "object": ["object_type", "object_id", "id"],
    "patient": ["patient_record", "patient_id", "id"],
    "outcome": ["outcome", "id"],
    "ip": ["ip_address", "id"],
}
DEFAULT_SORT = "-at"
SORT_CHOICES = [(key, key) for key in SORTS] + [(f"-{key}", f"-{key}") for key in SORTS]


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=DateInput(attrs={"class": "form-control"})
    )
    date_to = forms.DateField(
        label="Until (inclusive)",
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
    )
    user = forms.ModelChoiceField(
        label="Member of staff",
        queryset=None,
        required=False,
        empty_label="anyone",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    patient = forms.CharField(
        label="Patient (record number or id)",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "any action"), *Action.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "any outcome"), *Outcome.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=SORT_CHOICES, widget=forms.HiddenInput()
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff.order_by("full_name", "email")

    def _check_date(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        problem = date_outside(day, EARLIEST_REPORT_DATE, LATEST_REPORT_DATE, rule="Choose a date")
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_date_from(self):
        return self._check_date("date_from")

    def clean_date_to(self):
        return self._check_date("date_to")

    def clean_patient(self):
        return self.cleaned_data["patient"].strip()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date comes before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters only: a bad field is reported beside it, the others still apply."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            key: data.get(key)
            for key in ("date_from", "date_to", "user", "patient", "action", "outcome")
            if data.get(key) not in (None, "")
        }

    def sort_key(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or DEFAULT_SORT


class HandoverForm(forms.Form):
    """Which of a therapist's open courses and waiting patients move, and to whom."""

    to_therapist = forms.ModelChoiceField(
        label="Hand over to",
        queryset=None,
        empty_label="Choose a therapist",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    courses = forms.ModelMultipleChoiceField(
        label="Open courses that move (with their future sessions and reminders)",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    patients = forms.ModelMultipleChoiceField(
        label="Active patients without an open course that move",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, receivers, courses, patients, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["to_therapist"].queryset = receivers
        self.fields["courses"].queryset = courses
        self.fields["courses"].label_from_instance = self._course_label
        self.fields["patients"].queryset = patients
        self.fields["patients"].label_from_instance = self._patient_label
        # Everything is ticked to begin with: handing over the whole caseload is the usual case.
        self.fields["courses"].initial = [c.pk for c in courses]
        self.fields["patients"].initial = [p.pk for p in patients]
        layout = ["to_therapist"]
        if courses:
            layout.append("courses")
        else:
            del self.fields["courses"]
        if patients:
            layout.append("patients")
        else:
            del self.fields["patients"]
        self.helper = form_helper(*layout, submit="Hand over")

    def _course_label(self, course: Course) -> str:
        patient = course.patient
        label = (
            f"{patient.family_name}, {patient.given_name} ({patient.record_number}): "
            f"course {course.get_status_display()} from {course.start_date.day} "
            f"{course.start_date:%b %Y}"
        )
        next_start = getattr(course, "next_start", None)
        if next_start:
            local = timezone.localtime(next_start, self.zone)
            label += f", next appointment {local:%a} {local.day} {local:%b %H:%M}"
        return label

    @staticmethod
    def _patient_label(patient) -> str:
        return f"{patient.family_name}, {patient.given_name} ({patient.record_number})"

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("courses") and not cleaned.get("patients"):
            raise forms.ValidationError("Tick at least one course or patient to hand over.")
        return cleaned
