from crispy_forms.layout import Column, Row
from django import forms
from django.db import models
from django.utils import timezone

from ipt_clinic.forms import DateInput, TimeInput, form_helper
from ipt_clinic.modelforms import ModelForm
from ipt_clinic.validation import SHORT_TEXT, years_after
from ipt_clinic.versions import Versioned, VersionedForm

from .models import (
    ANSWER_CHOICES,
    DIFFICULTY_CHOICES,
    GAD7_ITEMS,
    ITEM_FIELDS,
    PHQ9_ITEMS,
    Amendment,
    Course,
    Measure,
    PrivateNote,
    Technique,
    TherapySession,
)
from .phases import MAX_SESSIONS, MIN_SESSIONS
from .scheduling import session_day_outside, wall_time_exists

PLANNED_CHOICES = [(n, f"{n} sessions") for n in range(MIN_SESSIONS, MAX_SESSIONS + 1)]


class CourseOpenForm(ModelForm):
    planned_sessions = forms.TypedChoiceField(
        label="Planned sessions (the contract)", choices=PLANNED_CHOICES, coerce=int, initial=12
    )
    # A start this many days ago or more books sessions in the past: say so, and ask.
    PAST_START_DAYS = 8
    past_start_confirmed = forms.BooleanField(
        label="Yes: book the sessions that fall before today (I will record what happened)",
        required=False,
    )

    class Meta:
        model = Course
        fields = [
            "planned_sessions",
            "start_date",
            "usual_weekday",
            "usual_time",
            "session_minutes",
            "indication",
        ]
        labels = {
            "usual_weekday": "Usual weekday",
            "usual_time": "Usual time",
            "session_minutes": "Session length (minutes)",
        }
        widgets = {
            "start_date": DateInput(),
            "usual_time": TimeInput(),
            "indication": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, patient, **kwargs):
        # The course's rules (its start within a year of today) read the clinic's calendar.
        super().__init__(*args, instance=Course(patient=patient), **kwargs)
        self.helper = form_helper(
            Row(Column("planned_sessions"), Column("start_date")),
            Row(Column("usual_weekday"), Column("usual_time"), Column("session_minutes")),
            "indication",
            "past_start_confirmed",
            form_tag=False,
        )

    def clean(self):
        cleaned = super().clean()
        start = cleaned.get("start_date")
        today = self.instance.local_today()
        # (A start more than a year ago is refused by the course itself, which says why.)
        if start and start >= years_after(today, -1) and not cleaned.get("past_start_confirmed"):
            days = (today - start).days
            if days >= self.PAST_START_DAYS:
                self.add_error(
                    "start_date",
                    f"This start was {days} days ago: about {days // 7} weekly sessions would be "
                    "booked before today, shown as not yet recorded. Check the date, or tick "
                    "the box below to book them.",
                )
        cleaned.pop("past_start_confirmed", None)
        return cleaned


class MeasureForm(Versioned, forms.Form):
    """The items of a PHQ-9 or GAD-7. With optional=True an untouched form records nothing."""

    def __init__(self, *args, kind: str, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.optional = optional
        questions = PHQ9_ITEMS if kind == Measure.Kind.PHQ9 else GAD7_ITEMS
        for number, (field, question) in enumerate(zip(ITEM_FIELDS, questions, strict=False), 1):
            self.fields[field] = forms.TypedChoiceField(
                label=f"{number}. {question}",
                choices=ANSWER_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                required=False,
                empty_value=None,
            )
        # Both questionnaires end with the same question (numbered 10 on PHQ-9, 8 on GAD-7).
        self.fields["difficulty"] = forms.TypedChoiceField(
            label=f"{len(questions) + 1}. If you checked off any problems, how difficult have "
            "these problems made it for you to do your work, take care of things at home, or "
            "get along with other people?",
            choices=[("", "not answered"), *DIFFICULTY_CHOICES],
            coerce=int,
            required=False,
            empty_value=None,
        )
        self.helper = form_helper(*self.fields, form_tag=False)
        self.helper.form_show_labels = True

    @property
    def item_fields(self) -> list[str]:
        return ITEM_FIELDS[: Measure.ITEM_COUNT[self.kind]]

    @property
    def item_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.item_fields]

    @property
    def is_empty(self) -> bool:
        return all(self.cleaned_data.get(f) is None for f in self.item_fields)

    def clean(self):
        cleaned = super().clean()
        if self.optional and self.is_empty:
            return cleaned
        for field in self.item_fields:
            if cleaned.get(field) is None and field not in self.errors:
                self.add_error(field, "Answer this item (0 to 3).")
        return cleaned

    def answers(self) -> dict[str, int | None]:
        answers = {f: self.cleaned_data[f] for f in self.item_fields}
        answers["difficulty"] = self.cleaned_data.get("difficulty")
        return answers


