"""Limits on what a person types, shared by every app: a date within a window that makes
clinical sense, a free text no longer than its purpose needs.

The limits hold in the models (clean() and field validators), so that a service calling
full_clean() refuses what a form would: a year-9999 date or a megabyte of text never reaches
the scheduling arithmetic or a page.
"""

from datetime import date

from django.core.validators import MaxLengthValidator
from django.db import models

# Nobody the clinic sees was born, nor lived through an event it records, before this day.
EARLIEST_LIFE_DATE = date(1900, 1, 1)
# Nor was the clinic's own work (a supervision link, an audit event) done before this one.
EARLIEST_CLINIC_DATE = date(2000, 1, 1)

# Free-text lengths, by purpose.
SHORT_TEXT = 2_000  # a reason, an indication, a comment
TEXT = 10_000  # one section of a note, an aspect of a relationship or a problem area
LONG_TEXT = 20_000  # a progress note, a formulation, an amendment, a private note


def limited_text(limit: int, *args, **kwargs) -> models.TextField:
    """A TextField of at most `limit` characters. max_length alone only sizes the widget and
    the form field; the validator makes full_clean() refuse a longer text too."""
    return models.TextField(
        *args, max_length=limit, validators=[MaxLengthValidator(limit)], **kwargs
    )


def years_after(day: date, years: int) -> date:
    """The same day `years` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def in_words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def date_outside(
    day: date | None, earliest: date, latest: date, *, rule: str, today: date | None = None
) -> str | None:
    """The message refusing `day` when it falls outside earliest..latest (both allowed), else
    None. The message is the rule followed by the window, e.g. "A course starts within a year
    of today: between 6 Dec 2025 and 6 Dec 2027."; a bound equal to `today` is called so."""
    if day is None or earliest <= day <= latest:
        return None

    def named(bound: date) -> str:
        return f"today ({in_words(bound)})" if bound == today else in_words(bound)

    return f"{rule} between {named(earliest)} and {named(latest)}."
