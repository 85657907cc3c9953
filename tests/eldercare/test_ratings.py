"""Ratings of home-care providers (issue #16 item 11): the elder's family reads how each visit
was rated, a citizen choosing a provider reads its average, the provider reads its own summary
(average, count, the latest comments), and the civil-affairs staff read a summary per provider
of the ratings their area's elders gave: never another area's (404 for a provider of another
county, 403 for a role that does not work elder care)."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from eldercare import actions
from tests.auth import sign_in
from tests.pages import page_text

from .conftest import URLS, accepted, at, book, check_in, check_out, tomorrow

pytestmark = pytest.mark.urls(URLS)


def zh(message, **values):
    with translation.override("zh-hans"):
        return gettext(message) % values if values else gettext(message)


def out_of_five(score):
    return zh("%(score)s out of 5", score=score)


def rated_visit(world, hour, *, by, score, comment=""):
    booking = accepted(world, book(world, starts_at=at(tomorrow(), hour)))
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    check_in(world, booking)
    check_out(world, booking, minutes=55)
    actions.do_rate_booking(booking, acting_user=by, score=score, comment=comment)
    return booking


@pytest.fixture
def rated(world):
    """Two visits of 王秀英: she rated one 5, her daughter the other 4."""
    first = rated_visit(world, 9, by=world.p.citizen, score=5, comment="护理员很耐心")
    second = rated_visit(world, 14, by=world.family, score=4, comment="送餐晚了十分钟")
    return first, second


def test_the_family_reads_how_the_elder_rated_each_visit(client, world, rated):
    first, second = rated
    sign_in(client, world.family)
    listing = page_text(client.get(reverse("eldercare:booking-list")))
    assert out_of_five(5) in listing and "护理员很耐心" in listing
    assert out_of_five(4) in listing
    detail = page_text(client.get(reverse("eldercare:booking-detail", args=[first.pk])))
    assert out_of_five(5) in detail and "护理员很耐心" in detail
    # It says who rated: the mother, not "your rating".
    assert world.p.citizen.display_name in detail
    assert zh("Your rating") not in detail
    detail = page_text(client.get(reverse("eldercare:booking-detail", args=[second.pk])))
    assert zh("Your rating") in detail


def test_a_citizen_choosing_a_provider_reads_its_average(client, world, rated):
    sign_in(client, world.family)
    session = client.session
    session["eldercare_booking"] = {
        "elder": world.elder.pk,
        "service": world.meal.pk,
        "day": tomorrow().isoformat(),
        "time": "16:00",
    }
    session.save()
    page = page_text(client.get(reverse("eldercare:book-step", args=["provider"])))
    with translation.override("zh-hans"):
        expected = ngettext(
            "rated %(average)s out of 5 by %(n)s elder or family",
            "rated %(average)s out of 5 by %(n)s elders or families",
            2,
        ) % {"average": "4.5", "n": 2}
    assert expected in page


def test_the_provider_reads_its_own_summary(client, world, rated):
    sign_in(client, world.provider_user)
    page = page_text(client.get(reverse("eldercare:provider-ratings")))
    with translation.override("zh-hans"):
        average = ngettext(
            "Average %(average)s out of 5, from %(n)s rating",
            "Average %(average)s out of 5, from %(n)s ratings",
            2,
        ) % {"average": "4.5", "n": 2}
    assert average in page
    assert "护理员很耐心" in page and "送餐晚了十分钟" in page
    assert rated[0].reference in page
    # Another provider reads only its own (none).
    client.logout()
    sign_in(client, world.other_provider_user)
    page = page_text(client.get(reverse("eldercare:provider-ratings")))
    assert "护理员很耐心" not in page and zh("No ratings yet.") in page
    # Not a provider: refused.
    client.logout()
    sign_in(client, world.family)
    assert client.get(reverse("eldercare:provider-ratings")).status_code == 403


def test_the_office_reads_a_summary_per_provider_of_its_own_area_only(client, world, rated):
    detail_url = reverse("eldercare:staff-provider", args=[world.provider.pk])
    for staff in (world.p.caseworker, world.p.approver):
        sign_in(client, staff)
        listing = page_text(client.get(reverse("eldercare:staff-providers")))
        assert world.provider.name in listing and "4.5" in listing
        detail = page_text(client.get(detail_url))
        assert "护理员很耐心" in detail and "送餐晚了十分钟" in detail
        client.logout()
    # The caseworker of 西夏区: the provider of 兴庆区 serves nobody there.
    sign_in(client, world.p.other_caseworker)
    listing = page_text(client.get(reverse("eldercare:staff-providers")))
    assert world.provider.name not in listing and "护理员很耐心" not in listing
    assert client.get(detail_url).status_code == 404
    client.logout()
    # The approver of 西夏区 sees 西夏区's provider, not the ratings of 兴庆区.
    sign_in(client, world.p.other_approver)
    listing = page_text(client.get(reverse("eldercare:staff-providers")))
    assert world.other_provider.name in listing  # registered in 西夏区, not rated yet
    assert world.provider.name not in listing
    assert client.get(detail_url).status_code == 404
    other = reverse("eldercare:staff-provider", args=[world.other_provider.pk])
    assert "护理员很耐心" not in page_text(client.get(other))
    client.logout()
    # Citizens and providers are refused the staff pages.
    for user in (world.family, world.provider_user):
        sign_in(client, user)
        assert client.get(reverse("eldercare:staff-providers")).status_code == 403
        assert client.get(detail_url).status_code == 403
        client.logout()


def test_the_township_sees_the_providers_serving_its_area_before_any_visit(client, world):
    """A provider registered at the county, covering the county, is on each of its townships'
    lists from the start (not only once it has served someone there); not on another
    county's."""
    assert world.provider.region_id == "640104"
    sign_in(client, world.p.caseworker)  # 凤凰北街街道, a township of 兴庆区
    listing = page_text(client.get(reverse("eldercare:staff-providers")))
    assert world.provider.name in listing
    detail = reverse("eldercare:staff-provider", args=[world.provider.pk])
    assert client.get(detail).status_code == 200
    sign_in(client, world.p.other_caseworker)  # a township of 西夏区
    assert world.provider.name not in page_text(client.get(reverse("eldercare:staff-providers")))
    assert client.get(detail).status_code == 404


