"""The one benefits ledger: grants, the monthly run, stops, the bank's results, and a death."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from civilaffairs.benefits.actions import (
    do_change_amount,
    do_grant,
    do_record_result,
    do_schedule_month,
    do_stop,
)
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.benefits.registry import Program, register_program
from civilaffairs.casework.models import CaseEvent
from civilaffairs.people.actions import do_record_death
from tests.casework.conftest import give_offices_the_service, make_case

PROGRAM = "test.monthly"
AGED = "test.by_age"


@pytest.fixture(autouse=True)
def programs(world):
    give_offices_the_service(world)
    register_program(Program(PROGRAM, "Test monthly"))
    # Priced by the month, like an elder's allowance that rises with age.
    register_program(
        Program(
            AGED,
            "Test by age",
            amount_for=lambda ent, month: (Decimal(month.month), {"month_no": month.month}),
        )
    )
    return world


def month(n_back: int) -> dt.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(n_back):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def grant(case, **kwargs):
    defaults = {
        "acting_user": None,
        "person": case.applicant,
        "program": PROGRAM,
        "monthly_amount": Decimal("700.00"),
        "start_month": month(2),
    }
    return do_grant(case, **{**defaults, **kwargs})


def test_a_back_dated_grant_pays_what_is_owed_up_to_this_month():
    ent = grant(make_case())
    assert sorted(ent.payments.values_list("month", flat=True)) == [month(2), month(1), month(0)]
    assert {p.amount for p in ent.payments.all()} == {Decimal("700.00")}


def test_the_monthly_run_pays_each_entitlement_once_however_often_it_runs():
    running = grant(make_case(), start_month=month(0), pay_through=month(1))
    ended = grant(make_case(), start_month=month(3), end_month=month(2), pay_through=month(3))
    assert running.payments.count() == 0
    assert do_schedule_month(month(0)) == 1
    assert do_schedule_month(month(0)) == 0
    assert running.payments.get().month == month(0)
    assert not ended.payments.filter(month=month(0)).exists()


def test_a_program_prices_its_months_and_the_reason_is_kept():
    ent = grant(make_case(), program=AGED, start_month=month(1))
    paid = ent.payments.get(month=month(1))
    assert paid.amount == Decimal(month(1).month)
    assert paid.details == {"month_no": month(1).month}


def test_a_one_off_grant_is_one_payment():
    ent = grant(make_case(), kind=Entitlement.Kind.ONE_OFF, monthly_amount=Decimal("1500"))
    assert ent.payments.count() == 1 and ent.end_month == ent.start_month
    assert do_schedule_month(month(0)) == 0


def test_a_new_amount_reprices_what_is_not_paid_yet():
    ent = grant(make_case())
    do_record_result(ent.payments.get(month=month(2)), Payment.Status.PAID, acting_user=None)
    assert (
        do_change_amount(
            ent, Decimal("750"), acting_user=None, from_month=month(2), reason="standard raised"
        )
        == 2
    )
    amounts = dict(ent.payments.values_list("month", "amount"))
    assert amounts == {
        month(2): Decimal("700.00"),
        month(1): Decimal("750"),
        month(0): Decimal("750"),
    }


def test_the_banks_answer_moves_a_payment_only_the_ways_money_moves():
    ent = grant(make_case(), start_month=month(0))
    payment = ent.payments.get()
    do_record_result(payment, Payment.Status.FAILED, acting_user=None, note="account closed")
    do_record_result(payment, Payment.Status.PAID, acting_user=None)
    do_record_result(payment, Payment.Status.RETURNED, acting_user=None)
    with pytest.raises(ValidationError):
        do_record_result(payment, Payment.Status.PAID, acting_user=None)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RETURNED


def test_a_stop_ends_the_months_after_it_and_the_run_leaves_them_alone():
    ent = grant(make_case())
    stopped = do_stop(ent, acting_user=None, on=month(1) + dt.timedelta(days=3), reason="moved")
    assert stopped == 1  # this month's
    statuses = dict(ent.payments.values_list("month", "status"))
    assert statuses[month(0)] == Payment.Status.STOPPED
    assert statuses[month(1)] == Payment.Status.SCHEDULED
    assert do_schedule_month(month(0)) == 0


def test_a_death_stops_every_benefit_and_flags_every_open_case():
    case = make_case()
    person = case.applicant
    first = grant(case)
    second = grant(case, program=AGED)
    other_case = make_case(person)
    do_record_death(person, acting_user=None, date_of_death=month(1) + dt.timedelta(days=9))
    for ent in (first, second):
        ent.refresh_from_db()
        assert ent.stopped_on == month(1) + dt.timedelta(days=9)
        assert ent.payments.get(month=month(0)).status == Payment.Status.STOPPED
        assert ent.payments.get(month=month(1)).status == Payment.Status.SCHEDULED
    for flagged in (case, other_case):
        event = flagged.events.get(kind=CaseEvent.Kind.CHANGE, data__life_event="died")
        assert person.name in event.message and not event.public
    # A second notice of the same death changes nothing.
    do_record_death(person, acting_user=None, date_of_death=month(1) + dt.timedelta(days=9))
    assert case.events.filter(data__life_event="died").count() == 1
