"""Staff make a household and add and remove its members, with their relation to the head
(GB/T 4761 codes), through people.actions (issue #16 item 9)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from civilaffairs.people.models import Household, Membership

from .conftest import XIXIA, resident, visible

pytestmark = pytest.mark.django_db


def test_a_household_is_made_members_added_and_removed(world, as_user):
    head, wife, son = resident(name="杨建军"), resident(name="马秀兰", sex="F"), resident()
    client = as_user(world.caseworker)
    page = visible(client.get(reverse("staff:person-detail", args=[head.pk])))
    assert "Create a household with this person as head" in page

    response = client.post(
        reverse("staff:household-new", args=[head.pk]),
        {"region": "崇安社区", "address": "崇安巷 5 号", "hukou_type": "urban"},
    )
    household = Household.objects.get(head=head)
    assert response["Location"] == reverse("staff:household-detail", args=[household.pk])
    add = reverse("staff:household-add-member", args=[household.pk])
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            add, {"member": wife.id_number, "relation": "10", "start_date": today}
        ).status_code
        == 302
    )
    # By the record number shown on the person's page, too.
    assert (
        client.post(add, {"member": str(son.pk), "relation": "20", "start_date": today}).status_code
        == 302
    )
    page = visible(client.get(reverse("staff:household-detail", args=[household.pk])))
    assert "马秀兰" in page and "Spouse (10)" in page and "Son (20)" in page
    assert wife.id_number not in page
    assert Membership.objects.get(person=wife, end_date=None).history.first().history_user == (
        world.caseworker
    )

    son_membership = Membership.objects.get(person=son, end_date=None)
    response = client.post(
        reverse("staff:household-end-member", args=[household.pk]),
        {"membership": son_membership.pk, "end_date": today},
    )
    assert response.status_code == 302
    son_membership.refresh_from_db()
    assert son_membership.end_date == timezone.localdate()
    page = visible(client.get(reverse("staff:household-detail", args=[household.pk])))
    assert "Former members" in page


def test_the_head_cannot_leave_while_others_remain_and_bad_input_is_a_form_error(world, as_user):
    head, daughter = resident(), resident(sex="F")
    client = as_user(world.caseworker)
    client.post(
        reverse("staff:household-new", args=[head.pk]),
        {"region": "640104001002", "address": "", "hukou_type": "rural"},
    )
    household = Household.objects.get(head=head)
    add = reverse("staff:household-add-member", args=[household.pk])
    today = timezone.localdate().isoformat()
    client.post(add, {"member": daughter.id_number, "relation": "30", "start_date": today})

    head_membership = Membership.objects.get(person=head, end_date=None)
    response = client.post(
        reverse("staff:household-end-member", args=[household.pk]),
        {"membership": head_membership.pk, "end_date": today},
    )
    assert "The head of the household cannot leave while other members remain." in visible(
        response, 400
    )
    head_membership.refresh_from_db()
    assert head_membership.end_date is None

    stranger = resident(XIXIA)
    for data, message in [
        ({"member": stranger.id_number, "relation": "20"}, "No one with this number"),
        ({"member": "99999999999", "relation": "20"}, "No one with this number"),
        ({"member": str(daughter.pk), "relation": "02"}, "Select a valid choice"),
        ({"member": daughter.id_number, "relation": "30"}, "already a member"),
        ({"member": "x" * 500, "relation": "20"}, "at most 40 characters"),
    ]:
        response = client.post(add, {"start_date": today, **data})
        assert message in visible(response, 400), data
    response = client.post(
        add, {"member": str(head.pk), "relation": "20", "start_date": "2999-01-01"}
    )
    assert "This date is in the future." in visible(response, 400)
    assert household.memberships.count() == 2


def test_a_household_page_in_chinese(world, as_user):
    head = resident(name="田志强")
    client = as_user(world.caseworker, "zh-hans")
    client.post(
        reverse("staff:household-new", args=[head.pk]),
        {"region": "崇安社区", "address": "", "hukou_type": "urban"},
    )
    household = Household.objects.get(head=head)
    page = visible(client.get(reverse("staff:household-detail", args=[household.pk])))
    assert "户主" in page and "添加成员" in page


def test_who_may_work_on_households(world, as_user):
    here_head, there_head = resident(), resident(XIXIA)
    from civilaffairs.people.actions import do_create_household

    here = do_create_household(acting_user=None, head=here_head, region=here_head.residence_region)
    there = do_create_household(
        acting_user=None, head=there_head, region=there_head.residence_region
    )
    for name, pk, kind in [
        ("staff:household-detail", here.pk, "get"),
        ("staff:household-add-member", here.pk, "post"),
        ("staff:household-end-member", here.pk, "post"),
        ("staff:household-new", here_head.pk, "get"),
        ("staff:household-new", here_head.pk, "post"),
    ]:
        url = reverse(name, args=[pk])

        def ask(user, url=url, kind=kind):
            return getattr(as_user(user), kind)(url).status_code

        assert ask(world.other_caseworker) == 404, name
        assert ask(world.registrar) == 403, name
        assert ask(world.citizen) == 403, name
        assert ask(world.caseworker) in (200, 400), name
    assert (
        as_user(world.caseworker)
        .get(reverse("staff:household-detail", args=[there.pk]))
        .status_code
        == 404
    )
    assert (
        as_user(world.other_caseworker)
        .get(reverse("staff:household-detail", args=[there.pk]))
        .status_code
        == 200
    )


def test_the_household_page_shows_no_date_that_may_be_a_birth_date(world, as_user):
    """A child joins the household the day she is born: that day beside her masked ID number
    would give the number away (lib/masking.py), so members are shown with their age."""
    import datetime as dt

    head = resident()
    baby = resident(sex="F", birth_date=dt.date(2020, 3, 4))
    client = as_user(world.caseworker)
    client.post(
        reverse("staff:household-new", args=[head.pk]),
        {"region": "640104001002", "address": "", "hukou_type": "urban"},
    )
    household = Household.objects.get(head=head)
    client.post(
        reverse("staff:household-add-member", args=[household.pk]),
        {"member": baby.id_number, "relation": "30", "start_date": "2020-03-04"},
    )
    assert Membership.objects.filter(person=baby, start_date=dt.date(2020, 3, 4)).exists()
    page = visible(client.get(reverse("staff:household-detail", args=[household.pk])))
    assert baby.masked_id_number in page and "2020-03-04" not in page