def test_each_office_counts_only_the_ratings_of_its_own_elders(client, world, rated):
    """The 兴庆区 provider also serves 金凤区: a 金凤区 elder's rating is 金凤区's office's to
    read, and does not enter 兴庆区's summary."""
    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.accounts.models import StaffRole
    from civilaffairs.people.models import Region
    from tests.factories import PersonFactory, UserFactory, office_for

    jinfeng = UserFactory(username="jinfeng_cw")
    do_grant_role(jinfeng, office_for("640106"), StaffRole.Role.CASEWORKER, acting_user=None)
    detail_url = reverse("eldercare:staff-provider", args=[world.provider.pk])
    sign_in(client, jinfeng)
    # Listed from the start (its service area covers 金凤区), with nothing rated yet.
    assert world.provider.name in page_text(client.get(reverse("eldercare:staff-providers")))
    detail = page_text(client.get(detail_url))
    assert "护理员很耐心" not in detail
    client.logout()

    village = Region.objects.filter(code__startswith="640106", level=Region.Level.VILLAGE).first()
    elder = PersonFactory(residence_region=village, hukou_region=village)
    booking = accepted(world, book(world, by=jinfeng, elder=elder, starts_at=at(tomorrow(), 10)))
    actions.do_assign_worker(booking, world.workers[1], acting_user=world.provider_user)
    check_in(world, booking)
    check_out(world, booking)
    actions.do_rate_booking(
        booking, acting_user=UserFactory(person=elder), score=1, comment="没有按时来"
    )

    sign_in(client, jinfeng)
    detail = page_text(client.get(detail_url))
    assert "没有按时来" in detail and "护理员很耐心" not in detail
    client.logout()
    sign_in(client, world.p.approver)
    detail = page_text(client.get(detail_url))
    assert "护理员很耐心" in detail and "没有按时来" not in detail
    assert "4.5" in detail  # (5 + 4) / 2: the 金凤区 rating of 1 is not theirs
