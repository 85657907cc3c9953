"""Factories with valid ID numbers built from the real region table (never Faker's ssn()),
and the named personas every test suite shares."""

import datetime as dt
import itertools
from dataclasses import dataclass

import factory
from factory.django import DjangoModelFactory

from civilaffairs.accounts.actions import do_create_office, do_grant_role
from civilaffairs.accounts.models import Office, StaffRole, User
from civilaffairs.lib import idnumber
from civilaffairs.people.models import Household, Membership, Person, Region

PASSWORD = "Correct-Horse-Battery-9"
_seq = itertools.count(1)


def valid_id(address_code="640104", birth=dt.date(1980, 5, 17), sex="M") -> str:
    """A fresh valid ID number: the sequence is drawn from a counter, parity fixed by sex."""
    n = next(_seq) % 500
    seq = n * 2 + (1 if sex == "M" else 0)
    return idnumber.make(address_code, birth, seq % 1000)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name", locale="zh_CN")
    sex = "M"
    birth_date = dt.date(1980, 5, 17)
    hukou_region = factory.LazyFunction(lambda: Region.objects.get(code="640104001002"))
    residence_region = factory.SelfAttribute("hukou_region")
    id_type = Person.IdType.RESIDENT_ID
    id_number = factory.LazyAttribute(
        lambda o: valid_id(o.hukou_region.code[:6], o.birth_date, o.sex)
    )
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_household(head: Person, *others: tuple[Person, str]) -> Household:
    house = Household.objects.create(head=head, region=head.residence_region)
    Membership.objects.create(
        household=house,
        person=head,
        relation=Membership.Relation.HEAD,
        start_date=dt.date(2020, 1, 1),
    )
    for person, relation in others:
        Membership.objects.create(
            household=house, person=person, relation=relation, start_date=dt.date(2020, 1, 1)
        )
    return house


def office_for(code: str, name: str | None = None, services=()) -> Office:
    region = Region.objects.get(code=code)
    office = Office.objects.filter(region=region).first()
    if office is None:
        office = do_create_office(
            acting_user=None,
            name=name or f"{region.name}民政",
            region=region,
            level=region.level,
            services=services,
        )
    return office


def staff(username: str, code: str, role: str, **kwargs) -> User:
    user = UserFactory(username=username, **kwargs)
    do_grant_role(user, office_for(code), role, acting_user=None)
    return user


@dataclass
class Personas:
    citizen: User
    caseworker: User  # township 凤凰北街街道 (640104001) of 兴庆区
    approver: User  # 兴庆区 (640104)
    supervisor: User  # 银川市 (640100)
    other_caseworker: User  # township 西夏区 (640105001): another county
    other_approver: User  # 西夏区 (640105)
    admin: User
    township: Office
    county: Office
    city: Office
    other_township: Office


def make_personas() -> Personas:
    citizen_person = PersonFactory(name="王秀英", sex="F", birth_date=dt.date(1958, 3, 12))
    citizen = UserFactory(username="13800000001", phone="13800000001", person=citizen_person)
    return Personas(
        citizen=citizen,
        caseworker=staff("caseworker", "640104001", StaffRole.Role.CASEWORKER),
        approver=staff("approver", "640104", StaffRole.Role.APPROVER),
        supervisor=staff("supervisor", "640100", StaffRole.Role.SUPERVISOR),
        other_caseworker=staff("other_caseworker", "640105001", StaffRole.Role.CASEWORKER),
        other_approver=staff("other_approver", "640105", StaffRole.Role.APPROVER),
        admin=UserFactory(username="admin", is_staff=True, is_superuser=True),
        township=office_for("640104001"),
        county=office_for("640104"),
        city=office_for("640100"),
        other_township=office_for("640105001"),
    )
