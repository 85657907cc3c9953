"""Death notices from public security: recorded once, every domain that pays stops paying,
unknown numbers kept for matching, a differing name held for a person to check."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from civilaffairs.benefits.actions.ledger import do_grant
from civilaffairs.benefits.models import Entitlement
from civilaffairs.benefits.registry import all_programs
from civilaffairs.exchange.actions import do_match_notices
from civilaffairs.exchange.models import InboundNotice
from civilaffairs.people.models import Person
from tests.factories import PersonFactory, valid_id

from .conftest import make_department

pytestmark = pytest.mark.django_db
URL = "/api/v1/notices/deaths/"


def notice(person_or_id, name, event="GA-2026-0001", day=None):
    id_number = person_or_id if isinstance(person_or_id, str) else person_or_id.id_number
    day = day or timezone.localdate() - dt.timedelta(days=2)
    return {"event_id": event, "id_number": id_number, "name": name, "date_of_death": f"{day}"}


def test_a_death_notice_stops_a_payment_in_every_domain_that_pays(dept, family):
    head = family["head"]
    month = timezone.localdate().replace(day=1)
    domains = {}
    for program in all_programs():
        domains.setdefault(program.code.split(".")[0], program.code)
    assert {"assistance", "eldercare", "childwelfare"} <= set(domains)
    for code in domains.values():
        if code == "assistance.dibao":
            continue
        do_grant(
            family["case"],
            acting_user=None,
            person=head,
            program=code,
            monthly_amount=Decimal("100"),
            start_month=month,
        )
    running = Entitlement.objects.filter(person=head, stopped_on__isnull=True)
    assert {e.program.split(".")[0] for e in running} >= {"assistance", "eldercare", "childwelfare"}

    r = dept.post(URL, notice(head, "王晓明"))
    assert r.status_code == 201, r.content
    assert r.json() == {"event_id": "GA-2026-0001", "status": "applied", "repeated": False}
    head.refresh_from_db()
    assert head.date_of_death == timezone.localdate() - dt.timedelta(days=2)
    assert not Entitlement.objects.filter(person=head, stopped_on__isnull=True).exists()


def test_a_resent_notice_changes_nothing(dept, family):
    first = dept.post(URL, notice(family["head"], "王晓明"))
    again = dept.post(URL, notice(family["head"], "王晓明", day=dt.date(2020, 1, 1)))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["repeated"] is True and again.json()["status"] == "applied"
    assert InboundNotice.objects.count() == 1
    family["head"].refresh_from_db()
    assert family["head"].date_of_death != dt.date(2020, 1, 1)


def test_an_unknown_number_is_kept_and_matched_once_the_person_is_registered(dept, regions):
    number = valid_id("640104", dt.date(1940, 2, 2))
    r = dept.post(URL, notice(number, "赵大山"))
    assert r.status_code == 201 and r.json()["status"] == "unmatched"
    stored = InboundNotice.objects.get()
    assert stored.person is None and stored.id_number == number
    person = PersonFactory(name="赵大山", id_number=number, birth_date=dt.date(1940, 2, 2))
    assert do_match_notices() == 1
    person.refresh_from_db()
    assert person.date_of_death is not None
    assert InboundNotice.objects.get().status == InboundNotice.Status.APPLIED


def test_a_notice_whose_name_differs_is_held_not_applied(dept, family):
    r = dept.post(URL, notice(family["head"], "王小明"))
    assert r.status_code == 201 and r.json()["status"] == "held"
    family["head"].refresh_from_db()
    assert family["head"].date_of_death is None
    assert Entitlement.objects.get(person=family["head"]).stopped_on is None


def test_a_client_cannot_record_a_death_outside_its_region(client, regions, family):
    xixia = make_department(client, "西夏区公安分局", region="640105")
    r = xixia.post(URL, notice(family["head"], "王晓明"))
    assert r.status_code == 201 and r.json()["status"] == "unmatched"
    assert Person.objects.get(pk=family["head"].pk).date_of_death is None


def test_a_wrong_notice_lists_every_problem_and_stores_nothing(dept):
    future = timezone.localdate() + dt.timedelta(days=3)
    r = dept.post(
        URL,
        {"event_id": "", "id_number": "6401", "name": "", "date_of_death": f"{future}", "x": 1},
    )
    assert r.status_code == 400
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == ["body", "date_of_death", "event_id", "id_number", "name"]
    assert InboundNotice.objects.count() == 0


def test_a_disability_grade_reaches_the_master_record_and_every_domain(dept, family):
    from civilaffairs.people import events

    heard = []

    def listener(sender, *, person, before, after, **kwargs):
        heard.append((person.pk, before, after))

    events.disability_changed.connect(listener)
    try:
        r = dept.post(
            "/api/v1/notices/disabilities/",
            {
                "event_id": "CDPF-7",
                "id_number": family["head"].id_number,
                "name": "王晓明",
                "disability_grade": 2,
                "certified_on": f"{timezone.localdate()}",
            },
        )
    finally:
        events.disability_changed.disconnect(listener)
    assert r.status_code == 201 and r.json()["status"] == "applied"
    family["head"].refresh_from_db()
    assert family["head"].disability_grade == 2
    assert heard == [(family["head"].pk, 0, 2)]
    bad = dept.post(
        "/api/v1/notices/disabilities/",
        {
            "event_id": "CDPF-8",
            "id_number": family["head"].id_number,
            "name": "王晓明",
            "disability_grade": 7,
            "certified_on": "tomorrow",
        },
    )
    assert bad.status_code == 400
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["certified_on", "disability_grade"]


@pytest.mark.parametrize(
    "field, value",
    [("event_id", "GA-2026-\x00"), ("name", "王\x00晓明"), ("event_id", "GA-\ud800")],
)
def test_a_body_with_text_no_record_can_hold_is_refused_whole(dept, family, field, value):
    """A NUL character or a lone surrogate in a JSON body reached the database as a 500 (found
    by fuzzing): the API answers 400 in its own form, and nothing is recorded."""
    body = {**notice(family["head"], "王晓明"), field: value}
    r = dept.post(URL, body)
    assert r.status_code == 400, r.content
    answer = r.json()
    assert answer["code"] == "bad_input"
    assert answer["message"]["zh-hans"] and answer["message"]["en"]
    assert InboundNotice.objects.count() == 0
    family["head"].refresh_from_db()
    assert family["head"].date_of_death is None


@pytest.mark.parametrize("depth", [450, 5000])
def test_a_deeply_nested_body_is_answered_400(dept, depth):
    """A body nested hundreds of levels deep parsed, and a recursive walk of it ran out of
    stack (found by a review of the parser); deeper still, the JSON reader itself does."""
    r = dept.post(URL, "[" * depth + "]" * depth)
    assert r.status_code == 400, r.content
    assert r.json()["message"]["zh-hans"]
    assert InboundNotice.objects.count() == 0
