"""Decision-support scenarios walked in a real browser, in Chinese and in English: a county
approver opens them from the staff menu, is told what is wrong with a proposal, saves one,
reads it and its print version, and compares two side by side. axe finds nothing serious or
critical on any of the pages."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from civilaffairs.insight.forms import ScenarioForm
from tests.insight.test_scenarios import VILLAGE_A, home

from .conftest import field, log_in, press, t
from .test_childwelfare import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scenario_world(personas_tx):
    from assistance.seed import seed_programs

    seed_programs(log=lambda *a: None)
    home(VILLAGE_A, 300, [("F", 70, 0), ("M", 10, 0)])  # qualifies today and at 900
    home(VILLAGE_A, 870, [("M", 45, 0), ("F", 40, 1)])  # joins at 900
    home(VILLAGE_A, 880, [("M", 82, 0)], assets=30000)  # left out: savings
    return personas_tx


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_approver_saves_reads_prints_and_compares_scenarios(scenario_world, contexts, language):
    from civilaffairs.insight.actions import do_save_scenario
    from civilaffairs.people.models import Region
    from civilaffairs.rules.models import Program

    program = Program.objects.get(code="dibao")
    page = contexts(language)
    errors, missing = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    log_in(page, scenario_world.approver.username, language)
    page.goto("/staff/")
    page.get_by_role("link", name=t("Scenarios", language), exact=True).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(t("Scenarios", language))
    assert axe_violations(page) == []
    page.get_by_role("link", name=t("New scenario", language)).click()
    expect(heading).to_have_text(t("New scenario", language))
    assert axe_violations(page) == []
    form = page.locator("main form")
    field(form, ScenarioForm, "title", language).fill("兴庆区标准 900")
    field(form, ScenarioForm, "program", language).select_option(label=program.name)
    field(form, ScenarioForm, "region", language).fill("640104")
    field(form, ScenarioForm, "overrides", language).fill("dibao_standard=-1")
    press(page, t("Compute and save", language))
    expect(page.locator("main")).to_contain_text(
        t("Line %(line)s: “%(key)s” cannot be negative.", language)
        % {"line": 1, "key": "dibao_standard"}
    )
    assert axe_violations(page) == []
    errors.clear()
    missing.clear()
    field(form, ScenarioForm, "overrides", language).fill("dibao_standard=900")
    press(page, t("Compute and save", language))
    expect(heading).to_have_text("兴庆区标准 900")
    expect(page.locator("#join-h")).to_have_text("1")
    expect(page.locator("#then-h")).to_have_text("2")
    # (900 − 300) × 2 − (850 − 300) × 2 = 100; joining: max(30, 60) × 2 = 120: 220 a month.
    expect(page.locator("#cost-diff")).to_have_text("220.00")
    expect(page.locator("#gap-then-p")).to_have_text("1")
    expect(page.locator("#scenario-computed")).to_be_visible()
    assert axe_violations(page) == []
    first = re.search(r"/scenarios/(\d+)/", page.url).group(1)
    # The print version: the scenario alone.
    page.get_by_role("link", name=t("Print version", language)).click()
    expect(page.locator(".workspace-nav")).to_have_count(0)
    expect(page.locator("#scenario-totals")).to_be_visible()
    assert axe_violations(page) == []
    # A second one, then both side by side from the list.
    other = do_save_scenario(
        acting_user=scenario_world.approver,
        title="兴庆区标准 820",
        program=program,
        region=Region.objects.get(code="640104"),
        as_of=timezone.localdate(),
        overrides={"dibao_standard": Decimal("820")},
    )
    page.goto("/staff/figures/scenarios/")
    page.locator(f"#pick-{first}").check()
    page.locator(f"#pick-{other.pk}").check()
    press(page, t("Compare the ticked scenarios", language))
    expect(heading).to_have_text(t("Scenarios side by side", language))
    table = page.locator("#scenario-compare")
    expect(table).to_contain_text("兴庆区标准 900")
    expect(table).to_contain_text("兴庆区标准 820")
    assert axe_violations(page) == []
    assert (errors, missing) == ([], [])
