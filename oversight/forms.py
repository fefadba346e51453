from django import forms

from ipt_clinic.forms import form_helper
from ipt_clinic.validation import SHORT_TEXT, TEXT
from ipt_clinic.versions import Versioned, VersionedForm

from .models import FIDELITY_CHECKLIST, NoteReview


def _helper(*layout, submit: str):
    """These forms sit inside the pages' own <form> tags."""
    return form_helper(*layout, submit=submit, form_tag=False)


class SupervisionNoteForm(forms.Form):
    text = forms.CharField(
        label="Supervision note for the therapist",
        max_length=TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("text", submit="Add the note")


class NoteReviewForm(VersionedForm):
    class Meta:
        model = NoteReview
        fields = ["status", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}
        labels = {"status": "Review of the signed note", "comment": "Comment for the therapist"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("status", "comment", submit="Save the review")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("status") == NoteReview.Status.NEEDS_REVISION
            and not (cleaned.get("comment") or "").strip()
        ):
            self.add_error("comment", "Say what needs revising.")
        return cleaned


class FidelityForm(Versioned, forms.Form):
    checklist = forms.MultipleChoiceField(
        label="What the session did", required=False, widget=forms.CheckboxSelectMultiple
    )
    adherence = forms.TypedChoiceField(
        label="Overall adherence to IPT",
        coerce=int,
        choices=[
            (1, "1: not IPT"),
            (2, "2: a little"),
            (3, "3: adequate"),
            (4, "4: good"),
            (5, "5: excellent"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, phase: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = FIDELITY_CHECKLIST[phase]
        self.helper = _helper("checklist", "adherence", "comment", submit="Save the rating")
