import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from civilaffairs.rules import actions
from civilaffairs.rules.models import Rule, RuleSet
from tests.rules.conftest import BELOW_STANDARD, example, income_rule, region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def draft(program, standards, admin_user):
    ruleset = actions.do_create_ruleset(
        program, acting_user=admin_user, valid_from=dt.date(2025, 1, 1)
    )
    actions.do_add_rule(ruleset, acting_user=admin_user, **income_rule())
    return ruleset


def add_example(ruleset, user, *args, **kwargs):
    return actions.do_add_example(ruleset, acting_user=user, **example(*args, **kwargs))


def test_versions_are_numbered_per_program(program, draft, admin_user):
    second = actions.do_create_ruleset(
        program, acting_user=admin_user, valid_from=dt.date(2025, 1, 1)
    )
    assert (draft.version, second.version) == (1, 2)
    assert second.created_by == admin_user and second.status == RuleSet.Status.DRAFT


def test_activation_is_refused_without_an_example(draft, admin_user):
    with pytest.raises(ValidationError, match="at least one example"):
        actions.do_activate_ruleset(draft, acting_user=admin_user)
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT


def test_activation_is_refused_without_a_rule(program, standards, admin_user):
    empty = actions.do_create_ruleset(
        program, acting_user=admin_user, valid_from=dt.date(2025, 1, 1)
    )
    add_example(empty, admin_user, "anyone", "100", "pass")
    with pytest.raises(ValidationError, match="at least one rule"):
        actions.do_activate_ruleset(empty, acting_user=admin_user)


def test_activation_is_refused_with_the_list_of_failing_examples(draft, admin_user):
    add_example(draft, admin_user, "one fen below", "799.99", "pass")
    add_example(draft, admin_user, "wrongly expected to pass", "800.00", "pass")
    add_example(draft, admin_user, "wrongly expected to refer", "900", "refer")
    with pytest.raises(ValidationError) as caught:
        actions.do_activate_ruleset(draft, acting_user=admin_user)
    messages = caught.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("Example “wrongly expected to pass”: expected Met, got Not met")
    assert "800.00" in messages[0]  # the reason, so the administrator sees why
    assert messages[1].startswith("Example “wrongly expected to refer”")
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT and draft.activated_at is None


def test_activation_is_allowed_when_every_example_comes_out_as_expected(draft, admin_user):
    add_example(draft, admin_user, "one fen below", "799.99", "pass")
    add_example(draft, admin_user, "at the standard", "800", "fail")
    add_example(draft, admin_user, "unknown income", None, "refer")
    active = actions.do_activate_ruleset(draft, acting_user=admin_user)
    assert active.status == RuleSet.Status.ACTIVE
    assert active.activated_by == admin_user and active.activated_at is not None
    assert active.history.first().history_user == admin_user


def test_activation_retires_the_previous_version(dibao_v1, admin_user):
    draft = actions.do_copy_ruleset(dibao_v1, acting_user=admin_user)
    v2 = actions.do_activate_ruleset(draft, acting_user=admin_user)
    dibao_v1.refresh_from_db()
    assert (dibao_v1.status, v2.status) == (RuleSet.Status.RETIRED, RuleSet.Status.ACTIVE)
    assert dibao_v1.retired_at == v2.activated_at
    assert RuleSet.objects.filter(program=v2.program, status="active").count() == 1


def test_the_database_allows_one_active_version_per_program(dibao_v1, admin_user):
    draft = actions.do_copy_ruleset(dibao_v1, acting_user=admin_user)
    draft.status = RuleSet.Status.ACTIVE
    with pytest.raises(IntegrityError), transaction.atomic():
        draft.save()


def test_an_active_version_can_never_be_edited(dibao_v1, admin_user):
    rule = dibao_v1.rules.get()
    ex = dibao_v1.examples.first()
    attempts = [
        lambda: actions.do_add_rule(dibao_v1, acting_user=admin_user, **income_rule()),
        lambda: actions.do_update_rule(rule, acting_user=admin_user, name="changed"),
        lambda: actions.do_delete_rule(rule, acting_user=admin_user),
        lambda: actions.do_add_example(
            dibao_v1, acting_user=admin_user, **example("new", "1", "pass")
        ),
        lambda: actions.do_update_example(ex, acting_user=admin_user, expected="refer"),
        lambda: actions.do_delete_example(ex, acting_user=admin_user),
        lambda: actions.do_update_ruleset(dibao_v1, acting_user=admin_user, note="changed"),
        lambda: actions.do_activate_ruleset(dibao_v1, acting_user=admin_user),
        lambda: actions.do_discard_ruleset(dibao_v1, acting_user=admin_user),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="can no longer change"):
            attempt()
    rule.refresh_from_db()
    assert rule.name == "收入低于低保标准"
    assert dibao_v1.rules.count() == 1 and dibao_v1.examples.count() == 2


def test_a_retired_version_can_never_be_edited_either(dibao_v1, admin_user):
    actions.do_activate_ruleset(
        actions.do_copy_ruleset(dibao_v1, acting_user=admin_user), acting_user=admin_user
    )
    with pytest.raises(ValidationError, match="can no longer change"):
        actions.do_update_rule(dibao_v1.rules.get(), acting_user=admin_user, name="changed")


def test_copying_makes_a_new_draft_with_the_same_rules_and_examples(dibao_v1, admin_user):
    copy = actions.do_copy_ruleset(dibao_v1, acting_user=admin_user, valid_from=dt.date(2026, 1, 1))
    assert copy.status == RuleSet.Status.DRAFT and copy.version == 2
    assert copy.copied_from == dibao_v1 and copy.valid_from == dt.date(2026, 1, 1)
    assert list(copy.rules.values_list("name", "condition", "reason")) == list(
        dibao_v1.rules.values_list("name", "condition", "reason")
    )
    assert copy.examples.count() == 2
    # Editing the copy leaves the original as it was.
    actions.do_update_rule(copy.rules.get(), acting_user=admin_user, name="新名称")
    assert dibao_v1.rules.get().name == "收入低于低保标准"


def test_an_invalid_rule_is_refused_with_field_errors(draft, admin_user):
    with pytest.raises(ValidationError) as caught:
        actions.do_add_rule(
            draft,
            acting_user=admin_user,
            name="bad",
            condition={"fact": "per_capita_income", "op": "lt", "param": "undefined_key"},
            reason="标准 %(nothing)s",
        )
    errors = caught.value.message_dict
    assert "no parameter “undefined_key”" in errors["condition"][0]
    assert "%(nothing)s" in errors["reason"][0]
    assert draft.rules.count() == 1


def test_an_example_with_an_unknown_fact_is_refused(draft, admin_user):
    with pytest.raises(ValidationError, match="Unknown fact"):
        actions.do_add_example(
            draft,
            acting_user=admin_user,
            name="bad",
            region=region("640104"),
            as_of=dt.date(2025, 6, 1),
            facts={"wealth": 1},
            expected="pass",
        )


def test_a_draft_can_be_discarded_with_its_rules(draft, admin_user):
    actions.do_discard_ruleset(draft, acting_user=admin_user)
    assert not RuleSet.objects.filter(pk=draft.pk).exists()
    assert not Rule.objects.filter(ruleset_id=draft.pk).exists()


def test_rule_changes_are_recorded_in_history_with_the_user(draft, admin_user):
    rule = draft.rules.get()
    actions.do_update_rule(rule, acting_user=admin_user, condition={"not": BELOW_STANDARD})
    assert rule.history.count() == 2
    assert rule.history.first().history_user == admin_user
