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
    """The POST forms of a page: their action, the fields a person could fill in (with their
    kind and choices), and what a browser would send for each as the page stands."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None
        self._select: str | None = None
        self._multiple = False
        self._first_option: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = {
                "action": attrs.get("action") or "", "fields": {}, "choices": {}, "values": {}
            }  # fmt: skip
            self.forms.append(self._current)
        if self._current is None:
            return
        name, values = attrs.get("name"), self._current["values"]
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            self._current["fields"][name] = kind
            if kind in {"radio", "checkbox"}:
                self._current["choices"].setdefault(name, []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    values.setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in {"submit", "button"}:
                values[name] = [attrs.get("value", "")]
        elif tag == "textarea" and name:
            self._current["fields"][name] = "textarea"
            self._textarea = name
            values[name] = [""]
        elif tag == "select" and name:
            self._current["fields"][name] = "select"
            self._select = name
            self._multiple = "multiple" in attrs
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self._current["choices"].setdefault(self._select, []).append(value)
            self._first_option.setdefault(self._select, value)
            if "selected" in attrs:
                values.setdefault(self._select, []).append(value)

    def handle_data(self, data):
        if self._current is not None and self._textarea:
            self._current["values"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._current is not None and self._textarea:
            text = self._current["values"][self._textarea]
            text[0] = text[0].removeprefix("\n")  # as browsers read <textarea>
            self._textarea = None
        if tag == "select" and self._select:
            if not self._multiple and self._select not in self._current["values"]:
                # With none selected, a browser sends the first option of a single select.
                self._current["values"][self._select] = [self._first_option.get(self._select, "")]
            self._select = None
        if tag == "form":
            self._current = None


def post_forms(html: str) -> list[dict]:
    collector = FormCollector()
    collector.feed(html)
    return collector.forms
