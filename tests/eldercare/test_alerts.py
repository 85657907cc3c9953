"""The health-device endpoint: authentication, validation with reasons, all-or-nothing, and
idempotence; alerts by severity; a severe alert opens an urgent visit in the right office and
tells the family."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from civilaffairs.accounts.actions import do_create_office
from civilaffairs.accounts.models import Office
from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case, Notification
from civilaffairs.casework.registry import all_services
from civilaffairs.people.models import Region
from eldercare import actions
from eldercare.models import Alert, DevicePlatform, DeviceReading, HomeVisit

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def device(world):
    platform, token = actions.do_register_platform(acting_user=None, name="测试平台")
    dev = actions.do_register_device(
        platform, acting_user=None, external_id="W-1", person=world.elder
    )
    return platform, token, dev


def post(client, token, body, raw=None):
    return client.post(
        reverse("eldercare:api-readings"),
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}" if token else "",
    )


def reading(event_id="e-1", kind="fall", value=None, device_id="W-1", minutes_ago=2):
    r = {
        "event_id": event_id,
        "device_id": device_id,
        "type": kind,
        "recorded_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
    }
    if value is not None:
        r["value"] = value
    return r


def test_the_token_is_stored_only_as_a_hash(device):
    platform, token, _dev = device
    assert token not in platform.token_hash and len(platform.token_hash) == 64
    assert DevicePlatform.objects.get(pk=platform.pk).token_hash == actions.hash_token(token)


def test_a_post_without_a_valid_token_is_refused(client, device):
    assert post(client, "", reading()).status_code == 401
    assert post(client, "wrong-token", reading()).status_code == 401
    assert client.get(reverse("eldercare:api-readings")).status_code == 405
    assert not DeviceReading.objects.exists()


def test_a_severe_alert_opens_an_urgent_visit_in_the_community_office_and_tells_the_family(
    client, world, device, django_capture_on_commit_callbacks
):
    _platform, token, _dev = device
    community = do_create_office(
        acting_user=None,
        name="崇安社区服务站",
        region=Region.objects.get(code="640104001002"),
        level=Office.Level.COMMUNITY,
        services=[s.code for s in all_services()],
    )
    world.family.email = "family@example.cn"
    world.family.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, token, reading(kind="fall"))
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 1 and len(response.json()["alerts"]) == 1

    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.SEVERE and alert.person == world.elder
    case = alert.visit_case
    assert case.service == "eldercare.urgent_visit" and case.priority == Case.Priority.URGENT
    assert case.office == community and case.state == "dispatched"
    assert case.region_id == world.elder.residence_region_id
    assert HomeVisit.objects.get(case=case).alert == alert
    # The family contact is told at once.
    note = Notification.objects.get(person=world.family.person)
    assert world.elder.name in note.title and case.reference in note.body
    # ... and by e-mail, stamped (the copy used to go without emailed_at being set).
    assert note.emailed_at is not None
    assert ["family@example.cn"] in [m.to for m in mail.outbox]


def test_without_a_community_office_the_township_gets_the_visit(client, world, device):
    _platform, token, _dev = device
    post(client, token, reading(kind="sos"))
    case = Alert.objects.get().visit_case
    assert case.office == world.p.township
    # The township caseworker sees it; a caseworker of another county does not.
    assert Case.objects.visible_to(world.p.caseworker).filter(pk=case.pk).exists()
    assert not Case.objects.visible_to(world.p.other_caseworker).filter(pk=case.pk).exists()


def test_a_repeated_post_is_ignored(client, device):
    _platform, token, _dev = device
    first = post(client, token, reading(event_id="evt-42", kind="fall"))
    again = post(client, token, reading(event_id="evt-42", kind="fall"))
    assert first.status_code == 201
    assert again.status_code == 200 and again.json() == {
        "accepted": 0,
        "duplicates": 1,
        "alerts": [],
    }
    assert DeviceReading.objects.count() == 1
    assert Alert.objects.count() == 1
    assert Case.objects.filter(service="eldercare.urgent_visit").count() == 1


def test_a_second_severe_alert_joins_the_open_visit(client, device):
    _platform, token, _dev = device
    post(client, token, reading(event_id="a", kind="fall"))
    post(client, token, reading(event_id="b", kind="sos"))
    assert Alert.objects.count() == 2
    assert Case.objects.filter(service="eldercare.urgent_visit").count() == 1
    assert len({a.visit_case_id for a in Alert.objects.all()}) == 1


@pytest.mark.parametrize(
    ("value", "severity"),
    [(72, None), (115, Alert.Severity.WARNING), (150, Alert.Severity.SEVERE), (38, 2)],
)
def test_heart_rate_thresholds_come_from_the_regions_parameters(client, device, value, severity):
    _platform, token, _dev = device
    response = post(client, token, reading(kind="heart_rate", value=value))
    assert response.status_code == 201
    alert = Alert.objects.first()
    assert (alert.severity if alert else None) == severity
    assert Case.objects.filter(service="eldercare.urgent_visit").exists() == (severity == 2)


def test_inactivity_raises_a_warning_then_a_severe_alert(client, device):
    _platform, token, _dev = device
    post(client, token, reading(event_id="i1", kind="inactivity", value=13))
    post(client, token, reading(event_id="i2", kind="inactivity", value=30))
    assert list(Alert.objects.order_by("pk").values_list("severity", flat=True)) == [1, 2]


GOOD = {
    "event_id": "x",
    "device_id": "W-1",
    "type": "fall",
    "recorded_at": "2026-01-01T08:00:00+08:00",
}


def _without(key):
    return {k: v for k, v in GOOD.items() if k != key}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without("event_id"), "event_id"),
        ({**GOOD, "device_id": "NOPE"}, "device_id"),
        ({**GOOD, "type": "sneeze"}, "type"),
        ({**GOOD, "type": "heart_rate"}, "value"),
        ({**GOOD, "type": "heart_rate", "value": 999}, "value"),
        ({**GOOD, "value": 3}, "value"),
        ({**GOOD, "recorded_at": "2026-01-01 08:00"}, "recorded_at"),
        ({**GOOD, "recorded_at": "2099-01-01T08:00:00+08:00"}, "recorded_at"),
    ],
)
def test_a_bad_reading_gets_a_400_naming_the_problem(client, device, body, field):
    _platform, token, _dev = device
    response = post(client, token, body)
    assert response.status_code == 400
    assert field in {d.get("field") for d in response.json()["details"]}
    assert not DeviceReading.objects.exists()


def test_a_batch_with_one_bad_reading_stores_nothing(client, device):
    _platform, token, _dev = device
    good = reading(event_id="ok-1", kind="fall")
    bad = {**reading(event_id="bad-1", kind="heart_rate"), "value": "fast"}
    response = post(client, token, {"readings": [good, bad]})
    assert response.status_code == 400
    assert response.json()["details"] == [
        {"index": 1, "field": "value", "reason": "required: a number"}
    ]
    assert not DeviceReading.objects.exists() and not Alert.objects.exists()
    assert not Case.objects.filter(service="eldercare.urgent_visit").exists()


def test_malformed_json_gets_a_400(client, device):
    _platform, token, _dev = device
    response = post(client, token, None, raw="{not json")
    assert response.status_code == 400 and "JSON" in response.json()["details"][0]["reason"]


def test_recording_the_visit_closes_the_case_and_the_alerts(client, world, device):
    _platform, token, _dev = device
    post(client, token, reading(kind="fall"))
    visit = HomeVisit.objects.get()
    with pytest.raises(PermissionDenied):  # a caseworker of another county
        do_transition(
            visit.case,
            "record_visit",
            acting_user=world.p.other_caseworker,
            values={"visited_at": timezone.now(), "finding": "well"},
        )
    do_transition(
        visit.case,
        "record_visit",
        acting_user=world.p.caseworker,
        values={
            "visited_at": timezone.now() - dt.timedelta(minutes=1),
            "finding": HomeVisit.Finding.HELPED,
            "notes": "扶起，无外伤",
        },
    )
    visit.refresh_from_db()
    visit.case.refresh_from_db()
    assert visit.case.state == "visited" and visit.case.closed_at is not None
    assert visit.finding == HomeVisit.Finding.HELPED and visit.notes == "扶起，无外伤"
    assert Alert.objects.get().status == Alert.Status.HANDLED
    event = visit.case.events.get(transition="record_visit")
    assert event.public and event.actor == world.p.caseworker
