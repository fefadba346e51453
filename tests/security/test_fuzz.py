"""Hypothesis against every form and every query parameter: no input gives a server error.

In CI each form gets FUZZ_EXAMPLES examples (default 25); run the full 200 with
    HYPOTHESIS_PROFILE=full make test ARGS="tests/security/test_fuzz.py"
"""

import os
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=50),
    st.integers().map(str),
    st.dates().map(str),
)


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
                values[field] = data.draw(text)
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
