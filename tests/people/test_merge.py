"""Two records of one person merged in the staff workspace, side by side, the staff member
choosing each value to keep; through people.actions.do_merge_persons and its life event; a
domain that refuses says why on the page (issue #16 item 9)."""

import datetime as dt

import pytest
from django.urls import reverse

from civilaffairs.accounts.models import User
from civilaffairs.people.models import Person, PersonMerge
from tests.factories import UserFactory, make_household

from .conftest import XIXIA, resident, visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(world):
    """One woman twice: with her ID card (the survivor), and registered without a document,
    another phone and the right address."""
    with_card = resident(
        name="马兰花", sex="F", birth_date=dt.date(1962, 8, 1), phone="13900001111", address=""
    )
    without = resident(
        name="马兰花",
        sex="F",
        birth_date=dt.date(1962, 8, 1),
        id_type=Person.IdType.NONE,
        id_number=None,
        phone="13700002222",
        address="崇安巷 9 号",
        marital_status=Person.MaritalStatus.WIDOWED,
    )
    return with_card, without


def test_a_duplicate_is_found_and_shown_side_by_side_with_numbers_masked(twins, world, as_user):
    with_card, without = twins
    client = as_user(world.caseworker)
    page = visible(client.get(reverse("staff:person-duplicates", args=[with_card.pk])))
    assert f"Compare with record no. {without.pk}" in page
    response = client.get(reverse("staff:person-merge", args=[with_card.pk, without.pk]))
    html = response.content.decode()
    page = visible(response)
    assert with_card.masked_id_number in page
    assert "139****1111" in page and "137****2222" in page
    for secret in (with_card.id_number, "13900001111", "13700002222", "1962-08-01"):
        assert secret not in html
    assert "the same" in page  # name, sex, age


