"""Marriage registration hears of deaths and merges (civilaffairs.people.events)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from civilaffairs.people.actions import do_merge_persons, do_record_death
from civilaffairs.people.models import Person
from marriage.models import MarriageRecord
from tests.factories import PersonFactory, UserFactory
from tests.marriage.conftest import citizen, register


def test_a_death_ends_the_marriage_and_widows_the_spouse(reg, couple, fixed_clock):
    a, b = couple
    register(reg, a, b, fixed_clock)
    do_record_death(a.person, acting_user=None, date_of_death=dt.date(2026, 3, 3))
    record = MarriageRecord.objects.of_person(a.person).get()
    assert record.status == MarriageRecord.Status.ENDED_BY_DEATH
    assert record.dissolved_on == dt.date(2026, 3, 3)
    b.person.refresh_from_db()
    assert b.person.marital_status == Person.MaritalStatus.WIDOWED


def test_two_records_each_married_are_not_merged(reg, couple, fixed_clock):
    a, b = couple
    register(reg, a, b, fixed_clock)
    c = citizen("张伟", "M", dt.date(1998, 1, 15))
    d = citizen("王芳", "F", dt.date(1999, 2, 2))
    register(reg, c, d, fixed_clock)
    # The two 张伟 records have no ID number in common to refuse on; the marriages do.
    Person.objects.filter(pk=c.person.pk).update(id_number=None, id_type=Person.IdType.NONE)
    c.person.refresh_from_db()
    clerk = UserFactory(username="clerk", is_staff=True)
    with pytest.raises(ValidationError) as refused:
        do_merge_persons(a.person, c.person, acting_user=clerk, reason="duplicate")
    assert "marriage in force" in " ".join(refused.value.messages)
    c.person.refresh_from_db()
    assert c.person.merged_into_id is None
    # A record with no marriage merges as before.
    lone = PersonFactory(name="张伟", id_number=None, id_type=Person.IdType.NONE)
    do_merge_persons(a.person, lone, acting_user=clerk, reason="duplicate")
