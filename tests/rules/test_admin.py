import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from civilaffairs.people.models import Membership
from civilaffairs.rules import actions
from civilaffairs.rules.models import Parameter, Program, RuleSet
from tests.auth import sign_in
from tests.factories import PersonFactory, make_household
from tests.rules.conftest import example, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    sign_in(client, admin_user)
    return client


@pytest.fixture
def draft(dibao_v1, admin_user):
    return actions.do_copy_ruleset(dibao_v1, acting_user=admin_user)


def test_the_rules_admin_pages_render_for_a_superuser(admin_client, dibao_v1, draft):
    pages = [
        reverse("admin:app_list", args=["rules"]),
        reverse("admin:rules_program_changelist"),
        reverse("admin:rules_program_change", args=[dibao_v1.program_id]),
        reverse("admin:rules_parameter_changelist"),
        reverse("admin:rules_parameter_changelist") + "?key=dibao_standard&level=3",
        reverse("admin:rules_parameter_changelist") + "?q=6401",
        reverse("admin:rules_parameter_add"),
        reverse("admin:rules_parameter_change", args=[Parameter.objects.first().pk]),
        reverse("admin:rules_ruleset_changelist"),
        reverse("admin:rules_ruleset_add"),
        reverse("admin:rules_ruleset_change", args=[dibao_v1.pk]),
        reverse("admin:rules_ruleset_change", args=[draft.pk]),
        reverse("admin:rules_ruleset_preview", args=[dibao_v1.pk]),
        reverse("admin:rules_ruleset_history", args=[dibao_v1.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_an_active_version_is_shown_read_only_and_a_draft_editable(admin_client, dibao_v1, draft):
    active_page = admin_client.get(reverse("admin:rules_ruleset_change", args=[dibao_v1.pk]))
    draft_page = admin_client.get(reverse("admin:rules_ruleset_change", args=[draft.pk]))
    assert 'name="rules-0-condition"' not in active_page.text
    assert 'name="valid_from"' not in active_page.text
    assert reverse("admin:rules_ruleset_activate", args=[dibao_v1.pk]) not in active_page.text
    assert 'name="rules-0-condition"' in draft_page.text
    assert reverse("admin:rules_ruleset_activate", args=[draft.pk]) in draft_page.text


def _draft_post(draft, **rule_fields):
    rule = draft.rules.get()
    examples = list(draft.examples.all())
    data = {
        "valid_from": draft.valid_from.isoformat(),
        "note": draft.note,
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "1",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-id": str(rule.pk),
        "rules-0-ruleset": str(draft.pk),
        "rules-0-order": str(rule.order),
        "rules-0-name": rule.name,
        "rules-0-condition": '{"fact": "per_capita_income", "op": "lt", "param": "dibao_standard"}',
        "rules-0-on_fail": rule.on_fail,
        "rules-0-reason": rule.reason,
        "rules-0-reason_en": rule.reason_en,
        "examples-TOTAL_FORMS": str(len(examples)),
        "examples-INITIAL_FORMS": str(len(examples)),
        "examples-MIN_NUM_FORMS": "0",
        "examples-MAX_NUM_FORMS": "1000",
    }
    for i, ex in enumerate(examples):
        data.update(
            {
                f"examples-{i}-id": str(ex.pk),
                f"examples-{i}-ruleset": str(draft.pk),
                f"examples-{i}-name": ex.name,
                f"examples-{i}-region": ex.region_id,
                f"examples-{i}-as_of": ex.as_of.isoformat(),
                f"examples-{i}-facts": json.dumps(ex.facts),
                f"examples-{i}-expected": ex.expected,
            }
        )
    data.update({f"rules-0-{k}": v for k, v in rule_fields.items()})
    return data


def test_an_invalid_condition_is_a_field_error_on_the_rule(admin_client, draft):
    url = reverse("admin:rules_ruleset_change", args=[draft.pk])
    response = admin_client.post(
        url, _draft_post(draft, condition='{"fact": "wealth", "op": "lt", "value": 1}')
    )
    assert response.status_code == 200
    assert "wealth" in response.text and "errorlist" in response.text
    assert draft.rules.get().condition["fact"] == "per_capita_income"


def test_saving_a_rule_in_the_admin_goes_through_the_action(admin_client, draft, admin_user):
    url = reverse("admin:rules_ruleset_change", args=[draft.pk])
    condition = '{"fact": "per_capita_income", "op": "lte", "param": "dibao_standard"}'
    response = admin_client.post(url, _draft_post(draft, condition=condition, name="新规则"))
    assert response.status_code == 302, response.text
    rule = draft.rules.get()
    assert rule.name == "新规则" and rule.condition["op"] == "lte"
    assert rule.history.first().history_user == admin_user


def test_adding_a_parameter_in_the_admin_ends_the_previous_value(admin_client, standards):
    response = admin_client.post(
        reverse("admin:rules_parameter_add"),
        {
            "program": str(standards["city"].program_id),
            "key": "dibao_standard",
            "label": "低保标准",
            "unit": "yuan/person/month",
            "region": "640100",
            "value": "780.00",
            "valid_from": "2026-01-01",
            "valid_to": "",
            "note": "2026 年调标",
        },
    )
    assert response.status_code == 302
    standards["city"].refresh_from_db()
    assert standards["city"].valid_to == dt.date(2025, 12, 31)
    assert Parameter.objects.filter(region_id="640100", value=Decimal("780")).exists()


def test_an_overlapping_parameter_is_refused_in_the_admin_form(admin_client, standards):
    response = admin_client.post(
        reverse("admin:rules_parameter_add"),
        {
            "program": str(standards["city"].program_id),
            "key": "dibao_standard",
            "region": "640104001",
            "value": "820",
            "valid_from": "2025-03-01",
        },
    )
    assert response.status_code == 200
    assert "overlap" in response.text
    assert Parameter.objects.filter(region_id="640104001").count() == 1


def test_the_activate_admin_action_shows_failing_examples_as_messages(
    admin_client, draft, admin_user
):
    actions.do_add_example(
        draft, acting_user=admin_user, **example("wrongly expected", "900", "pass")
    )
    response = admin_client.post(
        reverse("admin:rules_ruleset_changelist"),
        {"action": "activate", "_selected_action": [str(draft.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "wrongly expected" in response.text
    draft.refresh_from_db()
    assert draft.status == RuleSet.Status.DRAFT


def test_the_activate_button_activates_a_draft_and_retires_the_previous_one(
    admin_client, dibao_v1, draft
):
    response = admin_client.post(reverse("admin:rules_ruleset_activate", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    dibao_v1.refresh_from_db()
    assert (draft.status, dibao_v1.status) == ("active", "retired")


def test_the_copy_admin_action_makes_a_new_draft(admin_client, dibao_v1):
    admin_client.post(
        reverse("admin:rules_ruleset_changelist"),
        {"action": "copy_as_draft", "_selected_action": [str(dibao_v1.pk)]},
    )
    copy = RuleSet.objects.get(copied_from=dibao_v1)
    assert copy.status == "draft" and copy.rules.count() == 1


def test_the_preview_page_counts_households_and_masks_head_names(
    admin_client, dibao_v1, test_facts
):
    village = region("640104002001")  # the county's 760 applies
    for i, (name, per_capita) in enumerate(
        [("张三丰", "700"), ("李四光", "759.99"), ("王五", "760")]
    ):
        head = PersonFactory(name=name, hukou_region=village, birth_date=dt.date(1960, 1, 1 + i))
        child = PersonFactory(hukou_region=village, birth_date=dt.date(1990, 2, 1 + i))
        house = make_household(head, (child, Membership.Relation.SON))
        test_facts.INCOMES[house.pk] = Decimal(per_capita) * 2
    url = reverse("admin:rules_ruleset_preview", args=[dibao_v1.pk])
    response = admin_client.get(url, {"region": "640104", "as_of": "2025-06-01"})
    assert response.status_code == 200
    assert re.search(r'id="now-pass">2<', response.text)
    assert re.search(r'id="then-pass">2<', response.text)
    assert "张**" in response.text and "李**" in response.text
    assert "张三丰" not in response.text and "王*" not in response.text
    assert "759.99" in response.text  # the per-capita fact, shown to the fen

    what_if = admin_client.get(
        url, {"region": "640104", "as_of": "2025-06-01", "overrides": "dibao_standard=800"}
    )
    # Today 2, with the what-if standard 3: 王五 (760 a person) would join.
    assert re.search(r'id="now-pass">2<', what_if.text)
    assert re.search(r'id="then-pass">3<', what_if.text)
    assert re.search(r'id="m-fail-pass">1<', what_if.text)
    assert "王*" in what_if.text.split('id="preview-joining"')[1].split("</table>")[0]


def test_the_preview_form_reports_bad_input(admin_client, dibao_v1):
    url = reverse("admin:rules_ruleset_preview", args=[dibao_v1.pk])
    response = admin_client.get(
        url, {"region": "999999", "as_of": "2025-06-01", "overrides": "nonsense=1\nbad line"}
    )
    assert response.status_code == 200
    assert "999999" in response.text and "nonsense" in response.text
    assert "preview-count" not in response.text


def test_adding_a_program_in_the_admin_goes_through_the_action(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:rules_program_add"),
        {
            "code": "gaoling",
            "name": "高龄津贴",
            "service_code": "eldercare.age_allowance",
            "description": "",
            "is_active": "on",
            "parameters-TOTAL_FORMS": "0",
            "parameters-INITIAL_FORMS": "0",
            "rulesets-TOTAL_FORMS": "0",
            "rulesets-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.text
    program = Program.objects.get(code="gaoling")
    assert program.history.first().history_user == admin_user
