"""The platform publishes life events; domains subscribe and may refuse a merge."""

import pytest
from django.core.exceptions import ValidationError

from civilaffairs.people import events
from civilaffairs.people.actions import (
    do_add_member,
    do_create_household,
    do_merge_persons,
    do_update_person,
)
from civilaffairs.people.models import Membership, Person, Region
from tests.factories import PersonFactory


@pytest.fixture
def heard():
    got = []

    def listen(signal_name):
        def receiver(sender, **kwargs):
            got.append((signal_name, kwargs))

        return receiver

    receivers = {
        name: listen(name) for name in ("household_changed", "disability_changed", "persons_merged")
    }
    for name, receiver in receivers.items():
        getattr(events, name).connect(receiver)
    yield got
    for name, receiver in receivers.items():
        getattr(events, name).disconnect(receiver)


def test_household_and_disability_changes_are_published(regions, heard):
    region = Region.objects.get(code="640104001002")
    head, child = PersonFactory(hukou_region=region), PersonFactory(hukou_region=region)
    household = do_create_household(acting_user=None, head=head, region=region)
    do_add_member(household, child, acting_user=None, relation=Membership.Relation.SON)
    do_update_person(child, acting_user=None, disability_grade=Person.Disability.GRADE_2)
    do_update_person(child, acting_user=None, disability_grade=Person.Disability.GRADE_2)
    names = [name for name, _kwargs in heard]
    assert names == ["household_changed", "household_changed", "disability_changed"]
    assert heard[1][1]["person"] == child and heard[1][1]["change"] == "joined"
    assert heard[2][1]["after"] == Person.Disability.GRADE_2


def test_a_domain_may_refuse_a_merge_and_nothing_moves(regions, heard):
    from tests.factories import UserFactory

    clerk = UserFactory(username="clerk", is_staff=True)
    region = Region.objects.get(code="640104001002")
    survivor = PersonFactory(hukou_region=region)
    duplicate = PersonFactory(hukou_region=region, id_number=None, id_type=Person.IdType.NONE)

    def refuse(a, b):
        raise ValidationError("two marriages in force")

    events.register_merge_check(refuse)
    try:
        with pytest.raises(ValidationError, match="two marriages"):
            do_merge_persons(survivor, duplicate, acting_user=clerk, reason="same person")
    finally:
        events._merge_checks.remove(refuse)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert heard == []
    do_merge_persons(survivor, duplicate, acting_user=clerk, reason="same person")
    assert heard[-1][0] == "persons_merged" and heard[-1][1]["survivor"] == survivor
