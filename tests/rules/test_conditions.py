import pytest
from django.utils import translation

from civilaffairs.rules.conditions import (
    used_facts,
    used_params,
    validate_condition,
    validate_reason,
)

KEYS = {"dibao_standard"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def errors(condition):
    return validate_condition(condition, param_keys=KEYS)


def test_a_well_formed_condition_has_no_errors():
    condition = {
        "all": [
            {"fact": "per_capita_income", "op": "lt", "param": "dibao_standard"},
            {"fact": "monthly_income", "op": "lte", "param": "dibao_standard", "times": "3.5"},
            {
                "any": [
                    {"fact": "member_count", "op": "in", "value": [1, 2, 3]},
                    {"not": {"fact": "has_disabled_member", "op": "is_true"}},
                    {"fact": "hukou_type", "op": "eq", "value": "urban"},
                    {"fact": "head_age", "op": "gte", "value": 60},
                    {"fact": "monthly_income", "op": "ne", "value": "1200.50"},
                    {"fact": "monthly_income", "op": "gt", "value": 0},
                ]
            },
        ]
    }
    assert errors(condition) == []
    assert used_facts(condition) == {
        "per_capita_income",
        "monthly_income",
        "member_count",
        "has_disabled_member",
        "hukou_type",
        "head_age",
    }
    assert used_params(condition) == {"dibao_standard"}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"fact": "wealth", "op": "lt", "value": 1}, "unknown fact “wealth”"),
        ({"fact": "head_age", "op": "between", "value": 1}, "unknown operator “between”"),
        ({"fact": "per_capita_income", "op": "lt", "param": "nope"}, "no parameter “nope”"),
        ({"fact": "per_capita_income", "op": "in", "value": [1]}, "does not apply"),
        ({"fact": "hukou_type", "op": "lt", "value": "urban"}, "does not apply"),
        ({"fact": "has_disabled_member", "op": "gt", "value": 1}, "does not apply"),
        ({"fact": "has_disabled_member", "op": "is_true", "value": True}, "takes no value"),
        ({"fact": "head_age", "op": "gte"}, "either a value or a parameter"),
        (
            {"fact": "head_age", "op": "gte", "value": 60, "param": "dibao_standard"},
            "either a value or a parameter",
        ),
        ({"fact": "head_age", "op": "gte", "value": 60.5}, "whole number"),
        ({"fact": "head_age", "op": "gte", "value": True}, "whole number"),
        ({"fact": "monthly_income", "op": "lt", "value": "abc"}, "expected a number"),
        ({"fact": "monthly_income", "op": "lt", "value": "1.005"}, "at most 2 decimals"),
        ({"fact": "hukou_type", "op": "eq", "value": "suburban"}, "not a choice"),
        ({"fact": "has_disabled_member", "op": "eq", "value": "yes"}, "true or false"),
        ({"fact": "member_count", "op": "in", "value": []}, "non-empty list"),
        ({"fact": "member_count", "op": "in", "value": 3}, "non-empty list"),
        ({"fact": "hukou_type", "op": "eq", "param": "dibao_standard"}, "only numbers"),
        (
            {"fact": "monthly_income", "op": "lt", "param": "dibao_standard", "times": "-2"},
            "positive number",
        ),
        ({"fact": "monthly_income", "op": "lt", "value": 1, "times": "2"}, "cannot be used"),
        ({"fact": "monthly_income", "op": "lt", "value": 1, "code": "x"}, "unexpected: code"),
        ({"all": []}, "non-empty list"),
        ({"all": [], "any": []}, "exactly one key"),
        ({"nand": [{"fact": "head_age", "op": "gt", "value": 1}]}, "unexpected: nand"),
        ([{"fact": "head_age", "op": "gt", "value": 1}], "expected a condition object"),
        ("head_age > 60", "expected a condition object"),
    ],
)
def test_invalid_conditions_are_reported_in_plain_words(condition, message):
    found = errors(condition)
    assert found, condition
    assert any(message in error for error in found), found


def test_errors_say_where_in_the_condition_they_are():
    condition = {
        "all": [
            {"fact": "head_age", "op": "gte", "value": 60},
            {"any": [{"fact": "wealth", "op": "lt", "value": 1}]},
        ]
    }
    assert errors(condition) == ["condition.all[1].any[0]: unknown fact “wealth”."]


def test_every_error_is_reported_not_only_the_first():
    condition = {
        "any": [
            {"fact": "wealth", "op": "lt", "value": 1},
            {"fact": "head_age", "op": "gte", "value": "sixty"},
        ]
    }
    assert len(errors(condition)) == 2


def test_nesting_deeper_than_five_levels_is_refused():
    leaf = {"fact": "head_age", "op": "gte", "value": 60}
    four_groups = {"all": [{"any": [{"not": {"all": [leaf]}}]}]}
    assert errors(four_groups) == []
    five_groups = {"not": four_groups}
    assert any("at most 5 levels" in e for e in errors(five_groups))


def test_parameter_keys_are_not_checked_when_none_are_given():
    condition = {"fact": "per_capita_income", "op": "lt", "param": "anything"}
    assert validate_condition(condition) == []


def test_reason_placeholders_must_name_a_fact_or_a_parameter():
    assert (
        validate_reason("人均 %(per_capita_income)s，标准 %(dibao_standard)s", param_keys=KEYS)
        == []
    )
    found = validate_reason("标准 %(standard)s", param_keys=KEYS)
    assert found == ["The placeholder %(standard)s names neither a fact nor a parameter."]


def test_a_stray_percent_sign_in_a_reason_is_reported():
    assert validate_reason("收入超过 50% 的标准", param_keys=KEYS)
    assert validate_reason("收入超过 50%% 的标准", param_keys=KEYS) == []
