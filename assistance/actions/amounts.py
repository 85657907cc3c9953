"""What an application is worth: parameters, the monthly amount, the temporary-assistance
range and the level that must approve it."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.rules.models import Parameter, Program

from ..models import AssistanceApplication, Economy
from .common import CENT


def parameter(key: str, app: AssistanceApplication, as_of: dt.date | None = None) -> Decimal:
    program = Program.objects.filter(code=app.kind).first()
    return Parameter.objects.for_program(program).value_for(
        key, app.case.region_id, as_of or timezone.localdate()
    )


def benefit_for(
    app: AssistanceApplication, as_of: dt.date | None = None, economy: Economy | None = None
) -> tuple[Decimal, Decimal, int]:
    """(monthly amount, one-off amount, people covered) under the parameters in force, from
    the household's economy (`economy`, or the application's: see AssistanceApplication.economy).

    低保: (local standard − income per person) × people covered, at least the local floor per
    person. 特困: the local basic-living standard per month. 临时救助: the amount the
    caseworker set within the configured range (linshi_range), none before."""
    economy = economy or app.economy()
    members = economy.members
    if app.kind == AssistanceApplication.Kind.DIBAO:
        standard = parameter("dibao_standard", app, as_of)
        floor = parameter("dibao_min_benefit", app, as_of)
        gap = standard - economy.per_capita_income
        if gap <= 0:
            return Decimal(0), Decimal(0), members
        per_person = max(gap, floor)
        return (per_person * members).quantize(CENT, rounding=ROUND_HALF_UP), Decimal(0), members
    if app.kind == AssistanceApplication.Kind.TEKUN:
        return parameter("tekun_standard", app, as_of).quantize(CENT), Decimal(0), 1
    return Decimal(0), app.one_off_amount, members


def calculate(app):
    app.monthly_amount, app.one_off_amount, app.people_covered = benefit_for(app)


@dataclass(frozen=True)
class LinshiRange:
    """What the rules allow for one temporary-assistance case today: the amount between
    `low` and `high` (multiples of the monthly 低保 standard, DOMAIN.md), and the amount up to
    which the township decides (`township_limit`); above it the county does."""

    standard: Decimal
    low: Decimal
    high: Decimal
    township_limit: Decimal

    def check(self, amount: Decimal) -> str | None:
        if amount < self.low or amount > self.high:
            return _(
                "The amount must be between %(low)s and %(high)s yuan (%(lo)s to %(hi)s times "
                "the monthly standard of %(standard)s yuan)."
            ) % {
                "low": self.low,
                "high": self.high,
                "lo": _multiple(self.low, self.standard),
                "hi": _multiple(self.high, self.standard),
                "standard": self.standard,
            }
        return None

    def level_for(self, amount: Decimal) -> int:
        from civilaffairs.accounts.models import Office

        return Office.Level.TOWNSHIP if amount <= self.township_limit else Office.Level.COUNTY


def _multiple(amount: Decimal, standard: Decimal) -> str:
    return f"{(amount / standard).normalize():f}" if standard else "—"


def linshi_range(app: AssistanceApplication, as_of: dt.date | None = None) -> LinshiRange:
    """The configured range (parameters linshi_min_multiple, linshi_max_multiple of
    dibao_standard, and linshi_township_limit in yuan); MissingParameter when one is not set
    for the case's area."""
    standard = parameter("dibao_standard", app, as_of)
    low = (standard * parameter("linshi_min_multiple", app, as_of)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    high = (standard * parameter("linshi_max_multiple", app, as_of)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    limit = parameter("linshi_township_limit", app, as_of).quantize(CENT)
    return LinshiRange(standard=standard.quantize(CENT), low=low, high=high, township_limit=limit)


def approval_level(case, *, fresh: bool = False) -> int | None:
    """The office level that approves this temporary-assistance case's amount (township up to
    the limit, county above), or None while no amount is set or no limit configured. `fresh`
    reads the application again (after a step wrote it)."""
    from civilaffairs.rules.exceptions import MissingParameter

    app = AssistanceApplication.objects.get(case=case) if fresh else case.assistance
    if app.one_off_amount <= 0:
        return None
    try:
        return linshi_range(app).level_for(app.one_off_amount)
    except MissingParameter:
        return None
