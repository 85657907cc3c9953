import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from civilaffairs.people.actions import (
    do_add_member,
    do_create_household,
    do_merge_persons,
    do_record_death,
    do_register_person,
)
from civilaffairs.people.models import Membership, Person, Region
from tests.factories import PersonFactory, UserFactory, valid_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def township(regions):
    return Region.objects.get(code="640104001002")


def test_registering_a_known_id_number_returns_the_existing_person(township):
    number = valid_id("640104", dt.date(1975, 2, 3), "F")
    first, created = do_register_person(acting_user=None, name="李娟", id_number=number)
    again, created_again = do_register_person(
        acting_user=None, name="李娟", id_number=number.lower()
    )
    assert created and not created_again
    assert first.pk == again.pk
    assert first.sex == "F" and first.birth_date == dt.date(1975, 2, 3)
    assert first.hukou_region_id == "640104"


def test_people_without_a_number_are_matched_on_name_birth_date_and_region(township):
    baby, created = do_register_person(
        acting_user=None,
        name="周小宝",
        id_type=Person.IdType.NONE,
        sex="M",
        birth_date=dt.date(2026, 10, 1),
        hukou_region=township,
    )
    again, created_again = do_register_person(
        acting_user=None,
        name="周小宝",
        id_type=Person.IdType.NONE,
        sex="M",
        birth_date=dt.date(2026, 10, 1),
        hukou_region=township,
    )
    elsewhere, created_elsewhere = do_register_person(
        acting_user=None,
        name="周小宝",
        id_type=Person.IdType.NONE,
        sex="M",
        birth_date=dt.date(2026, 10, 1),
        hukou_region=Region.objects.get(code="640105001"),
    )
    assert created and not created_again and created_elsewhere
    assert baby.pk == again.pk != elsewhere.pk


def test_the_id_number_is_unique(township):
    person = PersonFactory()
    with pytest.raises(IntegrityError):
        Person.objects.create(
            name="冒名",
            id_number=person.id_number,
            sex="M",
            birth_date=person.birth_date,
            hukou_region=township,
            residence_region=township,
        )


def test_a_sex_that_contradicts_the_number_is_refused(township):
    with pytest.raises(ValidationError) as exc:
        do_register_person(acting_user=None, name="王五", id_number=valid_id(sex="M"), sex="F")
    assert "sex" in exc.value.message_dict


def test_merge_moves_every_reference_and_keeps_both_histories(township):
    admin = UserFactory(is_superuser=True)
    survivor = PersonFactory(name="陈建国", phone="")
    duplicate = PersonFactory(
        name="陈建国", id_type=Person.IdType.NONE, id_number=None, phone="13911112222"
    )
    house = do_create_household(acting_user=admin, head=duplicate, region=township)
    account = UserFactory(person=duplicate)

    merge = do_merge_persons(survivor, duplicate, acting_user=admin, reason="同一人两条记录")

    duplicate.refresh_from_db()
    survivor.refresh_from_db()
    account.refresh_from_db()
    house.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert account.person_id == survivor.pk
    assert house.head_id == survivor.pk
    assert Membership.objects.get(household=house).person_id == survivor.pk
    assert survivor.phone == "13911112222"
    assert not Person.objects.active().filter(pk=duplicate.pk).exists()
    # Both records' histories remain, and the merge itself is in them with its author.
    assert duplicate.history.filter(history_user=admin).exists()
    assert survivor.history.filter(history_change_reason__contains="同一人两条记录").exists()
    assert merge.moved["people.Membership.person"] == 1


def test_two_different_id_numbers_are_never_merged(township):
    with pytest.raises(ValidationError):
        do_merge_persons(PersonFactory(), PersonFactory(), acting_user=UserFactory(), reason="x")


def test_joining_a_household_ends_the_previous_membership(township):
    admin = UserFactory()
    child = PersonFactory(birth_date=dt.date(2000, 1, 1))
    first = do_create_household(acting_user=admin, head=PersonFactory(), region=township)
    second = do_create_household(acting_user=admin, head=PersonFactory(), region=township)
    do_add_member(
        first,
        child,
        acting_user=admin,
        relation=Membership.Relation.SON,
        start_date=dt.date(2020, 1, 1),
    )
    do_add_member(
        second,
        child,
        acting_user=admin,
        relation=Membership.Relation.OTHER_RELATIVE,
        start_date=dt.date(2024, 6, 1),
    )
    current = child.current_membership()
    assert current.household_id == second.pk
    old = child.memberships.get(household=first)
    assert old.end_date == dt.date(2024, 5, 31)


def test_recording_a_death_ends_household_membership(township):
    admin = UserFactory()
    person = PersonFactory(birth_date=dt.date(1930, 1, 1))
    do_create_household(
        acting_user=admin, head=person, region=township, start_date=dt.date(2000, 1, 1)
    )
    do_record_death(person, acting_user=admin, date_of_death=dt.date(2026, 3, 1))
    person.refresh_from_db()
    assert person.date_of_death == dt.date(2026, 3, 1)
    assert person.current_membership() is None
    assert person.history.first().history_user == admin


def test_a_region_subtree_is_one_prefix_query(regions):
    yinchuan = Region.objects.get(code="640100")
    codes = set(Region.objects.within(yinchuan).values_list("code", flat=True))
    assert {"640100", "640104", "640104001", "640104001002"} <= codes
    assert "640200" not in codes
    assert Region.prefix_chain("640104001002") == [
        "64",
        "6401",
        "640104",
        "640104001",
        "640104001002",
    ]
    assert (
        Region.objects.get(code="640104001").full_name == "宁夏回族自治区银川市兴庆区凤凰北街街道"
    )


def test_the_region_table_has_every_county_and_the_demo_provinces_townships(regions):
    assert Region.objects.filter(level=Region.Level.PROVINCE, is_current=True).count() == 34
    assert Region.objects.filter(level=Region.Level.COUNTY, is_current=True).count() > 2800
    assert Region.objects.filter(code__startswith="64", level=Region.Level.TOWNSHIP).count() > 200
    assert not Region.objects.get(code="110103").is_current
