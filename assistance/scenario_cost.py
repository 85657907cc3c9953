"""What social assistance tells the decision-support scenarios (insight) about its money: a
household's monthly amount under 低保 and 特困 as SQL over Household rows, the same sums
`actions.benefit_for` makes for one application, and who is in need under 低保 (income per
person under the standard) for the under-coverage count. Registered in apps.py."""

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Greatest, Round
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext_lazy as _

from civilaffairs.rules.registry import ScenarioCost, register_scenario_cost

MONEY = DecimalField(max_digits=14, decimal_places=2)
INCOME = "economy__per_capita_income"
MEMBERS = "economy__members"


def dibao_amount(param):
    """(standard − income per person) × members, at least the floor per person; nothing at or
    above the standard; NULL without a declared or verified economy."""
    gap = ExpressionWrapper(param("dibao_standard") - F(INCOME), output_field=MONEY)
    per_person = Greatest(gap, param("dibao_min_benefit"), output_field=MONEY)
    return Case(
        When(Q(**{f"{INCOME}__isnull": True}), then=Value(None, output_field=MONEY)),
        When(
            GreaterThan(gap, Value(0)),
            then=Round(ExpressionWrapper(per_person * F(MEMBERS), output_field=MONEY), 2),
        ),
        default=Value(0, output_field=MONEY),
        output_field=MONEY,
    )


def dibao_in_need(param):
    return LessThan(F(INCOME), param("dibao_standard"))


def tekun_amount(param):
    return Round(ExpressionWrapper(param("tekun_standard"), output_field=MONEY), 2)


def register():
    register_scenario_cost(
        "assistance.dibao",
        ScenarioCost(
            params=("dibao_standard", "dibao_min_benefit"),
            amount=dibao_amount,
            in_need=dibao_in_need,
            note=_(
                "Per household and month: (the standard − the income per person) × the "
                "members, at least the minimum benefit per person; nothing at or above the "
                "standard. From the household's last declared or verified income."
            ),
        ),
    )
    register_scenario_cost(
        "assistance.tekun",
        ScenarioCost(
            params=("tekun_standard",),
            amount=tekun_amount,
            note=_("Per person supported and month: the basic-living standard."),
        ),
    )
