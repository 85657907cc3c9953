"""Social organizations in a real browser (Debian's Chromium through Playwright):

- an organization files its annual report and the registration authority grades it;
- a donor's offer is matched to a need, delivered, confirmed, and appears in the public ledger.

Each actor has their own browser context (their own session). Screening, which a worker does
after a submission commits, is run in-process here (the live server calls it on commit).
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from civilaffairs.accounts.forms import LoginForm
from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.casework.models import Case
from orgs import actions
from orgs.forms import GradeStepForm, OfferForm, ReportForm
from orgs.models import AnnualReport, Delivery, Offer
from tests.auth import pass_second_factor
from tests.factories import PASSWORD

from .conftest import TIMEOUT_MS, label_of, label_pattern, load_axe, t

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.orgs.urls_for_tests")]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def orgs_world(personas_tx, monkeypatch, settings, tmp_path):
    from tests.orgs.conftest import citizen_user, register_org, setup_orgs

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    # What the worker does after a submission commits, done by the live server itself.
    monkeypatch.setattr(
        "civilaffairs.casework.actions.enqueue_screening",
        lambda pk: do_screen_and_route(pk) and True,
    )
    w = setup_orgs(personas_tx)
    w.org_user = citizen_user("张丽")
    w.org = register_org(w.org_user, w.approver)
    w.org = actions.do_set_charity(w.org, acting_user=w.approver, recognised=True)
    w.org.established_on = dt.date(2020, 3, 1)
    w.org.save()
    w.donor = citizen_user("刘强", "640104002001")
    return w


def open_as(browser, live_server, user):
    """A fresh context logged in as `user` through the login page."""
    ctx = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.goto(reverse("accounts:login"))
    page.get_by_label(label_pattern(label_of(LoginForm, "username"))).fill(user.username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password"))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t("Log in"), exact=True).click()
    pass_second_factor(page, user)
    return page


def field(page, form_class, name):
    return page.get_by_label(label_pattern(label_of(form_class, name)))


def press(page, text):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t(text), exact=True).click()


def no_serious_axe_violations(page):
    load_axe(page)
    violations = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }""",
        AXE_TAGS,
    )
    assert not violations, f"axe on {page.url}: {violations}"


def test_an_organization_files_its_annual_report_and_the_authority_grades_it(
    orgs_world, browser, live_server
):
    w = orgs_world
    year = dt.date.today().year - 1
    org_page = open_as(browser, live_server, w.org_user)
    org_page.goto(reverse("orgs:my-org", args=[w.org.pk]))
    no_serious_axe_violations(org_page)
    with org_page.expect_navigation():
        org_page.get_by_role("button", name=re.compile(re.escape(str(year)))).click()
    report = AnnualReport.objects.get(organization=w.org)
    expect(org_page).to_have_url(re.compile(reverse("orgs:report-edit", args=[report.pk]) + "$"))
    field(org_page, ReportForm, "activities").fill("开展社区探访 80 次，助餐 2000 人次。")
    field(org_page, ReportForm, "income").fill("200000")
    field(org_page, ReportForm, "expenses").fill("185000")
    field(org_page, ReportForm, "net_assets").fill("60000")
    field(org_page, ReportForm, "staff_count").fill("6")
    field(org_page, ReportForm, "volunteer_count").fill("30")
    field(org_page, ReportForm, "governance").fill("召开理事会 2 次。")
    field(org_page, ReportForm, "declaration").check()
    press(org_page, "Save")
    no_serious_axe_violations(org_page)
    press(org_page, "Send the report")
    case = Case.objects.get(pk=report.case_id)
    expect(org_page).to_have_url(re.compile(reverse("cases:case-detail", args=[case.pk]) + "$"))
    assert case.state == "received" and case.office == w.county  # screened and routed on commit

    staff_page = open_as(browser, live_server, w.approver)
    staff_page.goto(reverse("casework:case-detail", args=[case.pk]))
    # The step's form is on the case page itself.
    staff_page.get_by_label(t("Pass (合格)"), exact=True).check()
    field(staff_page, GradeStepForm, "grade_reason").fill("材料齐全，活动正常。")
    press(staff_page, "Grade the report")
    expect(staff_page).to_have_url(
        re.compile(reverse("casework:case-detail", args=[case.pk]) + "$")
    )
    report.refresh_from_db()
    assert report.grade == "pass" and report.graded_by == w.approver

    # The organization sees the grade; so does the public register.
    org_page.goto(reverse("orgs:my-org", args=[w.org.pk]))
    expect(org_page.locator("main")).to_contain_text(t("Pass (合格)"))
    org_page.goto(reverse("orgs:register-detail", args=[w.org.pk]))
    expect(org_page.locator("main")).to_contain_text(t("Pass (合格)"))
    no_serious_axe_violations(org_page)


def test_a_donors_offer_is_matched_delivered_and_shown_in_the_public_ledger(
    orgs_world, browser, live_server, page
):
    from civilaffairs.people.models import Region

    w = orgs_world
    project = actions.do_create_project(
        acting_user=w.org_user,
        organization=w.org,
        name="冬季送温暖",
        region=Region.objects.get(code="640104001"),
    )
    need = actions.do_create_need(
        project,
        acting_user=w.org_user,
        category="bedding",
        item="棉被",
        quantity=40,
        unit="piece",
        region=Region.objects.get(code="640104001002"),
        urgency=2,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )

    donor_page = open_as(browser, live_server, w.donor)
    donor_page.goto(reverse("orgs:offer-new"))
    no_serious_axe_violations(donor_page)
    field(donor_page, OfferForm, "donor_name").fill("刘强")
    field(donor_page, OfferForm, "show_name").check()
    field(donor_page, OfferForm, "category").select_option("bedding")
    field(donor_page, OfferForm, "item").fill("加厚棉被")
    field(donor_page, OfferForm, "quantity").fill("25")
    field(donor_page, OfferForm, "unit").select_option("piece")
    field(donor_page, OfferForm, "unit_value").fill("120")
    field(donor_page, OfferForm, "region").select_option("640104001")
    press(donor_page, "Register my offer")
    offer = Offer.objects.get(donor=w.donor)

    org_page = open_as(browser, live_server, w.org_user)
    org_page.goto(reverse("orgs:need-detail", args=[need.pk]))
    press(org_page, "Find offers now")
    expect(org_page.locator("main")).to_contain_text("加厚棉被")
    press(org_page, "Accept this offer")
    no_serious_axe_violations(org_page)

    donor_page.goto(reverse("orgs:offer-detail", args=[offer.pk]))
    expect(donor_page.locator("main")).to_contain_text("冬季送温暖")
    donor_page.get_by_label(t("Quantity sent")).fill("25")
    press(donor_page, "Record the delivery")

    org_page.goto(reverse("orgs:need-detail", args=[need.pk]))
    press(org_page, "Confirm receipt")
    delivery = Delivery.objects.get(match__offer=offer)
    assert delivery.received_quantity == 25 and delivery.confirmed_at is not None

    # Anyone, not logged in, finds the donation in the public ledger.
    page.goto(reverse("orgs:ledger"))
    main = page.locator("main")
    expect(main).to_contain_text("刘强")
    expect(main).to_contain_text("加厚棉被")
    expect(main).to_contain_text("冬季送温暖")
    expect(main).to_contain_text("3000.00")
    no_serious_axe_violations(page)
    # The donor sees where it went.
    donor_page.goto(reverse("orgs:my-donations"))
    expect(donor_page.locator("main")).to_contain_text(w.org.name)
    no_serious_axe_violations(donor_page)
