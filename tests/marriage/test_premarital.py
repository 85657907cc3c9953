"""Premarital check results from health, through the inter-agency API, shown to the registrar
at the counter (health data: nobody else)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marriage.models import MarriageApplication, PremaritalCheck
from tests.auth import sign_in
from tests.exchange.conftest import make_department
from tests.marriage.conftest import book

pytestmark = pytest.mark.django_db
URL = "/api/v1/notices/premarital-checks/"


def report(dept, person, advice="no_finding", event="WJ-1"):
    return dept.post(
        URL,
        {
            "event_id": event,
            "id_number": person.id_number,
            "name": person.name,
            "advice": advice,
            "checked_on": f"{timezone.localdate()}",
            "institution": "银川市妇幼保健院",
        },
    )


def test_a_result_is_attached_to_the_couples_application_and_shown_at_the_counter(
    client, reg, couple
):
    a, b = couple
    ap = book(reg, a, b)
    health = make_department(client, "银川市卫生健康委员会", region="640100")
    r = report(health, a.person, advice="postpone")
    assert r.status_code == 201 and r.json()["status"] == "applied"
    check = PremaritalCheck.objects.get()
    assert check.application_id == ap.application_id and check.person == a.person

    counter = reverse("marriage:counter", args=[ap.application_id])
    sign_in(client, reg.registrar)
    client.cookies["lang"] = "zh-hans"
    page = client.get(counter).content.decode()
    assert "婚前医学检查" in page and "建议暂缓结婚" in page and "银川市妇幼保健院" in page
    client.cookies["lang"] = "en"
    page = client.get(counter).content.decode()
    assert "Advised to postpone the marriage" in page
    sign_in(client, reg.other_registrar)  # another registry: not theirs to read
    assert client.get(counter).status_code == 404


def test_without_an_open_application_nothing_is_kept(client, reg, couple):
    a, _b = couple
    health = make_department(client, "银川市卫生健康委员会", region="640100")
    r = report(health, a.person)
    assert r.status_code == 201
    assert PremaritalCheck.objects.count() == 0
    assert MarriageApplication.objects.count() == 0


def test_a_wrong_result_lists_every_problem(client, reg, couple):
    health = make_department(client, "银川市卫生健康委员会", region="640100")
    r = health.post(
        URL,
        {
            "event_id": "WJ-2",
            "id_number": couple[0].person.id_number,
            "name": "张伟",
            "advice": "fine",
            "checked_on": "2999-01-01",
            "institution": "",
        },
    )
    assert r.status_code == 400
    assert sorted(e["field"] for e in r.json()["errors"]) == ["advice", "checked_on", "institution"]
