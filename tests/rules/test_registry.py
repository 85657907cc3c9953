"""The registry filter (SQL) must agree with screening one application (JSON-logic)."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from civilaffairs.people.models import Household, Membership, Region
from civilaffairs.rules import actions
from civilaffairs.rules.engine import (
    evaluate,
    parameter_expressions,
    preview,
    preview_sql,
    registry_queryset,
)
from civilaffairs.rules.exceptions import FactNotQueryable
from civilaffairs.rules.facts import FactContext
from tests.factories import PersonFactory, make_household
from tests.rules.conftest import example, income_rule, make_active_ruleset, region

pytestmark = pytest.mark.django_db

D = Decimal
JUNE = dt.date(2025, 6, 1)
# (village, standard on JUNE): township value, county value, city value, province value.
VILLAGES = {
    "640104001002": D("800"),
    "640104002001": D("760"),
    "640105001002": D("722"),
    "640202001001": D("700"),
}
# Per-capita income relative to the standard: at it, a fen and half a fen either side, sub-fen
# amounts that round either way, and clearly below or above.
OFFSETS = ["0", "-0.01", "0.01", "-0.005", "0.005", "-0.0049", "0.0049", "-150", "75", "-0.5"]

AGREEMENT_RULES = [
    income_rule(),
    {
        "name": "成年户主或多人家庭",
        "condition": {
            "any": [
                {"fact": "member_count", "op": "gte", "value": 2},
                {"fact": "head_age", "op": "gte", "value": 60},
            ]
        },
        "on_fail": "refer",
        "reason": "单人户且户主未满 60 周岁，需要核实",
    },
    {
        "name": "城市户籍",
        "condition": {"fact": "hukou_type", "op": "in", "value": ["urban"]},
        "reason": "非城市户籍",
    },
    {
        "name": "收入不过高（残疾家庭除外）",
        "condition": {
            "not": {
                "all": [
                    {"fact": "has_disabled_member", "op": "is_false"},
                    {
                        "fact": "monthly_income",
                        "op": "gt",
                        "param": "dibao_standard",
                        "times": "2.5",
                    },
                ]
            }
        },
        "reason": "家庭月收入 %(monthly_income)s 元过高",
    },
    {
        "name": "人口不超过 6 人",
        "condition": {"fact": "member_count", "op": "ne", "value": 7},
        "on_fail": "refer",
        "reason": "大家庭需要核实",
    },
]


def person(code, birth, **kwargs):
    return PersonFactory(hukou_region=Region.objects.get(code=code), birth_date=birth, **kwargs)


def build_households(incomes, count=30, seed=20250601):
    """Households in four villages with 1–4 members, heads of several ages, some with a disabled
    member or a rural hukou, and incomes around each village's standard (OFFSETS in turn). The
    last one has no known income."""
    rng = random.Random(seed)
    codes = list(VILLAGES)
    households = []
    for i in range(count):
        code = codes[i % len(codes)]
        members = rng.randint(1, 4)
        head_birth = rng.choice([dt.date(1950, 3, 1), dt.date(1965, 6, 1), dt.date(1990, 9, 9)])
        head = person(code, head_birth, disability_grade=2 if rng.random() < 0.2 else 0)
        others = [
            (person(code, dt.date(1980 + n, 1 + n, 1 + i % 28)), Membership.Relation.SON)
            for n in range(members - 1)
        ]
        house = make_household(head, *others)
        if rng.random() < 0.1:
            house.hukou_type = Household.HukouType.RURAL
            house.save(update_fields=["hukou_type"])
        if i < count - 1:
            per_capita = VILLAGES[code] + D(OFFSETS[i % len(OFFSETS)])
            incomes[house.pk] = (per_capita * members).quantize(D("0.01"))
        households.append(house)
    return households


@pytest.fixture
def agreement_ruleset(program, standards, admin_user):
    return make_active_ruleset(
        program,
        admin_user,
        rules=AGREEMENT_RULES,
        examples=[
            example(
                "low",
                "100",
                "pass",
                member_count=2,
                head_age=40,
                hukou_type="urban",
                has_disabled_member=False,
                monthly_income="200",
            )
        ],
    )


def per_case(program, as_of, households, **kwargs):
    outcomes = {}
    for house in households:
        ctx = FactContext(region_code=house.region_id, as_of=as_of, household=house)
        outcomes[house.pk] = evaluate(program, ctx, **kwargs).outcome
    return outcomes


def test_screening_each_household_and_filtering_the_registry_agree_exactly(
    agreement_ruleset, test_facts
):
    households = build_households(test_facts.INCOMES)
    program = agreement_ruleset.program
    outcomes = per_case(program, JUNE, households)
    passing = {pk for pk, outcome in outcomes.items() if outcome == "pass"}

    in_sql = set(registry_queryset(program, region("640000"), JUNE).values_list("pk", flat=True))

    assert in_sql == passing
    # The sample is not trivial: every outcome occurs, and so do households exactly at the
    # standard (offset "0"), which must not pass.
    assert {"pass", "fail", "refer"} <= set(outcomes.values())
    at_standard = [h.pk for i, h in enumerate(households[:-1]) if i % len(OFFSETS) == 0]
    assert at_standard and not set(at_standard) & in_sql
    assert len(passing) >= 5
    assert outcomes[households[-1].pk] == "refer"  # income unknown


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 1), dt.date(2026, 6, 1)])
def test_they_agree_on_other_dates_and_with_what_if_values(agreement_ruleset, test_facts, as_of):
    households = build_households(test_facts.INCOMES, count=16, seed=7)
    program = agreement_ruleset.program
    for overrides in (None, {"dibao_standard": D("760.005")}):
        outcomes = per_case(program, as_of, households, overrides=overrides)
        passing = {pk for pk, outcome in outcomes.items() if outcome == "pass"}
        in_sql = registry_queryset(program, "640000", as_of, overrides=overrides)
        assert set(in_sql.values_list("pk", flat=True)) == passing


def test_each_household_gets_its_nearest_parameter_in_sql(program, standards, test_facts):
    build_households(test_facts.INCOMES, count=8)
    annotations = parameter_expressions(program, {"dibao_standard"}, "640000", JUNE)
    rows = Household.objects.filter(region__startswith="64").annotate(**annotations)
    found = dict(rows.values_list("region_id", "param_dibao_standard"))
    assert found == VILLAGES
    # The township's 800 ended with 2025: its villages fall back to the county's 760.
    later = parameter_expressions(program, {"dibao_standard"}, "640000", dt.date(2026, 1, 1))
    rows = Household.objects.filter(region_id="640104001002").annotate(**later)
    assert set(rows.values_list("param_dibao_standard", flat=True)) == {D("760")}


def test_preview_counts_and_samples_with_a_bounded_number_of_queries(
    agreement_ruleset, test_facts, django_assert_max_num_queries
):
    build_households(test_facts.INCOMES)
    program = agreement_ruleset.program
    county = region("640104")
    expected = registry_queryset(program, county, JUNE).count()
    # The rule set, its rules, the parameters, one COUNT and one LIMIT query.
    with django_assert_max_num_queries(5):
        count, sample = preview(program, county, JUNE, sample=3)
        rows = [(h.head.name, h.region.name, h.rule_facts) for h in sample]
    assert count == expected > 3
    assert len(rows) == 3
    assert all(code.startswith("640104") for code in (h.region_id for h in sample))
    name, region_name, facts = rows[0]
    assert set(facts) == {
        "per_capita_income",
        "member_count",
        "head_age",
        "hukou_type",
        "has_disabled_member",
        "monthly_income",
    }


def test_raising_the_standard_in_a_what_if_preview_raises_the_count(agreement_ruleset, test_facts):
    build_households(test_facts.INCOMES)
    program = agreement_ruleset.program
    count, _sample = preview(program, "640104", JUNE)
    higher, _sample = preview(program, "640104", JUNE, overrides={"dibao_standard": "1000"})
    assert higher > count


def test_a_fact_without_sql_cannot_be_previewed(program, standards, admin_user):
    ruleset = make_active_ruleset(
        program,
        admin_user,
        rules=[
            {
                "name": "无大额债务",
                "condition": {"fact": "reported_debt", "op": "lt", "value": 100000},
                "reason": "申报债务过高",
            }
        ],
        examples=[example("no debt", "1", "pass", reported_debt="0")],
    )
    with pytest.raises(FactNotQueryable, match="reported_debt"):
        preview(program, "640104", JUNE, ruleset=ruleset)


def test_the_preview_sql_can_be_shown_for_tuning(agreement_ruleset, test_facts):
    build_households(test_facts.INCOMES, count=4)
    sql = preview_sql(agreement_ruleset.program, "640104", JUNE)
    assert "CASE WHEN" in sql and "ROUND(" in sql


def test_a_draft_can_be_previewed_before_activation(agreement_ruleset, admin_user, test_facts):
    build_households(test_facts.INCOMES, count=12)
    draft = actions.do_copy_ruleset(agreement_ruleset, acting_user=admin_user)
    for rule in draft.rules.exclude(name="收入低于低保标准"):
        actions.do_delete_rule(rule, acting_user=admin_user)
    looser, _ = preview(draft.program, "640000", JUNE, ruleset=draft)
    stricter, _ = preview(draft.program, "640000", JUNE)
    assert looser >= stricter
