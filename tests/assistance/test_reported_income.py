"""Income that human resources and social security report through the API re-screens the
household's 低保 with the current rules and tells the caseworker what changed."""

import pytest
from django.utils import timezone

from assistance.models import IncomeKind
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.models import CaseEvent, Screening
from civilaffairs.exchange.catalogue import INCOME_KINDS
from tests.assistance.test_process import approved_dibao
from tests.auth import sign_in
from tests.exchange.conftest import make_department

URL = "/api/v1/notices/incomes/"


@pytest.fixture
def granted(assistance_setup, household):
    p = assistance_setup
    p.app = approved_dibao(p, household)
    return p


def report(dept, person, amount, kind="transfer", event="RS-1"):
    return dept.post(
        URL,
        {
            "event_id": event,
            "id_number": person.id_number,
            "name": person.name,
            "kind": kind,
            "monthly_amount": str(amount),
            "month": f"{timezone.localdate():%Y-%m}",
        },
    )


def test_the_standards_income_kinds_are_the_countable_ones():
    assert {c for c, _label in INCOME_KINDS} == {str(k) for k in IncomeKind.countable()}


def test_a_reported_income_changes_the_screening_outcome_and_the_caseworker_is_told(
    client, granted
):
    p = granted
    case = p.app.case
    assert case.screening_outcome == "pass"
    amount = Entitlement.objects.get(case=case).monthly_amount
    dept = make_department(client, "人社局", region="640100")
    head = p.citizen.person

    r = report(dept, head, "3000")
    assert r.status_code == 201 and r.json()["status"] == "applied"

    latest = Screening.objects.filter(case=case).order_by("-pk").first()
    assert latest.reason == "reported income" and latest.outcome == "fail"
    case.refresh_from_db()
    assert case.screening_outcome == "fail"
    event = case.events.filter(kind=CaseEvent.Kind.CHANGE, data__external="income").get()
    assert event.public is False
    assert event.data["old"] == "600.00" and event.data["new"] == "3000.00"
    p.app.refresh_from_db()
    assert p.app.next_review_on == timezone.localdate()  # the review is brought forward
    # The amount waits for a person's review.
    assert Entitlement.objects.get(case=case).monthly_amount == amount

    sign_in(client, p.caseworker)
    client.cookies["lang"] = "zh-hans"
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "人社局" in page and "3000" in page and "不符合条件" in page
    client.cookies["lang"] = "en"
    page = client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "reported" in page and "not eligible" in page


def test_an_income_that_keeps_the_household_eligible_keeps_the_case_as_it_is(client, granted):
    p = granted
    dept = make_department(client, "人社局", region="640100")
    r = report(dept, p.citizen.person, "650")
    assert r.status_code == 201
    p.app.case.refresh_from_db()
    assert p.app.case.screening_outcome == "pass"
    before = p.app.next_review_on
    p.app.refresh_from_db()
    assert p.app.next_review_on == before


def test_a_resent_income_record_changes_nothing(client, granted):
    p = granted
    dept = make_department(client, "人社局", region="640100")
    report(dept, p.citizen.person, "3000")
    again = report(dept, p.citizen.person, "3000")
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert Screening.objects.filter(case=p.app.case, reason="reported income").count() == 1


def test_a_bad_income_record_lists_every_problem(client, granted):
    dept = make_department(client, "人社局", region="640100")
    r = dept.post(
        URL,
        {
            "event_id": "x",
            "id_number": granted.citizen.person.id_number,
            "name": "王秀英",
            "kind": "lottery",
            "monthly_amount": "-5",
            "month": "2026-13",
        },
    )
    assert r.status_code == 400
    assert sorted(e["field"] for e in r.json()["errors"]) == ["kind", "month", "monthly_amount"]
    assert Screening.objects.filter(reason="reported income").count() == 0
