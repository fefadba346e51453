"""A clinic with something on every page, and the pages themselves (from the access matrix)."""

from html.parser import HTMLParser

from django.urls import reverse

from tests.security.test_access_matrix import EXPECTED

STAFF = ["therapist", "supervisor", "clinic_admin"]


def pages_for(principal: str) -> list[tuple[str, dict]]:
    """(url name, kwargs builder) of every page that shows `principal` a 200."""
    return [
        (name, make_kwargs)
        for name, (make_kwargs, expected, _post) in sorted(EXPECTED.items())
        if expected[principal] == 200
    ]


def url_of(name: str, make_kwargs, world) -> str:
    return reverse(name, kwargs=make_kwargs(world))


class FormCollector(HTMLParser):
    """The POST forms of a page: their action and the fields a person could fill in."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "fields": {}, "choices": {}}
            self.forms.append(self._current)
        if self._current is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            self._current["fields"][name] = kind
            if kind in {"radio", "checkbox"}:
                self._current["choices"].setdefault(name, []).append(attrs.get("value", "on"))
        elif tag == "textarea" and name:
            self._current["fields"][name] = "textarea"
        elif tag == "select" and name:
            self._current["fields"][name] = "select"
            self._select = name
        elif tag == "option" and self._select:
            self._current["choices"].setdefault(self._select, []).append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        if tag == "select":
            self._select = None


def post_forms(html: str) -> list[dict]:
    collector = FormCollector()
    collector.feed(html)
    return collector.forms
