"""A person sees on "who used my data" when a member of staff opened their record without a
case of theirs in hand, and every reveal of their full numbers; staff working on their case
open it without an entry (issue #17 item 7)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from civilaffairs.accounts.models import AccessLog
from tests.auth import sign_in

from .conftest import make_case

pytestmark = pytest.mark.django_db


def _uses(client, citizen, language):
    sign_in(client, citizen)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("my-data-uses"))
    assert page.status_code == 200
    text = page.content.decode()
    return text.split('id="staff-uses"')[1] if 'id="staff-uses"' in text else ""


def test_a_look_up_outside_ones_cases_is_shown_to_the_person(client, world):
    citizen = world.citizen
    person = citizen.person
    assert _uses(client, citizen, "zh-hans") == ""
    # The county's approver opens the record: no case of the person is theirs.
    sign_in(client, world.approver)
    assert client.get(reverse("staff:person-detail", args=[person.pk])).status_code == 200
    zh = _uses(client, citizen, "zh-hans")
    assert world.county.name in zh
    assert "在人员信息库中查看了您的记录" in zh
    en = _uses(client, citizen, "en")
    assert world.county.name in en and "person register" in en
    # Nobody else sees the entry on their own page.
    assert AccessLog.objects.filter(user=world.approver, action="view_record").count() == 1


def test_staff_with_the_persons_case_in_hand_leave_no_entry(client, world):
    person = world.citizen.person
    make_case(applicant=person)  # at the township's office: the caseworker's
    sign_in(client, world.caseworker)
    assert client.get(reverse("staff:person-detail", args=[person.pk])).status_code == 200
    assert not AccessLog.objects.filter(action="view_record").exists()
    assert _uses(client, world.citizen, "en") == ""


def test_a_reveal_of_the_full_number_is_shown_too(client, world):
    person = world.citizen.person
    world.approver.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    sign_in(client, world.approver)
    response = client.post(reverse("staff:person-reveal", args=[person.pk]), {"field": "id_number"})
    assert response.status_code == 200
    en = _uses(client, world.citizen, "en")
    assert "Saw your full ID number." in en
