import datetime as dt
from decimal import Decimal

import pytest

from assistance.seed import seed_programs
from civilaffairs.accounts.actions import do_update_office
from civilaffairs.casework.registry import all_services
from civilaffairs.people.models import Membership, Region
from tests.factories import PersonFactory, make_household


def setup_assistance(personas):
    """The personas' offices handle every service, and the real assistance rules are active."""
    codes = [s.code for s in all_services()]
    for office in (personas.township, personas.county, personas.city, personas.other_township):
        do_update_office(office, acting_user=None, services=codes)
    from tests.factories import office_for

    do_update_office(office_for("640105"), acting_user=None, services=codes)
    seed_programs(log=lambda *a: None)
    return personas


def citizen_household(p):
    """王秀英 (the citizen persona, 68) and her grandson, in 崇安社区."""
    head = p.citizen.person
    grandson = PersonFactory(
        name="李明",
        birth_date=dt.date(2014, 6, 1),
        hukou_region=Region.objects.get(code="640104001002"),
    )
    return make_household(head, (grandson, Membership.Relation.GRANDCHILD))


@pytest.fixture
def assistance_setup(personas):
    return setup_assistance(personas)


@pytest.fixture
def household(assistance_setup):
    return citizen_household(assistance_setup)


def fill_dibao(app, user, *, income=Decimal("600"), assets=Decimal("5000")):
    from assistance import actions
    from assistance.models import IncomeKind

    members = list(app.case.household.current_members())
    actions.do_save_draft(
        app, acting_user=user, hardship_cause="old_age", situation="年老体弱，抚养孙子。"
    )
    rows = [(members[0].person, IncomeKind.TRANSFER, income)] + [
        (m.person, IncomeKind.WAGES, Decimal(0)) for m in members[1:]
    ]
    rows.append((members[0].person, IncomeKind.AGE_ALLOWANCE, Decimal("100")))  # not counted
    actions.do_set_incomes(app, rows, acting_user=user)
    actions.do_save_draft(
        app,
        acting_user=user,
        financial_assets=assets,
        vehicles=0,
        extra_housing=0,
        bank_name="宁夏银行",
        bank_account="6222021234567890",
        declaration=True,
    )
    return app
