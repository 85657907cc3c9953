import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import translation
from json_logic import jsonLogic

from civilaffairs.rules import actions
from civilaffairs.rules.engine import compile_jsonlogic, evaluate, jsonlogic_data, to_hundredths
from civilaffairs.rules.facts import FactContext
from civilaffairs.rules.models import RuleSet
from tests.rules.conftest import example, income_rule, make_active_ruleset

pytestmark = pytest.mark.django_db

D = Decimal
JUNE = dt.date(2025, 6, 1)
TOWNSHIP_VILLAGE = "640104001002"  # standard 800 in 2025


def screen(program, per_capita=None, code=TOWNSHIP_VILLAGE, as_of=JUNE, **kwargs):
    values = {} if per_capita is None else {"per_capita_income": per_capita}
    return evaluate(program, FactContext(region_code=code, as_of=as_of, values=values), **kwargs)


def test_compiled_jsonlogic_compares_money_as_whole_fen():
    logic = compile_jsonlogic(
        {"fact": "per_capita_income", "op": "lt", "param": "dibao_standard", "times": "1.5"},
        {"dibao_standard": D("722.0000")},
    )
    assert logic == {"<": [{"var": "per_capita_income"}, 108300]}
    data = jsonlogic_data({"per_capita_income": D("1082.994")}, {"per_capita_income": "decimal"})
    assert data == {"per_capita_income": 108299}
    assert jsonLogic(logic, data) is True


def test_groups_and_lists_compile_to_jsonlogic():
    condition = {
        "any": [
            {"fact": "member_count", "op": "not_in", "value": [1, 2]},
            {"not": {"fact": "has_disabled_member", "op": "is_true"}},
            {"all": [{"fact": "hukou_type", "op": "ne", "value": "rural"}]},
        ]
    }
    assert compile_jsonlogic(condition, {}) == {
        "or": [
            {"!": [{"in": [{"var": "member_count"}, [100, 200]]}]},
            {"!": [{"===": [{"var": "has_disabled_member"}, True]}]},
            {"and": [{"!==": [{"var": "hukou_type"}, "rural"]}]},
        ]
    }


@pytest.mark.parametrize(
    ("value", "hundredths"),
    [
        ("800", 80000),
        ("799.995", 80000),  # half a fen rounds up
        ("799.9949", 79999),
        ("-0.005", -1),  # away from zero, as PostgreSQL's round() does
        (D("722.0000"), 72200),
        (3, 300),
    ],
)
def test_numbers_become_hundredths_rounded_half_away_from_zero(value, hundredths):
    assert to_hundredths(value) == hundredths


@pytest.mark.parametrize(
    ("per_capita", "outcome"),
    [
        ("800.00", "fail"),  # exactly at the standard is not below it
        ("799.99", "pass"),  # one fen below
        ("800.01", "fail"),
        ("799.995", "fail"),  # rounds to 800.00
        ("799.9949", "pass"),  # rounds to 799.99
        (D("2399.98") / 3, "pass"),  # 799.99333… rounds to 799.99
        (D("2399.99") / 3, "fail"),  # 799.99666… rounds to 800.00
    ],
)
def test_income_is_compared_with_the_standard_exactly_at_the_fen(dibao_v1, per_capita, outcome):
    assert screen(dibao_v1.program, per_capita).outcome == outcome


def test_the_reason_names_the_values_compared_in_the_active_language(dibao_v1):
    with translation.override("zh-hans"):
        zh = screen(dibao_v1.program, "812.5")
    with translation.override("en"):
        en = screen(dibao_v1.program, "812.5")
    assert zh.results[0]["reason"] == "家庭月人均收入 812.50 元，不低于当地低保标准 800.00 元"
    assert en.results[0]["reason"] == (
        "Monthly income per person 812.50 yuan is not below the local standard 800.00 yuan"
    )
    assert screen(dibao_v1.program, "500").results[0]["reason"] == ""


def test_a_missing_fact_refers_the_rule_to_a_caseworker_and_says_which(dibao_v1):
    with translation.override("en"):
        result = screen(dibao_v1.program, None)
    assert result.outcome == "refer"
    assert result.facts == {"per_capita_income": None}
    [rule] = result.results
    assert rule["outcome"] == "refer" and rule["jsonlogic"] is None
    assert "家庭月人均收入" in rule["reason"]  # the fact's label
    assert "caseworker" in rule["reason"]


def test_an_unreadable_fact_value_counts_as_missing(dibao_v1):
    assert screen(dibao_v1.program, "a lot").outcome == "refer"


def test_a_region_without_a_parameter_value_refers_rather_than_crashes(dibao_v1):
    result = screen(dibao_v1.program, "100", code="110105001001")
    assert result.outcome == "refer"
    assert result.parameters == {"dibao_standard": None}
    assert "dibao_standard" in result.results[0]["reason"]


