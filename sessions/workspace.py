"""The session workspace: everything about one session on one page, saved (and signed) with
one button.

The page is one form made of the session's forms, each with its prefix: attendance (while the
session is not recorded), the PHQ-9 and GAD-7 as grids (optional: an untouched one records
nothing), the note of the session's phase, the private note, and what the apps above add
(hooks.workspace_parts: inventory's problem-area focus). A POST validates them all; if any is
refused, the page comes back with every input kept and each error beside its field. If all
are valid, they are saved in one transaction, in the order the record needs (attendance
first: a measure or a note needs an attended session), and then, for "Save and sign", the note
is signed; a refused signature leaves what was saved saved and says why.

While the therapist types, the page's script saves a draft (WorkspaceDraft: the form's raw
fields, for its author only, never part of the record) every few seconds and when the page is
left; opening the workspace again restores it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict

from ipt_clinic import hooks
from ipt_clinic.accounts.models import User
from ipt_clinic.forms import add_service_errors, embedded
from ipt_clinic.versions import VERSION_FIELD, StaleEdit

from . import services
from .forms import AttendanceForm, MeasureForm, PrivateNoteForm, note_form_class
from .models import ITEM_FIELDS, Measure, PrivateNote, TherapySession, WorkspaceDraft
from .selectors import course_measures, note_fields_of, private_note_of, taken_at

Attendance = TherapySession.Attendance


@dataclass
class WorkspacePart:
    """A section an app above sessions adds to the workspace (hooks.workspace_parts)."""

    title: str
    template: str  # renders `part.form` (its fields carry the part's prefix)
    form: forms.Form
    save: Callable[[User, forms.Form], object]  # called with the valid form
    context: dict = field(default_factory=dict)


class AttendedAsBookedForm(AttendanceForm):
    """Attendance, with "attended as booked" first: one click for the ordinary session."""

    AS_BOOKED = "as_booked"

    def __init__(self, *args, session: TherapySession, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["attendance"].choices = [
            (self.AS_BOOKED, f"Attended as booked ({session.planned_minutes} minutes)"),
            *self.fields["attendance"].choices,
        ]
        self.fields["attendance"].required = False
        self.fields["attendance"].label = "What happened"
        self.fields["attendance"].widget.attrs["autofocus"] = True  # the first thing to do
        self.fields["actual_minutes"].label = "Minutes, if not as booked"
        embedded(self)

    def clean(self):
        if self.data.get(self.add_prefix("attendance")) == self.AS_BOOKED:
            self.cleaned_data["attendance"] = Attendance.ATTENDED
            if not self.cleaned_data.get("actual_minutes"):
                self.cleaned_data["actual_minutes"] = self.session.planned_minutes
        return super().clean()

    @property
    def chosen(self) -> bool:
        return bool(self.cleaned_data.get("attendance"))


def _initial_from(draft: dict, form: forms.Form) -> dict:
    """The draft's values of this form's fields, as the form's initial values."""
    initial = {}
    for name, form_field in form.fields.items():
        key = form.add_prefix(name)
        if key not in draft:
            # An unticked box or an emptied choice list is absent from a posted form.
            if isinstance(form_field, forms.BooleanField | forms.MultipleChoiceField):
                initial[name] = [] if isinstance(form_field, forms.MultipleChoiceField) else False
            continue
        values = draft[key]
        if isinstance(form_field, forms.MultipleChoiceField):
            initial[name] = values
        elif isinstance(form_field, forms.BooleanField):
            initial[name] = values[-1] in ("on", "true", "1")
        else:
            initial[name] = values[-1]
    return initial