def test_the_staff_member_chooses_each_value_and_everything_moves(twins, world, as_user):
    with_card, without = twins
    house = make_household(without)
    account = UserFactory(username="u-dup", person=without)
    client = as_user(world.caseworker)
    url = reverse("staff:person-merge", args=[with_card.pk, without.pk])
    response = client.post(
        url,
        {
            "survivor": "a",
            "keep_phone": "b",
            "keep_address": "b",
            "keep_marital_status": "a",
            "reason": "同一人：无证登记后补办身份证",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:person-detail", args=[with_card.pk])
    with_card.refresh_from_db()
    without.refresh_from_db()
    assert without.merged_into_id == with_card.pk
    assert with_card.phone == "13700002222"
    assert with_card.address == "崇安巷 9 号"
    assert with_card.marital_status == Person.MaritalStatus.UNMARRIED
    assert User.objects.get(pk=account.pk).person_id == with_card.pk
    assert house.memberships.get().person_id == with_card.pk
    merge = PersonMerge.objects.get()
    assert merge.acting_user == world.caseworker
    # The merged record is gone from the register; the survivor's history says what changed.
    client_page = client.get(reverse("staff:person-detail", args=[without.pk]))
    assert client_page.status_code == 404
    page = visible(client.get(reverse("staff:person-detail", args=[with_card.pk])))
    assert "139****1111 → 137****2222" in page
    assert "同一人" in page


def test_the_other_record_can_be_the_one_that_goes_on(twins, world, as_user):
    with_card, without = twins
    client = as_user(world.caseworker)
    response = client.post(
        reverse("staff:person-merge", args=[with_card.pk, without.pk]),
        {
            "survivor": "b",
            "keep_phone": "a",
            "keep_address": "b",
            "keep_marital_status": "b",
            "reason": "同一人",
        },
    )
    assert response["Location"] == reverse("staff:person-detail", args=[without.pk])
    number = with_card.id_number
    without.refresh_from_db()
    assert without.id_number == number  # the number moves to the record that goes on
    assert (without.phone, without.marital_status) == ("13900001111", "widowed")


def test_a_merge_a_domain_refuses_shows_the_reason_and_changes_nothing(world, as_user):
    from marriage.models import MarriageRecord
    from tests.marriage.conftest import make_registry

    registry = make_registry("640104", "兴庆区婚姻登记处")
    a = resident(name="张伟", sex="M", birth_date=dt.date(1985, 1, 1))
    b = resident(
        name="张伟",
        sex="M",
        birth_date=dt.date(1985, 1, 1),
        id_type=Person.IdType.NONE,
        id_number=None,
    )
    for husband, n in ((a, 1), (b, 2)):
        MarriageRecord.objects.create(
            man=husband,
            woman=resident(sex="F", birth_date=dt.date(1987, 3, 3)),
            registry=registry,
            registered_on=dt.date(2015, 5, n),
            man_age=30,
            woman_age=28,
            certificate_number=f"J640104-2015-00000{n}",
        )
    for language, text in (
        ("en", "Both records have a marriage in force"),
        ("zh-hans", None),
    ):
        response = as_user(world.caseworker, language).post(
            reverse("staff:person-merge", args=[a.pk, b.pk]),
            {"survivor": "a", "reason": "同一人"},
        )
        page = visible(response, 400)
        if text is None:
            from django.utils import translation

            with translation.override("zh-hans"):
                text = translation.gettext(
                    "Both records have a marriage in force: they cannot be merged automatically."
                )
        assert text in page
    b.refresh_from_db()
    assert b.merged_into_id is None and not PersonMerge.objects.exists()


def test_two_records_that_each_have_an_account_are_not_merged(twins, world, as_user):
    """One account binds one person: merging two records that each have one would leave a
    person with two, so the staff member is told to close one first, in their language."""
    with_card, without = twins
    UserFactory(username="u-card", person=with_card)
    UserFactory(username="u-dup", person=without)
    url = reverse("staff:person-merge", args=[with_card.pk, without.pk])
    for language, text in (
        ("en", "Both records have a user account; close one of the accounts first."),
        ("zh-hans", None),
    ):
        if text is None:
            from django.utils import translation

            with translation.override("zh-hans"):
                text = translation.gettext(
                    "Both records have a user account; close one of the accounts first."
                )
            assert text.isascii() is False
        response = as_user(world.caseworker, language).post(
            url, {"survivor": "a", "reason": "同一人"}
        )
        assert text in visible(response, 400)
    without.refresh_from_db()
    assert without.merged_into_id is None and not PersonMerge.objects.exists()
    assert User.objects.filter(person__in=(with_card, without)).count() == 2


def test_a_merge_without_a_reason_or_of_two_numbers_is_refused_on_the_form(world, as_user):
    a, b = resident(name="李四"), resident(name="李四")
    client = as_user(world.caseworker)
    url = reverse("staff:person-merge", args=[a.pk, b.pk])
    assert "This field is required." in visible(client.post(url, {"survivor": "a"}), 400)
    response = client.post(url, {"survivor": "a", "reason": "同一人"})
    assert "different ID numbers" in visible(response, 400)
    response = client.post(url, {"survivor": "z", "reason": "x"})
    assert "Select a valid choice" in visible(response, 400)
    assert not PersonMerge.objects.exists()
    response = client.get(reverse("staff:person-merge", args=[a.pk, a.pk]))
    assert response.status_code == 302


def test_who_may_merge(twins, world, as_user):
    with_card, without = twins
    far = resident(XIXIA, name="马兰花", sex="F", birth_date=dt.date(1962, 8, 1))
    url = reverse("staff:person-merge", args=[with_card.pk, without.pk])
    duplicates = reverse("staff:person-duplicates", args=[with_card.pk])
    for target in (url, duplicates):
        assert as_user(world.other_caseworker).get(target).status_code == 404
        assert as_user(world.registrar).get(target).status_code == 403
        assert as_user(world.citizen).get(target).status_code == 403
        assert as_user(world.caseworker).get(target).status_code == 200
    data = {"survivor": "a", "reason": "x"}
    assert as_user(world.other_caseworker).post(url, data).status_code == 404
    assert as_user(world.registrar).post(url, data).status_code == 403
    assert as_user(world.citizen).post(url, data).status_code == 403
    # A record of another county is neither offered nor reachable.
    page = visible(as_user(world.caseworker).get(duplicates))
    assert f"record no. {far.pk}" not in page
    mixed = reverse("staff:person-merge", args=[with_card.pk, far.pk])
    assert as_user(world.caseworker).get(mixed).status_code == 404
    assert not PersonMerge.objects.exists()
