from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.months import first_of_next_month, parse_month

MAX_RESULT_FILE = 5 * 1024 * 1024  # a county's month is a few thousand lines: ~0.5 MB


class PrepareBatchForm(forms.Form):
    county = forms.ChoiceField(label=_("County"))
    month = forms.CharField(
        label=_("Month paid in"),
        max_length=7,
        help_text=_("YYYY-MM; every payment due by then is taken."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026-12"}),
    )

    def __init__(self, *args, counties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [(c.code, c.name) for c in counties]

    def clean_month(self):
        month = parse_month(self.cleaned_data["month"].strip())
        if month is None:
            raise forms.ValidationError(_("Write the month as YYYY-MM, e.g. 2026-12."))
        # This month's payments, or next month's prepared ahead (payments go out early in the
        # month they are for); never further.
        if month > first_of_next_month(timezone.localdate()):
            raise forms.ValidationError(
                _("A batch pays this month or the next one, not later ones.")
            )
        if month.year < 2000:  # a slip of the keyboard, not arrears anyone still owes
            raise forms.ValidationError(_("That month is too far in the past: check the year."))
        return month


class CancelBatchForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=200, widget=forms.TextInput()
    )


class ResultFileForm(forms.Form):
    file = forms.FileField(
        label=_("The bank's result file (CSV)"),
        help_text=_("As described in the bank file format; at most 5 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RESULT_FILE:
            raise forms.ValidationError(_("The file is larger than 5 MB: is it the right one?"))
        return upload


class AccountForm(forms.Form):
    bank_name = forms.CharField(label=_("Bank"), max_length=60)
    bank_account = forms.CharField(
        label=_("New account number"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("10 to 30 digits; the current one is never shown in full."),
    )
    reason = forms.CharField(
        label=_("Why the account changes"),
        max_length=150,
        help_text=_("E.g. “the bank answered AC04: account closed; the household gave a new one”."),
    )

    def clean_bank_name(self):
        name = self.cleaned_data["bank_name"].strip()
        # A bank is named in words: a number here is an account typed in the wrong field.
        if sum(ch.isalpha() for ch in name) < 2:
            raise forms.ValidationError(_("Write the bank's name, e.g. Bank of Ningxia."))
        return name
