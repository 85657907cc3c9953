"""Forms of the marriage pages. They validate input only; every change goes through an action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.forms import IdField, IdNumberField

from .models import MarriageApplication


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        left = obj.capacity - getattr(obj, "taken", 0)
        return _("%(start)s–%(end)s (%(left)d of %(capacity)d places free)") % {
            "start": f"{obj.start:%H:%M}",
            "end": f"{obj.end:%H:%M}",
            "left": left,
            "capacity": obj.capacity,
        }


class SlotForm(forms.Form):
    """A time on one day: the slots offered are those with places left."""

    slot = SlotChoiceField(
        label=_("Time"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Slot

        self.fields["slot"].queryset = Slot.objects.filter(pk__in=[s.pk for s in slots])
        # Keep the annotated rows (places taken) for the labels, in time order.
        self.fields["slot"].choices = [
            (s.pk, self.fields["slot"].label_from_instance(s)) for s in slots
        ]


DECLARATION_TEXT = _(
    "I declare that I have no spouse, and that my partner and I are neither direct blood "
    "relatives nor collateral relatives within three generations. I know that a false "
    "declaration has legal consequences."
)


class RegistrationBookingForm(SlotForm):
    partner_name = forms.CharField(label=_("Your partner's name"), max_length=60)
    partner_id_number = IdNumberField(label=_("Your partner's ID number"))
    declaration = forms.BooleanField(label=DECLARATION_TEXT, required=True)


class ConfirmForm(forms.Form):
    declaration = forms.BooleanField(label=DECLARATION_TEXT, required=True)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# ----------------------------------------------------------------------------- counter


class RegisterForm(forms.Form):
    photos_checked = forms.BooleanField(
        label=_(
            "I compared both parties with the photos on their ID cards and the certificate photo."
        ),
        required=True,
    )
    declarations_signed = forms.BooleanField(
        label=_(
            "Both parties signed the declaration of no spouse and no prohibited kinship in front of me."
        ),
        required=True,
    )


class ReceiveForm(forms.Form):
    both_present = forms.BooleanField(
        label=_("Both parties are here in person with their ID cards."), required=True
    )
    agreement_signed = forms.BooleanField(
        label=_(
            "The written divorce agreement is signed by both and covers property, children and debts."
        ),
        required=True,
    )
    agreement_children = forms.CharField(
        label=_("What the agreement says about the children"),
        help_text=_("Custody, contact and support; or “no children”."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agreement_property = forms.CharField(
        label=_("What the agreement says about property and debts"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DivorceRegisterForm(forms.Form):
    both_present = forms.BooleanField(
        label=_("Both parties are here in person to collect the certificate."), required=True
    )


class RefuseForm(forms.Form):
    refusal = forms.ChoiceField(
        label=_("Legal reason"), choices=MarriageApplication.Refusal.choices
    )
    reason = forms.CharField(
        label=_("Explanation for the applicants"),
        help_text=_("Leave empty to use the reason of the failed check."),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        if app is not None and not self.is_bound:
            from . import checks

            failed = checks.first_failure(app.checks) or next(
                (c for c in app.checks if c["outcome"] == checks.REFER), None
            )
            if failed is not None and failed.get("refusal"):
                self.initial["refusal"] = failed["refusal"]


class ClearForm(forms.Form):
    finding = forms.CharField(
        label=_("What the review found"),
        help_text=_("E.g. the two were recorded as the head's children but are step-siblings."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CounterWithdrawForm(forms.Form):
    party = forms.TypedChoiceField(label=_("Who asks to withdraw"), coerce=int)
    reason = forms.CharField(
        label=_("Note (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        if app is not None:
            self.fields["party"].choices = [(p.pk, p.name) for p in app.parties()]


class ReplacementSearchForm(forms.Form):
    id_number = IdNumberField(label=_("ID number of the person who lost the certificate"))


class ReplacementForm(forms.Form):
    """Replace one certificate of the person found by ID number. `lookup` is the page's
    signed proof of that look-up (views.replacement); the certificate must be that person's."""

    lookup = forms.CharField(widget=forms.HiddenInput, max_length=200)
    certificate = IdField()
    registry = IdField(required=False)
    reason = forms.CharField(label=_("How it was lost (optional)"), max_length=200, required=False)
