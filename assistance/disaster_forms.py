"""The forms of disaster relief: recording a disaster on the region tree, relief handed to a
household, correcting a delivery. They check what was typed; the rules (overlaps, the same
item twice, who may) are the actions' (disaster.py)."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.forms import DatePicker
from civilaffairs.lib.params import EARLIEST_DATE

from .models import DisasterEvent, ReliefItem


class RegionsForm(forms.Form):
    """The places ticked on the region tree (the choices are the tree shown)."""

    regions = forms.MultipleChoiceField(
        label=_("Affected regions"),
        error_messages={
            "required": _("Choose at least one affected region."),
            "invalid_choice": _("A chosen region is not in your area: choose again."),
        },
    )

    def __init__(self, *args, region_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = region_choices


class DisasterEventForm(RegionsForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("As the emergency office names it, e.g. “2026-07 Yongning county flood”."),
    )
    kind = forms.ChoiceField(label=_("Kind of disaster"), choices=DisasterEvent.Kind.choices)
    level = forms.TypedChoiceField(
        label=_("Response level"),
        coerce=int,
        choices=DisasterEvent.Level.choices,
        help_text=_("Level I is the gravest; the needs per person follow the level."),
    )
    started_on = forms.DateField(label=_("Began on"), widget=DatePicker)
    ended_on = forms.DateField(
        label=_("Response ended on"),
        widget=DatePicker,
        required=False,
        help_text=_("Leave empty while the response goes on."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_started_on(self):
        day = self.cleaned_data["started_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A disaster is recorded once it has happened."))
        if day < EARLIEST_DATE:
            raise forms.ValidationError(_("Enter the day the disaster began."))
        return day


class ReliefForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    item = forms.ChoiceField(label=_("Item"), choices=ReliefItem.choices)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    given_on = forms.DateField(label=_("Given on"), widget=DatePicker)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()


class CorrectReliefForm(forms.Form):
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    # The history keeps a reason of up to 100 characters (lib.history).
    reason = forms.CharField(label=_("Why it changes"), max_length=100)


class EndEventForm(forms.Form):
    ended_on = forms.DateField(label=_("Response ended on"), widget=DatePicker)
