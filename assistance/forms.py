import re
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator, validate_email
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.access import log_access
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.forms import StepForm
from civilaffairs.lib.forms import DatePicker
from civilaffairs.lib.masked_fields import WriteOnlyNumbers
from civilaffairs.lib.masking import mask_bank_account
from civilaffairs.rules.exceptions import MissingParameter

from .actions import benefit_for, linshi_range, review_basis, review_field
from .models import AssistanceApplication, IncomeKind, Objection

PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,19}")

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0"), "initial": Decimal("0")}


class SituationForm(forms.ModelForm):
    class Meta:
        model = AssistanceApplication
        fields = ["hardship_cause", "situation", "emergency_type", "expense_amount"]
        widgets = {"situation": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "situation": _("A few sentences are enough: what happened and what help you need."),
            "expense_amount": _("Only for a large necessary expense, e.g. a hospital bill."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != AssistanceApplication.Kind.LINSHI:
            del self.fields["emergency_type"]
            del self.fields["expense_amount"]
        else:
            self.fields["emergency_type"].required = True
            self.fields["emergency_type"].choices = [
                c for c in AssistanceApplication.EmergencyType.choices if c[0]
            ]

    def clean_expense_amount(self):
        value = self.cleaned_data.get("expense_amount") or Decimal(0)
        if value < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return value

    def clean(self):
        cleaned = super().clean()
        # Help for a large necessary expense is measured against the expense: without it the
        # township has nothing to weigh (it was saved as 0.00 and shown so to staff).
        expenditure = AssistanceApplication.EmergencyType.EXPENDITURE
        if cleaned.get("emergency_type") == expenditure and not cleaned.get("expense_amount"):
            self.add_error(
                "expense_amount", _("Please give the amount of the expense, e.g. the bill's total.")
            )
        return cleaned


class MemberIncomeForm(forms.Form):
    """One household member's monthly income by kind (yuan). Kinds that are not counted are
    still asked, so the citizen sees they were considered."""

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        for kind, label in IncomeKind.choices:
            self.fields[kind] = forms.DecimalField(
                label=label,
                required=False,
                validators=[MinValueValidator(Decimal("0"))],
                max_digits=12,
                decimal_places=2,
                initial=Decimal("0"),
                widget=forms.NumberInput(
                    attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}
                ),
                error_messages={"min_value": _("An income cannot be negative.")},
            )

    def rows(self):
        return [
            (self.person, kind, self.cleaned_data.get(kind) or Decimal(0))
            for kind, _label in IncomeKind.choices
            if (self.cleaned_data.get(kind) or 0) > 0
        ] or [(self.person, IncomeKind.WAGES, Decimal(0))]


class AssetsForm(WriteOnlyNumbers, forms.ModelForm):
    # Staff applying on someone's behalf open this form too: the stored account is shown
    # masked, never in the input (lib/masked_fields.py).
    write_only = {"bank_account": mask_bank_account}

    bank_account = forms.RegexField(
        label=_("Bank account number"),
        regex=r"^[0-9]{12,19}\Z",
        required=False,
        error_messages={"invalid": _("A bank account number has 12 to 19 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    class Meta:
        model = AssistanceApplication
        fields = [
            "financial_assets",
            "vehicles",
            "extra_housing",
            "has_income_source",
            "has_able_supporter",
            "bank_name",
            "bank_account",
        ]
        help_texts = {
            "financial_assets": _("Savings, deposits, shares and similar, of the whole household."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != AssistanceApplication.Kind.TEKUN:
            del self.fields["has_able_supporter"]
            del self.fields["has_income_source"]
        if self.instance.kind == AssistanceApplication.Kind.LINSHI:
            self.fields["bank_account"].help_text = _("Optional: where to pay the one-off help.")
        else:
            self.fields["bank_account"].required = True
            self.fields["bank_name"].required = True

    def clean_financial_assets(self):
        value = self.cleaned_data.get("financial_assets") or Decimal(0)
        if value < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return value


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I declare that what I have entered is true and complete, and I agree that the civil affairs "
            "office checks my household's income and assets with other departments."
        ),
        error_messages={"required": _("Please tick the declaration to submit.")},
    )

    def __init__(self, *args, assisted=False, **kwargs):
        super().__init__(*args, **kwargs)
        if assisted:  # staff fill it in with the applicant, who declares and signs on paper
            self.fields["declaration"].label = _(
                "The applicant has read the declaration, confirms that what was entered is true "
                "and complete, and has signed the authorisation to check the household's income "
                "and assets with other departments."
            )


class InvestigationForm(StepForm):
    """The "record_investigation" step: what the home visit found."""

    visit_date = forms.DateField(label=_("Home visit date"), widget=DatePicker())
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 4}))
    neighbour_interviews = forms.CharField(
        label=_("Neighbour interviews"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    verified_income = forms.DecimalField(
        label=_("Verified monthly household income (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave empty to keep the declared income."),
    )


class ApproveForm(StepForm):
    """The "approve" step: the amount the decision fixes, calculated from today's parameters,
    shown before the approver decides (it cannot be typed in: it follows from the rules)."""

    amount = forms.CharField(label=_("Amount (yuan) under today's parameters"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        field.disabled = True
        app = getattr(self.case, "assistance", None) if self.case is not None else None
        if app is None:
            return
        try:
            monthly, one_off, covered = benefit_for(app)
        except MissingParameter:
            field.initial = _("No standard is set for this area.")
            return
        if one_off:
            field.initial = _("%(amount)s, once") % {"amount": one_off}
        else:
            field.initial = _("%(amount)s a month for %(n)s people") % {
                "amount": monthly,
                "n": covered,
            }


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please write what the objection is about.")},
    )
    contact = forms.CharField(
        label=_("Phone number or e-mail address, if you want an answer (optional)"),
        max_length=60,
        required=False,
        help_text=_(
            "Objections may be anonymous. If you leave a number or an address, the township "
            "office tells you what it found; your identity is kept confidential."
        ),
    )

    def clean_contact(self):
        contact = self.cleaned_data["contact"].strip()
        if not contact:
            return ""
        if "@" in contact:
            try:
                validate_email(contact)
            except forms.ValidationError:
                raise forms.ValidationError(_("This e-mail address is not complete.")) from None
            return contact
        digits = "".join(c for c in contact if c.isdigit())
        if not PHONE.fullmatch(contact) or not 7 <= len(digits) <= 15:
            raise forms.ValidationError(
                _("Please give a phone number or an e-mail address, or leave this empty.")
            )
        return contact


class ObjectionFindingForm(StepForm):
    """The "resolve_objection" step: the township's new investigation, its finding on the
    objection with reasons, and how the objector was answered. The page shows the objection
    (and, to the caseworker taking the step, the objector's contact, logged)."""

    layout = "assistance/_objection_step.html"
    instructions = _(
        "Investigate what the objection says (a home visit, neighbours, the data checks), then "
        "record what you found. If the household still qualifies it goes on a new public notice; "
        "if it does not, propose a refusal to the county."
    )

    visit_date = forms.DateField(label=_("Date of the new investigation"), widget=DatePicker())
    findings = forms.CharField(
        label=_("What the investigation found"), widget=forms.Textarea(attrs={"rows": 4})
    )
    verified_income = forms.DecimalField(
        label=_("Verified monthly household income (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave empty to keep the income verified before."),
    )
    finding = forms.ChoiceField(
        label=_("Finding on the objection"),
        choices=Objection.Finding.choices,
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons for the finding"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    answered_by = forms.ChoiceField(
        label=_("How the objector was answered"),
        choices=[("", _("Not answered: no contact left"))] + Objection.AnsweredBy.choices,
        required=False,
    )
    answer = forms.CharField(
        label=_("What the objector is told"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the finding and its reasons; never the household's private details."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        app = getattr(self.case, "assistance", None) if self.case is not None else None
        self.objection = app.open_objection() if app is not None else None
        if self.objection and self.objection.contact and self.user and not self.is_bound:
            # The caseworker answering sees the objector's contact whole: a logged reveal.
            log_access(self.user, AccessLog.Action.REVEAL_PHONE, self.objection, detail="objection")

    def initial_for(self, case) -> dict:
        app = case.assistance
        return {"verified_income": app.verified_income}

    def clean(self):
        data = super().clean()
        objection = self.objection
        if objection is None:
            raise forms.ValidationError(_("There is no open objection on this case."))
        how = data.get("answered_by")
        if objection.contact:
            if not how:
                self.add_error(
                    "answered_by", _("The objector left a contact: say how they were answered.")
                )
            if not (data.get("answer") or "").strip():
                self.add_error("answer", _("Please write what the objector is told."))
            if how == Objection.AnsweredBy.EMAIL and not objection.contact_is_email:
                self.add_error("answered_by", _("The objector left no e-mail address."))
        elif how:
            self.add_error("answered_by", _("The objector left no contact to answer."))
        return data


class ReviewForm(StepForm):
    """The "complete_review" step: each member's income and the household's assets collected
    again (pre-filled with what the amount is worked out from now), the review's date and
    findings. The handler applies the rules in force to them and recalculates the amount; a
    household that no longer qualifies is refused here (suspend or terminate instead)."""

    layout = "assistance/_review_step.html"
    KINDS = tuple(IncomeKind.countable())

    reviewed_on = forms.DateField(label=_("Review date"), widget=DatePicker())
    financial_assets = forms.DecimalField(
        label=_("Savings and other financial assets of the household (yuan)"),
        **MONEY,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        error_messages={"min_value": _("The amount cannot be negative.")},
    )
    vehicles = forms.IntegerField(
        label=_("Motor vehicles owned"),
        min_value=0,
        max_value=99,
        initial=0,
        error_messages={"min_value": _("The number cannot be negative.")},
    )
    extra_housing = forms.IntegerField(
        label=_("Homes owned besides the one lived in"),
        min_value=0,
        max_value=99,
        initial=0,
        error_messages={"min_value": _("The number cannot be negative.")},
    )
    findings = forms.CharField(
        label=_("What the review found"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please write what the review found.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        self.kind_labels = [IncomeKind(kind).label for kind in self.KINDS]
        app = getattr(self.case, "assistance", None) if self.case is not None else None
        self.app = app
        if app is None:
            return
        for membership in review_members(self.case):
            person = membership.person
            fields = []
            for kind in self.KINDS:
                name = review_field(person.pk, kind)
                self.fields[name] = forms.DecimalField(
                    label=_("%(name)s: %(kind)s")
                    % {"name": person.name, "kind": IncomeKind(kind).label},
                    required=False,
                    max_digits=12,
                    decimal_places=2,
                    min_value=Decimal("0"),
                    widget=forms.NumberInput(
                        attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}
                    ),
                    error_messages={"min_value": _("An income cannot be negative.")},
                )
                fields.append(self[name])
            self.rows.append({"person": person, "membership": membership, "fields": fields})

    def initial_for(self, case) -> dict:
        """What the amount is worked out from now: the last review's incomes and assets, else
        the application's."""
        return {"reviewed_on": timezone.localdate(), **review_basis(case.assistance)}

    def clean_reviewed_on(self):
        day = self.cleaned_data["reviewed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The review date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        incomes = []
        for row in self.rows:
            for bound in row["fields"]:
                kind = bound.name.split("_", 1)[1]
                incomes.append((row["person"], kind, data.get(bound.name) or Decimal(0)))
        data["incomes"] = incomes
        return data

    def current(self) -> dict:
        """What the layout shows above the fields: the figures the amount follows now."""
        if self.app is None:
            return {}
        economy = self.app.economy()
        return {
            "economy": economy,
            "review": self.app.latest_review,
            "amount": self.app.monthly_amount,
        }


def review_members(case) -> list:
    """The household's members today, head first (a review counts who lives there now), or
    the applicant alone when there is no household."""
    from civilaffairs.people.models import Membership

    if case.household_id:
        return list(
            case.household.current_members()
            .select_related("person")
            .order_by("relation", "person__birth_date", "pk")
        )
    return [Membership(person=case.applicant, relation=Membership.Relation.HEAD)]


# --------------------------------------------------------------------------- 临时救助


class LinshiAmountForm(StepForm):
    """The "propose_amount" step of temporary assistance: what the township found, the amount
    within the configured range and why. Who approves follows from the amount."""

    instructions = _(
        "Check the household's situation (documents, a call or a visit), then set the amount "
        "within the range and say why: what the hardship costs, what other help there is."
    )

    findings = forms.CharField(
        label=_("What you checked and found"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please write what you checked and found.")},
    )
    amount = forms.DecimalField(
        label=_("Amount of temporary assistance (yuan)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        error_messages={
            "required": _("Please set the amount."),
            "min_value": _("The amount must be more than 0."),
        },
    )
    justification = forms.CharField(
        label=_("Why this amount"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please say why this amount is right.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.range = None
        app = getattr(self.case, "assistance", None) if self.case is not None else None
        if app is None:
            return
        try:
            self.range = linshi_range(app)
        except MissingParameter:
            self.fields["amount"].help_text = _(
                "No range for temporary assistance is set for this area: ask the administrator."
            )
            return
        r = self.range
        self.fields["amount"].help_text = _(
            "Between %(low)s and %(high)s yuan. Up to %(limit)s yuan the township approves; "
            "above it, the county."
        ) % {"low": r.low, "high": r.high, "limit": r.township_limit}
        if app.expense_amount:
            self.instructions = format_lazy(
                "{} {}",
                self.instructions,
                _("The expense declared: %(expense)s yuan (%(type)s).")
                % {"expense": app.expense_amount, "type": app.get_emergency_type_display()},
            )

    def initial_for(self, case) -> dict:
        app = case.assistance
        return {
            "findings": app.findings,
            "amount": app.one_off_amount or None,
            "justification": app.justification,
        }


class PayFirstForm(LinshiAmountForm):
    """The "pay_first" step (先行救助): in a sudden emergency the township grants and pays at
    once, up to what it may approve; the papers follow and a reviewer confirms."""

    instructions = _(
        "For a sudden emergency only: the township grants the help and it is paid at once. Set "
        "the amount (no more than the township may approve) and say why; the papers follow and a "
        "reviewer confirms them."
    )


class LinshiApproveForm(StepForm):
    """The "approve" step of temporary assistance: the amount the township set and why, shown
    to the approver of the level the amount calls for."""

    amount = forms.CharField(label=_("Amount (yuan)"), required=False, disabled=True)
    justification = forms.CharField(
        label=_("Why this amount"),
        required=False,
        disabled=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def initial_for(self, case) -> dict:
        app = case.assistance
        return {
            "amount": _("%(amount)s, once") % {"amount": app.one_off_amount},
            "justification": app.justification or "—",
        }


class PapersForm(StepForm):
    """The "papers_in" step: what the household handed in after an emergency payment (the
    scans are on the case's documents)."""

    papers = forms.CharField(
        label=_("Papers handed in"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "E.g. the hospital bill, the fire brigade's certificate. Add the scans to the documents below."
        ),
        error_messages={"required": _("Please list the papers handed in.")},
    )
