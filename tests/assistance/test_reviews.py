"""The periodic review records what changed (issue #16, item 4): it collects each member's
income and the assets again (pre-filled with what the amount follows now), applies the rules
in force, recalculates the amount and puts it on the ledger from next month, in a review of its
own: the home-visit findings stay as they were and the case page shows both. A household that
no longer qualifies is refused on the form, nothing saved. Before, the review only wrote
findings over the investigation's and recomputed the amount from the old figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from assistance import actions
from assistance.forms import ReviewForm
from assistance.models import AssistanceApplication, HouseholdEconomy, IncomeKind, Review
from civilaffairs.benefits.actions import do_schedule_month
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.casework.actions import StepInvalid, do_transition
from civilaffairs.casework.forms import step_form
from civilaffairs.casework.models import Case, Screening
from civilaffairs.lib.months import first_of_next_month
from civilaffairs.people.models import Region
from civilaffairs.rules.actions import do_set_parameter
from tests.auth import sign_in
from tests.pages import page_text

from .test_process import approved_dibao

pytestmark = pytest.mark.django_db

FINDINGS = "复核入户：孙子已开始打零工，每月约 300 元。"
STEP = "t-complete_review-"


def under_review(p, household):
    app = approved_dibao(p, household)
    assert app.monthly_amount == Decimal("1100.00")  # (850 − 600/2) × 2
    actions.do_start_due_reviews(today=app.next_review_on)
    app = AssistanceApplication.objects.get(pk=app.pk)
    assert app.case.state == "review"
    return app


def members(app):
    head, grandson = (m.person for m in app.case.household.current_members().order_by("relation"))
    return head, grandson


def test_a_review_with_a_new_income_recalculates_from_next_month_and_keeps_the_investigation(
    assistance_setup, household
):
    p = assistance_setup
    app = under_review(p, household)
    visit_date, findings = app.visit_date, app.findings
    head, grandson = members(app)
    app = actions.do_complete_review(
        app,
        acting_user=p.caseworker,
        findings=FINDINGS,
        incomes={grandson: {IncomeKind.WAGES: Decimal("300")}},
    )
    # (850 − (600 + 300) / 2) × 2 = 800.
    assert app.monthly_amount == Decimal("800.00")
    assert app.case.state == "approved"
    # The investigation is intact; the review is kept beside it.
    assert (app.visit_date, app.findings) == (visit_date, findings)
    review = Review.objects.get(application=app)
    assert review.findings == FINDINGS and review.reviewed_on == timezone.localdate()
    assert (review.amount_before, review.amount_after) == (Decimal("1100.00"), Decimal("800.00"))
    assert review.monthly_income == Decimal("900.00") and review.members == 2
    assert review.screening_outcome == "pass" and review.reviewed_by == p.caseworker
    assert {(i.person_id, i.kind, i.monthly_amount) for i in review.incomes.all()} == {
        (head.pk, "transfer", Decimal("600.00")),
        (grandson.pk, "wages", Decimal("300.00")),
    }
    # What the amount follows from now on; the declared incomes are still the application's.
    assert app.per_capita_income() == Decimal("450.00")
    assert app.countable_monthly_income() == Decimal("600.00")
    economy = HouseholdEconomy.objects.get(household=household)
    assert economy.per_capita_income == Decimal("450.00") and economy.verified
    # The rules in force were applied again, and kept with the case.
    screening = Screening.objects.filter(case=app.case).first()
    assert screening.reason == "review" and screening.facts["per_capita_income"] == "450.00"
    assert Case.objects.get(pk=app.case.pk).screening_outcome == "pass"
    # The ledger pays the new amount from next month; this month keeps the decided amount.
    entitlement = Entitlement.objects.get(case=app.case)
    assert entitlement.monthly_amount == Decimal("800.00")
    next_month = first_of_next_month(timezone.localdate())
    do_schedule_month(next_month)
    payment = Payment.objects.get(entitlement=entitlement, month=next_month)
    assert payment.amount == Decimal("800.00")
    # The timeline tells the household the new amount.
    event = app.case.events.filter(transition="complete_review").get()
    assert event.public and "800.00" in event.message and "1100.00" in event.message


def test_the_review_form_starts_from_the_current_incomes_and_assets(assistance_setup, household):
    p = assistance_setup
    app = under_review(p, household)
    head, grandson = members(app)
    t = app.case.workflow.transitions["complete_review"]
    form = step_form(t, app.case, user=p.caseworker)
    assert isinstance(form, ReviewForm)
    assert [row["person"] for row in form.rows] == [head, grandson]  # one row per member
    assert form[f"m{head.pk}_transfer"].value() == Decimal("600.00")
    assert form[f"m{grandson.pk}_wages"].value() == Decimal("0.00")
    assert form["financial_assets"].value() == Decimal("5000.00")
    assert form["reviewed_on"].value() == timezone.localdate()
    # After a review, the next one starts from what that review found.
    actions.do_complete_review(
        app,
        acting_user=p.caseworker,
        findings=FINDINGS,
        incomes={grandson: {IncomeKind.WAGES: Decimal("300")}},
        assets={"financial_assets": Decimal("2000")},
    )
    app = AssistanceApplication.objects.get(pk=app.pk)
    actions.do_start_due_reviews(today=app.next_review_on)
    form = step_form(t, Case.objects.get(pk=app.case.pk), user=p.caseworker)
    assert form[f"m{grandson.pk}_wages"].value() == Decimal("300.00")
    assert form["financial_assets"].value() == Decimal("2000.00")


def test_a_household_that_no_longer_qualifies_is_refused_and_nothing_is_saved(
    assistance_setup, household
):
    p = assistance_setup
    app = under_review(p, household)
    head, grandson = members(app)
    with override("zh-hans"), pytest.raises(StepInvalid) as exc:
        actions.do_complete_review(
            app,
            acting_user=p.caseworker,
            findings=FINDINGS,
            incomes={grandson: {IncomeKind.WAGES: Decimal("2000")}},
        )
    text = " ".join(exc.value.form.non_field_errors())
    assert "暂停" in text and "终止" in text  # suspend or terminate instead
    assert "1300.00" in text  # the figure the rules found: (600 + 2000) / 2
    app = AssistanceApplication.objects.get(pk=app.pk)
    assert app.case.state == "review" and app.monthly_amount == Decimal("1100.00")
    assert not Review.objects.exists()
    assert Entitlement.objects.get(case=app.case).monthly_amount == Decimal("1100.00")
    # The caseworker suspends instead (the existing step).
    do_transition(app.case, "suspend", acting_user=p.caseworker, reason="收入已超过标准，待核实")
    assert Case.objects.get(pk=app.case.pk).state == "suspended"


def test_the_review_applies_the_parameters_in_force_today(assistance_setup, household):
    p = assistance_setup
    app = under_review(p, household)
    today = timezone.localdate()
    do_set_parameter(
        acting_user=p.admin,
        key="dibao_standard",
        region=Region.objects.get(code="640100"),
        value=Decimal("900"),
        valid_from=today,
    )
    app = actions.do_complete_review(app, acting_user=p.caseworker, findings="情况未变。")
    assert app.monthly_amount == Decimal("1200.00")  # (900 − 300) × 2
    review = Review.objects.get(application=app)
    assert (review.amount_before, review.amount_after) == (Decimal("1100.00"), Decimal("1200.00"))


def review_post(app, **values):
    head, grandson = members(app)
    data = {
        "reviewed_on": timezone.localdate().isoformat(),
        "findings": FINDINGS,
        "financial_assets": "5000",
        "vehicles": "0",
        "extra_housing": "0",
        f"m{head.pk}_transfer": "600",
        f"m{grandson.pk}_wages": "300",
    }
    data.update(values)
    return {STEP + k: v for k, v in data.items()}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"extra_housing": "-1"}, "数量不能为负数"),
        ({"reviewed_on": "2999-01-01"}, "复核日期不能晚于今天"),
        ({"findings": ""}, "请填写复查结果"),
        ({"financial_assets": "很多"}, "输入一个数字"),
    ],
)
def test_bad_input_is_shown_on_the_form_in_the_users_language_and_nothing_is_saved(
    client, assistance_setup, household, bad, message
):
    p = assistance_setup
    app = under_review(p, household)
    sign_in(client, p.caseworker)
    head, grandson = members(app)
    url = reverse("casework:case-transition", args=[app.case.pk, "complete_review"])
    response = client.post(url, review_post(app, **bad))
    assert response.status_code == 400
    assert message in page_text(response, 400)
    assert not Review.objects.exists()
    assert Case.objects.get(pk=app.case.pk).state == "review"


def test_a_negative_income_is_refused_on_its_row(client, assistance_setup, household):
    p = assistance_setup
    app = under_review(p, household)
    sign_in(client, p.caseworker)
    head, grandson = members(app)
    url = reverse("casework:case-transition", args=[app.case.pk, "complete_review"])
    response = client.post(url, review_post(app, **{f"m{grandson.pk}_wages": "-5"}))
    assert response.status_code == 400
    assert "收入不能为负数" in page_text(response, 400)
    assert not Review.objects.exists()


def test_another_county_gets_404_and_someone_without_the_role_is_refused(
    client, assistance_setup, household
):
    p = assistance_setup
    app = under_review(p, household)
    url = reverse("casework:case-transition", args=[app.case.pk, "complete_review"])
    sign_in(client, p.other_caseworker)
    assert client.post(url, review_post(app)).status_code == 404
    client.logout()
    sign_in(client, p.approver)  # sees the case, does not hold the caseworker's role
    response = client.post(url, review_post(app), follow=True)
    assert response.redirect_chain[-1][0] == reverse("casework:case-detail", args=[app.case.pk])
    assert "您无权对此办件执行此操作" in page_text(response)
    sign_in(client, p.citizen)  # not staff at all: the staff pages refuse, they do not hide
    assert client.post(url, review_post(app)).status_code == 403
    assert not Review.objects.exists()
    assert Case.objects.get(pk=app.case.pk).state == "review"


def test_the_case_page_shows_every_review_beside_the_investigation_without_n_plus_one(
    client, assistance_setup, household, django_assert_num_queries
):
    p = assistance_setup
    app = under_review(p, household)
    head, grandson = members(app)
    actions.do_complete_review(
        app,
        acting_user=p.caseworker,
        findings=FINDINGS,
        incomes={grandson: {IncomeKind.WAGES: Decimal("300")}},
    )
    sign_in(client, p.caseworker)
    url = reverse("casework:case-detail", args=[app.case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        page = page_text(client.get(url))
    assert "家中确无劳动力，孙子在读小学。" in page  # the investigation, intact
    assert FINDINGS in page and "1100.00 → 800.00" in page
    # Two more reviews cost no more queries.
    for wages in ("400", "500"):
        app = AssistanceApplication.objects.get(pk=app.pk)
        actions.do_start_due_reviews(today=app.next_review_on)
        actions.do_complete_review(
            app,
            acting_user=p.caseworker,
            findings=f"复核：孙子月收入 {wages} 元。",
            reviewed_on=timezone.localdate() - dt.timedelta(days=1),
            incomes={grandson: {IncomeKind.WAGES: Decimal(wages)}},
        )
    with django_assert_num_queries(len(one.captured_queries)):
        page = page_text(client.get(url))
    assert "复核：孙子月收入 500 元。" in page and "800.00 → 700.00" in page
    assert "700.00 → 600.00" in page
