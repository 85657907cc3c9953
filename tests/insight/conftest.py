import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from civilaffairs.benefits.actions import do_grant
from civilaffairs.benefits.registry import Program, register_program
from civilaffairs.people.actions import do_add_member, do_create_household
from tests.casework.conftest import (  # noqa: F401
    english,
    give_offices_the_service,
    make_case,
    no_broker,
    resident,
    test_service,
)

PROGRAM = "test.figures"
OTHER = "test.figures_other"
THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def world(personas):
    give_offices_the_service(personas)
    register_program(Program(PROGRAM, "Test program"))
    register_program(Program(OTHER, "Other test program"))
    return personas


def born(age: int) -> dt.date:
    """Someone `age` years old on the first of this month (birthday in January)."""
    return (
        dt.date(THIS_MONTH.year - age, 1, 1)
        if THIS_MONTH.month > 1
        else dt.date(THIS_MONTH.year - age - 1, 1, 1)
    )


def on_benefit(
    code,
    *,
    sex="M",
    age=40,
    grade=0,
    program=PROGRAM,
    amount="500.00",
    household=None,
    hukou_type="urban",
):
    """A person of village `code` with a benefit of `program` in force this month (through a
    case of the test service), in a household of their own unless given one."""
    person = resident(code, sex=sex, birth_date=born(age), disability_grade=grade)
    if household is None:
        household = do_create_household(
            acting_user=None, head=person, region=person.hukou_region, hukou_type=hukou_type
        )
    else:
        do_add_member(household, person, relation="20", acting_user=None)
    case = make_case(person, code=code)
    do_grant(
        case,
        acting_user=None,
        person=person,
        program=program,
        monthly_amount=Decimal(amount),
        start_month=THIS_MONTH,
    )
    return person, household
