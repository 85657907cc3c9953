"""Webhooks: who is told (grant, region, endpoint), what the body holds, the signature."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from civilaffairs.exchange.models import Delivery, EventKind, Subscription
from civilaffairs.exchange.webhooks import address_allowed, signature
from civilaffairs.people.actions import do_record_death
from tests.pages import page_text

from .conftest import make_department

pytestmark = pytest.mark.django_db


def subscribe(dept, kinds=(EventKind.PERSON_DIED,), url="https://hooks.example.gov.cn/in"):
    return Subscription.objects.create(
        grant=dept.grant, url=url, kinds=list(kinds), signing_secret="s3cret-for-tests"
    )


def test_a_death_is_told_to_the_subscribers_who_may_read_it(client, regions, family):
    city = subscribe(make_department(client, "市公安局", region="640100"))
    full = subscribe(make_department(client, "市卫健委", region="640100", ids=True))
    subscribe(make_department(client, "西夏区公安分局", region="640105"))  # another county
    subscribe(
        make_department(client, "无人口查询权", endpoints=["cases:read"]),  # cannot read persons
    )
    head = family["head"]
    do_record_death(head, acting_user=None, date_of_death=timezone.localdate())
    deliveries = {d.subscription_id: d for d in Delivery.objects.filter(kind="person.died")}
    assert set(deliveries) == {city.pk, full.pk}
    masked = deliveries[city.pk].body["data"]["id_number"]
    assert masked == head.id_number[:6] + "*" * 12
    assert deliveries[full.pk].body["data"]["id_number"] == head.id_number
    assert deliveries[city.pk].body["id"] == deliveries[full.pk].body["id"]  # one event


def test_benefits_started_and_stopped_are_told(client, regions, family):
    from civilaffairs.benefits.actions.ledger import do_stop

    sub = subscribe(
        make_department(client),
        kinds=(EventKind.BENEFIT_STARTED, EventKind.BENEFIT_STOPPED),
    )
    assert not Delivery.objects.filter(subscription=sub).exists()  # before it subscribed
    do_stop(family["entitlement"], acting_user=None, on=timezone.localdate(), reason="test")
    [stopped] = Delivery.objects.filter(subscription=sub)
    assert stopped.kind == "benefit.stopped"
    assert stopped.body["data"]["program"] == "assistance.dibao"


def test_the_signature_is_hmac_sha256_over_time_and_body():
    body = b'{"a":1}'
    header = signature("k", 1700000000, body)
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_an_address_inside_our_own_network_is_refused(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    assert not address_allowed("http://127.0.0.1:8000/hook")
    assert not address_allowed("http://10.1.2.3/hook")
    assert not address_allowed("ftp://example.org/hook")
    assert not address_allowed("file:///etc/passwd")
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    assert address_allowed("http://127.0.0.1:8000/hook")


@pytest.fixture
def admin_http(personas, settings):
    from django.test import Client

    # No name resolves here (no network): the address check would refuse every host.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True

    from tests.auth import sign_in

    http = Client()
    sign_in(http, personas.admin)
    return http


def test_the_admin_adds_a_subscription_and_sees_its_secret_once(admin_http, client, regions):
    admin_client = admin_http
    dept = make_department(client)
    response = admin_client.post(
        "/admin/exchange/subscription/add/",
        {
            "grant": dept.grant.pk,
            "url": "https://hooks.example.gov.cn/in",
            "kinds": ["person.died", "case.decided"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    sub = Subscription.objects.get()
    assert len(sub.signing_secret) > 30
    assert sub.signing_secret in response.content.decode()
    page = admin_client.get(f"/admin/exchange/subscription/{sub.pk}/change/")
    assert sub.signing_secret not in page_text(page)


def test_a_subscription_beyond_the_grant_is_refused(admin_http, client, regions):
    admin_client = admin_http
    dept = make_department(client, endpoints=["cases:read"])
    response = admin_client.post(
        "/admin/exchange/subscription/add/",
        {
            "grant": dept.grant.pk,
            "url": "https://hooks.example.gov.cn/in",
            "kinds": ["person.died"],
        },
    )
    assert response.status_code == 200
    assert Subscription.objects.count() == 0


def test_an_old_event_body_is_plain_json(client, regions, family):
    subscribe(make_department(client))
    do_record_death(family["head"], acting_user=None, date_of_death=timezone.localdate())
    body = Delivery.objects.get().body
    json.dumps(body)
    assert dt.datetime.fromisoformat(body["occurred_at"])
