"""The shared limits (ipt_clinic/validation.py): every free text of the project is limited, and
a date window says its rule and its bounds in words."""

from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from inventory.models import Formulation, ProblemArea, Relationship, TerminationReview
from ipt_clinic.accounts.models import Clinic
from ipt_clinic.validation import date_outside, years_after
from oversight.models import FidelityRating, NoteReview, SupervisionNote
from risk.models import RiskAssessment, RiskEpisode, SafetyPlan
from sessions.models import Amendment, Course, CourseContractChange, PrivateNote, TherapySession
from tests.limits import too_long

PROJECT_APPS = ["accounts", "patients", "therapy_sessions", "risk", "inventory", "caseload"]
TEXT_FIELDS = [
    field
    for label in PROJECT_APPS
    for model in apps.get_app_config(label).get_models()
    for field in model._meta.get_fields()
    if isinstance(field, models.TextField)
]


def texts_of(model, *, but: tuple[str, ...] = ()) -> list[str]:
    return [f.name for f in TEXT_FIELDS if f.model is model and f.name not in but]


# Each free text and the length that fits its purpose: a reason or a comment 2,000 characters,
# a section of a note or of the inventory 10,000, a whole note or the formulation 20,000.
LIMITS = {
    (Course, "indication"): 2_000,
    (Course, "end_reason"): 2_000,
    (CourseContractChange, "reason"): 2_000,
    **{(TherapySession, name): 10_000 for name in texts_of(TherapySession, but=("progress_note",))},
    (TherapySession, "progress_note"): 20_000,
    (PrivateNote, "text"): 20_000,
    (Amendment, "text"): 20_000,
    **{(Relationship, name): 10_000 for name in texts_of(Relationship)},
    (Formulation, "text"): 20_000,
    (Formulation, "rationale"): 10_000,
    **{(ProblemArea, name): 10_000 for name in texts_of(ProblemArea)},
    **{(TerminationReview, name): 10_000 for name in texts_of(TerminationReview)},
    (SupervisionNote, "text"): 10_000,
    (NoteReview, "comment"): 2_000,
    (FidelityRating, "comment"): 2_000,
    (Clinic, "crisis_lines"): 2_000,
    (RiskEpisode, "reason"): 2_000,
    (RiskEpisode, "closing_review"): 10_000,
    **{(RiskAssessment, name): 2_000 for name in texts_of(RiskAssessment)},
    **{(SafetyPlan, name): 2_000 for name in texts_of(SafetyPlan)},
}


def length_errors(model, field: str, length: int) -> list[str]:
    """What full_clean() says of `field` holding `length` characters (other fields unchecked:
    the validators are what is tested here; each app's tests show its services run them)."""
    instance = model(**{field: "x" * length})
    try:
        instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.name != field])
    except ValidationError as error:
        return error.message_dict.get(field, [])
    return []


def test_every_free_text_has_its_limit_in_the_table():
    assert {(f.model, f.name) for f in TEXT_FIELDS} == set(LIMITS)


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [(model, field, limit) for (model, field), limit in LIMITS.items()],
    ids=[f"{model.__name__}.{field}" for model, field in LIMITS],
)
def test_a_free_text_takes_its_limit_and_refuses_one_more(model, field, limit):
    assert length_errors(model, field, limit) == []
    assert length_errors(model, field, limit + 1) == [too_long(limit)]
    # max_length sizes the form field and the browser's textarea; only the validator makes
    # full_clean (and so every service) refuse a longer text.
    text_field = model._meta.get_field(field)
    assert text_field.max_length == limit
    assert any(isinstance(v, MaxLengthValidator) for v in text_field.validators)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (date(2025, 12, 5), "A course starts: between 6 Dec 2025 and today (6 Dec 2026)."),
        (date(2025, 12, 6), None),
        (date(2026, 12, 6), None),
        (date(2026, 12, 7), "A course starts: between 6 Dec 2025 and today (6 Dec 2026)."),
        (None, None),
    ],
)
def test_a_date_window_says_its_rule_and_bounds(day, message):
    today = date(2026, 12, 6)
    earliest = date(2025, 12, 6)
    assert date_outside(day, earliest, today, rule="A course starts:", today=today) == message


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2026, 12, 6), -1, date(2025, 12, 6)),
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2028, 2, 29), -4, date(2024, 2, 29)),
    ],
)
def test_years_after_keeps_the_day_or_falls_back_to_28_february(day, years, expected):
    assert years_after(day, years) == expected
