"""The whole 低保 journey in a real browser, with a real Celery worker doing the screening.

王秀英 applies online in five steps; the worker pre-screens and routes the case through the
queue; the township caseworker claims it, accepts it, records the home visit and starts the
7-working-day public notice; anyone can read the notice (masked name, no identifiers); once the
notice is over the case goes to the county, whose approver approves it; 王秀英 sees the decision,
the amount and her first payment.

Every person logs in through the login form in their own browser context. The `lang` cookie is
set to English in every context so that text assertions read the English catalogue.
"""

import contextlib
import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from assistance.models import AssistanceApplication
from assistance.tasks import end_notices_task
from civilaffairs.accounts.forms import LoginForm
from civilaffairs.casework.models import Case
from civilaffairs.lib.masking import mask_bank_account, mask_id_number
from tests.assistance.conftest import citizen_household, setup_assistance
from tests.auth import pass_second_factor
from tests.factories import PASSWORD
from tests.worker import conftest as worker_fixtures
from tests.worker.conftest import wait_for

from .conftest import TIMEOUT_MS, label_of, label_pattern, t
from .test_portal import describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.worker]

# The real broker and worker of tests/worker (a conftest there is not seen from here).
private_redis = worker_fixtures.private_redis
worker = worker_fixtures.worker

EN = "en"
BANK_ACCOUNT = "6222021234567890"  # 16 digits
# 低保 standard of 银川市 (640100, the nearest region with one) is 850 yuan per person and
# month. Declared: 王秀英 600 (transfers, counted) + 100 (age allowance, not counted); the
# grandson nothing. 600 / 2 = 300 per person; (850 - 300) x 2 people = 1100.00 a month.
EXPECTED_AMOUNT = Decimal("1100.00")


def en(message: str) -> str:
    return t(message, EN)


def exact(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


# ------------------------------------------------------------------ browser helpers


@pytest.fixture
def contexts(browser, live_server):
    """Opens a fresh browser context (own cookies: one person each), in English."""
    expect.set_options(timeout=TIMEOUT_MS)
    with contextlib.ExitStack() as stack:

        def open_context():
            ctx = browser.new_context(
                base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
            )
            stack.callback(ctx.close)
            ctx.set_default_timeout(TIMEOUT_MS)
            ctx.add_cookies([{"name": "lang", "value": EN, "url": live_server.url}])
            return ctx.new_page()

        yield open_context


def fill_login_form(page, username: str):
    expect(page.locator("main h1")).to_have_text(en("Log in"))
    page.get_by_label(label_pattern(label_of(LoginForm, "username", EN))).fill(username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password", EN))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=en("Log in"), exact=True).click()


def staff_log_in(page, username: str, landing: str):
    """Open a staff page, get sent to the login form, log in, land back on the page."""
    page.goto(landing)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    fill_login_form(page, username)
    pass_second_factor(page, username)
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))


def assert_axe_clean(page, where: str):
    violations = run_axe(page)
    assert not violations, f"axe on {where} ({page.url}):\n{describe(violations)}"


def press(page, name: str):
    """Press a button of the page's main content and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=name, exact=True).click()


def field(scope, label: str):
    return scope.get_by_label(label_pattern(label))


def staff_actions(page):
    return page.locator("section[aria-labelledby=actions-heading]")


def staff_status(page):
    return page.locator("dt", has_text=exact(en("Status"))).locator(
        "xpath=following-sibling::dd[1]"
    )


def citizen_status(page):
    return page.locator("dl.case-summary dt", has_text=exact(en("Status"))).locator(
        "xpath=following-sibling::dd[1]"
    )


def step_form(page, transition: str):
    """A step that asks for something is its form on the staff case page (Transition.form),
    posted to the case's one transition URL: no domain page of its own."""
    form = staff_actions(page).locator(f"form[action$='/transition/{transition}/']")
    expect(form, f"the staff case page should show the form of “{transition}”").to_have_count(1)
    return form


def take_step(page, form, label: str):
    with page.expect_navigation():
        form.get_by_role("button", name=label, exact=True).click()


def fresh(model, pk):
    connection.close()  # read what the worker and the live server committed, not a snapshot
    return model.objects.get(pk=pk)


def png_file(tmp_path):
    path = tmp_path / "身份证.png"
    Image.new("RGB", (32, 20), (200, 220, 240)).save(path, format="PNG")
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def private_media(settings, tmp_path):
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def journey(personas_tx, worker, private_media):
    p = setup_assistance(personas_tx)
    citizen_household(p)
    return p


# ------------------------------------------------------------------------------ test