class ContractForm(Versioned, forms.Form):
    version_also = ("planned_sessions",)  # of the course (versioned=)

    new_planned = forms.TypedChoiceField(
        label="New number of sessions", choices=PLANNED_CHOICES, coerce=int
    )
    changed_on = forms.DateField(label="Agreed on", widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), max_length=SHORT_TEXT
    )
    agreed_with_patient = forms.BooleanField(label="Agreed with the patient", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Row(Column("new_planned"), Column("changed_on")),
            "reason",
            "agreed_with_patient",
            submit="Change the contract",
        )


class CompleteCourseForm(forms.Form):
    ended_on = forms.DateField(label="Completed on", widget=DateInput(), initial=timezone.localdate)
    discharge = forms.BooleanField(
        label="Mark the patient discharged: no further treatment is planned here",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="complete", **kwargs)
        self.helper = form_helper("ended_on", "discharge", form_tag=False)


class EndEarlyForm(forms.Form):
    ended_on = forms.DateField(label="Ended on", widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(
        label="Why the course ends early",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=SHORT_TEXT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="early", **kwargs)
        self.helper = form_helper(
            "ended_on", "reason", submit="End the course early", form_tag=False
        )


class RescheduleForm(Versioned, forms.Form):
    version_also = ("scheduled_start",)  # of the session (versioned=), typed as day and time

    day = forms.DateField(label="Date", widget=DateInput())
    at = forms.TimeField(label="Time (clinic time)", widget=TimeInput())
    planned_minutes = forms.IntegerField(label="Length (minutes)", min_value=15, max_value=120)
    move_later = forms.BooleanField(
        label="Move the later sessions as well",
        required=False,
        help_text="Each later booked session moves by as many days, at its own time: for a "
        "patient away for a week, say.",
    )

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.helper = form_helper(
            Row(Column("day"), Column("at"), Column("planned_minutes")),
            "move_later",
            submit="Move the session",
        )

    def clean_day(self):
        day = self.cleaned_data["day"]
        problem = session_day_outside(day, today=timezone.localdate(timezone=self.zone))
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean(self):
        cleaned = super().clean()
        day, at = cleaned.get("day"), cleaned.get("at")
        if day and at and not wall_time_exists(day, at, self.zone):
            self.add_error(
                "at",
                f"{at:%H:%M} does not exist on {day.day} {day:%b %Y} in {self.zone.key}: the "
                "clocks go forward that night. Choose another time.",
            )
        return cleaned


class AttendanceForm(Versioned, forms.Form):
    attendance = forms.ChoiceField(
        label="What happened",
        choices=[
            (value, label)
            for value, label in TherapySession.Attendance.choices
            if value != TherapySession.Attendance.SCHEDULED
        ],
        widget=forms.RadioSelect,
    )
    actual_minutes = forms.IntegerField(
        label="Minutes (if attended)", min_value=1, max_value=180, required=False
    )
    cancelled_by = forms.ChoiceField(
        label="Cancelled by (if cancelled)",
        choices=[("", "-"), *TherapySession.CancelledBy.choices],
        required=False,
    )
    cancellation_reason = forms.CharField(
        label="Reason (if cancelled)", max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            "attendance",
            Row(Column("actual_minutes"), Column("cancelled_by"), Column("cancellation_reason")),
            submit="Record attendance",
        )

    def clean(self):
        cleaned = super().clean()
        attendance = cleaned.get("attendance")
        if attendance == TherapySession.Attendance.ATTENDED and not cleaned.get("actual_minutes"):
            self.add_error("actual_minutes", "Give the minutes of an attended session.")
        if attendance == TherapySession.Attendance.CANCELLED and not cleaned.get("cancelled_by"):
            self.add_error("cancelled_by", "Say who cancelled.")
        return cleaned


class BaseNoteForm(VersionedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "techniques" in self.fields:
            self.fields["techniques"] = forms.MultipleChoiceField(
                label="Techniques used",
                choices=Technique.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=self.instance.techniques,
            )
        self.helper = form_helper(*self.fields, submit="Save the note")


def note_form_class(fields: list[str]) -> type[forms.ModelForm]:
    """A ModelForm with the note fields of one phase, text fields as textareas."""
    text_fields = [
        name
        for name in fields
        if isinstance(TherapySession._meta.get_field(name), models.TextField)
    ]
    return forms.modelform_factory(
        TherapySession,
        form=BaseNoteForm,
        fields=fields,
        widgets={name: forms.Textarea(attrs={"rows": 3}) for name in text_fields},
    )


class PrivateNoteForm(VersionedForm):
    class Meta:
        model = PrivateNote
        fields = ["text"]
        labels = {"text": "Private note (only you can read this)"}
        help_texts = {
            "text": "Your own process notes. Not part of the record: never shown to "
            "supervisors or admins, never exported."
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("text", submit="Save private note", form_tag=False)


class AmendmentForm(ModelForm):
    class Meta:
        model = Amendment
        fields = ["reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("reason", "text", submit="Add the amendment")