def test_any_failed_rule_fails_the_screening_even_when_another_refers(
    program, standards, admin_user
):
    ruleset = make_active_ruleset(
        program,
        admin_user,
        rules=[
            income_rule(),
            {
                "name": "户主年龄",
                "condition": {"fact": "head_age", "op": "gte", "value": 18},
                "on_fail": "refer",
                "reason": "户主未满 18 周岁",
            },
            {
                "name": "家庭人口",
                "condition": {"fact": "member_count", "op": "lte", "value": 8},
                "on_fail": "refer",
                "reason": "家庭人口 %(member_count)s 人，需要核实",
            },
        ],
        examples=[example("low income adult", "500", "pass", head_age=40, member_count=3)],
    )
    assert ruleset.status == RuleSet.Status.ACTIVE
    ctx = FactContext(
        region_code=TOWNSHIP_VILLAGE,
        as_of=JUNE,
        values={"per_capita_income": "900", "head_age": 16, "member_count": 10},
    )
    result = evaluate(program, ctx)
    assert [r["outcome"] for r in result.results] == ["fail", "refer", "refer"]
    assert result.outcome == "fail"
    assert result.results[2]["reason"] == "家庭人口 10 人，需要核实"
    ctx.values["per_capita_income"] = "100"
    assert evaluate(program, ctx).outcome == "refer"


def test_overrides_answer_what_if_questions_without_changing_parameters(dibao_v1):
    assert screen(dibao_v1.program, "850").outcome == "fail"
    what_if = screen(dibao_v1.program, "850", overrides={"dibao_standard": D("900")})
    assert what_if.outcome == "pass"
    assert what_if.parameters == {"dibao_standard": "900"}
    assert screen(dibao_v1.program, "850").parameters == {"dibao_standard": "800.0000"}


def test_the_screening_stores_version_facts_parameters_and_outcomes_as_json(dibao_v1):
    result = screen(dibao_v1.program, D("799.99"))
    stored = json.loads(json.dumps(result.to_json()))
    assert stored["ruleset_id"] == dibao_v1.pk and stored["ruleset_version"] == 1
    assert stored["program_code"] == "dibao_urban"
    assert stored["as_of"] == "2025-06-01" and stored["region_code"] == TOWNSHIP_VILLAGE
    assert stored["outcome"] == "pass"
    assert stored["facts"] == {"per_capita_income": "799.99"}
    assert stored["parameters"] == {"dibao_standard": "800.0000"}
    [rule] = stored["results"]
    assert rule["rule_name"] == "收入低于低保标准"
    assert rule["jsonlogic"] == {"<": [{"var": "per_capita_income"}, 80000]}


def test_without_a_version_in_force_the_screening_refers(program, standards):
    result = screen(program, "100")
    assert result.outcome == "refer" and result.ruleset_id is None
    assert result.results[0]["reason"]


def test_the_version_in_force_depends_on_the_date(dibao_v1, admin_user):
    """Version 2, activated now but valid from 2026, replaces version 1 only from 2026."""
    draft = actions.do_copy_ruleset(
        dibao_v1, acting_user=admin_user, valid_from=dt.date(2026, 1, 1)
    )
    [rule] = draft.rules.all()
    actions.do_update_rule(
        rule,
        acting_user=admin_user,
        condition={"fact": "per_capita_income", "op": "lte", "param": "dibao_standard"},
    )
    for ex in draft.examples.all():
        actions.do_delete_example(ex, acting_user=admin_user)
    actions.do_add_example(
        draft,
        acting_user=admin_user,
        **example("at the standard", "760", "pass", as_of=dt.date(2026, 2, 1)),
    )
    v2 = actions.do_activate_ruleset(draft, acting_user=admin_user)
    program = v2.program

    before = screen(program, "760", code="640104002001", as_of=dt.date(2025, 12, 31))
    after = screen(program, "760", code="640104002001", as_of=dt.date(2026, 1, 1))
    assert (before.ruleset_version, before.outcome) == (1, "fail")
    assert (after.ruleset_version, after.outcome) == (2, "pass")


def test_a_draft_can_be_evaluated_explicitly(dibao_v1, admin_user):
    draft = actions.do_copy_ruleset(dibao_v1, acting_user=admin_user)
    result = screen(dibao_v1.program, "100", ruleset=draft)
    assert result.ruleset_id == draft.pk and result.outcome == "pass"


def test_a_choice_is_named_by_its_label_in_the_reason(program, standards, admin_user):
    make_active_ruleset(
        program,
        admin_user,
        rules=[
            {
                "name": "城市户籍",
                "condition": {"fact": "hukou_type", "op": "eq", "value": "urban"},
                "reason": "户籍类型：%(hukou_type)s",
            }
        ],
        examples=[example("urban", "1", "pass", hukou_type="urban")],
    )
    ctx = FactContext(region_code=TOWNSHIP_VILLAGE, as_of=JUNE, values={"hukou_type": "rural"})
    with translation.override("en"):
        result = evaluate(program, ctx)
    assert result.outcome == "fail"
    assert result.results[0]["reason"] == "户籍类型：Rural"
    assert result.facts == {"hukou_type": "rural"}
