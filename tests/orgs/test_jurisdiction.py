"""Authority staff see only the organizations registered with their office (or below it in
their area). Every staff URL of the app is tried by staff of another county: 404 (403 for a
user who is not staff at all), never data, never a change."""

from decimal import Decimal

import pytest
from django.urls import reverse

from civilaffairs.casework.models import Case
from orgs.models import AnnualReport, Delivery, Match, Need, OrgAccount, Organization
from tests.auth import sign_in

from .conftest import citizen_user, register_org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgs.urls_for_tests")]

OTHERS = ["other_approver", "other_supervisor", "other_caseworker"]


def urls(s):
    return [
        ("get", "orgs:staff-org", [s.org.pk], None),
        ("post", "orgs:staff-org-status", [s.org.pk], {"status": "suspended", "reason": "x"}),
        ("post", "orgs:staff-org-charity", [s.org.pk], {"recognised": "no", "reason": "x"}),
        ("post", "orgs:staff-org-account", [s.org.pk], {"login": s.donor.username}),
        # Approving and grading are steps of the case, taken on the staff case page.
        ("get", "casework:case-detail", [s.change.case.pk], None),
        (
            "post",
            "casework:case-transition",
            [s.change.case.pk, "approve"],
            {"t-approve-credit_code": ""},
        ),
        ("get", "casework:case-detail", [s.report.case.pk], None),
        (
            "post",
            "casework:case-transition",
            [s.report.case.pk, "grade"],
            {"t-grade-grade": "pass"},
        ),
        # The township's household need: its pages are the township's, not another county's.
        ("get", "orgs:need-detail", [s.household_need.pk], None),
        ("post", "orgs:need-propose", [s.household_need.pk], None),
        ("post", "orgs:need-close", [s.household_need.pk], None),
        ("post", "orgs:match-accept", [s.household_match.pk], None),
        ("post", "orgs:match-decline", [s.household_match.pk], None),
        ("post", "orgs:match-close", [s.household_match.pk], None),
        (
            "post",
            "orgs:match-delivery",
            [s.household_match.pk],
            {"quantity": "1", "sent_on": "2026-01-01"},
        ),
        (
            "post",
            "orgs:delivery-confirm",
            [s.household_match.deliveries.first().pk],
            {"received_quantity": "1"},
        ),
        ("post", "orgs:delivery-confirm", [s.pending.pk], {"received_quantity": "1"}),
    ]


def snapshot(s):
    org = Organization.objects.get(pk=s.org.pk)
    return (
        org.status,
        org.is_charity,
        org.scope,
        OrgAccount.objects.count(),
        Case.objects.get(pk=s.change.case.pk).state,
        AnnualReport.objects.get(pk=s.report.pk).grade,
        tuple(Need.objects.order_by("pk").values_list("status", "committed", "received")),
        tuple(Match.objects.order_by("pk").values_list("status", "sent", "received")),
        Delivery.objects.filter(confirmed_at__isnull=False).count(),
    )


@pytest.mark.parametrize("who", OTHERS)
def test_staff_of_another_county_get_404_on_every_staff_url_and_change_nothing(client, scene, who):
    before = snapshot(scene)
    sign_in(client, getattr(scene, who))
    for method, name, args, data in urls(scene):
        r = getattr(client, method)(reverse(name, args=args), data or {})
        assert r.status_code == 404, (name, r.status_code)
    assert snapshot(scene) == before


@pytest.mark.parametrize("who", OTHERS + ["caseworker"])
def test_lists_of_another_county_or_of_a_township_do_not_show_the_organization(client, scene, who):
    sign_in(client, getattr(scene, who))
    for name in ("orgs:staff-orgs", "orgs:staff-late"):
        r = client.get(reverse(name))
        assert r.status_code == 200
        assert scene.org.name not in r.content.decode(), name


def test_the_authority_sees_its_organization_in_its_lists(client, scene):
    sign_in(client, scene.approver)
    for name in ("orgs:staff-orgs", "orgs:staff-late"):
        assert scene.org.name in client.get(reverse(name)).content.decode()
    assert client.get(reverse("orgs:staff-org", args=[scene.org.pk])).status_code == 200


def test_a_citizen_is_refused_the_staff_pages(client, scene):
    sign_in(client, scene.donor)
    assert client.get(reverse("orgs:staff-orgs")).status_code == 403
    assert client.get(reverse("orgs:staff-org", args=[scene.org.pk])).status_code == 403
    assert (
        client.get(reverse("casework:case-detail", args=[scene.report.case.pk])).status_code == 403
    )


def test_visibility_follows_the_registration_level(world):
    """A county bureau does not see a city-registered organization even in its county; the city
    sees its own and the counties' below it; the province sees all; another county sees none."""
    county = register_org(citizen_user("甲"), world.approver, name="兴庆区甲协会", level=3)
    city_decider = world.supervisor
    city = register_org(citizen_user("乙"), city_decider, name="银川市乙协会", level=2)
    province = register_org(
        citizen_user("丙"),
        world.province_approver,
        name="宁夏丙基金会",
        level=1,
        kind="foundation",
        registered_capital=Decimal("2000000"),
    )

    def seen(user):
        return set(Organization.objects.visible_to(user).values_list("name", flat=True))

    assert seen(world.approver) == {county.name}
    assert seen(world.county_clerk) == {county.name}
    assert seen(world.supervisor) == {county.name, city.name}
    assert seen(world.province_approver) == {county.name, city.name, province.name}
    assert seen(world.other_approver) == set()
    assert seen(world.caseworker) == set()  # a township office registers nothing
    # The cases follow: the city's registration case is not in the county's sight.
    city_case = city.applications.get().case
    assert not Case.objects.visible_to(world.approver).filter(pk=city_case.pk).exists()
    assert Case.objects.visible_to(world.supervisor).filter(pk=city_case.pk).exists()
