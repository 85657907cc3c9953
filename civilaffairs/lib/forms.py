"""Form fields for what people type and what pages post back, shared by every app.

`IdNumberField` takes a resident ID number the way people type it; `IdField` a row id a page
posts back. Both refuse what no column can hold with a message that says what is wanted, so
a form never hands a view a value the database then refuses.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import idnumber
from .converters import BIGINT_MAX

# What a person may type for an ID number: 18 characters in groups of up to four or six, with
# spaces or hyphens between them ("6401 0419 8005 1712 34" is 22 characters).
ID_NUMBER_INPUT_LENGTH = 32


class IdNumberField(forms.CharField):
    """A resident ID number as people type it: groups separated by spaces (also the wide
    space of a Chinese input method) or hyphens, wide digits, a small x. Normalised
    (lib.idnumber.normalize) before its length is checked, so a number typed in groups is the
    18 characters it stands for, and a number of another length is refused with what an ID
    number is rather than with a generic "at most N characters". Whether the number is valid (check
    digit, birth date, address code) is for the form or action that uses it: they say which
    part is wrong. `longest` is 18 for a resident ID number; a field that also takes other
    documents (a passport) allows up to 32, what the person record holds."""

    default_error_messages = {
        "id_length": _("An ID number has 18 characters (the last may be X); this has %(n)d."),
        "document_length": _(
            "A document number has at most %(longest)d characters; this has %(n)d."
        ),
    }

    def __init__(self, *, longest: int = 18, **kwargs):
        self.longest = longest
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}
            ),
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # Room in the browser for the number typed in groups; the server measures it after.
        return {**super().widget_attrs(widget), "maxlength": str(ID_NUMBER_INPUT_LENGTH)}

    def to_python(self, value):
        value = super().to_python(value)
        return idnumber.normalize(value) if value not in self.empty_values else value

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        resident = self.longest == 18
        if len(value) > self.longest or (resident and len(value) != 18):
            code = "id_length" if resident else "document_length"
            raise ValidationError(
                self.error_messages[code],
                code=code,
                params={"n": len(value), "longest": self.longest},
            )


class IdField(forms.IntegerField):
    """A row id posted back by a page (a hidden input or a select's value): 1 to the largest
    bigint. Which row, and whether the user may touch it, is for the view's scoped query."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class DatePicker(forms.DateInput):
    """The browser's date picker. It accepts only yyyy-mm-dd whatever the page's language, so
    the value is always written that way: in zh-Hans Django would write 2026/12/05, which the
    browser drops, and a pre-filled date would come back empty ("this field is required")."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
