from crispy_forms.layout import Column, Fieldset, Row
from django import forms
from django.db import models
from django.utils import timezone

from ipt_clinic.forms import DateInput, form_helper
from ipt_clinic.modelforms import ModelForm
from ipt_clinic.versions import VersionedForm

from .models import (
    Area,
    Formulation,
    Goal,
    LifeEvent,
    ProblemArea,
    Relationship,
    SessionFocus,
    TerminationReview,
)


def _textareas(model, fields, rows=2) -> dict:
    return {
        name: forms.Textarea(attrs={"rows": rows})
        for name in fields
        if isinstance(model._meta.get_field(name), models.TextField)
    }


class RelationshipQuickForm(ModelForm):
    """Add a person in one short row, during the session."""

    class Meta:
        model = Relationship
        fields = ["name", "relation", "ring", "contact", "deceased", "changed_around_onset"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Row(Column("name"), Column("relation"), Column("ring"), Column("contact")),
            Row(Column("deceased"), Column("changed_around_onset")),
            submit="Add to the inventory",
        )


RELATIONSHIP_FIELDS = [
    "name",
    "relation",
    "ring",
    "contact",
    "satisfying",
    "unsatisfying",
    "patient_expectations",
    "other_expectations",
    "expectations_met",
    "wished_change",
    "changed_around_onset",
    "deceased",
]


