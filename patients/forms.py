from crispy_forms.layout import Column, Fieldset, Row
from django import forms

from ipt_clinic.forms import DateInput, form_helper
from ipt_clinic.versions import VersionedForm

from .models import Patient


class PatientForm(VersionedForm):
    class Meta:
        model = Patient
        fields = [
            "record_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "email",
            "phone",
            "preferred_channel",
            "reminder_consent",
            "reminder_consent_on",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "reminder_consent_on": DateInput(),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }
        error_messages = {
            "record_number": {"unique": "Another patient of this clinic has this record number."}
        }

    def __init__(self, *args, clinic_id: int, submit_label: str = "Save", **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic_id = clinic_id
        self.helper = form_helper(
            Fieldset(
                "Identity",
                Row(Column("given_name"), Column("family_name")),
                Row(Column("record_number"), Column("date_of_birth")),
            ),
            Fieldset(
                "Contact and reminders",
                Row(Column("email"), Column("phone")),
                Row(Column("preferred_channel"), Column("reminder_consent_on")),
                "reminder_consent",
            ),
            submit=submit_label,
        )

    def clean_record_number(self):
        number = self.cleaned_data["record_number"].strip()
        clash = Patient.objects.filter(clinic_id=self.clinic_id, record_number__iexact=number)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another patient of this clinic has this record number.")
        return number

    def _post_clean(self):
        # The model's clean() compares against the clinic; give it the clinic before it runs.
        self.instance.clinic_id = self.clinic_id
        super()._post_clean()


class CaseloadFilterForm(forms.Form):
    STATUS_CHOICES = [("", "active and discharged"), *Patient.Status.choices, ("all", "all")]

    q = forms.CharField(
        label="Search by name or record number",
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=STATUS_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filter(self, patients):
        if not self.is_valid():
            return patients.exclude(status=Patient.Status.ARCHIVED)
        patients = patients.search(self.cleaned_data["q"])
        status = self.cleaned_data["status"]
        if status == "all":
            return patients
        if status:
            return patients.filter(status=status)
        return patients.exclude(status=Patient.Status.ARCHIVED)
