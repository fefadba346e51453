"""Stale edits refused: an edit form carries the version of the row it was based on.

Two tabs (or two people) open the same record; the first saves; the second, still holding the
older copy, must not overwrite the first one's text without a word. The version is a
fingerprint of the values of the fields the form edits, as stored: derived from the row, so
nothing has to remember to bump it, and a change made by any path (another form, a service, a
handover) is seen. The service that writes compares it with the row it has locked
(`check_current`) and raises StaleEdit; the form then shows the user's input as they typed it
with the saved values beside it (`VersionedForm.show_stale`), and carries the newer version,
so that saving again, having seen them, is a deliberate choice.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .modelforms import ModelForm

VERSION_FIELD = "based_on"


def _stored_value(obj: models.Model, name: str):
    field = obj._meta.get_field(name)
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True))
    value = field.value_from_object(obj)
    return value if isinstance(value, (list, dict, int, bool, type(None))) else str(value)


def version_of(obj: models.Model, names: Iterable[str]) -> str:
    """The fingerprint of `obj`'s values of the fields `names`."""
    values = [(name, _stored_value(obj, name)) for name in sorted(set(names))]
    payload = json.dumps(values, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:24]


@dataclass(frozen=True)
class EditVersion:
    """What an edit was based on: the fields the form edits and their fingerprint then.
    `value` None: the post carried no version (a page from before versions were sent, a
    script); nothing to compare, since the check guards against lost work, not its sender."""

    names: tuple[str, ...]
    value: str | None


class StaleEdit(ValidationError):
    """The row changed since the form was opened; `current` is the row as saved now."""

    def __init__(self, current: models.Model, names: Iterable[str]):
        super().__init__(
            "Someone saved this record after you opened it, so nothing was saved: your input "
            "is kept below, and what they saved is shown above."
        )
        self.current = current
        self.names = list(names)
        self.version = version_of(current, self.names)


def check_current(obj: models.Model, based_on: EditVersion | None) -> None:
    """Refuse (StaleEdit) a change based on an older version of `obj`, which the caller has
    locked (select_for_update) so that nobody changes it between this check and the save.
    `based_on` None: an edit without a form (a command, the demo), nothing to compare."""
    if based_on is None or based_on.value is None:
        return
    if based_on.value != version_of(obj, based_on.names):
        raise StaleEdit(obj, based_on.names)


def locked_current(obj: models.Model, based_on: EditVersion | None) -> models.Model:
    """The stored row of `obj`, locked for this transaction, once checked to be the version
    the edit was based on: for services handed an instance that a form has already changed."""
    current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    check_current(current, based_on)
    return current


def locked_one(rows: models.QuerySet, based_on: EditVersion | None, *, blank: models.Model):
    """The one row `rows` names (a session's measure, a course's formulation...), locked and
    checked against the version the edit was based on, or None when there is none yet; then
    the edit was based on `blank`, and a row written meanwhile by another window is stale."""
    row = rows.select_for_update().first()
    check_current(row if row is not None else blank, based_on)
    return row


def with_edit_applied(instance: models.Model, based_on: EditVersion | None) -> models.Model:
    """For a service handed an instance a form has changed: the stored row, locked and checked
    to be the version the edit was based on, with the edited fields copied onto it, so that
    what changed meanwhile outside the form (a removal, an archive) is kept. A new row, or an
    edit without a form, is the instance itself. Many-to-many fields are the caller's."""
    if instance.pk is None or based_on is None:
        return instance
    current = locked_current(instance, based_on)
    for name in based_on.names:
        field = instance._meta.get_field(name)
        if field.concrete and not field.many_to_many and field.editable:
            setattr(current, field.attname, getattr(instance, field.attname))
    return current


