"""The rule preview tells the truth (issue #16, item 6): a household without income data is
unknown, never "qualifies"; the administrator sees today and the proposal side by side with the
difference; 特困 and 临时救助 can be previewed (what only an application gives is named as
unknown); recomputing approved amounts after a standard changes is an admin action that
reports before it changes anything."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from civilaffairs.casework.models import CaseEvent
from civilaffairs.people.models import Membership, Region
from civilaffairs.rules.actions import do_set_parameter
from civilaffairs.rules.engine import compare
from civilaffairs.rules.models import Parameter, Program, RuleSet
from tests.auth import sign_in
from tests.factories import PersonFactory, make_household

from .test_process import approved_dibao

pytestmark = pytest.mark.django_db

VILLAGE = "640104001002"


def household(per_capita=None, *, name="张三丰", age=40):
    from assistance.models import HouseholdEconomy

    village = Region.objects.get(code=VILLAGE)
    today = dt.date.today()
    head = PersonFactory(
        name=name,
        hukou_region=village,
        residence_region=village,
        birth_date=today.replace(year=today.year - age),
    )
    child = PersonFactory(hukou_region=village, birth_date=today.replace(year=today.year - 10))
    house = make_household(head, (child, Membership.Relation.SON))
    if per_capita is not None:
        HouseholdEconomy.objects.create(
            household=house,
            members=2,
            monthly_income=Decimal(per_capita) * 2,
            per_capita_income=Decimal(per_capita),
        )
    return house


def test_a_household_without_income_data_is_unknown_never_qualifying(assistance_setup):
    household("300", name="张三丰")  # below the 850 standard
    household("900", name="李四光")  # above
    household(None, name="王五")  # nothing declared: before, counted as income 0, "qualifying"
    result = compare(Program.objects.get(code="dibao"), VILLAGE, dt.date.today())
    assert result.count(now="pass") == 1
    assert result.count(now="fail") == 1
    assert result.count(now="unknown") == 1
    assert result.unknown_by_fact["per_capita_income"] == 1
    # A proposal of a higher standard: today and then, and who would join.
    raised = compare(
        Program.objects.get(code="dibao"),
        VILLAGE,
        dt.date.today(),
        overrides={"dibao_standard": "1000"},
    )
    assert (raised.count(now="pass"), raised.count(then="pass")) == (1, 2)
    assert raised.joins == 1 and raised.leaves == 0
    assert [h.head.name for h in raised.joining] == ["李四光"]
    assert raised.count(now="unknown", then="unknown") == 1  # still unknown, not assumed


@pytest.mark.parametrize("code", ["tekun", "linshi"])
def test_every_program_can_be_previewed_and_says_what_it_cannot_know(
    client, assistance_setup, code
):
    sign_in(client, assistance_setup.admin)
    household("300")
    program = Program.objects.get(code=code)
    result = compare(program, VILLAGE, dt.date.today())
    assert result.total == 1
    assert result.not_in_registry  # facts only an application gives
    assert result.count(now="pass") == 0  # never assumed
    ruleset = RuleSet.objects.in_force(program, dt.date.today())
    response = client.get(
        reverse("admin:rules_ruleset_preview", args=[ruleset.pk]),
        {"region": "640104", "as_of": dt.date.today().isoformat()},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="preview-matrix"' in page and 'id="preview-unknown"' in page
    assert "只能从申请中得知的情况" in page


def test_the_admin_preview_shows_today_and_the_proposal_side_by_side(client, assistance_setup):
    sign_in(client, assistance_setup.admin)
    household("300", name="张三丰")
    household("900", name="李四光")
    household(None, name="王五")
    ruleset = RuleSet.objects.in_force(Program.objects.get(code="dibao"), dt.date.today())
    response = client.get(
        reverse("admin:rules_ruleset_preview", args=[ruleset.pk]),
        {
            "region": "640104",
            "as_of": dt.date.today().isoformat(),
            "overrides": "dibao_standard=1000",
        },
    )
    page = response.content.decode()
    assert re.search(r'id="now-pass">1<', page) and re.search(r'id="then-pass">2<', page)
    assert re.search(r'id="m-fail-pass">1<', page)
    assert re.search(r'id="m-unknown-unknown">1<', page)
    assert "李**" in page.split('id="preview-joining"')[1].split("</table>")[0]
    assert "李四光" not in page  # names masked as on a public notice
    assert "差额：1（新增 1 户，退出 0 户）" in page


def test_recomputing_the_approved_amounts_is_an_admin_action_that_reports_first(
    client, assistance_setup, household
):
    p = assistance_setup
    sign_in(client, p.admin)
    app = approved_dibao(p, household)
    assert app.monthly_amount == Decimal("1100.00")
    do_set_parameter(
        acting_user=p.admin,
        key="dibao_standard",
        region=Region.objects.get(code="640100"),
        value=Decimal("900"),
        valid_from=dt.date.today(),
    )
    parameter = Parameter.objects.get(key="dibao_standard", region_id="640100", value=900)
    url = reverse("admin:rules_parameter_changelist")
    data = {"action": "recompute_amounts", ACTION_CHECKBOX_NAME: [parameter.pk]}
    report = client.post(url, data)
    assert report.status_code == 200
    page = report.content.decode()
    assert app.case.reference in page and "1100.00" in page and "1200.00" in page
    assert "王**" in page and "王秀英" not in page
    app.refresh_from_db()
    assert app.monthly_amount == Decimal("1100.00")  # a report changes nothing
    applied = client.post(url, {**data, "apply": "yes"})
    assert applied.status_code == 200
    assert "已重新核算金额：1 户变化" in applied.content.decode()
    app.refresh_from_db()
    assert app.monthly_amount == Decimal("1200.00")
    change = app.case.events.get(kind=CaseEvent.Kind.CHANGE)
    assert change.public and "1100.00" in change.message and "1200.00" in change.message
