from civilaffairs.casework.models import Case
from civilaffairs.people.models import Person


def test_the_demo_world_has_every_role_and_cases_in_two_counties(world, db):
    assert world.user("caseworker").staff_roles.get().office.region_id == "640104001"
    assert Case.objects.filter(region_id__startswith="640104").exists()


def test_a_test_may_change_the_world(world, db):
    Person.objects.filter(name="王秀英").update(name="改名")
    assert not Person.objects.filter(name="王秀英").exists()


def test_what_a_test_changed_is_gone_for_the_next(world, db):
    assert Person.objects.filter(name="王秀英").exists()