class Versioned:
    """A form that carries, hidden, the version of the row it edits, as it was when opened:
    a ModelForm's instance, or for a plain form the row passed as `versioned=`.

    `based_on` after validation is what the view hands the service; `stale` is set once the
    service refused the save, for the template to show the saved values (`stale_values`).
    The version covers the form's fields that are fields of the row, and `version_also`:
    fields outside the form that belong to it too (an `updated_at` that changes with what the
    form does not show, a start time the form edits as a day and a time)."""

    stale: StaleEdit | None = None
    version_also: tuple[str, ...] = ()

    def __init__(self, *args, versioned: models.Model | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.versioned = versioned if versioned is not None else getattr(self, "instance", None)
        if self.versioned is None:
            return  # a plain form used for something new: no version to carry
        # Evaluated when shown, once the form has all its fields (some add theirs after this).
        # A row not saved yet has a version too (its empty values): a second tab that
        # creates it meanwhile is a change like any other.
        self.fields[VERSION_FIELD] = forms.CharField(
            widget=forms.HiddenInput,
            required=False,
            initial=lambda: version_of(self.versioned, self.version_names),
        )

    @property
    def edited_names(self) -> list[str]:
        """The fields of the row that the form edits."""
        model_fields = {field.name for field in self.versioned._meta.get_fields()}
        return [name for name in self.fields if name in model_fields]

    @property
    def version_names(self) -> tuple[str, ...]:
        return (*self.edited_names, *self.version_also)

    @property
    def based_on(self) -> EditVersion | None:
        """The version the user's input was based on (its value None when the post carried
        none); None for a form that carries no version."""
        if self.versioned is None:
            return None
        posted = self.add_prefix(VERSION_FIELD) in self.data
        return EditVersion(self.version_names, self._based_on if posted else None)

    def clean(self):
        cleaned = super().clean()
        # Kept apart, so that cleaned_data holds only the record's own fields.
        self._based_on = cleaned.pop(VERSION_FIELD, "") or ""
        return cleaned

    def show_stale(self, stale: StaleEdit) -> None:
        """Keep the user's input, say why nothing was saved, and carry the newer version."""
        self.stale = stale
        data = self.data.copy()
        data[self.add_prefix(VERSION_FIELD)] = stale.version
        self.data = data
        self.add_error(None, stale.messages)

    @property
    def stale_values(self) -> list[tuple[str, str, str]]:
        """(label, saved value, your value) of each field whose saved value differs from the
        user's input, in the form's order."""
        if self.stale is None:
            return []
        rows = []
        for name in self.edited_names:
            field = self.fields[name]
            current = self.stale.current
            # A row created meanwhile is compared as it is; one not created yet has no values.
            unsaved_many = current.pk is None and current._meta.get_field(name).many_to_many
            saved = _shown(field, [] if unsaved_many else getattr(current, name))
            mine = _shown(field, self.cleaned_data.get(name))
            if saved != mine:
                rows.append((str(field.label or name), saved, mine))
        current = self.stale.current
        for name in self.version_also:  # typed in other words on the form (a day and a time)
            model_field = current._meta.get_field(name)
            if model_field.editable:
                label = str(model_field.verbose_name).capitalize()
                rows.append((label, _shown(None, getattr(current, name)), "as in the form"))
        return rows


class VersionedForm(Versioned, ModelForm):
    """A ModelForm that carries the version of its instance (see Versioned)."""


def _shown(form_field: forms.Field, value) -> str:
    """A value as a person reads it: choices by their label, lists joined, yes or no."""
    if hasattr(value, "all"):  # a many-to-many manager
        value = list(value.all())
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(form_field, item) for item in value) or "—"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)  # the clinic's zone, activated for the request
        return f"{value:%-d %b %Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%-d %b %Y}"
    if isinstance(form_field, forms.ChoiceField) and not isinstance(
        form_field, forms.ModelChoiceField
    ):
        labels = {str(key): label for key, label in _flat(form_field.choices)}
        return str(labels.get(str(value), value))
    return str(value)


def _flat(choices):
    for key, label in choices:
        if isinstance(label, (list, tuple)):
            yield from label
        else:
            yield key, label
