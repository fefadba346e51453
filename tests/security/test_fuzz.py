"""Hypothesis against every form and every query parameter: no input gives a server error.

In CI each form gets FUZZ_EXAMPLES examples (default 25); run the full 200 with
    HYPOTHESIS_PROFILE=full make test ARGS="tests/security/test_fuzz.py"
"""

import os
from datetime import date
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_patient
from tests.security.world import STAFF, pages_for, post_forms, url_of

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 25)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
settings.register_profile(
    "full",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NASTY = [
    "\x00",
    "\x00abc",
    "\ud800",
    "a\udfffb",
    "\u202eevil",
    "\u200f\u202b",
    "' OR 1=1 --",
    '"; DROP TABLE patients_patient; --',
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "%s%s%n",
    "../../etc/passwd",
    "x" * 10_000,
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "24:61",
    "",
    " ",
    "ą̷̛ͅ",
    "😀" * 50,
]
# Dates far outside any clinical sense: at the calendar's ends a day or a week more overflows
# the date arithmetic, in between they would book sessions or draw a timeline for centuries.
FAR_DATES = [
    "9999-12-31",
    "9999-11-01",
    "9000-01-01",
    "9000-06-15",
    "0001-01-01",
    "1899-12-31",
    "1900-01-01",
]
# Text just past each length limit (2,000, 10,000, 20,000 characters), and a megabyte. Built
# once and sampled: generating a megabyte per example would make the suite crawl, and the
# megabyte comes now and then rather than in every form.
PAST_THE_LIMITS = ["x" * 2_001, "x" * 10_001, "é" * 20_001]
MEGABYTE = "x" * 1_000_001
text = st.one_of(
    st.sampled_from([*NASTY, *FAR_DATES, *PAST_THE_LIMITS, MEGABYTE]),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=50),
    st.integers().map(str),
    st.dates().map(str),
)
# What a field of each kind is given: mostly its own kind of nonsense, sometimes anything.
BY_KIND = {
    "date": st.one_of(st.sampled_from(FAR_DATES), st.dates().map(str), text),
    "textarea": st.one_of(st.sampled_from(PAST_THE_LIMITS), text),
}


def encode(fields: dict[str, str]) -> bytes:
    """Form-encode values, lone surrogates included (as the invalid UTF-8 a client may send)."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in fields.items()
    ).encode("ascii")


def form_cases():
    """(principal, url name, kwargs builder) for every page with a 200 for one of the staff."""
    seen = set()
    for principal in STAFF:
        for name, make_kwargs in pages_for(principal):
            if name not in seen and name not in {"logout"}:
                seen.add(name)
                yield pytest.param(principal, name, make_kwargs, id=f"{name}-{principal}")


@pytest.mark.parametrize(("principal", "url_name", "make_kwargs"), list(form_cases()))
def test_no_form_input_gives_a_server_error(
    rich_world, client_for, principal, url_name, make_kwargs
):
    client: Client = client_for(rich_world[principal])
    page_url = url_of(url_name, make_kwargs, rich_world)
    forms = post_forms(client.get(page_url).content.decode())
    if not forms:
        pytest.skip(f"{url_name} has no form")  # a read-only page: covered by the GET fuzz

    examples = []

    @given(data=st.data())
    def fuzz(data):
        examples.append(1)
        form = data.draw(st.sampled_from(forms))
        values = {}
        for field in form["fields"]:
            choices = form["choices"].get(field)
            if choices and data.draw(st.booleans()):
                values[field] = data.draw(st.sampled_from(choices))
            elif data.draw(st.integers(0, 9)) > 0:  # now and then a field is left out
                values[field] = data.draw(BY_KIND.get(form["fields"][field], text))
        response = client.generic(
            "POST",
            form["action"] or page_url,
            encode(values),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code < 500, (url_name, values)

    fuzz()
    if any(form["fields"] for form in forms):  # else a handful of inputs exhausts the forms
        assert len(examples) >= settings.default.max_examples  # the profile's count really ran


GET_PARAMETERS = ["q", "status", "page", "therapist", "phase", "area", "flag", "next"]


@pytest.mark.parametrize(("principal", "url_name", "make_kwargs"), list(form_cases()))
def test_no_query_parameter_gives_a_server_error(
    rich_world, client_for, principal, url_name, make_kwargs
):
    client: Client = client_for(rich_world[principal])
    page_url = url_of(url_name, make_kwargs, rich_world)

    examples = []

    @given(params=st.dictionaries(st.sampled_from(GET_PARAMETERS), text, max_size=4))
    def fuzz(params):
        examples.append(1)
        query = "&".join(
            f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
            for name, value in params.items()
        )
        response = client.get(f"{page_url}?{query}")
        assert response.status_code < 500, (url_name, params)

    fuzz()
    assert len(examples) >= settings.default.max_examples


# Random values in every field rarely make a form valid but for its date, so the date
# arithmetic behind a valid form is fuzzed on its own: forms filled in as a person would,
# with any day of the calendar, at either end of a day, in clinics west and east of UTC.
DAYS = st.one_of(st.sampled_from(FAR_DATES), st.dates().map(str))
ZONES = ["Europe/London", "America/New_York", "Pacific/Kiritimati"]


def test_no_day_opens_or_moves_sessions_into_a_server_error(client_for, therapist, course):
    client = client_for(therapist)
    patient = make_patient(therapist)
    session = course.sessions.get(number=8)
    examples = []

    @given(day=DAYS, at=st.sampled_from(["00:30", "23:30"]), zone=st.sampled_from(ZONES))
    def fuzz(day, at, zone):
        examples.append(1)
        with transaction.atomic():  # each example starts from the same course and clinic
            therapist.clinic.timezone = zone
            therapist.clinic.save(update_fields=["timezone"])
            opened = client.post(
                reverse("sessions:course_open", args=[patient.pk]),
                {
                    "planned_sessions": "16",
                    "start_date": day,
                    "usual_weekday": str(date.fromisoformat(day).weekday()),
                    "usual_time": at,
                    "session_minutes": "50",
                    "indication": "Moderate depressive episode",
                },
            )
            moved = client.post(
                reverse("sessions:session_reschedule", args=[session.pk]),
                {"day": day, "at": at, "planned_minutes": "50", "move_later": "on"},
            )
            transaction.set_rollback(True)
        assert max(opened.status_code, moved.status_code) < 500, (day, at, zone)

    fuzz()
    assert len(examples) >= settings.default.max_examples
