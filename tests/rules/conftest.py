"""Fixtures of the rules tests: the test facts, a 低保 program with its standards, and helpers
to build and activate rule sets through the actions."""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest

from civilaffairs.people.models import Region
from civilaffairs.rules import actions
from civilaffairs.rules.facts import get_fact, register_fact, unregister_fact
from tests.factories import UserFactory
from tests.rules import facts_for_tests

D = Decimal
BELOW_STANDARD = {"fact": "per_capita_income", "op": "lt", "param": "dibao_standard"}
BELOW_STANDARD_REASON = (
    "家庭月人均收入 %(per_capita_income)s 元，不低于当地低保标准 %(dibao_standard)s 元"
)
BELOW_STANDARD_REASON_EN = (
    "Monthly income per person %(per_capita_income)s yuan is not below the local standard "
    "%(dibao_standard)s yuan"
)


@pytest.fixture(autouse=True)
def test_facts():
    """The test facts replace any domain fact of the same name for the test, then the domain's
    facts are put back."""
    displaced = {}
    for fact in facts_for_tests.TEST_FACTS:
        with contextlib.suppress(KeyError):
            displaced[fact.name] = get_fact(fact.name)
        unregister_fact(fact.name)
        register_fact(fact)
    facts_for_tests.INCOMES.clear()
    yield facts_for_tests
    facts_for_tests.INCOMES.clear()
    for fact in facts_for_tests.TEST_FACTS:
        unregister_fact(fact.name)
    for fact in displaced.values():
        register_fact(fact)


@pytest.fixture
def admin_user(regions):
    return UserFactory(username="rules-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def program(admin_user):
    return actions.do_create_program(
        acting_user=admin_user,
        code="dibao_urban",
        name="城市最低生活保障",
        service_code="assistance.dibao",
    )


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def standards(program, admin_user):
    """低保 standards: 宁夏 700 and 银川市 722 from 2024; 兴庆区 760 from 2025; 凤凰北街街道 800
    for 2025 only."""

    def set_(code, value, start, end=None):
        return actions.do_set_parameter(
            acting_user=admin_user,
            program=program,
            key="dibao_standard",
            label="低保标准",
            unit="yuan/person/month",
            region=region(code),
            value=D(value),
            valid_from=start,
            valid_to=end,
        )

    return {
        "province": set_("640000", "700", dt.date(2024, 1, 1)),
        "city": set_("640100", "722", dt.date(2024, 1, 1)),
        "county": set_("640104", "760", dt.date(2025, 1, 1)),
        "township": set_("640104001", "800", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    }


def make_active_ruleset(program, user, *, rules, examples, valid_from=dt.date(2024, 1, 1)):
    """A rule set built and activated through the actions. `rules`: dicts of do_add_rule
    arguments; `examples`: dicts of do_add_example arguments."""
    ruleset = actions.do_create_ruleset(program, acting_user=user, valid_from=valid_from)
    for rule in rules:
        actions.do_add_rule(ruleset, acting_user=user, **rule)
    for example in examples:
        actions.do_add_example(ruleset, acting_user=user, **example)
    return actions.do_activate_ruleset(ruleset, acting_user=user)


def income_rule(**overrides):
    rule = {
        "name": "收入低于低保标准",
        "condition": BELOW_STANDARD,
        "reason": BELOW_STANDARD_REASON,
        "reason_en": BELOW_STANDARD_REASON_EN,
    }
    rule.update(overrides)
    return rule


def example(name, per_capita, expected, code="640104001002", as_of=dt.date(2025, 6, 1), **facts):
    values = {"per_capita_income": per_capita, **facts}
    return {
        "name": name,
        "region": region(code),
        "as_of": as_of,
        "facts": values,
        "expected": expected,
    }


@pytest.fixture
def dibao_v1(program, standards, admin_user):
    """Version 1: per-capita income below the standard; two examples around 800 (township)."""
    return make_active_ruleset(
        program,
        admin_user,
        rules=[income_rule()],
        examples=[
            example("one fen below", "799.99", "pass"),
            example("exactly at the standard", "800.00", "fail"),
        ],
    )


@pytest.fixture(autouse=True)
def _english_interface(request):
    """These tests read messages in English; the site's default language is Chinese. Tests
    that check the Chinese wording switch back themselves."""
    from django.utils import translation

    if "client" in request.fixturenames:
        request.getfixturevalue("client").cookies["lang"] = "en"
    with translation.override("en"):
        yield
