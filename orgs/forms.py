"""Forms of the social-organization pages. They validate input only; every change goes through
an action (orgs.actions)."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civilaffairs.casework.forms import ACCEPTED_FILES, StepForm
from civilaffairs.lib.forms import DatePicker, IdNumberField
from civilaffairs.people.models import Region

from . import uscc
from .models import (
    STATUS_MOVES,
    AnnualReport,
    FiledDocument,
    Grade,
    ItemCategory,
    Offer,
    Organization,
    OrgApplication,
    OrgType,
    RegistrationLevel,
    Unit,
    Urgency,
    required_documents,
)

ANY = ("", _("Any"))
MONEY = {
    "max_digits": 14,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0"))],
    "widget": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
}
DATE = DatePicker()
# Goods are counted in pieces, boxes or tonnes: a million of anything is beyond any one need.
MAX_QUANTITY = 1_000_000


def region_choices(max_level: int = 4) -> list[tuple[str, str]]:
    """The demo province's regions down to `max_level`, labelled with the names above them
    ("银川市 兴庆区 凤凰北街街道"), from one query."""
    province = settings.DEMO_PROVINCE_CODE
    rows = list(
        Region.objects.current()
        .filter(code__startswith=Region.prefix_of(province), level__lte=max_level)
        .order_by("code")
        .values_list("code", "name", "level", "parent_id")
    )
    names = {code: (name, level, parent) for code, name, level, parent in rows}
    filler = {"市辖区", "县", "省直辖县级行政区划"}
    out = []
    for code, name, _level, parent in rows:
        if name in filler:
            continue
        parts = [name]
        while parent in names and names[parent][1] > 1:
            pname, _lvl, parent = names[parent]
            if pname not in filler:
                parts.insert(0, pname)
        out.append((code, " ".join(parts)))
    return out


class RegionField(forms.ChoiceField):
    """A region of the demo province, chosen from a list; cleaned to the Region row."""

    def __init__(self, *args, max_level: int = 4, **kwargs):
        self.max_level = max_level
        super().__init__(*args, choices=(), **kwargs)

    def set_choices(self):
        self.choices = [("", "—"), *region_choices(self.max_level)]

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        return Region.objects.get(code=code)


class RegionFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            if isinstance(f, RegionField):
                f.set_choices()


# ----------------------------------------------------------------------------- registration


class EstablishStartForm(RegionFormMixin, forms.Form):
    org_type = forms.ChoiceField(
        label=_("Type of organization"), choices=OrgType.choices, widget=forms.RadioSelect
    )
    registration_level = forms.TypedChoiceField(
        label=_("Registration level"),
        choices=RegistrationLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_(
            "An organization active in one county registers with the county bureau; one active "
            "across a city or the whole province registers there."
        ),
    )
    domicile_region = RegionField(
        label=_("Domicile (where the organization is based)"),
        help_text=_("The registration authority is the bureau at the chosen level for this place."),
    )
    name = forms.CharField(label=_("Proposed name"), max_length=120, required=False)


class RepresentativeMixin(forms.Form):
    representative_name = forms.CharField(
        label=_("Legal representative: name"), max_length=60, required=False
    )
    representative_id_number = IdNumberField(
        label=_("Legal representative: ID number"), required=False
    )

    def clean(self):
        data = super().clean()
        name = (data.get("representative_name") or "").strip()
        number = data.get("representative_id_number") or ""
        if bool(name) != bool(number):
            self.add_error(
                "representative_id_number" if name else "representative_name",
                _("Give both the name and the ID number of the legal representative."),
            )
        data["representative_id_number"] = number
        return data


class ApplicationForm(RegionFormMixin, RepresentativeMixin, forms.Form):
    """The fields of an establishment, change or deregistration application; fields that do
    not belong to the kind are removed."""

    name = forms.CharField(
        label=pgettext_lazy("organization", "Name"), max_length=120, required=False
    )
    sponsoring_unit = forms.CharField(
        label=_("Sponsoring unit (业务主管单位)"),
        max_length=120,
        required=False,
        help_text=_("Leave empty for organizations registered directly without one."),
    )
    registered_capital = forms.DecimalField(
        label=_("Registered capital (yuan)"), required=False, **MONEY
    )
    domicile_region = RegionField(label=_("Domicile"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    scope = forms.CharField(
        label=_("Scope of business"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    declaration = forms.BooleanField(
        label=_("I declare that the information given is true and complete."), required=False
    )

    FIELDS = {
        OrgApplication.Kind.ESTABLISH: {
            "name",
            "sponsoring_unit",
            "registered_capital",
            "domicile_region",
            "address",
            "scope",
            "representative_name",
            "representative_id_number",
            "declaration",
        },
        OrgApplication.Kind.CHANGE: {
            "name",
            "domicile_region",
            "address",
            "scope",
            "representative_name",
            "representative_id_number",
            "reason",
            "declaration",
        },
        OrgApplication.Kind.DEREGISTER: {"reason", "declaration"},
    }

    def __init__(self, *args, app: OrgApplication, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": app.name,
                "sponsoring_unit": app.sponsoring_unit,
                "registered_capital": app.registered_capital,
                "domicile_region": app.domicile_region_id,
                "address": app.address,
                "scope": app.scope,
                "reason": app.reason,
                "declaration": app.declaration,
            },
        )
        super().__init__(*args, **kwargs)
        keep = self.FIELDS[app.kind]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if app.kind == OrgApplication.Kind.CHANGE:
            self.fields["reason"].label = _("Reason for the change")
            self.fields["representative_name"].help_text = _(
                "Only when the legal representative changes."
            )
        if app.kind == OrgApplication.Kind.DEREGISTER:
            self.fields["reason"].label = _("Reason for deregistration and how assets were settled")


class DocumentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What is this document?"))
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )

    def __init__(self, *args, kind: str, org_type: str | None, **kwargs):
        super().__init__(*args, **kwargs)
        needed = required_documents(kind, org_type)
        extra = [FiledDocument.Purpose.FINANCIAL] if kind == "report" else []
        choices = [
            (p, FiledDocument.Purpose(p).label)
            for p in [*needed, *extra, FiledDocument.Purpose.OTHER]
        ]
        self.fields["purpose"].choices = choices


class ReportForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = [
            "activities",
            "income",
            "expenses",
            "net_assets",
            "staff_count",
            "volunteer_count",
            "governance",
            "declaration",
        ]
        widgets = {
            "activities": forms.Textarea(attrs={"rows": 4}),
            "governance": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "declaration": _("I declare that the report is true and complete."),
        }

    def clean(self):
        data = super().clean()
        for f in ("income", "expenses"):
            if data.get(f) is not None and data[f] < 0:
                self.add_error(f, _("This cannot be negative."))
        return data


class ApproveStepForm(StepForm):
    """The approval step (Transition "approve"): the code to register under, or a new one."""

    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to issue a new code now."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_credit_code(self):
        code = uscc.compact(self.cleaned_data.get("credit_code") or "")
        if code:
            uscc.validate(code)
        return code


class GradeStepForm(StepForm):
    """The grading step (Transition "grade"). The grade's reasons are a field of their own:
    the case page shows the step's generic reason only where a step always needs one, and
    these are needed for any grade short of a pass (the organization reads them)."""

    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices, widget=forms.RadioSelect)
    grade_reason = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless the report passes; the organization reads them."),
    )

    def initial_for(self, case) -> dict:
        report = case.orgs_report
        return {"grade": report.grade, "grade_reason": report.grade_reason}

    def clean(self):
        data = super().clean()
        grade = data.get("grade")
        if grade and grade != Grade.PASS and not (data.get("grade_reason") or "").strip():
            self.add_error(
                "grade_reason", _("Please write the reasons; the organization will read them.")
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (s, Organization.Status(s).label)
            for s in Organization.Status.values
            if s in STATUS_MOVES.get(org.status, set())
        ]


class CharityForm(forms.Form):
    recognised = forms.TypedChoiceField(
        label=_("Charitable organization"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Recognised")), ("no", _("Not recognised"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LinkAccountForm(forms.Form):
    login = forms.CharField(label=_("Login name or mobile number of the account"), max_length=150)


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=60)
    org_type = forms.ChoiceField(label=_("Type"), required=False, choices=[ANY, *OrgType.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[ANY, *Organization.Status.choices]
    )
    charity = forms.BooleanField(label=_("Charities only"), required=False)

    def apply(self, qs):
        if not self.is_bound or not self.is_valid():
            return qs
        d = self.cleaned_data
        if d.get("q"):
            term = d["q"].strip()
            code = uscc.compact(term)
            qs = qs.filter(uscc=code) if len(code) == 18 else qs.filter(name__contains=term)
        if d.get("org_type"):
            qs = qs.filter(org_type=d["org_type"])
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("charity"):
            qs = qs.filter(is_charity=True)
        return qs


# ----------------------------------------------------------------------------- charity


class ProjectForm(RegionFormMixin, forms.Form):
    runner = forms.ChoiceField(label=_("Run by"))
    name = forms.CharField(label=_("Project name"), max_length=120)
    region = RegionField(label=_("Area"))
    description = forms.CharField(
        label=_("What the project does"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, runners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["runner"].choices = runners


class NeedForm(RegionFormMixin, forms.Form):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int)
    category = forms.ChoiceField(label=_("Category"), choices=ItemCategory.choices)
    item = forms.CharField(label=_("Item"), max_length=80, help_text=_("e.g. winter quilts"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    region = RegionField(label=_("Where it is needed"), max_level=5)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, widget=forms.RadioSelect
    )
    deadline = forms.DateField(label=_("Needed by"), widget=DATE)
    household_id_number = IdNumberField(
        label=_("For a household: the ID number of a household member (staff only)"),
        required=False,
        help_text=_("Kept for the office only; never shown on any public page."),
    )
    internal_note = forms.CharField(
        label=_("Internal note (never published)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, projects, staff: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.pk, f"{p.name} · {p.runner_name}") for p in projects]
        if not staff:
            del self.fields["household_id_number"]
        # Village-level regions make the list long; townships are precise enough.
        self.fields["region"].choices = [("", "—"), *region_choices(4)]

    def clean_deadline(self):
        day = self.cleaned_data["deadline"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The date is in the past."))
        return day


class OfferForm(RegionFormMixin, forms.ModelForm):
    region = RegionField(label=_("Where the goods are"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)

    class Meta:
        model = Offer
        fields = [
            "donor_kind",
            "donor_name",
            "show_name",
            "category",
            "item",
            "quantity",
            "unit",
            "unit_value",
            "conditions",
            "available_until",
        ]
        widgets = {
            "donor_kind": forms.RadioSelect,
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "available_until": DATE,
        }
        help_texts = {
            "donor_name": _("Your name, or your company's."),
            "show_name": _("Without your consent the ledger shows “Anonymous donor”."),
            "unit_value": _("Used for the ledger's totals; 0 if unknown."),
        }

    field_order = [
        "donor_kind",
        "donor_name",
        "show_name",
        "category",
        "item",
        "quantity",
        "unit",
        "unit_value",
        "region",
        "conditions",
        "available_until",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].min_value = 1
        self.fields["quantity"].widget.attrs["min"] = 1

    def clean_available_until(self):
        day = self.cleaned_data.get("available_until")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The date is in the past."))
        return day


class DeliveryForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity sent"), min_value=1, max_value=MAX_QUANTITY)
    sent_on = forms.DateField(label=_("Sent on"), widget=DATE, initial=dt.date.today)
    note = forms.CharField(label=_("Note (e.g. courier number)"), max_length=200, required=False)
    received = forms.BooleanField(label=_("Received now (handed over in person)"), required=False)

    def __init__(self, *args, needing_side: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needing_side:
            del self.fields["received"]


class ConfirmForm(forms.Form):
    received_quantity = forms.IntegerField(
        label=_("Quantity received"), min_value=0, max_value=MAX_QUANTITY
    )
