"""Personal numbers in forms and the admin: shown masked, never in the page source.

A form that edits a phone or bank number would normally put the stored value in the input's
`value` attribute, where anyone who can open the form reads it in full, without the logged
reveal (lib/masking.py). `WriteOnlyNumbers` turns such fields into write-only inputs: the mask
is the placeholder, a typed value replaces the stored one, an empty input keeps it.
`MaskedHistoryAdmin` does the same for the admin's change history, which lists old and new
values of every changed field.
"""

from collections.abc import Callable

from django import forms
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from .admin import SimpleHistoryAdmin
from .masking import mask_bank_account, mask_id_number, mask_phone


def _hidden_date(value) -> str:
    return "****-**-**" if value else ""


# Field name -> mask, for every model field that holds a personal number or a birth date.
MASKS: dict[str, Callable] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "bank_account": mask_bank_account,
    "birth_date": _hidden_date,
}


class WriteOnlyInput(forms.TextInput):
    """Renders no value, only the stored one's mask as placeholder; empty means unchanged."""

    def __init__(self, mask: Callable, current: str, attrs=None):
        super().__init__(attrs)
        self.mask = mask
        self.current = current or ""

    def format_value(self, value):
        return None  # neither the stored value nor a re-displayed one goes into the page

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.current:
            context["widget"]["attrs"]["placeholder"] = self.mask(self.current)
        if self.typed:
            # The form came back with an error elsewhere: what the person typed in this very
            # request is shown to them again rather than lost (no stored number is revealed).
            context["widget"]["value"] = self.typed
        return context

    typed = ""  # what this request sent (each form has its own copy of the widget)

    def value_from_datadict(self, data, files, name):
        typed = (data.get(name) or "").strip()
        self.typed = typed
        return typed or self.current


class WriteOnlyNumbers:
    """ModelForm mixin: `write_only` maps field names to their mask."""

    write_only: dict[str, Callable] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, mask in self.write_only.items():
            field = self.fields.get(name)
            if field is None:
                continue
            current = getattr(self.instance, name, "") or ""
            field.widget = WriteOnlyInput(mask, current, attrs=field.widget.attrs)
            if current:
                field.help_text = _(
                    "The stored number is not shown here; type a new one to replace it."
                )


class MaskedHistoryHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        if change.field in MASKS:
            return MASKS[change.field](value)
        return super().prepare_delta_change_value(change, value)


class MaskedNumbersAdmin:
    """ModelAdmin mixin. `masked_fields` maps each personal-number field of the model to the
    model attribute that shows it masked (`{"phone": "masked_phone"}`): the change form
    edits the field write-only, and a user who may only view the row reads the masked
    attribute instead of the field."""

    masked_fields: dict[str, str] = {}

    def _view_only(self, request, obj):
        return obj is not None and not self.has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return _write_only_form(form, self.masked_fields)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._view_only(request, obj):
            return fieldsets
        return [
            (name, {**opts, "fields": [self.masked_fields.get(f, f) for f in opts["fields"]]})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._view_only(request, obj):
            readonly += [f for f in self.masked_fields.values() if f not in readonly]
        return readonly


class MaskedNumbersInline:
    """InlineModelAdmin mixin: the same write-only inputs in each row of the inline."""

    masked_fields: dict[str, str] = {}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _write_only_form(formset.form, self.masked_fields)
        return formset


def _write_only_form(form, fields):
    write_only = {f: MASKS[f] for f in fields if f in MASKS}
    if not write_only:
        return form
    return type(form.__name__, (WriteOnlyNumbers, form), {"write_only": write_only})


class MaskedHistoryAdmin(MaskedNumbersAdmin, SimpleHistoryAdmin):
    """Also the change history: its old and new values of personal numbers are masked."""

    def get_historical_record_context_helper(self, request, historical_record):
        return MaskedHistoryHelper(self.model, historical_record)
