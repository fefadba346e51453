"""The project's ModelForm: a number field's browser limits (min, max) are the model's.

Django gives an IntegerField made from a model field only the database's range (min 0 for a
positive field, no max), so the browser would offer values the server then refuses. The
limits here come from the model field's validators, the same ones the server applies.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator


def model_limits(model_field) -> tuple[int | None, int | None]:
    """The strictest (lowest, highest) the model field's validators allow."""
    lowest = highest = None
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            limit = validator.limit_value
            lowest = limit if lowest is None else max(lowest, limit)
        elif isinstance(validator, MaxValueValidator):
            limit = validator.limit_value
            highest = limit if highest is None else min(highest, limit)
    return lowest, highest


def bound_numbers(form: forms.ModelForm) -> None:
    """Give each of the form's integer fields the model field's limits, in the browser."""
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField):
            continue
        try:
            model_field = form._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        lowest, highest = model_limits(model_field)
        if lowest is not None:
            field.widget.attrs["min"] = lowest
        if highest is not None:
            field.widget.attrs["max"] = highest


class ModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_numbers(self)
