"""Forms of the clinic admin's staff pages. They validate and lay out; the views decide scope
(every choice of person comes from the admin's own clinic)."""

from crispy_forms.layout import Column, Fieldset, Row
from django import forms

from ipt_clinic.accounts.models import Invitation, Supervision, User, canonical_email
from ipt_clinic.forms import DateInput, form_helper
from ipt_clinic.versions import VersionedForm

ROLE_LABELS = {
    "is_therapist": "Therapist: treats patients",
    "is_supervisor": "Supervisor: reviews supervisees' caseloads",
    "is_clinic_admin": "Clinic admin: staff, settings and the audit report",
}
ROLES_FIELDSET = ("Roles", "is_therapist", "is_supervisor", "is_clinic_admin")


class StaffFilterForm(forms.Form):
    ROLE_CHOICES = [
        ("", "any role"),
        ("therapist", "therapists"),
        ("supervisor", "supervisors"),
        ("clinic_admin", "clinic admins"),
    ]
    STATUS_CHOICES = [("", "active"), ("inactive", "deactivated"), ("all", "everyone")]
    ROLE_FILTERS = {
        "therapist": {"is_therapist": True},
        "supervisor": {"is_supervisor": True},
        "clinic_admin": {"is_clinic_admin": True},
    }

    role = forms.ChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filter(self, staff):
        if not self.is_valid():
            return staff.filter(is_active=True)
        role, status = self.cleaned_data["role"], self.cleaned_data["status"]
        if role:
            staff = staff.filter(**self.ROLE_FILTERS[role])
        if status == "inactive":
            return staff.filter(is_active=False)
        if status == "all":
            return staff
        return staff.filter(is_active=True)


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["full_name", "email", "is_therapist", "is_supervisor", "is_clinic_admin"]
        labels = {"full_name": "Full name", "email": "Email address", **ROLE_LABELS}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Row(Column("full_name"), Column("email")),
            Fieldset(*ROLES_FIELDSET),
            submit="Send the invitation",
        )

    def clean_email(self):
        email = canonical_email(self.cleaned_data["email"])
        if User.objects.email_taken(email):
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class StaffForm(VersionedForm):
    """Name and roles. Email, clinic and the superuser flag are never editable here."""

    class Meta:
        model = User
        fields = ["full_name", "is_therapist", "is_supervisor", "is_clinic_admin"]
        labels = {"full_name": "Full name", **ROLE_LABELS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper("full_name", Fieldset(*ROLES_FIELDSET), submit="Save")

    def _post_clean(self):
        # The service validates the whole change (roles may be refused); the form only checks
        # the fields themselves, so that a refusal can be shown beside the right field.
        pass


class SupervisionForm(forms.ModelForm):
    class Meta:
        model = Supervision
        fields = ["supervisor", "therapist", "starts_on", "ends_on"]
        labels = {"starts_on": "From", "ends_on": "Until (leave empty while it lasts)"}
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        active = staff.filter(is_active=True).order_by("full_name")
        self.fields["supervisor"].queryset = active.filter(is_supervisor=True)
        self.fields["therapist"].queryset = active.filter(is_therapist=True)
        self.fields["supervisor"].widget.attrs["class"] = "form-select"
        self.fields["therapist"].widget.attrs["class"] = "form-select"
        self.helper = form_helper(
            Row(Column("supervisor"), Column("therapist")),
            Row(Column("starts_on"), Column("ends_on")),
            submit="Add the supervision link",
        )


class SupervisionDatesForm(VersionedForm):
    class Meta:
        model = Supervision
        fields = ["starts_on", "ends_on"]
        labels = {"starts_on": "From", "ends_on": "Until (leave empty while it lasts)"}
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(Row(Column("starts_on"), Column("ends_on")), submit="Save")
