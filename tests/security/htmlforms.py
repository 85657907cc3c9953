"""The forms and links of a page, read from its HTML as a browser would submit them.

Used by the fuzzer (test_fuzz.py) to find what each role can send, and by the bad-input tests
to post a page's own form back with one value changed.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: (
        str  # the input's type (text, hidden, checkbox, radio, file, ...), select, textarea, submit
    )
    default: list = field(default_factory=list)  # what the page would send unchanged
    options: list = field(default_factory=list)  # a select's, radio's or checkbox's values


@dataclass
class Form:
    method: str  # "get" or "post"
    url: str  # where it is sent (the action, or the page itself)
    fields: dict = field(default_factory=dict)
    found_on: str = ""

    def data(self, **changed) -> dict:
        """What the form sends unchanged, with `changed` values instead of its own."""
        values = {name: list(f.default) for name, f in self.fields.items()}
        values.update({k: v if isinstance(v, list) else [v] for k, v in changed.items()})
        return {k: v if len(v) != 1 else v[0] for k, v in values.items() if v}


class FormParser(HTMLParser):
    """Every <form> of a page (its inputs, selects, textareas and named buttons) and every
    link's href."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form = self._select = self._textarea = None

    def _field(self, name, kind) -> Field:
        f = self._form.fields.get(name)
        if f is None:
            f = self._form.fields[name] = Field(name, kind)
        return f

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.default.append(a.get("value", ""))
            return
        if tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), url=a.get("action", ""))
            return
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("image", "reset", "button"):
                return
            f = self._field(name, kind)
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio", "submit"):
                f.options.append(value)
                if "checked" in a or (kind == "submit" and self._first_button()):
                    f.default.append(value)
            elif kind != "file":
                f.default = [value]
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            f = self._field(name, "submit")
            f.options.append(a.get("value", ""))
            if self._first_button():
                f.default.append(a.get("value", ""))
        elif tag == "select":
            self._select = self._field(name, "select")
        elif tag == "textarea":
            self._textarea = self._field(name, "textarea")
            self._textarea.default = [""]

    def _first_button(self) -> bool:
        """Whether no named button of the form is pressed yet: a browser sends only the one
        that was pressed, and pressing Enter presses the first."""
        return not any(f.kind == "submit" and f.default for f in self._form.fields.values())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.default[0] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            select = self._select
            if select is not None and not select.default and select.options:
                select.default = [select.options[0]]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def form_posting_to(html: str, url_part: str) -> Form:
    """The first POST form of a page whose action contains `url_part`."""
    for form in parse(html).forms:
        if form.method == "post" and url_part in form.url:
            return form
    raise AssertionError(f"no form posting to {url_part} on the page")
