from django import forms

from ipt_clinic.forms import form_helper
from ipt_clinic.versions import VersionedForm

from .models import SAFETY_PLAN_STEPS, RiskAssessment, SafetyPlan

ASSESSMENT_FIELDS = [
    "ideation",
    "plan",
    "intent",
    "means",
    "history",
    "protective_factors",
    "level",
]


class RiskAssessmentForm(VersionedForm):
    """Every part answered: an assessment is not one typed character."""

    class Meta:
        model = RiskAssessment
        fields = ASSESSMENT_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 2}) for name in ASSESSMENT_FIELDS if name != "level"
        } | {"level": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = RiskAssessment.Level.choices  # no empty choice
        self.helper = form_helper(*ASSESSMENT_FIELDS, submit="Save the assessment")

    def clean(self):
        cleaned = super().clean()
        for name in ASSESSMENT_FIELDS[:-1]:
            value = cleaned.get(name)
            if value is not None and len(value.strip()) < 2:
                self.add_error(name, "Write what the patient said (“none” is an answer too).")
        return cleaned


class SafetyPlanForm(VersionedForm):
    class Meta:
        model = SafetyPlan
        fields = [name for name, _, _ in SAFETY_PLAN_STEPS]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name, _, _ in SAFETY_PLAN_STEPS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, (name, label, help_text) in enumerate(SAFETY_PLAN_STEPS, start=1):
            self.fields[name].label = f"{number}. {label}"
            self.fields[name].help_text = help_text
        self.helper = form_helper(*self.Meta.fields, submit="Save the safety plan")


class EpisodeOpenForm(forms.Form):
    reason = forms.CharField(
        label="What did you notice?",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EpisodeCloseForm(forms.Form):
    review = forms.CharField(
        label="Review that closes the episode",
        max_length=10_000,
        help_text="What was reviewed, with whom, and why the risk no longer needs the pathway.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
