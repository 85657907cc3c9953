"""Device alerts as people read them and the urgent visit they raise (issue #16 item 12): an
alert keeps its kind and value and is put in words with its unit in each reader's language
("心率 150 次/分", "Heart rate 150 bpm"); the urgent-visit case has the elder as its subject, so
the office queue and the case page name them; the staff who must visit read the full phone
numbers of the elder and the emergency contacts through a logged reveal, everyone else reads
them masked. Existing alerts and visits are brought along by a data migration."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case, Notification
from civilaffairs.lib.masking import mask_phone
from eldercare import actions
from eldercare.models import Alert, FamilyLink, HomeVisit, reading_text
from tests.auth import sign_in
from tests.pages import page_text

from .conftest import URLS

pytestmark = pytest.mark.urls(URLS)


@pytest.fixture
def token(world):
    platform, token = actions.do_register_platform(acting_user=None, name="测试平台")
    actions.do_register_device(platform, acting_user=None, external_id="W-1", person=world.elder)
    return token


def post(client, token, kind, value=None, event_id="e-1"):
    body = {
        "event_id": event_id,
        "device_id": "W-1",
        "type": kind,
        "recorded_at": (timezone.now() - dt.timedelta(minutes=2)).isoformat(),
    }
    if value is not None:
        body["value"] = value
    response = client.post(
        reverse("eldercare:api-readings"),
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    return Alert.objects.order_by("-pk").first()


def in_language(code, fn):
    with translation.override(code):
        return fn()


@pytest.mark.parametrize(
    ("kind", "value", "zh", "en"),
    [
        ("heart_rate", 150, "心率 150 次/分", "Heart rate 150 bpm"),
        ("heart_rate", 38, "心率 38 次/分", "Heart rate 38 bpm"),
        ("inactivity", 30, "30 小时无活动", "No activity for 30 hours"),
        ("fall", None, "检测到跌倒", "Fall detected"),
        ("sos", None, "按下紧急呼叫按钮", "SOS button pressed"),
    ],
)
def test_an_alert_says_what_happened_with_its_unit_in_the_readers_language(
    client, world, token, kind, value, zh, en
):
    alert = post(client, token, kind, value)
    assert alert.kind == kind and alert.value == value  # a code and a number are stored
    assert in_language("zh-hans", lambda: alert.text) == zh
    assert in_language("en", lambda: alert.text) == en
    # The staff list shows it in the reader's language.
    sign_in(client, world.p.caseworker)
    assert zh in page_text(client.get(reverse("eldercare:staff-alerts")))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert en in page_text(client.get(reverse("eldercare:staff-alerts")))


def test_the_family_and_the_timeline_read_the_value_as_people_write_it(client, world, token):
    post(client, token, "heart_rate", 150)
    note = Notification.objects.get(person=world.family.person)
    assert "心率 150 次/分" in note.body and "E+" not in note.body
    case = Case.objects.get(service="eldercare.urgent_visit")
    event = case.events.get(transition="submit")
    assert "心率 150 次/分" in event.translations["zh-hans"]
    assert "Heart rate 150 bpm" in event.translations["en"]
    # A second alert joins the case: its note too is kept in both languages.
    post(client, token, "sos", event_id="e-2")
    note = case.events.filter(kind="note").get()
    assert "按下紧急呼叫按钮" in note.translations["zh-hans"]
    assert "SOS button pressed" in note.translations["en"]


def test_the_urgent_visit_names_the_elder_in_the_queue_and_on_the_case_page(client, world, token):
    case = post(client, token, "fall").visit_case
    assert case.applicant == world.elder and case.beneficiary == world.elder
    sign_in(client, world.p.caseworker)
    queue = page_text(client.get(reverse("casework:queue-office")))
    assert case.reference in queue and world.elder.name in queue
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert world.elder.name in page
    assert in_language("zh-hans", lambda: str(_no_applicant())) not in page


def _no_applicant():
    from django.utils.translation import gettext

    return gettext("No applicant recorded.")


@pytest.fixture
def visit(client, world, token):
    post(client, token, "fall")
    return HomeVisit.objects.select_related("case").get()


def reveal(client, visit, whose):
    return client.post(reverse("eldercare:staff-visit-phone", args=[visit.pk]), {"whose": whose})


def test_the_visiting_caseworker_reveals_the_numbers_to_call_each_reveal_logged(
    client, world, visit
):
    elder, daughter = world.elder, world.family.person
    link = FamilyLink.objects.confirmed().get(elder=elder, family=world.family)
    sign_in(client, world.p.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[visit.case_id])))
    # Masked on the page, with a button per number.
    assert mask_phone(elder.phone) in page and mask_phone(daughter.phone) in page
    assert elder.phone not in page and daughter.phone not in page
    assert reverse("eldercare:staff-visit-phone", args=[visit.pk]) in page

    response = reveal(client, visit, "elder")
    assert response.status_code == 200 and elder.phone in response.content.decode()
    response = reveal(client, visit, f"link-{link.pk}")
    assert response.status_code == 200 and daughter.phone in response.content.decode()
    logs = AccessLog.objects.filter(user=world.p.caseworker, action="reveal_phone")
    assert logs.count() == 2  # one entry per reveal
    assert {(log.content_type.model, log.object_id) for log in logs} == {
        ("person", str(elder.pk)),
        ("person", str(daughter.pk)),
    }
    assert all(visit.case.reference in log.detail for log in logs)
    # An htmx reveal answers with the number alone, in place.
    response = client.post(
        reverse("eldercare:staff-visit-phone", args=[visit.pk]),
        {"whose": "elder"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert logs.all().count() == 3


def test_staff_who_do_not_visit_read_the_numbers_masked_and_cannot_reveal(client, world, visit):
    elder = world.elder
    url = reverse("casework:case-detail", args=[visit.case_id])
    # The county approver sees the case but is not the one to go: masked, no button, 403.
    sign_in(client, world.p.approver)
    page = page_text(client.get(url))
    assert mask_phone(elder.phone) in page and elder.phone not in page
    assert reverse("eldercare:staff-visit-phone", args=[visit.pk]) not in page
    assert reveal(client, visit, "elder").status_code == 403
    client.logout()
    # Another county's caseworker: the visit is not theirs to know of.
    sign_in(client, world.p.other_caseworker)
    assert reveal(client, visit, "elder").status_code == 404
    client.logout()
    # The family and the provider are not staff.
    for user in (world.family, world.provider_user):
        sign_in(client, user)
        assert reveal(client, visit, "elder").status_code == 403
        client.logout()
    assert not AccessLog.objects.filter(action="reveal_phone").exists()


def test_once_the_visit_is_recorded_the_numbers_are_no_longer_revealed(client, world, visit):
    do_transition(
        visit.case,
        "record_visit",
        acting_user=world.p.caseworker,
        values={"visited_at": timezone.now() - dt.timedelta(minutes=1), "finding": "well"},
    )
    sign_in(client, world.p.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[visit.case_id])))
    assert reverse("eldercare:staff-visit-phone", args=[visit.pk]) not in page
    assert reveal(client, visit, "elder").status_code == 403
    assert not AccessLog.objects.exists()


def test_an_unknown_contact_is_a_message_not_an_error(client, world, visit):
    sign_in(client, world.p.caseworker)
    response = reveal(client, visit, "link-999999")
    assert response.status_code == 302
    assert not AccessLog.objects.exists()


def test_reading_text_never_writes_an_exponent():
    with translation.override("zh-hans"):
        assert reading_text("heart_rate", 150) == "心率 150 次/分"
        assert reading_text("inactivity", 1.5) == "1.5 小时无活动"


@pytest.mark.django_db(transaction=True)
def test_existing_alerts_and_visits_are_brought_along_by_the_migration(personas_tx, client):
    """Before 0004 an alert kept its words (in one language) and a visit had no applicant: the
    migration gives each alert its reading's value and each visit the elder as subject; back
    again, the words are written in the site's language."""
    from tests.eldercare.conftest import setup_eldercare
    from tests.migrations import migrate

    world = setup_eldercare(personas_tx)
    platform, token = actions.do_register_platform(acting_user=None, name="p")
    actions.do_register_device(platform, acting_user=None, external_id="W-1", person=world.elder)
    alert = post(client, token, "heart_rate", 150)
    case_id = alert.visit_case_id
    try:
        old = migrate("eldercare", "0003_allowance_payment_removed")
        OldAlert = old.get_model("eldercare", "Alert")
        OldCase = old.get_model("casework", "Case")
        assert OldAlert.objects.get(pk=alert.pk).message == "心率 150 次/分"
        OldCase.objects.filter(pk=case_id).update(applicant=None)  # as the old code left it
    finally:
        migrate()
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.value == 150
    assert in_language("en", lambda: alert.text) == "Heart rate 150 bpm"
    assert Case.objects.get(pk=case_id).applicant == world.elder
