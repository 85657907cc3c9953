"""The social-assistance process end to end through its actions (the real rules, parameters,
routing and workflow engine; screening run in-process here, by a real worker in tests/worker)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from assistance import actions
from assistance.models import AssistanceApplication
from civilaffairs.benefits.actions import do_schedule_month
from civilaffairs.benefits.models import Payment
from civilaffairs.casework.actions import do_claim_next, do_screen_and_route, do_transition
from civilaffairs.casework.models import Case, Screening
from civilaffairs.people.models import Region
from civilaffairs.rules.actions import do_set_parameter
from tests.assistance.conftest import fill_dibao

pytestmark = pytest.mark.django_db


def submitted_dibao(p, household, **kw):
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    fill_dibao(app, p.citizen, **kw)
    actions.do_submit_application(app, acting_user=p.citizen)
    return AssistanceApplication.objects.get(pk=app.pk)


def test_a_draft_is_resumed_not_duplicated(assistance_setup, household):
    p = assistance_setup
    first = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    again = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    assert first.pk == again.pk
    assert first.case.reference.startswith("DB-")
    assert first.case.state == "draft"


def test_submission_is_refused_until_complete_and_nothing_changes(assistance_setup, household):
    p = assistance_setup
    app = actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    with pytest.raises(ValidationError) as exc:
        actions.do_submit_application(app, acting_user=p.citizen)
    assert "bank account" in str(exc.value) or "银行" in str(exc.value)
    assert Case.objects.get(pk=app.case.pk).state == "draft"


def test_screening_explains_and_routes_to_the_township_office(assistance_setup, household):
    p = assistance_setup
    app = submitted_dibao(p, household)
    assert do_screen_and_route(app.case.pk) == "screened"
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "screened"
    assert case.office == p.township
    screening = Screening.objects.get(case=case)
    assert screening.outcome == "pass"
    # (600 countable + 0) / 2 people = 300 per person; the age allowance is not counted.
    assert screening.facts["per_capita_income"] == "300.00"
    assert (
        screening.parameters["dibao_standard"] == "850.0000"
        or Decimal(screening.parameters["dibao_standard"]) == 850
    )
    assert screening.ruleset_version == 1
    public = case.events.filter(public=True, kind="screening").get()
    assert (
        "pre-check" in public.message.lower()
        or "预审" in public.message
        or "初审" in public.message
    )
    # Running the task again changes nothing.
    assert do_screen_and_route(case.pk) == "skipped"
    assert Screening.objects.filter(case=case).count() == 1


def test_an_income_above_the_standard_is_explained_with_the_figures(assistance_setup, household):
    p = assistance_setup
    app = submitted_dibao(p, household, income=Decimal("2000"))
    do_screen_and_route(app.case.pk)
    screening = Screening.objects.get(case=app.case)
    assert screening.outcome == "fail"
    reasons = " ".join(r["reason"] for r in screening.results)
    assert "1000.00" in reasons and "850" in reasons


def walk_to_county(p, app):
    do_screen_and_route(app.case.pk)
    case = do_claim_next(acting_user=p.caseworker)
    assert case.pk == app.case.pk
    do_transition(case, "accept", acting_user=p.caseworker)
    actions.do_record_investigation(
        app,
        acting_user=p.caseworker,
        visit_date=dt.date.today(),
        findings="家中确无劳动力，孙子在读小学。",
        neighbour_interviews="邻居证实情况属实。",
    )
    actions.do_start_notice(app, acting_user=p.caseworker)
    app.refresh_from_db()
    return app


def test_the_whole_process_from_submission_to_the_first_payment(assistance_setup, household):
    p = assistance_setup
    app = submitted_dibao(p, household)
    app = walk_to_county(p, app)
    assert app.case.state == "notice"
    assert app.notice_end > app.notice_start
    # The notice runs 7 working days; the county cannot be asked before it ends.
    with pytest.raises(ValidationError):
        actions.do_end_notice(app, acting_user=p.caseworker)
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        case = Case.objects.get(pk=app.case.pk)
        assert case.state == "county_review"
        assert case.office == p.county and case.assignee is None
        # A township caseworker cannot approve; the county approver can.
        with pytest.raises(PermissionDenied):
            actions.do_approve(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    case = app.case
    assert case.state == "approved" and case.outcome == "approved" and case.due_at is None
    # (850 − 300) × 2 people covered.
    assert app.monthly_amount == Decimal("1100.00")
    first = Payment.objects.get(entitlement__case=app.case)
    assert (
        first.status == "scheduled"
        and first.month == app.benefit_from
        and first.amount == Decimal("1100.00")
    )
    assert case.events.filter(public=True, to_state="approved").exists()


def test_an_objection_sends_the_case_back_to_investigation(assistance_setup, household):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    actions.do_lodge_objection(app, text="该户家中有经营性收入。")
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "objection" and case.assignee == p.caseworker
    assert case.events.filter(transition="reinvestigate").exists()


def test_a_refusal_needs_a_written_reason(assistance_setup, household):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        with pytest.raises(ValidationError):
            actions.do_refuse(app, acting_user=p.approver, reason="  ")
        assert Case.objects.get(pk=app.case.pk).state == "county_review"
        actions.do_refuse(app, acting_user=p.approver, reason="经核查，家庭收入高于标准。")
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "refused" and case.closed_at is not None and case.archive_on is not None


def test_another_county_cannot_claim_or_act(assistance_setup, household):
    p = assistance_setup
    app = submitted_dibao(p, household)
    do_screen_and_route(app.case.pk)
    assert do_claim_next(acting_user=p.other_caseworker) is None
    with pytest.raises(PermissionDenied):
        do_transition(app.case, "accept", acting_user=p.other_caseworker)


def test_the_monthly_run_pays_an_approved_grant_once_a_month(assistance_setup, household):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    month = app.benefit_from + dt.timedelta(days=40)
    assert do_schedule_month(month) == 1
    assert do_schedule_month(month) == 0
    assert Payment.objects.filter(entitlement__case=app.case).count() == 2


def test_raising_the_standard_and_rescreening_updates_amounts_with_history(
    assistance_setup, household
):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    assert app.monthly_amount == Decimal("1100.00")
    do_set_parameter(
        acting_user=p.admin,
        key="dibao_standard",
        region=Region.objects.get(code="640100"),
        value=Decimal("900"),
        valid_from=dt.date.today(),
    )
    result = actions.do_rescreen_amounts(acting_user=p.admin)
    app.refresh_from_db()
    assert (len(result.rows), result.flagged, result.raised) == (1, 0, 1)
    assert app.monthly_amount == Decimal("1200.00")
    assert app.history.filter(history_change_reason__contains="re-screened").exists()
    assert app.case.events.filter(kind="change", public=True).exists()
    # The ledger pays the new amount from the months the monthly run schedules next.
    later = (app.benefit_from + dt.timedelta(days=40)).replace(day=1)
    do_schedule_month(later)
    assert Payment.objects.get(entitlement__case=app.case, month=later).amount == Decimal("1200")


def approved_dibao(p, household):
    app = walk_to_county(p, submitted_dibao(p, household))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    return app


def test_suspending_holds_the_payments_resuming_restarts_them_terminating_stops_them(
    assistance_setup, household
):
    p = assistance_setup
    app = approved_dibao(p, household)
    first = app.benefit_from
    month2 = (first + dt.timedelta(days=40)).replace(day=1)
    month3 = (month2 + dt.timedelta(days=40)).replace(day=1)
    do_transition(app.case, "suspend", acting_user=p.approver, reason="收入待核实")
    assert do_schedule_month(month2) == 0  # held
    do_transition(app.case, "resume", acting_user=p.approver)
    assert do_schedule_month(month2) == 1
    do_transition(app.case, "terminate", acting_user=p.approver, reason="家庭收入已超过标准")
    assert do_schedule_month(month3) == 0
    months = dict(Payment.objects.filter(entitlement__case=app.case).values_list("month", "status"))
    assert set(months) == {first, month2}


def test_a_due_review_reopens_the_case_and_completing_it_sets_the_next_date(
    assistance_setup, household
):
    p = assistance_setup
    app = walk_to_county(p, submitted_dibao(p, household))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    # The household has no member of working age who can work: yearly review.
    approved_on = app.notice_end + dt.timedelta(days=1)
    assert (
        app.next_review_on.year - approved_on.year
    ) * 12 + app.next_review_on.month - approved_on.month == 12
    assert actions.do_start_due_reviews(today=app.next_review_on) == 1
    assert actions.do_start_due_reviews(today=app.next_review_on) == 0
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "review" and case.office == p.township
    with pytest.raises(ValidationError):
        actions.do_complete_review(app, acting_user=p.caseworker, findings=" ")
    actions.do_complete_review(app, acting_user=p.caseworker, findings="情况未变。")
    app.refresh_from_db()
    assert app.case.state == "approved"
    assert app.next_review_on > dt.date.today()


def test_screening_reasons_are_read_in_each_readers_language(client, assistance_setup, household):
    """The worker screens in whatever language its thread last served; the citizen and the
    staff each read the reasons in their own (issue #16, item 13)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from tests.auth import sign_in
    from tests.pages import page_text

    p = assistance_setup
    app = submitted_dibao(p, household, income=Decimal("2000"))
    with translation.override("en"):  # the worker's thread happens to be in English
        do_screen_and_route(app.case.pk)
    screening = Screening.objects.get(case=app.case)
    [failed] = [r for r in screening.results if r["outcome"] == "fail"]
    assert "不低于当地低保标准" in failed["reasons"]["zh-hans"]
    assert "not below the local standard" in failed["reasons"]["en"]
    zh, en = "不低于当地低保标准", "not below the local standard"
    # The citizen (Chinese by default), then in English.
    sign_in(client, p.citizen)
    mine = reverse("cases:case-detail", args=[app.case.pk])
    page = page_text(client.get(mine))
    assert zh in page and en not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_text(client.get(mine))
    assert en in page and zh not in page
    # The caseworker's case page, in each language.
    sign_in(client, p.caseworker)
    staff_page = reverse("casework:case-detail", args=[app.case.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = page_text(client.get(staff_page))
    assert zh in page and en not in page
    with translation.override("zh-hans"):
        zh_fact = translation.gettext("Monthly income per person")
    assert zh_fact in page  # the facts read by the rules, by their names, not their codes
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_text(client.get(staff_page))
    assert en in page and zh not in page
    assert "Monthly income per person" in page and zh_fact not in page
