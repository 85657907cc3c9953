"""临时救助 follows its own process (issue #16, item 5): no public notice; the township sets
the amount within the configured range (2–6 × the monthly 低保 standard here) and says why;
the township approves up to its limit (3000 yuan here), the county above; in a sudden
emergency the township pays first and the case stays open until the papers are in and a
reviewer confirms (or records it as not confirmed); paid once through the benefits ledger.
Before, temporary assistance went through the 7-day notice and always paid 3 × the standard."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from assistance import actions
from assistance.models import AssistanceApplication, linshi_citizen_steps
from civilaffairs.accounts.models import StaffRole
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.casework.actions import (
    StepInvalid,
    do_claim_next,
    do_screen_and_route,
    do_transition,
)
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text

from .conftest import fill_dibao

pytestmark = pytest.mark.django_db

WHY = "住院自付费用约 8000 元，家庭无积蓄，按 3 倍标准救助。"
FOUND = "核对了住院发票和费用清单，情况属实。"


@pytest.fixture
def town_approver(assistance_setup):
    return staff("town_approver", "640104001", StaffRole.Role.APPROVER)


def accepted_linshi(p, household, emergency_type="expenditure"):
    app = actions.do_start_application("linshi", acting_user=p.citizen, person=p.citizen.person)
    fill_dibao(app, p.citizen)
    actions.do_save_draft(
        app, acting_user=p.citizen, emergency_type=emergency_type, expense_amount=Decimal("8000")
    )
    actions.do_submit_application(app, acting_user=p.citizen)
    do_screen_and_route(app.case.pk)
    case = do_claim_next(acting_user=p.caseworker)
    assert case.pk == app.case.pk and case.office == p.township
    do_transition(case, "accept", acting_user=p.caseworker)
    return AssistanceApplication.objects.get(pk=app.pk)


def amount(value, **extra):
    return {"findings": FOUND, "amount": value, "justification": WHY, **extra}


def test_temporary_assistance_has_no_public_notice_and_pays_the_amount_set(
    assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household)
    steps = {t.name for t in app.case.workflow.transitions_from(app.case.state)}
    assert "propose_amount" in steps
    assert "start_notice" not in app.case.workflow.transitions
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("2550"))
    case = Case.objects.get(pk=app.case.pk)
    # Up to the township's limit, the township decides: the case stays there, in its queue.
    assert case.state == "approval" and case.office == p.township and case.assignee is None
    do_transition(case, "approve", acting_user=town_approver)
    app = AssistanceApplication.objects.get(pk=app.pk)
    assert app.case.state == "granted" and app.case.outcome == "approved"
    assert app.case.closed_at is not None and app.notice_start is None
    assert app.one_off_amount == Decimal("2550.00") and app.justification == WHY
    entitlement = Entitlement.objects.get(case=app.case)
    assert entitlement.kind == Entitlement.Kind.ONE_OFF
    assert entitlement.program == "assistance.linshi"
    payment = Payment.objects.get(entitlement=entitlement)
    assert payment.amount == Decimal("2550.00")
    assert payment.month == timezone.localdate().replace(day=1)


def test_the_amount_is_what_the_caseworker_sets_not_three_times_the_standard(
    assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("1800"))
    do_transition(app.case, "approve", acting_user=p.approver)  # the county may decide too
    payment = Payment.objects.get(entitlement__case=app.case)
    assert payment.amount == Decimal("1800.00")  # not 3 × 850 = 2550


@pytest.mark.parametrize("value", ["1699.99", "5100.01"])
def test_an_amount_outside_the_range_is_refused_on_the_field(assistance_setup, household, value):
    p = assistance_setup
    app = accepted_linshi(p, household)
    with pytest.raises(StepInvalid) as exc:
        do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount(value))
    errors = exc.value.form.errors
    assert "1700.00" in errors["amount"][0] and "5100.00" in errors["amount"][0]
    app = AssistanceApplication.objects.get(pk=app.pk)
    assert app.case.state == "accepted" and app.one_off_amount == 0 and not app.justification


def test_a_justification_is_required(assistance_setup, household):
    p = assistance_setup
    app = accepted_linshi(p, household)
    with pytest.raises(StepInvalid) as exc:
        do_transition(
            app.case,
            "propose_amount",
            acting_user=p.caseworker,
            values=amount("2000", justification=" "),
        )
    assert "justification" in exc.value.form.errors
    assert Case.objects.get(pk=app.case.pk).state == "accepted"


def test_above_the_township_limit_only_the_county_approves(
    assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("4250"))
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "approval" and case.office == p.county
    for user in (town_approver, p.caseworker, p.other_approver):
        with pytest.raises(PermissionDenied):
            do_transition(case, "approve", acting_user=user)
    # The county sends it back to change the amount; the township proposes again.
    do_transition(case, "send_back", acting_user=p.approver, reason="请核实是否有医保二次报销。")
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "accepted" and case.office == p.township
    do_claim_next(acting_user=p.caseworker)
    do_transition(case, "propose_amount", acting_user=p.caseworker, values=amount("4000"))
    do_transition(case, "approve", acting_user=p.approver)
    assert Payment.objects.get(entitlement__case=case).amount == Decimal("4000.00")


def test_the_range_and_the_limit_are_parameters(assistance_setup, household, town_approver):
    from civilaffairs.people.models import Region
    from civilaffairs.rules.actions import do_set_parameter
    from civilaffairs.rules.models import Program

    p = assistance_setup
    today = timezone.localdate()
    linshi = Program.objects.get(code="linshi")
    for key, value in (("linshi_max_multiple", "8"), ("linshi_township_limit", "5000")):
        do_set_parameter(
            acting_user=p.admin,
            key=key,
            region=Region.objects.get(code="640100"),
            value=Decimal(value),
            valid_from=today,
            program=linshi,
        )
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("4500"))
    case = Case.objects.get(pk=app.case.pk)
    assert case.office == p.township  # under the new township limit
    do_transition(case, "approve", acting_user=town_approver)
    assert Payment.objects.get(entitlement__case=case).amount == Decimal("4500.00")


def test_an_emergency_is_paid_first_and_confirmed_once_the_papers_are_in(
    assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household, emergency_type="emergency")
    do_transition(app.case, "pay_first", acting_user=p.caseworker, values=amount("2000"))
    app = AssistanceApplication.objects.get(pk=app.pk)
    case = app.case
    assert case.state == "paid_first" and case.closed_at is None and case.outcome == "approved"
    assert app.paid_first_on == timezone.localdate() and app.paid_first_by == p.caseworker
    payment = Payment.objects.get(entitlement__case=case)
    assert payment.amount == Decimal("2000.00") and payment.status == Payment.Status.SCHEDULED
    # The papers: a scan on the case first, then the step.
    with pytest.raises(ValidationError):
        do_transition(case, "papers_in", acting_user=p.caseworker, values={"papers": "住院发票"})
    do_add_document(case, _pdf(), "other", acting_user=p.caseworker)
    do_transition(case, "papers_in", acting_user=p.caseworker, values={"papers": "住院发票"})
    case = Case.objects.get(pk=case.pk)
    assert case.state == "papers_in" and case.office == p.county
    # The one who paid does not confirm; a reviewer or approver does.
    with pytest.raises(PermissionDenied):
        do_transition(case, "confirm", acting_user=p.caseworker)
    do_transition(case, "confirm", acting_user=p.approver)
    case = Case.objects.get(pk=case.pk)
    assert case.state == "granted" and case.closed_at is not None
    assert Payment.objects.filter(entitlement__case=case).count() == 1  # paid once


def test_paid_first_and_not_confirmed_is_recorded_with_its_reason(
    assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household, emergency_type="emergency")
    do_transition(app.case, "pay_first", acting_user=town_approver, values=amount("1700"))
    with pytest.raises(StepInvalid):
        do_transition(app.case, "not_confirmed", acting_user=p.approver)  # a reason is required
    do_transition(
        app.case, "not_confirmed", acting_user=p.approver, reason="三个月内未补交任何材料。"
    )
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "not_confirmed" and case.outcome == "refused"
    assert case.outcome_reason == "三个月内未补交任何材料。"


def test_only_an_emergency_is_paid_first_and_only_up_to_the_township_limit(
    assistance_setup, household
):
    p = assistance_setup
    app = accepted_linshi(p, household, emergency_type="expenditure")
    with pytest.raises(PermissionDenied):
        do_transition(app.case, "pay_first", acting_user=p.caseworker, values=amount("2000"))
    AssistanceApplication.objects.filter(pk=app.pk).update(emergency_type="emergency")
    with pytest.raises(StepInvalid) as exc:
        do_transition(app.case, "pay_first", acting_user=p.caseworker, values=amount("3500"))
    assert "3000.00" in exc.value.form.errors["amount"][0]
    assert Case.objects.get(pk=app.case.pk).state == "accepted"
    assert not Entitlement.objects.exists()


def _pdf():
    from tests.casework.conftest import pdf_upload

    return pdf_upload("bill.pdf")


def test_bad_input_on_the_page_is_shown_in_the_users_language_and_nothing_is_saved(
    client, assistance_setup, household
):
    p = assistance_setup
    app = accepted_linshi(p, household)
    sign_in(client, p.caseworker)
    url = reverse("casework:case-transition", args=[app.case.pk, "propose_amount"])
    step = "t-propose_amount-"
    for bad, message in (
        ({"amount": "九千"}, "输入一个数字"),
        ({"amount": "9000"}, "金额须在 1700.00 至 5100.00 元之间"),
        ({"amount": "-3"}, "金额必须大于 0"),
        ({"justification": ""}, "请说明为什么是这个金额"),
    ):
        data = {step + k: v for k, v in {**amount("2000"), **bad}.items()}
        response = client.post(url, data)
        assert response.status_code == 400
        assert message in page_text(response, 400)
    app = AssistanceApplication.objects.get(pk=app.pk)
    assert app.case.state == "accepted" and app.one_off_amount == 0


def test_each_new_step_is_404_to_another_county_and_refused_without_the_role(
    client, assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household, emergency_type="emergency")
    case = app.case
    steps = ["propose_amount", "pay_first", "approve", "send_back", "papers_in", "confirm"]
    sign_in(client, p.other_caseworker)
    for name in steps + ["not_confirmed"]:
        url = reverse("casework:case-transition", args=[case.pk, name])
        assert client.post(url, {}).status_code == 404
    client.logout()
    sign_in(client, p.other_approver)
    for name in ("approve", "confirm", "not_confirmed", "refuse"):
        url = reverse("casework:case-transition", args=[case.pk, name])
        assert client.post(url, {}).status_code == 404
    client.logout()
    # Without the role (an approver cannot set the amount, a caseworker cannot approve).
    sign_in(client, p.approver)
    url = reverse("casework:case-transition", args=[case.pk, "propose_amount"])
    step = "t-propose_amount-"
    response = client.post(url, {step + k: v for k, v in amount("2000").items()}, follow=True)
    assert "您无权对此办件执行此操作" in page_text(response)
    client.logout()
    do_transition(case, "propose_amount", acting_user=p.caseworker, values=amount("2000"))
    sign_in(client, p.caseworker)
    url = reverse("casework:case-transition", args=[case.pk, "approve"])
    assert "您无权对此办件执行此操作" in page_text(client.post(url, {}, follow=True))
    assert Case.objects.get(pk=case.pk).state == "approval"
    assert not Entitlement.objects.exists()


def test_the_citizen_page_shows_the_steps_in_plain_words(
    client, assistance_setup, household, town_approver
):
    p = assistance_setup
    app = accepted_linshi(p, household)
    sign_in(client, p.citizen)
    url = reverse("cases:case-detail", args=[app.case.pk])
    page = page_text(client.get(url))
    assert "乡镇（街道）经办机构核实您的情况" in page
    assert "公示" not in page
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("2550"))
    do_transition(app.case, "approve", acting_user=town_approver)
    client.cookies["lang"] = "en"
    page = page_text(client.get(url))
    assert "The help is paid once, to your bank account" in page
    assert "2550.00" in page


def test_the_steps_of_the_emergency_way():
    steps = linshi_citizen_steps("papers_in", paid_first=True)
    assert [s["status"] for s in steps] == ["done", "done", "current", "todo"]
    assert [s["status"] for s in linshi_citizen_steps("granted", paid_first=False)] == ["done"] * 4
    assert linshi_citizen_steps("withdrawn", paid_first=False) == []


def test_a_caseworker_may_not_approve_even_a_small_amount(assistance_setup, household):
    p = assistance_setup
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("2000"))
    with pytest.raises(PermissionDenied):
        do_transition(app.case, "approve", acting_user=p.caseworker)
    assert dt.date.today()  # the case waits for an approver


@pytest.mark.django_db(transaction=True)
def test_existing_temporary_assistance_cases_are_moved_out_of_states_the_new_process_lacks(
    personas_tx,
):
    """Cases left in the 低保 states (on notice, awaiting the county, approved and open) are
    moved to where the new process goes on, each with a timeline entry; the rest stay."""
    from tests.assistance.conftest import citizen_household, setup_assistance
    from tests.migrations import migrate

    p = setup_assistance(personas_tx)
    citizen_household(p)
    app = accepted_linshi(p, None)
    case = app.case
    try:
        migrate("assistance", "0006_reviews_and_temporary_assistance")
        moves = {}
        for state in ("notice", "county_review", "approved", "accepted"):
            Case.objects.filter(pk=case.pk).update(state=state)
            AssistanceApplication.objects.filter(pk=app.pk).update(
                notice_start=dt.date(2026, 12, 1), notice_end=dt.date(2026, 12, 10)
            )
            migrate("assistance", "0006_reviews_and_temporary_assistance")
            migrate()
            moved = Case.objects.get(pk=case.pk)
            moves[state] = (moved.state, moved.closed_at is not None)
            Case.objects.filter(pk=case.pk).update(state="accepted", closed_at=None)
            migrate("assistance", "0006_reviews_and_temporary_assistance")
    finally:
        migrate()
    assert moves == {
        "notice": ("accepted", False),
        "county_review": ("approval", False),
        "approved": ("granted", True),
        "accepted": ("accepted", False),
    }
    assert case.events.filter(transition="migrated").count() == 3
    assert AssistanceApplication.objects.get(pk=app.pk).notice_start is None


def test_help_for_a_large_expense_asks_for_the_expense(assistance_setup, household):
    """Left blank, the expense was saved as 0.00 and shown to staff as "· 0.00 元" (found
    walking the 临时救助 application)."""
    from assistance.forms import SituationForm

    p = assistance_setup
    app = actions.do_start_application("linshi", acting_user=p.citizen, person=p.citizen.person)
    cause = AssistanceApplication._meta.get_field("hardship_cause").choices[1][0]
    sent = {"hardship_cause": cause, "situation": "住院", "emergency_type": "expenditure"}
    # The field starts at 0.00 on the page: left so, the expense is missing.
    form = SituationForm({**sent, "expense_amount": "0.00"}, instance=app)
    with translation.override("en"):
        assert not form.is_valid() and list(form.errors) == ["expense_amount"]
        assert "Please give the amount of the expense" in form.errors["expense_amount"][0]
    assert SituationForm({**sent, "expense_amount": "8000"}, instance=app).is_valid()
    # A sudden event is helped without an amount of expense.
    emergency = {**sent, "emergency_type": "emergency", "expense_amount": "0.00"}
    assert SituationForm(emergency, instance=app).is_valid()


def test_paid_first_without_an_account_the_applicant_is_told_what_holds_the_payment(
    assistance_setup, household
):
    """The applicant read "paid at once" while the payment waited on the held list for an
    account (found walking the emergency route)."""
    p = assistance_setup
    app = accepted_linshi(p, household, emergency_type="emergency")
    AssistanceApplication.objects.filter(pk=app.pk).update(bank_account="", bank_name="")
    do_transition(app.case, "pay_first", acting_user=p.caseworker, values=amount("2000"))
    event = app.case.events.get(transition="pay_first")
    assert "granted at once" in event.translations["en"]
    assert "bank account" in event.translations["en"]
    assert "paid at once" not in event.translations["en"]
    assert "提供账户" in event.translations["zh-hans"]