def test_a_dibao_application_from_the_citizen_to_the_first_payment(
    journey, contexts, live_server, tmp_path
):
    p = journey
    person = p.citizen.person

    # 1. 王秀英 logs in, opens 低保 from the home page catalogue and applies in five steps.
    citizen = contexts()
    citizen.goto("/")
    with citizen.expect_navigation():
        citizen.get_by_role("navigation", name=en("Main")).get_by_role(
            "link", name=en("Log in"), exact=True
        ).click()
    fill_login_form(citizen, p.citizen.username)
    expect(citizen).to_have_url(live_server.url + reverse("portal:home"))

    service_name = en("Minimum living allowance (低保)")
    catalogue = citizen.locator("section[aria-labelledby=catalogue-heading]")
    with citizen.expect_navigation():
        catalogue.get_by_role("link", name=re.compile(re.escape(service_name))).click()
    expect(citizen).to_have_url(re.compile(re.escape(reverse("assistance:apply-dibao")) + "$"))
    expect(citizen.locator("main h1")).to_have_text(service_name)
    assert_axe_clean(citizen, "application start")
    press(citizen, en("Start (or continue) my application"))

    app = AssistanceApplication.objects.select_related("case").get(case__applicant=person)
    case = app.case
    step_url = lambda n: reverse("assistance:application-step", args=[app.pk, n])  # noqa: E731
    reference = case.reference
    assert reference

    # Step 1: the situation.
    expect(citizen).to_have_url(re.compile(re.escape(step_url(1)) + "$"))
    main = citizen.locator("main")
    expect(main.get_by_role("table")).to_contain_text("李明")  # the grandson, from the record
    assert_axe_clean(citizen, "step 1")
    field(main, "Main cause of hardship").select_option("old_age")
    field(main, "Your situation in your own words").fill("年老体弱，独自抚养孙子，没有其他收入。")
    press(citizen, en("Save and continue"))

    # Step 2: each member's monthly income.
    expect(citizen).to_have_url(re.compile(re.escape(step_url(2)) + "$"))
    assert_axe_clean(citizen, "step 2")
    grandmother = main.get_by_role("group", name="王秀英")
    field(grandmother, en("Transfers (pensions, maintenance)")).fill("600")
    field(grandmother, en("Age allowance 高龄津贴 (not counted)")).fill("100")
    expect(field(main.get_by_role("group", name="李明"), en("Wages"))).to_have_value("0")
    press(citizen, en("Save and continue"))

    # Step 3: assets and the bank account.
    expect(citizen).to_have_url(re.compile(re.escape(step_url(3)) + "$"))
    assert_axe_clean(citizen, "step 3")
    field(main, "Savings and other financial assets (yuan)").fill("5000")
    field(main, "Motor vehicles owned").fill("0")
    field(main, "Homes owned besides the one lived in").fill("0")
    field(main, "Bank").fill("宁夏银行")
    field(main, en("Bank account number")).fill(BANK_ACCOUNT)
    press(citizen, en("Save and continue"))

    # Step 4: a photo of a proof, then continue.
    expect(citizen).to_have_url(re.compile(re.escape(step_url(4)) + "$"))
    assert_axe_clean(citizen, "step 4")
    main.get_by_label(en("Kind of document")).select_option("id_card")
    main.get_by_label(en("File"), exact=True).set_input_files(str(png_file(tmp_path)))
    press(citizen, en("Upload"))
    expect(citizen).to_have_url(re.compile(re.escape(step_url(4)) + "$"))
    expect(main.locator(".alert-success")).to_contain_text(en("Document added."))
    expect(main.get_by_role("listitem").filter(has_text="身份证.png")).to_have_count(1)
    assert case.documents.count() == 1
    press(citizen, en("Continue"))

    # Step 5: check, declare, submit.
    expect(citizen).to_have_url(re.compile(re.escape(step_url(5)) + "$"))
    expect(main.locator("dl")).to_contain_text("300.00")  # countable income per person
    expect(main.locator("dl")).to_contain_text(mask_bank_account(BANK_ACCOUNT))
    expect(main).not_to_contain_text(BANK_ACCOUNT)
    expect(main.locator(".alert-warning")).to_have_count(0)  # nothing missing
    assert_axe_clean(citizen, "step 5")
    main.get_by_role("checkbox").check()
    press(citizen, en("Submit my application"))

    my_case_url = reverse("cases:case-detail", args=[case.pk])
    expect(citizen).to_have_url(re.compile(re.escape(my_case_url) + "$"))
    expect(citizen.locator(".alert-success")).to_contain_text(reference)
    expect(citizen.locator("dl.case-summary")).to_contain_text(reference)

    # 2. The real worker screens and routes it through the queue.
    assert wait_for(lambda: fresh(Case, case.pk).state == "screened", timeout=60), (
        f"the worker did not screen the case (state: {fresh(Case, case.pk).state})"
    )
    case = fresh(Case, case.pk)
    assert case.office == p.township and case.assignee is None
    assert case.screening_outcome == "pass"

    citizen.reload()
    expect(citizen_status(citizen)).to_have_text(en("Waiting for the township office"))
    check = citizen.locator("section[aria-labelledby=check-heading]")
    expect(check).to_be_visible()
    # The explanation is kept by the worker in every language and read in the page's (the
    # citizen reads in English here): a sentence for a person, not rule names, facts or codes.
    headline = en(
        "Automatic pre-check: you appear to meet the conditions. A caseworker will now verify."
    )
    expect(check).to_contain_text(headline)
    explanation = check.inner_text()
    for technical in ("per_capita_income", "dibao_standard", "{", "%("):
        assert technical not in explanation, (technical, explanation)
    assert_axe_clean(citizen, "citizen case page, screened")

    # 3. The township caseworker takes the next case, accepts it, investigates, starts the notice.
    worker_page = contexts()
    staff_log_in(worker_page, p.caseworker.username, reverse("casework:queue-office"))
    expect(worker_page.locator("main table")).to_contain_text(reference)
    press(worker_page, en("Take the next case"))
    expect(worker_page).to_have_url(
        re.compile(re.escape(reverse("casework:case-detail", args=[case.pk])) + "$")
    )
    expect(worker_page.locator("main h1")).to_contain_text(reference)
    with worker_page.expect_navigation():
        staff_actions(worker_page).get_by_role(
            "button", name=en("Accept the application"), exact=True
        ).click()
    expect(staff_status(worker_page)).to_contain_text(en("Accepted by the township"))

    visit = step_form(worker_page, "record_investigation")
    today = timezone.localdate()
    field(visit, en("Home visit date")).fill(today.isoformat())
    field(visit, en("Findings")).fill(
        "入户核实：祖孙二人，住房简陋，无劳动收入，仅有少量转移性收入。"
    )
    field(visit, en("Neighbour interviews")).fill("邻居张大妈、社区网格员均证实情况属实。")
    take_step(worker_page, visit, en("Investigation recorded"))
    expect(staff_status(worker_page)).to_contain_text(en("Household investigated"))

    take_step(
        worker_page,
        step_form(worker_page, "start_notice"),
        en("Start the public notice"),
    )
    expect(staff_status(worker_page)).to_contain_text(en("Public notice"))
    app = fresh(AssistanceApplication, app.pk)
    assert app.case.state == "notice"
    assert app.monthly_amount == EXPECTED_AMOUNT and app.people_covered == 2
    assert app.notice_start == today and app.notice_end > today

    # 4. Anyone reads the notice: the masked name and the amount, never an identifier.
    public = contexts()
    public.goto(reverse("assistance:notices"))
    row = public.locator("main tbody tr").filter(has_text="王**")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(str(EXPECTED_AMOUNT))
    expect(row).to_contain_text(case.region.name)
    notice_text = public.locator("body").inner_text()
    for secret in (
        "王秀英",
        person.id_number,
        mask_id_number(person.id_number),
        BANK_ACCOUNT,
        mask_bank_account(BANK_ACCOUNT),
        "李明",
    ):
        assert secret not in notice_text, f"the public notice shows {secret!r}"
    assert person.id_number not in public.content()
    assert BANK_ACCOUNT not in public.content()

    # 5. Seven working days later (only this call travels in time: the live server shares the
    # process) the daily task sends the case to the county.
    after_notice = dt.datetime.combine(
        app.notice_end + dt.timedelta(days=1),
        dt.time(9, 0),
        tzinfo=ZoneInfo(django_settings.TIME_ZONE),
    )
    with time_machine.travel(after_notice, tick=False):
        moved = end_notices_task()
    assert moved == 1
    case = fresh(Case, case.pk)
    assert case.state == "county_review"
    assert case.office == p.county and case.assignee is None

    # 6. The county approver opens the case from the office queue and approves the amount.
    approver = contexts()
    staff_log_in(approver, p.approver.username, reverse("casework:queue-office"))
    with approver.expect_navigation():
        approver.locator("main table").get_by_role("link", name=reference, exact=True).click()
    expect(staff_status(approver)).to_contain_text(en("Awaiting county approval"))
    expect(approver.locator("main")).to_contain_text(p.county.name)
    decision = step_form(approver, "approve")
    # The amount the decision fixes is shown before the approver decides.
    expect(field(decision, en("Amount (yuan) under today's parameters"))).to_have_value(
        en("%(amount)s a month for %(n)s people") % {"amount": EXPECTED_AMOUNT, "n": 2}
    )
    take_step(approver, decision, en("Approve"))
    expect(approver.locator(".alert-success")).to_contain_text(
        en("Done: %(action)s.") % {"action": en("Approve")}
    )
    expect(staff_status(approver)).to_contain_text(en("Approved, in payment"))

    # 7. 王秀英 sees the decision, the amount and her first payment, next month.
    today = timezone.localdate()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    citizen.reload()
    expect(citizen_status(citizen)).to_have_text(en("Approved"))
    details = citizen.locator("section[aria-labelledby=details-heading]")
    expect(details).to_contain_text(str(EXPECTED_AMOUNT))
    expect(
        details.locator("dt", has_text=exact(en("Paid from"))).locator(
            "xpath=following-sibling::dd[1]"
        )
    ).to_have_text(next_month.strftime("%Y-%m"))
    payments = details.get_by_role("table", name=en("Payments"))
    rows = payments.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(
        [next_month.strftime("%Y-%m"), str(EXPECTED_AMOUNT), en("Scheduled")]
    )
    assert_axe_clean(citizen, "citizen case page, approved")
