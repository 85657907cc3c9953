"""A periodic review with a new income, walked to its end in real browsers (issue #16, item 4):
the township caseworker (in Chinese) opens the review on the case page, finds each member's
income pre-filled, first records an income too high (the form says the household no longer
qualifies and nothing is saved), then the grandson's real new wage; the new amount shows on
the staff page beside the untouched home-visit findings, and the applicant (in English) sees
the new monthly amount on her page. Before, the review had no income to record and overwrote
the home visit's findings."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assistance import actions
from assistance.forms import ReviewForm
from assistance.models import AssistanceApplication, IncomeKind, Review
from civilaffairs.casework.models import Case
from tests.assistance.conftest import citizen_household, setup_assistance
from tests.assistance.test_process import approved_dibao

from .conftest import label_of, label_pattern, t
from .test_assistance_journey import fresh, step_form, take_step
from .test_assistance_objection import (
    EN,
    ZH,
    log_in,
    staff_log_in,
    staff_status,
)

pytestmark = [pytest.mark.browser]

FINDINGS = "复核入户：孙子李明已参加工作，每月工资约 300 元。"
INVESTIGATION = "家中确无劳动力，孙子在读小学。"


def income_field(form, name, kind, language):
    label = t("%(name)s: %(kind)s", language) % {"name": name, "kind": t(kind.label, language)}
    return form.get_by_label(label, exact=True)


def test_a_review_with_a_new_income_gives_a_new_amount_the_applicant_sees(
    contexts,  # noqa: F811 (the fixture imported above)
    personas_tx,
):
    p = setup_assistance(personas_tx)
    app = approved_dibao(p, citizen_household(p))
    assert app.monthly_amount == Decimal("1100.00")
    actions.do_start_due_reviews(today=app.next_review_on)
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "review"

    # 1. The caseworker opens the review: one row per member, pre-filled.
    worker = contexts(ZH)
    page_url = reverse("casework:case-detail", args=[case.pk])
    staff_log_in(worker, p.caseworker.username, page_url, ZH)
    expect(staff_status(worker, ZH)).to_contain_text(t("Periodic review", ZH))
    form = step_form(worker, "complete_review")
    expect(form.locator("table.review-incomes tbody tr")).to_have_count(2)
    expect(income_field(form, "王秀英", IncomeKind.TRANSFER, ZH)).to_have_value("600.00")
    grandson_wages = income_field(form, "李明", IncomeKind.WAGES, ZH)
    expect(grandson_wages).to_have_value("0.00")

    # 2. An income above the standard: the form says so, nothing is saved.
    grandson_wages.fill("2000")
    form.get_by_label(label_pattern(label_of(ReviewForm, "findings", ZH))).fill(FINDINGS)
    take_step(worker, form, t("Review done: continue", ZH))
    expect(worker.locator("main")).to_contain_text("按现行规则，该户已不再符合条件")
    assert not Review.objects.exists() and fresh(Case, case.pk).state == "review"

    # 3. The real new wage: the amount is recalculated.
    form = step_form(worker, "complete_review")
    expect(form.get_by_label(label_pattern(label_of(ReviewForm, "findings", ZH)))).to_have_value(
        FINDINGS
    )
    income_field(form, "李明", IncomeKind.WAGES, ZH).fill("300")
    take_step(worker, form, t("Review done: continue", ZH))
    expect(staff_status(worker, ZH)).to_contain_text(t("Approved, in payment", ZH))
    main = worker.locator("main")
    expect(main).to_contain_text(t("Periodic reviews", ZH))
    expect(main.locator(".reviews .review-amount")).to_have_text(
        re.compile(r"1100\.00\s*→\s*800\.00")
    )
    expect(main).to_contain_text(FINDINGS)
    expect(main).to_contain_text(INVESTIGATION)  # the home visit's findings, intact
    app = fresh(AssistanceApplication, app.pk)
    assert app.monthly_amount == Decimal("800.00") and app.findings == INVESTIGATION

    # 4. The applicant (in English) sees the new monthly amount.
    citizen = contexts(EN)
    citizen.goto(reverse("accounts:login"))
    log_in(citizen, p.citizen.username, EN)
    citizen.goto(reverse("cases:case-detail", args=[case.pk]))
    amount = citizen.locator("dt", has_text=t("Monthly amount (yuan)", EN)).locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(amount).to_have_text("800.00")
    expect(citizen.locator("main")).to_contain_text(t("Approved", EN))
