"""The elder-care pages: the one-question-per-page booking flow, the provider's and the
elder's pages, and who may open what. Every staff URL is tried by a caseworker of another
county (404), every provider URL by another provider (404) and by a citizen (403); lists are
checked for a fixed number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from civilaffairs.casework.models import Case
from eldercare import actions
from eldercare.models import (
    AgeAllowanceInvitation,
    Alert,
    Booking,
    FamilyLink,
    HomeVisit,
    Institution,
    WorkerSlot,
)
from eldercare.seed import seed_institutions
from tests.auth import sign_in
from tests.factories import PersonFactory, UserFactory
from tests.pages import page_text

from .conftest import URLS, accepted, at, book, tomorrow
from .test_careplan import assess

pytestmark = pytest.mark.urls(URLS)


def login(client, user):
    sign_in(client, user)
    return client


# ----------------------------------------------------------------------------- booking flow


def test_a_family_member_books_one_question_per_page(client, world):
    login(client, world.family)
    response = client.get(reverse("eldercare:book"))
    assert response.status_code == 302
    # Skipping ahead sends back to the first unanswered question.
    assert client.get(reverse("eldercare:book-step", args=["time"])).url.endswith("/book/who/")

    page = client.get(reverse("eldercare:book-step", args=["who"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<h1") == 1 and 'class="instructions' in body
    assert world.elder.name in body

    day = tomorrow()
    answers = [
        ("who", {"elder": world.elder.pk}),
        ("service", {"service": world.meal.pk}),
        ("day", {"day": day.isoformat()}),
        ("time", {"time": "11:00"}),
        ("provider", {"provider": world.provider.pk}),
    ]
    for step, data in answers:
        response = client.post(reverse("eldercare:book-step", args=[step]), data)
        assert response.status_code == 302, (step, response.content[:500])
    assert not Booking.objects.exists()  # nothing is saved before the last page

    confirm = client.get(reverse("eldercare:book-step", args=["confirm"]))
    assert str(world.meal.copay) in confirm.content.decode()
    response = client.post(
        reverse("eldercare:book-step", args=["confirm"]),
        {"address": "崇安社区 3 号楼", "note": "少盐"},
    )
    booking = Booking.objects.get()
    assert response.url == reverse("eldercare:booking-detail", args=[booking.pk])
    assert booking.elder == world.elder and booking.booked_by == world.family
    assert booking.starts_at == at(day, 11) and booking.note == "少盐"
    # The elder sees it too, with its status.
    client.logout()
    login(client, world.p.citizen)
    page = client.get(reverse("eldercare:booking-detail", args=[booking.pk])).content.decode()
    assert booking.get_status_display() in page


def test_an_invalid_answer_stays_on_the_question(client, world):
    login(client, world.family)
    response = client.post(reverse("eldercare:book-step", args=["who"]), {"elder": 999999})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_someone_with_nobody_to_book_for_is_sent_to_the_family_page(client, world):
    login(client, UserFactory())
    response = client.get(reverse("eldercare:book-step", args=["who"]))
    assert response.url == reverse("eldercare:family")


def test_the_provider_works_a_booking_through_its_pages(client, world):
    booking = book(world)
    login(client, world.provider_user)
    page = client.get(reverse("eldercare:provider-bookings"))
    assert booking.reference in page.content.decode()

    def act(name, **data):
        url = reverse("eldercare:provider-booking-action", args=[booking.pk, name])
        return client.post(url, data)

    act("accept")
    act("assign", worker=world.workers[0].pk)
    # Tomorrow's visit cannot start today: the page says from when it can.
    response = act("check-in")
    assert "10:30" in page_text(client.get(response.url))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ASSIGNED
    # On the day (signed in again: a session does not last until tomorrow).
    with time_machine.travel(booking.starts_at - dt.timedelta(minutes=3), tick=False):
        login(client, world.provider_user)
        act("check-in")
    with time_machine.travel(booking.starts_at + dt.timedelta(minutes=44), tick=False):
        login(client, world.provider_user)
        act("check-out")
    login(client, world.provider_user)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED and booking.checked_out_at
    # The time on site is the real one (47 minutes), not the hour booked.
    detail = page_text(client.get(reverse("eldercare:provider-booking", args=[booking.pk])))
    with translation.override("zh-hans"):
        on_site = ngettext("%(n)s minute on site", "%(n)s minutes on site", 47) % {"n": 47}
    assert on_site in detail and "实际" in on_site

    client.logout()
    login(client, world.p.citizen)
    response = client.post(
        reverse("eldercare:booking-rate", args=[booking.pk]), {"score": 5, "comment": "好"}
    )
    assert response.status_code == 302
    assert booking.rating.score == 5


def test_a_citizen_cancels_from_a_confirmation_page(client, world):
    booking = accepted(world, book(world))
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    login(client, world.p.citizen)
    assert client.get(reverse("eldercare:booking-cancel", args=[booking.pk])).status_code == 200
    client.post(reverse("eldercare:booking-cancel", args=[booking.pk]), {"reason": ""})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert not WorkerSlot.objects.exists()


def test_a_visit_cannot_be_rated_from_the_page_before_check_out(client, world):
    booking = book(world)
    login(client, world.p.citizen)
    response = client.post(reverse("eldercare:booking-rate", args=[booking.pk]), {"score": 5})
    assert response.status_code == 302
    assert not hasattr(Booking.objects.get(pk=booking.pk), "rating")


# ----------------------------------------------------------------------------- family


def test_a_family_link_needs_the_elders_consent(client, world):
    elder_user = UserFactory(person=PersonFactory(name="刘玉兰", birth_date=dt.date(1942, 5, 5)))
    son = UserFactory(person=PersonFactory(name="刘强"))
    login(client, son)
    client.post(
        reverse("eldercare:family"),
        {
            "elder_name": "刘玉",  # wrong name: refused without saying which part is wrong
            "elder_id_number": elder_user.person.id_number,
            "relation": "20",
        },
    )
    assert not FamilyLink.objects.filter(family=son).exists()
    client.post(
        reverse("eldercare:family"),
        {"elder_name": "刘玉兰", "elder_id_number": elder_user.person.id_number, "relation": "20"},
    )
    link = FamilyLink.objects.get(family=son)
    assert link.status == FamilyLink.Status.PENDING
    # Pending: the son cannot book for her yet.
    assert actions.acts_for(son, elder_user.person_id) is False

    client.logout()
    login(client, elder_user)
    assert "刘强" in client.get(reverse("eldercare:family")).content.decode()
    client.post(reverse("eldercare:family-answer", args=[link.pk]), {"answer": "yes"})
    link.refresh_from_db()
    assert link.status == FamilyLink.Status.CONFIRMED and link.confirmed_by == "elder"
    assert actions.acts_for(son, elder_user.person_id)


def test_staff_of_the_elders_area_confirm_a_link_and_others_cannot(client, world):
    elder = PersonFactory(name="孙桂芝", birth_date=dt.date(1938, 8, 8))
    daughter = UserFactory(person=PersonFactory())
    link = actions.do_request_family_link(
        acting_user=daughter, elder_name=elder.name, elder_id_number=elder.id_number, relation="30"
    )
    login(client, world.p.other_caseworker)
    page = page_text(client.get(reverse("eldercare:staff-links")))
    assert elder.name not in page
    assert client.post(reverse("eldercare:staff-link-confirm", args=[link.pk])).status_code == 404
    client.logout()
    login(client, world.p.caseworker)
    page = page_text(client.get(reverse("eldercare:staff-links")))
    assert elder.name in page and elder.masked_id_number in page and elder.id_number not in page
    client.post(reverse("eldercare:staff-link-confirm", args=[link.pk]))
    link.refresh_from_db()
    assert link.status == FamilyLink.Status.CONFIRMED and link.confirmed_by == "staff"


# ----------------------------------------------------------------------------- institutions


def test_citizens_search_care_homes_by_area_and_care_level(client, world):
    seed_institutions(operator=world.provider, log=lambda *a: None)
    url = reverse("eldercare:institution-list")
    everything = client.get(url).content.decode()
    assert "银川市社会福利院" in everything and "贺兰县德馨护理院" in everything
    xingqing = page_text(client.get(url, {"region": "640104"}))
    assert "银川市社会福利院" in xingqing and "金凤区颐年养护中心" not in xingqing
    severe = page_text(client.get(url, {"care_level": 4}))
    assert "金凤区颐年养护中心" in severe and "兴庆区康乐老年公寓" not in severe
    free = page_text(client.get(url, {"free_beds": "on"}))
    assert "贺兰县德馨护理院" not in free  # 90 of 90 occupied
    near = client.get(url, {"lat": "38.49", "lng": "106.13"})
    assert near.context["rows"][0].name == "西夏区夕阳红养老院"
    inst = Institution.objects.get(name="银川市社会福利院")
    assert client.get(reverse("eldercare:institution-detail", args=[inst.pk])).status_code == 200


def test_occupancy_is_updated_by_the_operator_or_local_staff_only(client, world):
    seed_institutions(operator=world.provider, log=lambda *a: None)
    run_by_provider = Institution.objects.get(name="兴庆区康乐老年公寓")
    xixia = Institution.objects.get(name="西夏区夕阳红养老院")
    url = reverse("eldercare:institution-occupancy", args=[run_by_provider.pk])

    login(client, world.provider_user)
    client.post(url, {"beds_total": 120, "beds_occupied": 80})
    run_by_provider.refresh_from_db()
    assert run_by_provider.beds_occupied == 80 and run_by_provider.occupancy_updated_at
    # Another operator's home is outside the provider's scope: answered like no home at all.
    assert (
        client.get(reverse("eldercare:institution-occupancy", args=[xixia.pk])).status_code == 404
    )
    client.logout()

    login(client, world.p.approver)  # the county bureau (the home is in another township)
    response = client.post(url, {"beds_total": 120, "beds_occupied": 200})
    assert response.status_code == 200  # refused: more occupied than beds
    run_by_provider.refresh_from_db()
    assert run_by_provider.beds_occupied == 80
    client.logout()

    login(client, world.p.other_caseworker)
    assert client.post(url, {"beds_total": 120, "beds_occupied": 1}).status_code == 404
    assert (
        client.get(reverse("eldercare:institution-occupancy", args=[xixia.pk])).status_code == 200
    )


# ----------------------------------------------------------------------------- access on every URL


@pytest.fixture
def rows(world, django_capture_on_commit_callbacks):
    """One of everything, all in 兴庆区 (the caseworker's county)."""
    booking = book(world)
    plan = actions.do_request_care_plan(acting_user=world.family, elder=world.elder)
    assess(plan, world.p.caseworker, on=dt.date(2026, 1, 5))
    platform, token = actions.do_register_platform(acting_user=None, name="p")
    actions.do_register_device(platform, acting_user=None, external_id="D", person=world.elder)
    from eldercare.api import parse_readings

    readings, problems = parse_readings(
        platform,
        {
            "event_id": "1",
            "device_id": "D",
            "type": "sos",
            "recorded_at": "2026-01-01T08:00:00+08:00",
        },
    )
    assert not problems
    actions.do_receive_readings(platform, readings)
    seed_institutions(log=lambda *a: None)
    invitee = PersonFactory(birth_date=dt.date(1940, 1, 1))
    invitation = actions.do_invite_to_age_allowance(invitee, threshold=80)
    link = actions.do_request_family_link(
        acting_user=UserFactory(person=PersonFactory()),
        elder_name=invitee.name,
        elder_id_number=invitee.id_number,
        relation="20",
    )
    return {
        "booking": booking,
        "plan": plan,
        "visit": HomeVisit.objects.get(),
        "alert": HomeVisit.objects.get().alert,
        "institution": Institution.objects.get(name="银川市社会福利院"),
        "invitee": invitee,
        "invitation": invitation,
        "link": link,
    }


def staff_urls(r, world):
    elder = world.elder.pk
    return [
        ("get", reverse("eldercare:careplan-assisted", args=[elder])),
        ("get", reverse("eldercare:allowance-assisted", args=[elder])),
        ("post", reverse("eldercare:allowance-assisted", args=[elder])),
        ("get", reverse("eldercare:plan-edit", args=[r["plan"].pk])),
        ("post", reverse("eldercare:plan-edit", args=[r["plan"].pk])),
        ("post", reverse("eldercare:staff-link-confirm", args=[r["link"].pk])),
        ("post", reverse("eldercare:staff-alert-handle", args=[r["alert"].pk])),
        ("get", reverse("eldercare:institution-occupancy", args=[r["institution"].pk])),
    ]


STAFF_LISTS = [
    "eldercare:staff-bookings",
    "eldercare:staff-links",
    "eldercare:staff-alerts",
    "eldercare:staff-institutions",
]


def test_every_staff_url_answers_404_to_another_county(client, world, rows):
    login(client, world.p.other_caseworker)
    for method, url in staff_urls(rows, world):
        assert getattr(client, method)(url).status_code == 404, url
    # The lists open, and show nothing of the other county.
    for name in STAFF_LISTS:
        body = page_text(client.get(reverse(name)))
        assert world.elder.name not in body and "银川市社会福利院" not in body, name
        assert rows["invitee"].name not in body, name


def test_every_staff_url_opens_for_the_local_caseworker(client, world, rows):
    login(client, world.p.caseworker)
    for method, url in staff_urls(rows, world):
        if method == "get":
            assert client.get(url).status_code == 200, url
    assert client.get(reverse("eldercare:staff-overview")).status_code == 200
    for name in STAFF_LISTS:
        assert client.get(reverse(name)).status_code == 200, name
    assert world.elder.name in client.get(reverse("eldercare:staff-bookings")).content.decode()


def test_staff_pages_refuse_citizens_and_providers(client, world, rows):
    for user in (world.p.citizen, world.provider_user):
        login(client, user)
        for name in ["eldercare:staff-overview", *STAFF_LISTS]:
            assert client.get(reverse(name)).status_code == 403, (user, name)
        for method, url in staff_urls(rows, world):
            if "occupancy" in url:
                continue  # the operator's own door
            assert getattr(client, method)(url).status_code == 403, (user, url)
        client.logout()


def test_a_provider_sees_only_its_own_bookings(client, world, rows):
    booking = rows["booking"]
    login(client, world.other_provider_user)
    page = page_text(client.get(reverse("eldercare:provider-bookings")))
    assert booking.reference not in page
    assert client.get(reverse("eldercare:provider-booking", args=[booking.pk])).status_code == 404
    for action in ("accept", "decline", "assign", "check-in", "check-out"):
        url = reverse("eldercare:provider-booking-action", args=[booking.pk, action])
        assert client.post(url).status_code == 404
    worker = world.workers[0]
    url = reverse("eldercare:provider-worker-active", args=[worker.pk])
    assert client.post(url, {"active": "0"}).status_code == 404
    assert booking.provider.name not in page_text(client.get(reverse("eldercare:provider-workers")))
    client.logout()
    login(client, world.provider_user)
    assert booking.reference in client.get(reverse("eldercare:provider-bookings")).content.decode()


def test_provider_pages_refuse_everyone_else(client, world, rows):
    booking = rows["booking"]
    for user in (world.p.citizen, world.p.caseworker, world.family):
        login(client, user)
        assert client.get(reverse("eldercare:provider-bookings")).status_code == 403
        assert client.get(reverse("eldercare:provider-workers")).status_code == 403
        url = reverse("eldercare:provider-booking", args=[booking.pk])
        assert client.get(url).status_code == 403
        client.logout()


def test_citizens_open_only_their_own_and_their_elders_bookings(client, world, rows):
    booking = rows["booking"]
    stranger = UserFactory(person=PersonFactory())
    login(client, stranger)
    for name in ("eldercare:booking-detail", "eldercare:booking-cancel", "eldercare:booking-rate"):
        assert client.get(reverse(name, args=[booking.pk])).status_code == 404, name
    assert booking.reference not in page_text(client.get(reverse("eldercare:booking-list")))
    url = reverse("eldercare:invitation", args=[rows["invitation"].pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(reverse("eldercare:family-answer", args=[rows["link"].pk])).status_code == 404
    )
    assert client.post(reverse("eldercare:family-end", args=[rows["link"].pk])).status_code == 404
    client.logout()
    login(client, world.family)
    assert client.get(reverse("eldercare:booking-detail", args=[booking.pk])).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, world, rows):
    for name, args in [
        ("eldercare:book", []),
        ("eldercare:booking-list", []),
        ("eldercare:family", []),
        ("eldercare:careplan-apply", []),
        ("eldercare:provider-bookings", []),
        ("eldercare:staff-bookings", []),
        ("eldercare:booking-detail", [rows["booking"].pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "login" in response.url, name
    assert client.get(reverse("eldercare:home")).status_code == 200
    assert client.get(reverse("eldercare:institution-list")).status_code == 200


def test_an_invited_elder_answers_on_the_page(client, world, rows):
    invitee = rows["invitee"]
    account = UserFactory(person=invitee)
    login(client, account)
    assert "invitation" in client.get(reverse("eldercare:home")).content.decode()
    client.post(reverse("eldercare:invitation", args=[rows["invitation"].pk]), {"answer": "yes"})
    invitation = AgeAllowanceInvitation.objects.get(pk=rows["invitation"].pk)
    assert invitation.status == "accepted" and invitation.case.state == "granted"


def test_care_plan_request_and_staff_pages(client, world, rows, django_capture_on_commit_callbacks):
    """The township drafts the plan on its page and sends it from the case page; the county
    approves it there with the start day; the visits are booked."""
    plan = rows["plan"]
    case_url = reverse("casework:case-detail", args=[plan.case.pk])
    login(client, world.p.caseworker)
    page = client.get(case_url).content.decode()
    assert "t-record_assessment-adl_feeding" in page  # the assessment can still be taken again
    url = reverse("eldercare:plan-edit", args=[plan.pk])
    client.post(url, {"what": "plan", "provider": world.provider.pk, "goals": "保障饮食"})
    # The day after the plan starts: not tomorrow's weekday, when the `rows` fixture's own
    # booking for the same elder is (on a Tuesday the plan's Wednesday visit met it and one
    # visit fewer was booked).
    weekday = (tomorrow() + dt.timedelta(days=1)).weekday()
    client.post(
        url,
        {"what": "item", "service_type": world.meal.pk, "weekday": weekday, "start_time": "11:00"},
    )
    assert reverse("casework:case-transition", args=[plan.case.pk, "propose_plan"]) in (
        client.get(url).content.decode()
    )
    response = client.post(reverse("casework:case-transition", args=[plan.case.pk, "propose_plan"]))
    assert response.status_code == 302
    plan.case.refresh_from_db()
    assert plan.case.state == "proposed" and plan.case.office == world.p.county
    client.logout()
    login(client, world.p.approver)
    approve = reverse("casework:case-transition", args=[plan.case.pk, "approve_plan"])
    assert approve in client.get(case_url).content.decode()
    yesterday = (tomorrow() - dt.timedelta(days=2)).isoformat()
    response = client.post(approve, {"t-approve_plan-starts_on": yesterday})
    assert response.status_code == 400
    assert "计划开始日期不能早于今天。" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve, {"t-approve_plan-starts_on": tomorrow().isoformat()})
    assert response.status_code == 302
    plan.refresh_from_db()
    plan.case.refresh_from_db()
    assert plan.case.state == "active" and plan.starts_on == tomorrow()
    assert Booking.objects.filter(plan_item__plan=plan).count() == 2  # two weeks' visits


def test_the_urgent_visit_is_recorded_on_the_case_page(client, world, rows):
    visit = rows["visit"]
    login(client, world.p.caseworker)
    url = reverse("casework:case-transition", args=[visit.case.pk, "record_visit"])
    assert url in client.get(reverse("casework:case-detail", args=[visit.case.pk])).content.decode()
    response = client.post(url, {"t-record_visit-visited_at": "", "t-record_visit-finding": "well"})
    assert response.status_code == 400
    visit.case.refresh_from_db()
    assert visit.case.state == "dispatched"
    when = timezone.localtime() - dt.timedelta(minutes=5)
    response = client.post(
        url,
        {
            "t-record_visit-visited_at": when.strftime("%Y-%m-%dT%H:%M"),
            "t-record_visit-finding": "well",
            "t-record_visit-notes": "老人安好",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.case.state == "visited" and visit.notes == "老人安好"
    assert Alert.objects.get(pk=visit.alert_id).status == Alert.Status.HANDLED


def test_a_citizen_asks_for_a_care_assessment(client, world):
    login(client, world.p.citizen)
    response = client.post(
        reverse("eldercare:careplan-apply"), {"elder": world.elder.pk, "request_note": "需要助浴"}
    )
    case = Case.objects.get(service="eldercare.careplan")
    assert response.url == reverse("cases:case-detail", args=[case.pk])
    assert case.applicant == world.elder and case.state == "screened"
    # The citizen's case page shows the elder-care block.
    assert client.get(response.url).status_code == 200


# ----------------------------------------------------------------------------- query counts


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_bookings(world, n, start_hour=8):
    for i in range(n):
        elder = PersonFactory(birth_date=dt.date(1940, 1, 1))
        b = book(
            world, by=world.p.caseworker, elder=elder, starts_at=at(tomorrow(), start_hour + i)
        )
        actions.do_accept_booking(b, acting_user=world.provider_user)
        actions.do_assign_worker(b, world.workers[i % 3], acting_user=world.provider_user)
        FamilyLink.objects.create(
            elder=elder, family=world.family, relation="20", status="confirmed"
        )


@pytest.mark.parametrize(
    ("who", "name", "query"),
    [
        ("family", "eldercare:booking-list", ""),
        ("provider_user", "eldercare:provider-bookings", "?show=open"),
        ("caseworker", "eldercare:staff-bookings", ""),
    ],
)
def test_booking_lists_cost_the_same_for_2_or_8_rows(client, world, who, name, query):
    user = getattr(world, who, None) or getattr(world.p, who)
    login(client, user)
    _more_bookings(world, 2)
    few = _count(client, reverse(name) + query)
    _more_bookings(world, 6, start_hour=13)
    assert _count(client, reverse(name) + query) == few


def test_alert_and_link_lists_cost_the_same_for_more_rows(client, world):
    platform, _token = actions.do_register_platform(acting_user=None, name="p")
    from eldercare.api import parse_readings

    def alerts(n, offset):
        for i in range(n):
            person = PersonFactory(birth_date=dt.date(1939, 1, 1))
            actions.do_register_device(
                platform, acting_user=None, external_id=f"D{offset + i}", person=person
            )
            readings, _ = parse_readings(
                platform,
                {
                    "event_id": f"e{offset + i}",
                    "device_id": f"D{offset + i}",
                    "type": "fall",
                    "recorded_at": "2026-01-01T08:00:00+08:00",
                },
            )
            actions.do_receive_readings(platform, readings)
            actions.do_request_family_link(
                acting_user=UserFactory(person=PersonFactory()),
                elder_name=person.name,
                elder_id_number=person.id_number,
                relation="20",
            )

    login(client, world.p.caseworker)
    alerts(2, 0)
    few_alerts = _count(client, reverse("eldercare:staff-alerts"))
    few_links = _count(client, reverse("eldercare:staff-links"))
    alerts(5, 10)
    assert _count(client, reverse("eldercare:staff-alerts")) == few_alerts
    assert _count(client, reverse("eldercare:staff-links")) == few_links


def test_the_institution_search_is_one_query_however_many_homes(client, world):
    seed_institutions(log=lambda *a: None)
    url = reverse("eldercare:institution-list")
    few = _count(client, url + "?region=640104")
    assert _count(client, url) == few
