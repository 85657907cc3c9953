"""The move of assistance payments onto the benefits ledger carries every row, both ways.

Payments made by the current code are taken back to the old Disbursement table (the
migration's reverse), then forward again onto the ledger; each time every row must arrive
with its month, amount, status, payment time and note."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from assistance import actions
from civilaffairs.benefits.actions import do_record_result, do_schedule_month
from civilaffairs.benefits.models import Entitlement, Payment
from tests.assistance.conftest import citizen_household, setup_assistance
from tests.assistance.test_process import submitted_dibao, walk_to_county
from tests.migrations import migrate


def rows_of(payments) -> set:
    return {(p.month, p.amount, p.status, p.paid_at, p.note) for p in payments}


@pytest.mark.django_db(transaction=True)
def test_every_payment_crosses_to_the_ledger_and_back(personas_tx):
    p = setup_assistance(personas_tx)
    app = walk_to_county(p, submitted_dibao(p, citizen_household(p)))
    with time_machine.travel(app.notice_end + dt.timedelta(days=1)):
        actions.do_end_notice(app, acting_user=p.caseworker)
        actions.do_approve(app, acting_user=p.approver)
    app.refresh_from_db()
    do_schedule_month((app.benefit_from + dt.timedelta(days=40)).replace(day=1))
    first = Payment.objects.get(entitlement__case=app.case, month=app.benefit_from)
    paid_at = timezone.now().replace(microsecond=0)
    do_record_result(first, Payment.Status.PAID, acting_user=None, note="批次 2027-01", at=paid_at)
    expected = rows_of(Payment.objects.filter(entitlement__case=app.case))
    assert len(expected) == 2
    try:
        old = migrate("assistance", "0001_initial")
        Disbursement = old.get_model("assistance", "Disbursement")
        assert rows_of(Disbursement.objects.filter(application_id=app.pk)) == expected
        assert not old.get_model("benefits", "Entitlement").objects.exists()
    finally:
        migrate()
    entitlement = Entitlement.objects.get(case=app.case)
    assert entitlement.program == "assistance.dibao" and entitlement.kind == "monthly"
    assert entitlement.monthly_amount == Decimal("1100.00")
    assert entitlement.start_month == app.benefit_from and entitlement.stopped_on is None
    assert rows_of(entitlement.payments.all()) == expected
