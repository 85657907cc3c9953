"""The move of child-allowance payments onto the benefits ledger carries every row, both ways."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from civilaffairs.benefits.actions import do_record_result, do_schedule_month
from civilaffairs.benefits.models import Entitlement, Payment
from tests.childwelfare.conftest import orphan_family, setup_childwelfare
from tests.childwelfare.test_process import allowance_in_payment
from tests.migrations import migrate


def rows_of(payments) -> set:
    return {(p.month, p.amount, p.status, p.paid_at) for p in payments}


@pytest.mark.django_db(transaction=True)
def test_every_allowance_payment_crosses_to_the_ledger_and_back(personas_tx):
    world_tx = setup_childwelfare(personas_tx)
    _granny, child = orphan_family(child_born=dt.date(2012, 3, 15))
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)):
        case = allowance_in_payment(world_tx, child)
    with time_machine.travel(dt.datetime(2027, 1, 2, 10, tzinfo=dt.UTC)):
        do_schedule_month(timezone.localdate())
    first = Payment.objects.get(entitlement__case=case, month=dt.date(2026, 12, 1))
    do_record_result(first, Payment.Status.PAID, acting_user=None, at=timezone.now())
    expected = rows_of(Payment.objects.filter(entitlement__case=case))
    assert len(expected) == 2
    try:
        old = migrate("childwelfare", "0001_initial")
        OldPayment = old.get_model("childwelfare", "AllowancePayment")
        assert rows_of(OldPayment.objects.filter(grant__case_id=case.pk)) == expected
    finally:
        migrate()
    entitlement = Entitlement.objects.get(case=case)
    assert entitlement.program == "childwelfare.allowance"
    assert entitlement.end_month == dt.date(2030, 3, 1)  # the month before the 18th birthday
    assert rows_of(entitlement.payments.all()) == expected
