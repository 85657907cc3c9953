"""Every staff URL, tried by a member of staff from another county: 404 (or 403), never data."""

import pytest
from django.urls import reverse

from civilaffairs.accounts.access import access_person, scope_q
from civilaffairs.accounts.models import AccessLog, StaffRole
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Person, Region
from tests.auth import sign_in
from tests.factories import PersonFactory, staff
from tests.pages import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(personas):
    # Lives in 凤凰北街街道 (640104001), 兴庆区.
    return PersonFactory(name="孙志刚", hukou_region=Region.objects.get(code="640104001002"))


PERSON_URLS = [
    ("get", "staff:person-detail"),
    ("post", "staff:person-reveal"),
]


@pytest.mark.parametrize(("method", "name"), PERSON_URLS)
def test_staff_of_another_county_cannot_open_a_person_of_this_county(
    client, personas, resident, method, name
):
    sign_in(client, personas.other_caseworker)
    response = getattr(client, method)(reverse(name, args=[resident.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "name"), PERSON_URLS)
def test_a_citizen_cannot_use_staff_urls(client, personas, resident, method, name):
    sign_in(client, personas.citizen)
    assert getattr(client, method)(reverse(name, args=[resident.pk])).status_code == 403


def test_staff_list_pages_refuse_citizens_and_show_only_own_area(client, personas, resident):
    elsewhere = PersonFactory(name="吴志刚", hukou_region=Region.objects.get(code="640105001002"))
    sign_in(client, personas.citizen)
    assert client.get(reverse("staff:workspace")).status_code == 403
    assert client.get(reverse("staff:person-list")).status_code == 403
    sign_in(client, personas.caseworker)
    page = page_text(client.get(reverse("staff:person-list")))
    assert resident.name in page and elsewhere.name not in page
    sign_in(client, personas.other_caseworker)
    page = page_text(client.get(reverse("staff:person-list")))
    assert elsewhere.name in page and resident.name not in page


def test_anonymous_visitors_are_sent_to_log_in(client, personas, resident):
    response = client.get(reverse("staff:person-detail", args=[resident.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_county_and_the_city_see_the_townships_people(personas, resident):
    for user in (personas.caseworker, personas.approver, personas.supervisor):
        assert access_person(user, resident.pk) == resident


def test_the_id_number_is_masked_on_staff_pages(client, personas, resident):
    sign_in(client, personas.caseworker)
    for url in (reverse("staff:person-list"), reverse("staff:person-detail", args=[resident.pk])):
        page = page_text(client.get(url))
        assert resident.id_number not in page
        assert resident.masked_id_number in page


def test_revealing_needs_the_permission_and_is_logged(client, personas, resident):
    from django.contrib.auth.models import Permission

    sign_in(client, personas.caseworker)
    url = reverse("staff:person-reveal", args=[resident.pk])
    assert client.post(url).status_code == 403
    personas.caseworker.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    response = client.post(url, {"field": "id_number"})
    assert resident.id_number in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id) == (
        personas.caseworker,
        AccessLog.Action.REVEAL_ID,
        str(resident.pk),
    )


def test_the_scope_applies_region_and_confidentiality_together(personas):
    """A grant covers its region up to its level; both are checked in the same term."""
    sensitive_worker = staff("cw_child", "640105", StaffRole.Role.CHILD_WELFARE)
    q_case = scope_q(personas.caseworker, region_field="residence_region_id")
    assert Person.objects.filter(q_case).count() >= 0  # compiles to SQL
    term = str(scope_q(sensitive_worker, region_field="r", level_field="lvl"))
    assert "640105" in term and str(int(Confidentiality.SENSITIVE)) in term
    assert "640104" not in term


def test_someone_with_no_grant_sees_nothing(personas, resident):
    q = scope_q(personas.citizen, region_field="residence_region_id")
    assert not Person.objects.filter(q).exists()
