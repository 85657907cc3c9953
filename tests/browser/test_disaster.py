"""Disaster relief walked in a real browser, in Chinese and in English: the county's approver
opens it from the staff menu, is told to choose a region, records a flood on the region tree
and reads its figures (chart and tables), then adds a township the flood reached later; the
township's caseworker opens the village's vulnerable households, records a quilt (and is told
when it is recorded twice), opens the emergency cases in one step, follows one case to its page
and pays it first (先行救助): a bad amount is answered in words and keeps what was typed, a
good one is paid on the ledger. axe finds nothing serious or critical on any page.

Screening is the Celery worker's job: here the live server screens each case as it commits
(`enqueue_screening` patched, as in test_childwelfare and test_orgs), so the village page shows
the cases already routed to the township, as it would with a worker running."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assistance.actions import linshi_range
from assistance.disaster_forms import DisasterEventForm
from assistance.forms import PayFirstForm
from assistance.models import DisasterCase, DisasterEvent, Relief
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework import actions as casework_actions
from civilaffairs.casework.models import Case
from tests.assistance.conftest import setup_assistance
from tests.assistance.test_disaster import build_town

from .conftest import field, log_in, press, t
from .test_childwelfare import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town_tx(personas_tx, monkeypatch):
    # What the worker does after a submission commits, done by the live server itself.
    def screen_now(case_id):
        casework_actions.do_screen_and_route(case_id)
        return True

    monkeypatch.setattr(casework_actions, "enqueue_screening", screen_now)
    return build_town(setup_assistance(personas_tx))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_flood_recorded_counted_and_relieved(town_tx, contexts, language):
    page = contexts(language)
    # Script errors (the chart refused by the CSP would be one); a form sent back with its
    # errors answers 400, which the console also reports: not an error of the page.
    errors = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    log_in(page, town_tx.approver.username, language)
    page.goto("/staff/")
    page.get_by_role("link", name=t("Disaster relief", language)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Disaster relief", language))
    assert axe_violations(page) == []
    page.get_by_role("link", name=t("Record a disaster", language)).click()
    field(page, DisasterEventForm, "name", language).fill("兴庆区洪涝")
    field(page, DisasterEventForm, "kind", language).select_option("flood")
    field(page, DisasterEventForm, "level", language).select_option("2")
    field(page, DisasterEventForm, "started_on", language).fill(timezone.localdate().isoformat())
    assert axe_violations(page) == []
    # Without a region: told, nothing recorded.
    press(page, t("Record and count", language))
    expect(page.get_by_text(t("Choose at least one affected region.", language))).to_be_visible()
    assert not DisasterEvent.objects.exists()
    page.get_by_label("凤凰北街街道").check()
    press(page, t("Record and count", language))
    expect(page.get_by_role("heading", level=1)).to_have_text("兴庆区洪涝")
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    table = page.get_by_role("table").filter(has_text="崇安社区居委会").first
    expect(table).to_be_visible()
    assert axe_violations(page) == []
    event = DisasterEvent.objects.get()
    # The flood reaches another township of the county: added on the tree, where the places
    # already affected are ticked and cannot be unticked.
    page.get_by_role("link", name=t("Add affected places", language)).click()
    expect(page.get_by_label("凤凰北街街道")).to_be_disabled()
    assert axe_violations(page) == []
    township = page.locator("input[name=regions]:not([disabled])").nth(1)
    added = township.get_attribute("value")
    township.check()
    press(page, t("Add and count again", language))
    done = t("The places are added and the affected people are counted again.", language)
    expect(page.get_by_text(done)).to_be_visible()
    assert sorted(event.regions.values_list("region_id", flat=True)) == ["640104001", added]

    # The township's caseworker, in the village.
    page = contexts(language)
    log_in(page, town_tx.caseworker.username, language)
    page.goto(f"/assistance/staff/disasters/{event.pk}/")
    page.get_by_role("link", name=t("households", language) + " · 崇安社区居委会").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("崇安社区居委会")
    assert axe_violations(page) == []
    household = town_tx.hh["elder"].pk
    form = page.locator(f"section[aria-labelledby='hh-{household}'] form[action$='give/']")
    form.get_by_label(t("Item", language)).select_option("quilt")
    form.get_by_label(t("Quantity", language)).fill("1")
    with page.expect_navigation():
        form.get_by_role("button", name=t("Record relief", language)).click()
    expect(page.get_by_text(t("The relief is recorded.", language))).to_be_visible()
    form = page.locator(f"section[aria-labelledby='hh-{household}'] form[action$='give/']")
    form.get_by_label(t("Item", language)).select_option("quilt")
    form.get_by_label(t("Quantity", language)).fill("1")
    with page.expect_navigation():
        form.get_by_role("button", name=t("Record relief", language)).click()
    expect(page.locator(".alert-danger, .alert-error").first).to_be_visible()
    assert Relief.objects.filter(event=event).count() == 1
    press(page, t("Open emergency temporary assistance for these households", language))
    assert DisasterCase.objects.filter(event=event).count() == 3
    case = DisasterCase.objects.select_related("case").get(household_id=household).case
    # Screened on commit and routed to the township's queue, as the page says.
    assert case.state == "screened" and case.office_id == town_tx.township.pk
    section = page.locator(f"section[aria-labelledby='hh-{household}']")
    expect(section).to_contain_text(t("Pre-checked, waiting for the township", language))
    assert axe_violations(page) == []

    # The case's page, from its reference; the township pays first.
    with page.expect_navigation():
        section.get_by_role("link", name=case.reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    step = page.locator("main form[action$='/transition/pay_first/']")  # found anew on each page
    expect(step.get_by_role("heading", name=t("Pay first (emergency)", language))).to_be_visible()
    assert axe_violations(page) == []
    findings, why = "房屋进水，老人独居。", "洪水冲毁房屋，先行救助。"
    field(step, PayFirstForm, "findings", language).fill(findings)
    field(step, PayFirstForm, "justification", language).fill(why)
    # A negative amount: sent back in the page's language, what was typed kept, nothing paid.
    field(step, PayFirstForm, "amount", language).fill("-100")
    press(page, t("Pay first (emergency)", language))
    expect(step.get_by_text(t("The amount must be more than 0.", language))).to_be_visible()
    expect(field(step, PayFirstForm, "amount", language)).to_have_class(
        re.compile(r"\bis-invalid\b")
    )
    expect(field(step, PayFirstForm, "findings", language)).to_have_value(findings)
    expect(field(step, PayFirstForm, "justification", language)).to_have_value(why)
    assert Case.objects.get(pk=case.pk).state == "screened"
    assert not Entitlement.objects.filter(case=case).exists()
    assert axe_violations(page) == []
    # Empty: asked for.
    field(step, PayFirstForm, "amount", language).fill("")
    press(page, t("Pay first (emergency)", language))
    expect(step.get_by_text(t("Please set the amount.", language))).to_be_visible()
    assert not Entitlement.objects.filter(case=case).exists()
    # Within the range but above what the township may pay first: refused on the field.
    allowed = linshi_range(case.assistance)
    assert allowed.township_limit < allowed.high
    field(step, PayFirstForm, "amount", language).fill(str(allowed.township_limit + 1))
    press(page, t("Pay first (emergency)", language))
    too_much = t(
        "The township may pay first up to %(limit)s yuan; a larger amount needs the county's "
        "approval: propose it instead.",
        language,
    ) % {"limit": allowed.township_limit}
    expect(step.get_by_text(too_much)).to_be_visible()
    expect(field(step, PayFirstForm, "findings", language)).to_have_value(findings)
    assert Case.objects.get(pk=case.pk).state == "screened"
    assert not Entitlement.objects.filter(case=case).exists()
    # A right amount: paid at once, the state shown, one payment on the ledger.
    field(step, PayFirstForm, "amount", language).fill("2000")
    press(page, t("Pay first (emergency)", language))
    done = t("Done: %(action)s.", language) % {"action": t("Pay first (emergency)", language)}
    expect(page.locator(".messages")).to_contain_text(done)
    expect(page.locator("main")).to_contain_text(
        t("Paid first (emergency), papers to follow", language)
    )
    assert axe_violations(page) == []
    case.refresh_from_db()
    assert case.state == "paid_first"
    paid = Entitlement.objects.get(case=case)
    assert (paid.kind, paid.monthly_amount) == (Entitlement.Kind.ONE_OFF, Decimal("2000"))
    assert errors == []
