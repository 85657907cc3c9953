"""The documented facts social-assistance rules may use. Each reads itself from one application
(through the FactContext the domain builds) and, where it can, expresses itself in SQL over a
Household row (from the household's last declared or verified economic situation), so that the
same rule screens one application and previews the whole registry."""

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import NullIf
from django.utils.translation import gettext_lazy as _

from civilaffairs.rules.facts import AgeOn, Fact, FactContext, register_fact

from .models import AssistanceApplication

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _money(expr):
    # A household without a declared or verified economy has NULL here: unknown, never zero
    # (zero income would make every household without data "qualify" in a preview).
    return ExpressionWrapper(expr, output_field=MONEY)


def _age(as_of):
    return AgeOn("head__birth_date", as_of)


FACTS = [
    Fact(
        "per_capita_income",
        _("Monthly income per person"),
        _(
            "Countable monthly household income divided by the number of members. Basic pension "
            "refunds, medical insurance reimbursements and the age allowance are not counted."
        ),
        "decimal",
        unit=_("yuan/month"),
        annotation=lambda as_of: _money(F("economy__per_capita_income")),
    ),
    Fact(
        "financial_assets_per_capita",
        _("Savings per person"),
        _("Savings, deposits, shares and other financial assets divided by the number of members."),
        "decimal",
        unit=_("yuan"),
        annotation=lambda as_of: ExpressionWrapper(
            _money(F("economy__financial_assets")) / NullIf(F("economy__members"), Value(0)),
            output_field=MONEY,
        ),
    ),
    Fact(
        "vehicles",
        _("Motor vehicles owned"),
        _("Cars and other motor vehicles owned by members."),
        "integer",
        annotation=lambda as_of: F("economy__vehicles"),
    ),
    Fact(
        "extra_housing",
        _("Homes owned besides the one lived in"),
        _("Additional homes owned by members."),
        "integer",
        annotation=lambda as_of: F("economy__extra_housing"),
    ),
    Fact(
        "members",
        _("Household members"),
        _("People living in the household."),
        "integer",
        annotation=lambda as_of: F("economy__members"),
    ),
    Fact(
        "applicant_age",
        _("Age of the applicant"),
        _("Completed years on the screening date."),
        "integer",
        annotation=_age,
    ),
    Fact(
        "unable_to_work",
        _("Unable to work"),
        _("Aged 60 or over, under 18, or with a grade 1 or 2 disability."),
        "boolean",
        annotation=lambda as_of: Case(
            When(Q(head__disability_grade__in=[1, 2]), then=Value(True)),
            default=Q(head__birth_date__lte=as_of.replace(year=as_of.year - 60))
            | Q(head__birth_date__gt=as_of.replace(year=as_of.year - 18)),
        ),
    ),
    Fact(
        "has_income_source", _("Has a source of income"), _("As declared and verified."), "boolean"
    ),
    Fact(
        "has_able_supporter",
        _("Has a legal supporter able to support"),
        _("A spouse, parent or adult child with the means to support."),
        "boolean",
    ),
    Fact(
        "emergency_type",
        _("Type of temporary hardship"),
        _("Sudden emergency or large necessary expense."),
        "choice",
        choices=[c for c in AssistanceApplication.EmergencyType.choices if c[0]],
    ),
    Fact(
        "expense_amount",
        _("The expense"),
        _("The necessary expense declared (temporary assistance)."),
        "decimal",
        unit=_("yuan"),
    ),
]


def register():
    for fact in FACTS:
        register_fact(fact)


def fact_context(case, economy=None) -> FactContext:
    """Everything the rules read for one application, computed from its details: the
    household's economy as the application has it, or as a review found it (`economy`)."""
    from django.utils import timezone

    app = case.assistance
    applicant = case.applicant
    as_of = timezone.localdate()
    economy = economy or app.economy()
    values = {
        "per_capita_income": economy.per_capita_income,
        "financial_assets_per_capita": economy.financial_assets_per_capita,
        "vehicles": economy.vehicles,
        "extra_housing": economy.extra_housing,
        "members": economy.members,
        "has_income_source": app.has_income_source,
        "has_able_supporter": app.has_able_supporter,
        "expense_amount": app.expense_amount,
    }
    if applicant is not None:
        age = applicant.age_on(as_of)
        values["applicant_age"] = age
        values["unable_to_work"] = age >= 60 or age < 18 or applicant.disability_grade in (1, 2)
    if app.emergency_type:
        values["emergency_type"] = app.emergency_type
    return FactContext(
        region_code=case.region_id, as_of=as_of, values=values, household=case.household, case=case
    )
