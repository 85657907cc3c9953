"""Facts over Household used only by these tests (domains register the real ones).

`monthly_income` has no home in the person master record, so tests keep it in INCOMES
(household id → Decimal) and express it in SQL as a CASE over those ids: both paths read the
same numbers, which leaves the engine (parameters, rounding, unknowns) as the thing under test.
`per_capita_income` divides it by `member_count` in Python and in SQL, as a domain would.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from civilaffairs.people.models import Household, Membership
from civilaffairs.rules.facts import AgeOn, Fact, FactUnavailable, get_fact

INCOMES: dict[int, Decimal] = {}


def _household(ctx) -> Household:
    if ctx.household is None:
        raise FactUnavailable
    return ctx.household


def _current_on(as_of: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": as_of}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": as_of})
    )


def _members_sql(as_of):
    return Membership.objects.filter(_current_on(as_of), household=OuterRef("pk"))


def _member_count_sql(as_of):
    counted = _members_sql(as_of).order_by().values("household").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _income_sql(as_of):
    if not INCOMES:
        return Value(None, output_field=DecimalField(max_digits=14, decimal_places=2))
    return Case(
        *(When(pk=pk, then=Value(amount)) for pk, amount in INCOMES.items()),
        default=Value(None),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def _per_capita_read(ctx):
    income = get_fact("monthly_income").read(ctx)
    members = get_fact("member_count").read(ctx)
    if income is None or not members:
        return None
    return income / members


MEMBER_COUNT = Fact(
    name="member_count",
    label="家庭人口",
    description="Current members of the household on the date.",
    kind="integer",
    unit="people",
    reader=lambda ctx: _household(ctx).memberships.filter(_current_on(ctx.as_of)).count(),
    annotation=_member_count_sql,
)
HEAD_AGE = Fact(
    name="head_age",
    label="户主年龄",
    description="Completed years of the household head on the date.",
    kind="integer",
    unit="years",
    reader=lambda ctx: _household(ctx).head.age_on(ctx.as_of),
    annotation=lambda as_of: AgeOn("head__birth_date", as_of),
)
MONTHLY_INCOME = Fact(
    name="monthly_income",
    label="家庭月收入",
    description="Test-only: the household's monthly income from INCOMES.",
    kind="decimal",
    unit="yuan/month",
    reader=lambda ctx: INCOMES.get(_household(ctx).pk),
    annotation=_income_sql,
)
PER_CAPITA_INCOME = Fact(
    name="per_capita_income",
    label="家庭月人均收入",
    description="Monthly income divided by the number of current members.",
    kind="decimal",
    unit="yuan/person/month",
    reader=_per_capita_read,
    annotation=lambda as_of: ExpressionWrapper(
        _income_sql(as_of) / NullIf(_member_count_sql(as_of), 0),
        output_field=DecimalField(),
    ),
)
HAS_DISABLED_MEMBER = Fact(
    name="has_disabled_member",
    label="有残疾成员",
    description="A current member has a disability grade.",
    kind="boolean",
    reader=lambda ctx: (
        _household(ctx)
        .memberships.filter(_current_on(ctx.as_of), person__disability_grade__gt=0)
        .exists()
    ),
    annotation=lambda as_of: Exists(_members_sql(as_of).filter(person__disability_grade__gt=0)),
)
HUKOU_TYPE = Fact(
    name="hukou_type",
    label="户籍类型",
    description="Urban or rural household registration.",
    kind="choice",
    choices=tuple(Household.HukouType.choices),
    reader=lambda ctx: _household(ctx).hukou_type,
    annotation=lambda as_of: F("hukou_type"),
)
# Read from an application only: no SQL expression, so the registry cannot be filtered by it.
REPORTED_DEBT = Fact(
    name="reported_debt",
    label="申报债务",
    description="Test-only: declared on the application form, not in any register.",
    kind="decimal",
    unit="yuan",
)

TEST_FACTS = [
    MEMBER_COUNT,
    HEAD_AGE,
    MONTHLY_INCOME,
    PER_CAPITA_INCOME,
    HAS_DISABLED_MEMBER,
    HUKOU_TYPE,
    REPORTED_DEBT,
]
