"""The move of age-allowance payments onto the benefits ledger carries every row, both ways,
the age each month was priced at included."""

import datetime as dt

import pytest
import time_machine

from civilaffairs.benefits.models import Entitlement, Payment
from eldercare import actions
from eldercare.models import AgeAllowance
from tests.eldercare.test_age_allowance import _elder, monthly_run, shanghai
from tests.migrations import migrate


def rows_of(payments, age) -> set:
    return {(p.month, p.amount, p.status, age(p)) for p in payments}


@pytest.mark.django_db(transaction=True)
def test_every_age_allowance_payment_crosses_to_the_ledger_and_back(personas_tx):
    from tests.eldercare.conftest import setup_eldercare

    setup_eldercare(personas_tx)
    person = _elder(dt.date(1937, 1, 15))
    with time_machine.travel(shanghai(2026, 12, 1), tick=False):
        actions.do_find_newly_eligible()
    allowance = AgeAllowance.objects.get(person=person)
    for month in (dt.date(2027, 1, 1), dt.date(2027, 2, 1)):
        with time_machine.travel(shanghai(month.year, month.month, 1, 3), tick=False):
            monthly_run(month)
    ledger = Payment.objects.filter(entitlement__case=allowance.case)
    expected = rows_of(ledger, lambda p: p.details["age"])
    assert len(expected) == 3
    try:
        old = migrate("eldercare", "0001_initial")
        OldPayment = old.get_model("eldercare", "AgeAllowancePayment")
        assert rows_of(OldPayment.objects.filter(allowance_id=allowance.pk), lambda p: p.age) == (
            expected
        )
    finally:
        migrate()
    entitlement = Entitlement.objects.get(case=allowance.case)
    assert entitlement.program == "eldercare.age_allowance"
    assert rows_of(entitlement.payments.all(), lambda p: p.details["age"]) == expected
