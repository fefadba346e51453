"""Form plumbing shared by every app: crispy layout, date/time widgets, service errors."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError

from .versions import StaleEdit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def form_helper(*layout, submit: str | None = None, form_tag: bool = True) -> FormHelper:
    """A crispy helper for `layout`, with a submit button and no browser-side validation:
    the server explains every error beside its field."""
    helper = FormHelper()
    helper.form_tag = form_tag
    helper.attrs = {"novalidate": ""}
    helper.render_hidden_fields = True  # the version an edit form is based on (versions.py)
    helper.layout = Layout(*layout, *([Submit("save", submit)] if submit else []))
    return helper


def embedded(form):
    """The form rendered inside a larger one (the session workspace): no form tag and no
    button of its own. Returns the form."""
    form.helper.form_tag = False
    form.helper.inputs = []
    form.helper.layout.fields = [
        field for field in form.helper.layout.fields if not isinstance(field, Submit)
    ]
    return form


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's refusal beside the field it names, or above the form; a stale edit
    with the saved values beside the user's input."""
    if isinstance(error, StaleEdit):
        form.show_stale(error)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- Forms posted from one page to a handler of their own -----------------------------------
# A panel's form (a supervision note on the course page, a goal on a problem area...) posts to
# its own URL. When it is rejected, that handler shows the page the form came from again,
# with the form as the user filled it and the errors beside its fields: nothing typed is lost.


def keep_rejected(request, name: str, form) -> None:
    """Remember a rejected form for the page about to be shown again for it."""
    request.rejected_forms = {**getattr(request, "rejected_forms", {}), name: form}


def form_or_rejected(request, name: str, make):
    """The rejected form called `name` if this request has one, else a fresh one: make()."""
    rejected = getattr(request, "rejected_forms", {}).get(name)
    return rejected if rejected is not None else make()