class Workspace:
    """The forms of one session's workspace, bound to a POST or filled from a draft."""

    def __init__(self, request, session: TherapySession, *, draft: WorkspaceDraft | None = None):
        self.request = request
        self.session = session
        self.draft = draft
        data = request.POST if request.method == "POST" else None
        course = session.course
        self.attendance = None
        if session.attendance == Attendance.SCHEDULED:
            self.attendance = AttendedAsBookedForm(
                data,
                prefix="att",
                session=session,
                initial={"actual_minutes": session.planned_minutes},
                versioned=session,
            )
        self.course_measures = course_measures(session.course)
        taken = taken_at(session, self.course_measures)
        self.measures = {
            kind: MeasureForm(
                data,
                prefix=kind,
                kind=kind,
                optional=True,
                initial=_answers(taken.get(kind)),
                versioned=taken.get(kind) or Measure(kind=kind),
            )
            for kind in Measure.Kind.values
        }
        self.taken = taken
        self.note = note_form_class(note_fields_of(session))(data, instance=session, prefix="note")
        self.private_note = PrivateNoteForm(
            data,
            prefix="private",
            instance=private_note_of(request.user, session)
            or PrivateNote(session=session, author=request.user),
        )
        embedded(self.private_note)
        self.parts = [
            part for make in hooks.workspace_parts if (part := make(request, session, data))
        ]
        if data is None and draft is not None:
            for form in self.all_forms:
                form.initial.update(_initial_from(draft.data, form))
        self.course = course

    @property
    def all_forms(self) -> list[forms.Form]:
        return [
            *([self.attendance] if self.attendance else []),
            *self.measures.values(),
            self.note,
            self.private_note,
            *(part.form for part in self.parts),
        ]

    def _in_use(self, form: forms.Form) -> bool:
        """A measure or a part left untouched is not validated (it records nothing)."""
        if form is self.attendance or form is self.note or form is self.private_note:
            return True
        return _touched(form)

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all_forms if self._in_use(form)])

    def save(self, *, by: User) -> None:
        """Save everything, in one transaction (StaleEdit or ValidationError: nothing saved)."""
        session = self.session
        with transaction.atomic():
            if self.attendance is not None and self.attendance.chosen:
                data = self.attendance.cleaned_data
                session = services.session_record_attendance(
                    by=by,
                    session=session,
                    attendance=data["attendance"],
                    actual_minutes=data.get("actual_minutes"),
                    cancelled_by=data.get("cancelled_by") or "",
                    cancellation_reason=data.get("cancellation_reason") or "",
                    based_on=self.attendance.based_on,
                )
            if session.attendance != Attendance.ATTENDED:
                return  # scheduled, missed or cancelled: there is no note or measure to save
            for kind, form in self.measures.items():
                if _touched(form) and not form.is_empty:
                    services.measure_record(
                        by=by,
                        session=session,
                        kind=kind,
                        answers=form.answers(),
                        based_on=form.based_on,
                    )
            fields = {
                name: value for name, value in self.note.cleaned_data.items() if name != "based_on"
            }
            if _touched(self.note):
                session = services.session_note_save(
                    by=by, session=session, fields=fields, based_on=self.note.based_on
                )
            if _touched(self.private_note):
                services.private_note_save(
                    by=by,
                    session=session,
                    text=self.private_note.cleaned_data["text"],
                    based_on=self.private_note.based_on,
                )
            for part in self.parts:
                if _touched(part.form):
                    part.save(by, part.form)
            WorkspaceDraft.objects.filter(session=session, author=by).delete()
        self.session = session

    def refused(self, error: ValidationError) -> None:
        """Show a refused save beside the fields of the form it concerns: a stale one shows
        the saved values beside the input (ipt_clinic.forms.add_service_errors)."""
        target = self.note
        if isinstance(error, StaleEdit):
            target = next(
                (form for form in self.all_forms if _edits(form, error.current)), self.note
            )
        add_service_errors(target, error)


def _touched(form: forms.Form) -> bool:
    """Whether the user changed any of the form's own fields (its version is not one)."""
    return any(name != VERSION_FIELD for name in form.changed_data)


def _edits(form, row) -> bool:
    """Whether `form` edits `row` (a measure by its kind, other rows by their model)."""
    versioned = getattr(form, "versioned", None)
    if versioned is None or type(versioned) is not type(row):
        return False
    if isinstance(row, Measure):
        return versioned.kind == row.kind
    return versioned.pk == row.pk or versioned.pk is None


def _answers(measure: Measure | None) -> dict:
    if measure is None:
        return {}
    names = [*ITEM_FIELDS[: Measure.ITEM_COUNT[measure.kind]], "difficulty"]
    return {name: getattr(measure, name) for name in names}


def draft_save(*, by: User, session: TherapySession, data: QueryDict) -> WorkspaceDraft:
    """Keep the workspace's raw fields as they were typed (no validation: a draft may be
    half-written), for its author only."""
    values = {
        key: data.getlist(key) for key in data if key not in ("csrfmiddlewaretoken", "action")
    }
    draft, _ = WorkspaceDraft.objects.update_or_create(
        session=session, author=by, defaults={"data": values}
    )
    return draft
