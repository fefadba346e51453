from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction

from ipt_clinic.forms import form_helper

from . import tasks
from .models import User


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for an email address.

    The field keeps the name ``username`` that django-axes and Django's backends expect.
    """

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email address and password do not match an active account. "
            "After 5 failed attempts sign-in is paused for 15 minutes."
        ),
    }


class SecondStepForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolmentForm(forms.Form):
    """The first code of a new authenticator; to replace one, also a code of the current one."""

    current_code = forms.CharField(
        label="Code from your current authenticator app, or an unused recovery code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code from the new authenticator app",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, replacing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not replacing:
            del self.fields["current_code"]
            self.fields["code"].label = "Code from your authenticator app"
            self.fields["code"].widget.attrs["autofocus"] = True


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form whose request only queues the work (after commit): the worker looks
    the address up and sends the mail. A known and an unknown address take the same path in
    the request, so its timing tells nobody which accounts exist."""

    def save(self, **kwargs) -> None:
        email = self.cleaned_data["email"]
        transaction.on_commit(lambda: tasks.password_reset_send.delay(email=email))


class InvitationAcceptForm(forms.Form):
    """Choose a password; Django's validators apply (at least 12 characters, not common,
    not like the name or the email address)."""

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, new_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_user = new_user
        self.helper = form_helper("password1", "password2", submit="Create my account")

    def clean_password2(self):
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data["password2"]
        if first and first != second:
            raise forms.ValidationError("The two passwords differ.")
        return second

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password2")
        if password:
            try:
                password_validation.validate_password(password, self.new_user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
