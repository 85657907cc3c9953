"""An objection to a public notice, walked to its end in real browsers (issue #16, item 1):
a neighbour objects on the public notice page (in Chinese) and leaves an e-mail address; the
township caseworker (in Chinese) reads the objection on the case page, investigates, records
the finding and the answer, and puts the household on a new notice; the answer reaches the
neighbour by e-mail; when the new notice is over the county approver (in English) approves.
Before, nothing could resolve the objection and the case was blocked for good."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assistance.forms import ObjectionFindingForm, ObjectionForm
from assistance.models import AssistanceApplication, Objection
from assistance.tasks import end_notices_task
from civilaffairs.accounts.forms import LoginForm
from civilaffairs.casework.models import Case
from tests.assistance.conftest import citizen_household, setup_assistance
from tests.assistance.test_process import submitted_dibao, walk_to_county
from tests.auth import pass_second_factor
from tests.factories import PASSWORD

from .conftest import field, label_of, label_pattern, t
from .test_assistance_journey import (
    fresh,
    step_form,
    take_step,
)

pytestmark = [pytest.mark.browser]

ZH, EN = "zh-hans", "en"
OBJECTION = "该户在村口经营一家小卖部，收入没有申报。"


def test_an_objection_is_answered_and_the_case_goes_on_to_approval(contexts, personas_tx):
    p = setup_assistance(personas_tx)
    household = citizen_household(p)
    app = walk_to_county(p, submitted_dibao(p, household))
    case = app.case
    assert case.state == "notice"
    first_end = app.notice_end

    # 1. A neighbour objects on the public notice page and leaves an e-mail address.
    neighbour = contexts(ZH)
    neighbour.goto(reverse("assistance:notices"))
    with neighbour.expect_navigation():
        neighbour.locator("main tbody tr").filter(has_text="王**").get_by_role("link").click()
    field(neighbour, ObjectionForm, "text", ZH).fill(OBJECTION)
    field(neighbour, ObjectionForm, "contact", ZH).fill("zhang")
    with neighbour.expect_navigation():
        neighbour.get_by_role("button", name=t("Send the objection", ZH)).click()
    expect(neighbour.locator("main")).to_contain_text(
        t("Please give a phone number or an e-mail address, or leave this empty.", ZH)
    )
    field(neighbour, ObjectionForm, "contact", ZH).fill("neighbour@example.cn")
    with neighbour.expect_navigation():
        neighbour.get_by_role("button", name=t("Send the objection", ZH)).click()
    expect(neighbour.locator(".alert-success")).to_contain_text(
        t("Thank you. Your objection was received and will be looked into.", ZH)
    )
    assert fresh(Case, case.pk).state == "objection"

    # 2. The caseworker reads it on the case page and records the new investigation, the
    # finding and the answer.
    worker = contexts(ZH)
    page_url = reverse("casework:case-detail", args=[case.pk])
    staff_log_in(worker, p.caseworker.username, page_url, ZH)
    expect(staff_status(worker, ZH)).to_contain_text(t("Objection to investigate", ZH))
    form = step_form(worker, "resolve_objection")
    expect(form).to_contain_text(OBJECTION)
    expect(form).to_contain_text("neighbour@example.cn")
    today = timezone.localdate()
    field(form, ObjectionFindingForm, "visit_date", ZH).fill(today.isoformat())
    field(form, ObjectionFindingForm, "findings", ZH).fill(
        "再次入户并走访村委会：小卖部系邻居所开，与申请家庭无关。"
    )
    form.get_by_label(t("Not upheld", ZH), exact=True).check()
    field(form, ObjectionFindingForm, "reasons", ZH).fill(
        "经核实，小卖部经营者为邻户，异议不成立。"
    )
    take_step(worker, form, t("Record the finding on the objection", ZH))
    # The answer is required when a contact was left: the form comes back, nothing lost.
    expect(worker.locator("main")).to_contain_text(
        t("The objector left a contact: say how they were answered.", ZH)
    )
    form = step_form(worker, "resolve_objection")
    expect(field(form, ObjectionFindingForm, "reasons", ZH)).to_have_value(
        "经核实，小卖部经营者为邻户，异议不成立。"
    )
    field(form, ObjectionFindingForm, "answered_by", ZH).select_option("email")
    field(form, ObjectionFindingForm, "answer", ZH).fill(
        "您好，经重新调查核实，小卖部经营者为邻户，与申请家庭无关，异议不成立。"
    )
    take_step(worker, form, t("Record the finding on the objection", ZH))
    expect(staff_status(worker, ZH)).to_contain_text(t("Household investigated", ZH))
    objections = worker.locator("main").get_by_role(
        "heading", name=t("Objections to the public notice", ZH)
    )
    expect(objections).to_have_count(1)
    expect(worker.locator("main")).to_contain_text(t("Not upheld", ZH))
    # The answer went out by e-mail, in the language the neighbour objected in.
    objection = Objection.objects.get()
    assert objection.answered_at is not None and objection.finding == "not_upheld"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["neighbour@example.cn"]
    assert "异议不成立" in mail.outbox[0].body and "核实结论：不成立" in mail.outbox[0].body

    # 3. The household goes on a new notice.
    take_step(worker, step_form(worker, "start_notice"), t("Start the public notice", ZH))
    expect(staff_status(worker, ZH)).to_contain_text(t("Public notice", ZH))
    app = fresh(AssistanceApplication, app.pk)
    assert app.notice_start == today and app.notice_end >= first_end

    # 4. After the new notice the county approver (in English) approves.
    after = dt.datetime.combine(
        app.notice_end + dt.timedelta(days=1),
        dt.time(9),
        tzinfo=ZoneInfo(django_settings.TIME_ZONE),
    )
    with time_machine.travel(after, tick=False):
        assert end_notices_task() == 1
    approver = contexts(EN)
    staff_log_in(approver, p.approver.username, page_url, EN)
    expect(staff_status(approver, EN)).to_contain_text(t("Awaiting county approval", EN))
    expect(approver.locator("main")).to_contain_text(t("Objections to the public notice", EN))
    expect(approver.locator("main")).to_contain_text(t("Not upheld", EN))
    take_step(approver, step_form(approver, "approve"), t("Approve", EN))
    expect(staff_status(approver, EN)).to_contain_text(t("Approved, in payment", EN))
    assert fresh(Case, case.pk).state == "approved"

    # 5. The applicant (in Chinese) sees the approval.
    citizen = contexts(ZH)
    citizen.goto(reverse("accounts:login"))
    log_in(citizen, p.citizen.username)
    citizen.goto(reverse("cases:case-detail", args=[case.pk]))
    expect(citizen.locator("main")).to_contain_text(t("Approved", ZH))
    expect(citizen.locator("main")).to_contain_text(case.reference)
    # Her timeline says the household was checked again and what was found, never who objected.
    expect(citizen.locator("main")).to_contain_text("异议已调查核实，结论：不成立。")
    assert "neighbour@example.cn" not in citizen.content()


def log_in(page, username, language=ZH):
    page.get_by_label(label_pattern(label_of(LoginForm, "username", language))).fill(username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password", language))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t("Log in", language), exact=True).click()


def staff_status(page, language):
    label = re.compile(rf"^\s*{re.escape(t('Status', language))}\s*$")
    return page.locator("dt", has_text=label).locator("xpath=following-sibling::dd[1]")


def staff_log_in(page, username, landing, language):
    page.goto(landing)
    log_in(page, username, language)
    pass_second_factor(page, username)
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))
