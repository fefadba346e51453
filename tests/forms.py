"""What a browser would send for a page's form, as it stands: for tests that fill a form the
way a person does (open the page, change a field, submit) rather than build the post."""

from tests.security.world import post_forms


def form_values(html: str, *, with_field: str) -> dict[str, list[str]]:
    """The values of the post form on the page that has the field `with_field`."""
    for form in post_forms(html):
        if with_field in form["fields"]:
            return dict(form["values"])
    raise AssertionError(f"no form with a field {with_field!r} on the page")
