"""The demo step: registries in the counties of 银川市 with slots, the `registrar` login at
兴庆区, past records that agree with the master record, a few appointments and a divorce in its
cooling-off period; a second run changes nothing."""

import datetime as dt
import random

import pytest

from civilaffairs.accounts.models import StaffRole, User
from civilaffairs.people.models import Membership, Person
from civilaffairs.portal.demo import DEMO_PASSWORD
from marriage.models import (
    Appointment,
    MarriageApplication,
    MarriageRecord,
    RegistrationOffice,
    Slot,
    expected_marital_status,
)
from marriage.seed import seed_demo
from tests.factories import PersonFactory, UserFactory, make_household, office_for

pytestmark = pytest.mark.django_db


def test_the_demo_step_makes_registries_a_registrar_and_records_once(regions):
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    for code in ("640104", "640105", "640106"):
        office_for(code, name=f"{code}民政局")
    for i in range(3):
        head = PersonFactory(
            name=f"丈夫{i}", sex="M", birth_date=dt.date(1980, 1, 1 + i), marital_status="married"
        )
        wife = PersonFactory(
            name=f"妻子{i}", sex="F", birth_date=dt.date(1982, 1, 1 + i), marital_status="married"
        )
        make_household(head, (wife, Membership.Relation.SPOUSE))
    for i in range(2):
        PersonFactory(name=f"未婚男{i}", sex="M", birth_date=dt.date(1995, 1, 1 + i))
        PersonFactory(name=f"未婚女{i}", sex="F", birth_date=dt.date(1997, 1, 1 + i))

    seed_demo(random.Random(1), log=lambda *a: None)

    assert RegistrationOffice.objects.count() == 3
    home = RegistrationOffice.objects.get(office__region_id="640104")
    assert "marriage.registration" in home.office.services
    assert Slot.objects.filter(registry=home).exists()
    registrar = User.objects.get(username="registrar")
    assert registrar.check_password(DEMO_PASSWORD)
    assert StaffRole.objects.filter(user=registrar, office=home.office, role="registrar").exists()
    assert MarriageRecord.objects.count() == 3
    for person in Person.objects.filter(marital_status="married"):
        assert expected_marital_status(person) == "married"
    assert Appointment.objects.filter(application__kind="registration").count() == 2
    divorce = MarriageApplication.objects.get(kind="divorce")
    assert divorce.case.state == "cooling_off"

    counts = (
        RegistrationOffice.objects.count(),
        Slot.objects.count(),
        MarriageRecord.objects.count(),
        Appointment.objects.count(),
        User.objects.count(),
    )
    seed_demo(random.Random(1), log=lambda *a: None)
    assert counts == (
        RegistrationOffice.objects.count(),
        Slot.objects.count(),
        MarriageRecord.objects.count(),
        Appointment.objects.count(),
        User.objects.count(),
    )