class RelationshipForm(VersionedForm):
    class Meta:
        model = Relationship
        fields = RELATIONSHIP_FIELDS
        widgets = _textareas(Relationship, RELATIONSHIP_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rendered inside the page's own <form>, so that each person is edited in place.
        self.helper = form_helper(
            Row(Column("name"), Column("relation")),
            Row(Column("ring"), Column("contact"), Column("expectations_met")),
            Row(Column("satisfying"), Column("unsatisfying")),
            Row(Column("patient_expectations"), Column("other_expectations")),
            "wished_change",
            Row(Column("changed_around_onset"), Column("deceased")),
            submit="Save",
            form_tag=False,
        )


class LifeEventForm(ModelForm):
    class Meta:
        model = LifeEvent
        fields = ["occurred_on", "kind", "description", "mood_effect", "relationship"]
        widgets = {"occurred_on": DateInput()}

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship"].queryset = people
        self.fields["relationship"].empty_label = "nobody in particular"
        self.helper = form_helper(
            Row(Column("occurred_on"), Column("kind"), Column("mood_effect")),
            Row(Column("description", css_class="col-md-8"), Column("relationship")),
            submit="Add to the timeline",
        )


AREA_CHOICES = [("", "choose"), *Area.choices]


class FormulationForm(VersionedForm):
    # The chosen areas are rows of their own; saving the formulation saves it too.
    version_also = ("updated_at",)

    primary_area = forms.ChoiceField(label="Primary problem area", choices=AREA_CHOICES)
    primary_person = forms.ModelChoiceField(
        label="Person of the primary area",
        queryset=Relationship.objects.none(),
        required=False,
        help_text="Grief: the person who died. Role dispute: the other party.",
    )
    secondary_area = forms.ChoiceField(
        label="Secondary problem area (optional)",
        choices=[("", "none"), *Area.choices],
        required=False,
    )
    secondary_person = forms.ModelChoiceField(
        label="Person of the secondary area",
        queryset=Relationship.objects.none(),
        required=False,
    )

    class Meta:
        model = Formulation
        fields = [
            "text",
            "rationale",
            "linked_people",
            "linked_events",
            "agreed_on",
            "no_other_area_confirmed",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "agreed_on": DateInput(),
            "linked_people": forms.CheckboxSelectMultiple,
            "linked_events": forms.CheckboxSelectMultiple,
        }
        labels = {
            "linked_people": "People the rationale rests on",
            "linked_events": "Timeline events the rationale rests on",
        }

    def __init__(self, *args, people, events, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("linked_people", "primary_person", "secondary_person"):
            self.fields[name].queryset = people
        self.fields["linked_events"].queryset = events
        self.helper = form_helper(
            "text",
            Fieldset(
                "Problem area",
                Row(Column("primary_area"), Column("primary_person")),
                Row(Column("secondary_area"), Column("secondary_person")),
                "no_other_area_confirmed",
            ),
            Fieldset(
                "Rationale", "rationale", Row(Column("linked_people"), Column("linked_events"))
            ),
            "agreed_on",
            submit="Save the formulation",
        )

    def choice(self, prefix: str) -> dict | None:
        area = self.cleaned_data.get(f"{prefix}_area")
        if not area:
            return None
        person = self.cleaned_data.get(f"{prefix}_person")
        return {"area": area, "deceased": person, "other_party": person}


AREA_FIELDS = {
    Area.GRIEF: ["date_of_death", "circumstances_of_death", "complicating_factors"],
    Area.ROLE_DISPUTE: [
        "dispute_issues",
        "patient_expectations",
        "other_expectations",
        "options_weighed",
        "outcome",
    ],
    Area.ROLE_TRANSITION: [
        "old_role",
        "new_role",
        "transition_date",
        "old_role_good",
        "old_role_bad",
        "new_role_good",
        "new_role_bad",
        "losses",
        "skills_needed",
        "supports_needed",
    ],
    Area.INTERPERSONAL_DEFICITS: [
        "isolation_history",
        "relationships_to_develop",
        "skills_to_practise",
        "plan_if_no_response",
    ],
}


def problem_area_form_class(area: str) -> type[forms.ModelForm]:
    """The form of one problem area, with that area's own fields."""
    fields = AREA_FIELDS[area]
    widgets = _textareas(ProblemArea, fields, rows=3)
    widgets.update(
        {name: DateInput() for name in ("date_of_death", "transition_date") if name in fields}
    )

    class AreaForm(VersionedForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.helper = form_helper(*self.fields, submit="Save", form_tag=False)

    return forms.modelform_factory(ProblemArea, form=AreaForm, fields=fields, widgets=widgets)


class StageChangeForm(forms.Form):
    stage = forms.ChoiceField(label="New stage", choices=ProblemArea.Stage.choices)
    changed_on = forms.DateField(label="Since", widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label="What moved it", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Row(Column("stage"), Column("changed_on"), Column("note")),
            submit="Record the stage",
            form_tag=False,
        )


class GoalForm(ModelForm):
    class Meta:
        model = Goal
        fields = ["text", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper(
            Row(Column("text", css_class="col-md-8"), Column("status")),
            submit="Add the goal",
            form_tag=False,
        )


class GoalStatusForm(VersionedForm):
    class Meta:
        model = Goal
        fields = ["status"]
        widgets = {"status": forms.Select(attrs={"class": "form-select form-select-sm"})}


class SessionFocusForm(VersionedForm):
    """What the session worked on: one of the course's areas, a risk or crisis, or drift.
    No choice is made for the therapist: saving without one is refused."""

    worked_on = forms.ChoiceField(
        label="This session worked on",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the session worked on."},
    )
    goals = forms.ModelMultipleChoiceField(
        label="Goals worked on",
        queryset=Goal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    version_also = ("kind", "problem_area")  # edited on the form as `worked_on`

    class Meta:
        model = SessionFocus
        fields = ["goals"]

    def __init__(self, *args, areas, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {str(area.pk): area for area in areas}
        self.fields["worked_on"].choices = [
            *(
                (f"area:{pk}", f"{area.get_rank_display()} area: {area.get_area_display()}")
                for pk, area in self.areas.items()
            ),
            (SessionFocus.Kind.RISK, "A risk or crisis session (not drift)"),
            (SessionFocus.Kind.DRIFT, "None of the chosen areas (drift)"),
        ]
        focus = self.instance
        if focus.pk:
            self.initial["worked_on"] = (
                f"area:{focus.problem_area_id}"
                if focus.kind == SessionFocus.Kind.AREA
                else focus.kind
            )
        self.fields["goals"].queryset = goals
        self.fields["goals"].label_from_instance = lambda goal: (
            f"{goal.problem_area.get_area_display()}: {goal.text}"
        )
        self.helper = form_helper("worked_on", "goals", submit="Save the focus", form_tag=False)

    def clean(self):
        cleaned = super().clean()
        worked_on = cleaned.get("worked_on") or ""
        area = (
            self.areas.get(worked_on.removeprefix("area:"))
            if worked_on.startswith("area:")
            else None
        )
        cleaned["kind"] = SessionFocus.Kind.AREA if area else worked_on
        cleaned["problem_area"] = area
        goals = cleaned.get("goals") or []
        if any(goal.problem_area_id != getattr(area, "pk", None) for goal in goals):
            self.add_error("goals", "Choose goals of the area worked on.")
        return cleaned


REVIEW_FIELDS = [
    "reviewed_on",
    "gains_reviewed",
    "feelings_about_ending",
    "ipos_patient",
    "ipos_therapist",
    "secondary_ipos_patient",
    "secondary_ipos_therapist",
    "warning_symptoms",
    "relapse_plan",
    "maintenance",
    "maintenance_frequency",
    "plan_if_not_improved",
]


class TerminationReviewForm(VersionedForm):
    class Meta:
        model = TerminationReview
        fields = REVIEW_FIELDS
        widgets = {
            **_textareas(TerminationReview, REVIEW_FIELDS, rows=3),
            "reviewed_on": DateInput(),
        }

    def __init__(self, *args, areas=(), **kwargs):
        """`areas`: the course's problem areas, each rated on its own (IPOS)."""
        super().__init__(*args, **kwargs)
        by_rank = {area.rank: area for area in areas}
        ratings = []
        Rank = ProblemArea.Rank
        for rank, prefix in ((Rank.PRIMARY, ""), (Rank.SECONDARY, "secondary_")):
            area = by_rank.get(rank)
            if area is None and rank == Rank.SECONDARY:
                del self.fields["secondary_ipos_patient"], self.fields["secondary_ipos_therapist"]
                continue
            name = (
                f"{area.get_area_display().capitalize()} ({area.get_rank_display()})"
                if area
                else "The focus"
            )
            for by in ("patient", "therapist"):
                field = self.fields[f"{prefix}ipos_{by}"]
                field.label = f"{name}: resolved, rated by the {by}"
                field.required = True
            ratings.append(Row(Column(f"{prefix}ipos_patient"), Column(f"{prefix}ipos_therapist")))
        self.helper = form_helper(
            "reviewed_on",
            Row(Column("gains_reviewed"), Column("feelings_about_ending")),
            Fieldset("How far each problem area was resolved (IPOS)", *ratings),
            Row(Column("warning_symptoms"), Column("relapse_plan")),
            Fieldset(
                "After this course",
                Row(Column("maintenance"), Column("maintenance_frequency")),
                "plan_if_not_improved",
            ),
            submit="Save the termination review",
        )

    def clean_reviewed_on(self):
        day = self.cleaned_data["reviewed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return day


class GoalOutcomesForm(forms.Form):
    """Each goal's outcome, asked when the course completes (one field per goal)."""

    def __init__(self, *args, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.goals = {f"goal_{goal.pk}": goal for goal in goals}
        for name, goal in self.goals.items():
            self.fields[name] = forms.ChoiceField(
                label=f"{goal.problem_area.get_area_display().capitalize()}: {goal.text}",
                choices=Goal.Status.choices,
                initial=goal.status,
            )
        self.helper = form_helper(*self.fields, form_tag=False)

    def changed_goals(self) -> list[Goal]:
        """The goals whose outcome the form changes, with it set."""
        changed = []
        for name in self.changed_data:
            goal = self.goals[name]
            goal.status = self.cleaned_data[name]
            changed.append(goal)
        return changed
