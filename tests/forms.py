"""What a browser would send for a page's form, as it stands: for tests that fill a form the
way a person does (open the page, change a field, submit) rather than build the post."""

from html.parser import HTMLParser


class _FormValues(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: str | None = None
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "values": {}, "names": set()}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        values, name = self._form["values"], attrs.get("name")
        if name and tag in {"input", "textarea", "select"}:
            self._form["names"].add(name)
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    values.setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in {"submit", "button"}:
                values[name] = [attrs.get("value", "")]
        elif tag == "textarea" and name:
            self._textarea = name
            values[name] = [""]
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
        elif tag == "option" and self._select:
            select = self._select[0]
            value = attrs.get("value", "")
            self._first_option.setdefault(select, value)
            if "selected" in attrs:
                values.setdefault(select, []).append(value)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["values"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._form is not None and self._textarea:
            value = self._form["values"][self._textarea]
            value[0] = value[0].removeprefix("\n")  # as browsers read <textarea>
            self._textarea = None
        elif tag == "select" and self._select:
            select, multiple = self._select
            if not multiple and select not in self._form["values"]:
                self._form["values"][select] = [self._first_option.get(select, "")]
            self._select = None
        elif tag == "form":
            self._form = None


def form_values(html: str, *, with_field: str) -> dict[str, list[str]]:
    """The values of the post form on the page that has the field `with_field`."""
    parser = _FormValues()
    parser.feed(html)
    for form in parser.forms:
        if with_field in form["names"]:
            values = form["values"]
            values.pop("csrfmiddlewaretoken", None)
            return values
    raise AssertionError(f"no form with a field {with_field!r} on the page")
