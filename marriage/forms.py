"""Forms of the marriage pages. They validate input only; every change goes through an action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civilaffairs.casework.forms import StepForm
from civilaffairs.lib.forms import IdField, IdNumberField

from . import checks
from .models import Certificate, MarriageApplication


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


class RegisterForm(StepForm):
    """The registration's "register" step: what the registrar saw at the counter."""

    photos_checked = forms.BooleanField(
        label=_(
            "I compared both parties with the photos on their ID cards and the certificate photo."
        ),
        required=True,
        error_messages={"required": _("Check both parties' photos against their ID cards.")},
    )
    declarations_signed = forms.BooleanField(
        label=_(
            "Both parties signed the declaration of no spouse and no prohibited kinship in front of me."
        ),
        required=True,
        error_messages={
            "required": _(
                "Both parties must sign the declaration of no spouse and no prohibited kinship."
            )
        },
    )


class ReceiveForm(StepForm):
    """The divorce's "receive" step: both present, the written agreement (Art. 1076)."""

    instructions = _(
        "The 30-day cooling-off period starts today. Give each party the receipt with the dates."
    )

    both_present = forms.BooleanField(
        label=_("Both parties are here in person with their ID cards."),
        required=True,
        error_messages={"required": _("Both parties must apply in person (Civil Code Art. 1076).")},
    )
    agreement_signed = forms.BooleanField(
        label=_(
            "The written divorce agreement is signed by both and covers property, children and debts."
        ),
        required=True,
        error_messages={"required": _("A written divorce agreement signed by both is required.")},
    )
    agreement_children = forms.CharField(
        label=_("What the agreement says about the children"),
        help_text=_("Custody, contact and support; or “no children”."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _(
                "Record what the agreement says about the children (or that there are none)."
            )
        },
    )
    agreement_property = forms.CharField(
        label=_("What the agreement says about property and debts"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Record what the agreement says about property and debts.")},
    )


class DivorceRegisterForm(StepForm):
    """The divorce's "register" step, in the collection period."""

    both_present = forms.BooleanField(
        label=_("Both parties are here in person to collect the certificate."),
        required=True,
        error_messages={
            "required": _("Both parties must appear in person to collect the certificate.")
        },
    )


def _failed_check(app):
    """The check that stops the application: the first failure, else a referral."""
    return checks.first_failure(app.checks) or next(
        (c for c in app.checks if c["outcome"] == checks.REFER), None
    )


class RefuseForm(StepForm):
    """The "refuse" step: the legal reason and the explanation the refusal letter quotes.
    Left empty, both come from the check that failed; the case's reason is the letter's text."""

    ask_reason = True

    refusal = forms.ChoiceField(
        label=_("Legal reason"), choices=MarriageApplication.Refusal.choices, required=False
    )
    reason = forms.CharField(
        label=_("Explanation for the applicants"),
        help_text=_("Leave empty to use the reason of the failed check."),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A marriage is refused for marriage reasons, a divorce for divorce reasons.
        if self.case is not None:
            self.fields["refusal"].choices = [
                ("", "---------"),
                *self.case.marriage.refusal_choices(),
            ]

    def initial_for(self, case) -> dict:
        failed = _failed_check(case.marriage)
        if failed is not None and failed.get("refusal"):
            return {"refusal": failed["refusal"]}
        return {}

    def clean(self):
        data = super().clean()
        if "refusal" not in data:
            return data
        failed = _failed_check(self.case.marriage) if self.case is not None else None
        refusal = data["refusal"]
        if not refusal and failed is not None:
            refusal = failed.get("refusal") or MarriageApplication.Refusal.OTHER
        reason = (data.get("reason") or "").strip()
        if not reason and failed is not None:
            reason = failed["reason"]
        if not refusal:
            self.add_error("refusal", _("Choose the legal reason."))
        if not reason:
            self.add_error("reason", _("Please write the reason; the applicants will read it."))
        if refusal and reason:
            label = MarriageApplication.Refusal(refusal).label
            data["refusal"], data["reason"] = refusal, f"{label}. {reason}"
        return data


class ClearForm(StepForm):
    """The "clear" step: what the review of a possible prohibited relation found."""

    instructions = _(
        "Check the household register and the parties' statements. If they are not prohibited "
        "relatives, record what you found and the registration can go on; otherwise refuse below."
    )

    finding = forms.CharField(
        label=_("What the review found"),
        help_text=_("E.g. the two were recorded as the head's children but are step-siblings."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please write what the review found.")},
    )


class CounterWithdrawForm(StepForm):
    """The "withdraw" step. A party withdraws on the portal as themself; at the counter the
    registrar names the party who asks (after checking their ID card)."""

    instructions = _("Either party may withdraw; check the ID card of the person asking.")
    ask_reason = True

    party = forms.TypedChoiceField(
        label=_("Who asks to withdraw"),
        coerce=int,
        error_messages={"required": _("Choose which party asks to withdraw.")},
    )
    reason = forms.CharField(
        label=_("Note (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = self.case.marriage if self.case is not None else None
        if app is not None and app.is_party(getattr(self.user, "person_id", None)):
            del self.fields["party"]  # the party themself
        elif app is not None:
            self.fields["party"].choices = [(p.pk, p.name) for p in app.parties()]

    def who(self):
        """The party who withdraws."""
        if "party" not in self.fields:
            return self.user.person
        return next(p for p in self.case.marriage.parties() if p.pk == self.cleaned_data["party"])

    def clean(self):
        data = super().clean()
        reason = (data.get("reason") or "").strip()
        if "party" in self.fields and data.get("party"):
            data["reason"] = _("At the counter, at the request of %(name)s. %(reason)s") % {
                "name": self.who().name,
                "reason": reason,
            }
        return data


class ReplacementSearchForm(forms.Form):
    id_number = IdNumberField(label=_("ID number of the person who lost the certificate"))


class ReplacementForm(forms.Form):
    """Replace one certificate of the person found by ID number. `lookup` is the page's
    signed proof of that look-up (views.replacement); the certificate must be that person's."""

    lookup = forms.CharField(widget=forms.HiddenInput, max_length=200)
    certificate = IdField()
    registry = IdField(required=False)
    reason = forms.CharField(label=_("How it was lost (optional)"), max_length=200, required=False)


class IssueReplacementForm(StepForm):
    """The replacement's "issue" step: which of the holder's certificates of the record was lost
    (marriage.actions.do_replace_certificate fills it in at the counter)."""

    certificate = forms.ModelChoiceField(
        label=_("The lost certificate"),
        queryset=Certificate.objects.none(),
        error_messages={"invalid_choice": _("Choose a current certificate of this holder.")},
    )
    lost_how = forms.CharField(
        label=_("How it was lost (optional)"), max_length=200, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = getattr(self.case, "marriage", None)
        if app is not None:
            self.fields["certificate"].queryset = Certificate.objects.filter(
                record_id=app.record_id, holder_id=app.holder_id, voided_on__isnull=True
            )
