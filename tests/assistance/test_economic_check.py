"""The household economic-status check (居民家庭经济状况核对): one request from the caseworker,
answered asynchronously by each department through the API, attached to the case, feeding the
screening; a missing answer after the due date is a warning on the case page."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from civilaffairs.casework.models import Screening
from civilaffairs.exchange.models import EconomicCheck
from tests.assistance.test_process import approved_dibao
from tests.auth import sign_in
from tests.exchange.conftest import make_department
from tests.pages import page_text


@pytest.fixture
def granted(assistance_setup, household):
    p = assistance_setup
    p.app = approved_dibao(p, household)
    return p


def answering(client, name, sources, region="640100"):
    dept = make_department(
        client, name, region=region, endpoints=["economic-checks:answer"], ids=True
    )
    dept.grant.check_sources = sources
    dept.grant.save()
    return dept


def send_check(client, p):
    sign_in(client, p.caseworker)
    r = client.post(reverse("assistance:economic-check", args=[p.app.case.pk]))
    assert r.status_code == 302
    client.logout()
    return EconomicCheck.objects.get(case=p.app.case)


def values_for(check, amounts):
    return [{"id_number": m["id_number"], "value": amounts.get(m["name"])} for m in check.members]


def test_departments_answer_and_the_checked_economy_is_screened(client, granted):
    p = granted
    bank = answering(client, "人民银行银川中心支行", ["deposits"])
    others = answering(client, "市大数据中心", ["vehicles", "property", "tax", "provident_fund"])
    elsewhere = answering(client, "西夏区税务局", ["tax"], region="640105")
    check = send_check(client, p)
    assert check.sources == ["deposits", "property", "provident_fund", "tax", "vehicles"]
    names = {m["name"] for m in check.members}
    assert "王秀英" in names and len(names) == 2

    waiting = bank.get("/api/v1/economic-checks/").json()["results"]
    assert [c["id"] for c in waiting] == [check.pk]
    assert waiting[0]["sources"] == ["deposits"]
    assert {m["id_number"] for m in waiting[0]["members"]} == {
        m["id_number"] for m in check.members
    }
    assert elsewhere.get("/api/v1/economic-checks/").json()["results"] == []
    url = f"/api/v1/economic-checks/{check.pk}/answers/"
    assert elsewhere.post(url, {"source": "tax", "values": []}).status_code == 404

    r = bank.post(url, {"source": "deposits", "values": values_for(check, {"王秀英": "180000"})})
    assert r.status_code == 201, r.content
    assert "deposits" not in r.json()["missing"] and r.json()["missing"]
    assert bank.get("/api/v1/economic-checks/").json()["results"] == []  # answered
    again = bank.post(url, {"source": "deposits", "values": values_for(check, {})})
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    assert not Screening.objects.filter(case=p.app.case, reason="economic check").exists()

    for source in ("vehicles", "property", "tax", "provident_fund"):
        r = others.post(url, {"source": source, "values": values_for(check, {})})
        assert r.status_code == 201, r.content
    screening = Screening.objects.get(case=p.app.case, reason="economic check")
    assert screening.outcome == "fail"  # 90,000 yuan of savings per person
    events = p.app.case.events.filter(data__economic_check=check.pk)
    assert events.count() == 1 + 5 + 1  # sent, each answer, the re-screen

    sign_in(client, p.caseworker)
    client.cookies["lang"] = "zh-hans"
    page = client.get(reverse("casework:case-detail", args=[p.app.case.pk])).content.decode()
    assert "居民家庭经济状况核对" in page and "人民银行银川中心支行" in page and "180000" in page


def test_a_bad_answer_lists_every_problem_and_stores_nothing(client, granted):
    p = granted
    bank = answering(client, "人民银行银川中心支行", ["deposits"])
    check = send_check(client, p)
    url = f"/api/v1/economic-checks/{check.pk}/answers/"
    stranger = "640104198001010011"
    r = bank.post(
        url,
        {
            "source": "tax",
            "values": [
                {"id_number": stranger, "value": "1"},
                {"id_number": check.members[0]["id_number"], "value": "-3"},
            ],
        },
    )
    assert r.status_code == 400
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == ["source", "values[0].id_number", "values[1].value"]
    incomplete = bank.post(url, {"source": "deposits", "values": values_for(check, {})[:1]})
    assert incomplete.status_code == 400
    assert [e["code"] for e in incomplete.json()["errors"]] == ["incomplete"]
    assert check.answers.count() == 0


def test_a_missing_answer_after_the_due_date_is_a_warning_on_the_case_page(client, granted):
    p = granted
    answering(client, "人民银行银川中心支行", ["deposits"])
    check = send_check(client, p)
    page_url = reverse("casework:case-detail", args=[p.app.case.pk])
    sign_in(client, p.caseworker)
    client.cookies["lang"] = "zh-hans"
    page = page_text(client.get(page_url))
    assert "economic-check" in page
    assert "alert-warning" not in page.split("economic-check")[-1]
    with time_machine.travel(check.due_on + dt.timedelta(days=1)):
        sign_in(client, p.caseworker)
        client.cookies["lang"] = "en"
        page = client.get(page_url).content.decode()
    assert "No answer since" in page and "Bank deposits" in page


def test_without_a_department_for_the_region_the_caseworker_is_told(client, granted):
    p = granted
    sign_in(client, p.caseworker)
    r = client.post(reverse("assistance:economic-check", args=[p.app.case.pk]), follow=True)
    assert r.status_code == 200
    assert EconomicCheck.objects.count() == 0
    assert "本地区尚无部门答复经济状况核对" in r.content.decode()


def test_the_case_page_offers_the_check_only_where_a_department_answers_it(client, granted):
    """The button always answered "no department answers…" in a region without one (found
    walking the 低保 case as the caseworker): the page says so instead of offering it."""
    p = granted
    action = reverse("assistance:economic-check", args=[p.app.case.pk])
    page_url = reverse("casework:case-detail", args=[p.app.case.pk])
    sign_in(client, p.caseworker)
    page = page_text(client.get(page_url))
    assert f'action="{action}"' not in page
    assert "本地区尚无部门答复经济状况核对" in page
    answering(client, "市公安局", ["vehicles"])
    sign_in(client, p.caseworker)
    page = page_text(client.get(page_url))
    assert f'action="{action}"' in page
    assert "本地区尚无部门答复经济状况核对" not in page
