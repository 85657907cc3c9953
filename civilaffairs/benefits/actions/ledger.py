"""Every change to the benefits ledger: grant, change, stop, schedule a month, record a result.

Each action is atomic and takes `acting_user` keyword-only (None: the system, a task)."""

import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import first_of_month

from .. import events
from ..models import Entitlement, Payment
from ..registry import get_program


@transaction.atomic
def do_grant(
    case,
    *,
    acting_user,
    person,
    program: str,
    monthly_amount: Decimal,
    start_month: dt.date,
    end_month: dt.date | None = None,
    kind: str = Entitlement.Kind.MONTHLY,
    reason: str = "",
    pay_through: dt.date | None = None,
    bank_name: str = "",
    bank_account: str = "",
) -> Entitlement:
    """An entitlement on `case`, paid from `start_month`; payments due up to `pay_through`
    (default: this month, so a back-dated grant pays what is owed) are scheduled now. A
    one-off entitlement is one payment, scheduled now."""
    get_program(program)  # a program nobody registered is a programming error, caught here
    if monthly_amount < 0:
        raise ValidationError(_("An amount cannot be negative."))
    start = first_of_month(start_month)
    if kind == Entitlement.Kind.ONE_OFF:
        end_month = start
    entitlement = _save(
        Entitlement(
            case=case,
            person=person,
            program=program,
            kind=kind,
            monthly_amount=monthly_amount,
            start_month=start,
            end_month=first_of_month(end_month) if end_month else None,
            reason=reason[:200],
            bank_name=bank_name[:60],
            bank_account="".join(bank_account.split())[:32],
        ),
        acting_user,
        "granted",
    )
    if kind == Entitlement.Kind.ONE_OFF:
        _schedule(entitlement, start, acting_user, amount=monthly_amount)
    else:
        do_schedule_due(entitlement, acting_user=acting_user, through=pay_through)
    events.entitlement_started.send(Entitlement, entitlement=entitlement, acting_user=acting_user)
    return entitlement


def do_schedule_due(entitlement, *, acting_user, through: dt.date | None = None) -> int:
    """Schedule every month of a running entitlement from its start to `through` (default: this
    month) that has no payment yet. Idempotent."""
    through = first_of_month(through or timezone.localdate())
    month, made = entitlement.start_month, 0
    last = entitlement.end_month
    while month <= through and (last is None or month <= last):
        if entitlement.stopped_on is not None and month > entitlement.stopped_on:
            break
        made += _schedule(entitlement, month, acting_user)
        month += relativedelta(months=1)
    return made


def _schedule(entitlement, month, acting_user, amount: Decimal | None = None) -> int:
    """One payment for one month, unless it exists (1 when made, else 0)."""
    details = {}
    if amount is None:
        priced = get_program(entitlement.program).price(entitlement, month)
        if priced is None:
            return 0
        amount, details = priced
    if amount <= 0 or entitlement.payments.filter(month=month).exists():
        return 0
    user = acting_user if getattr(acting_user, "pk", None) else None
    try:
        with transaction.atomic():  # the monthly run may have written it a moment ago
            _save(
                Payment(
                    entitlement=entitlement,
                    month=month,
                    amount=amount,
                    details=details,
                    created_by=user,
                ),
                acting_user,
                "scheduled",
            )
    except IntegrityError:
        return 0
    return 1


@transaction.atomic
def do_change_amount(
    entitlement: Entitlement, amount: Decimal, *, acting_user, from_month: dt.date, reason: str
) -> int:
    """A new monthly amount from `from_month`: scheduled payments from then on are repriced
    (paid ones are history and stay). Returns how many were repriced."""
    entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if amount < 0:
        raise ValidationError(_("An amount cannot be negative."))
    entitlement.monthly_amount = amount
    _save(entitlement, acting_user, reason or "amount changed")
    changed = 0
    for payment in entitlement.payments.select_for_update().filter(
        month__gte=first_of_month(from_month), status=Payment.Status.SCHEDULED
    ):
        payment.amount = amount
        _save(payment, acting_user, reason or "amount changed")
        changed += 1
    return changed


@transaction.atomic
def do_stop(entitlement: Entitlement, *, acting_user, on: dt.date, reason: str) -> int:
    """Stop an entitlement: nothing is paid for a month after the one `on` falls in; payments
    already scheduled for later months are marked stopped. Returns how many were stopped.
    Stopping again keeps the earlier date."""
    entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if entitlement.stopped_on is None:
        entitlement.stopped_on = on
        entitlement.stop_reason = reason[:200]
        month = first_of_month(on)
        if entitlement.end_month is None or entitlement.end_month > month:
            entitlement.end_month = max(month, entitlement.start_month)
        _save(entitlement, acting_user, "stopped")
        events.entitlement_stopped.send(
            Entitlement, entitlement=entitlement, acting_user=acting_user
        )
    return _stop_payments_after(
        entitlement, first_of_month(entitlement.stopped_on), acting_user, entitlement.stop_reason
    )


def _stop_payments_after(entitlement, month, acting_user, note: str) -> int:
    stopped = 0
    for payment in entitlement.payments.select_for_update().filter(
        month__gt=month, status=Payment.Status.SCHEDULED
    ):
        payment.status = Payment.Status.STOPPED
        payment.note = note[:200]
        _save(payment, acting_user, "stopped")
        stopped += 1
    return stopped


@transaction.atomic
def do_suspend_for_case(case, *, acting_user, on: dt.date, reason: str) -> int:
    """Hold the payments of a case's running entitlements: nothing is scheduled until they
    resume, and what is scheduled for a later month is stopped. Returns how many were held."""
    held = 0
    for entitlement in Entitlement.objects.select_for_update().filter(
        case=case, stopped_on__isnull=True, suspended_on__isnull=True
    ):
        entitlement.suspended_on = on
        _save(entitlement, acting_user, "suspended")
        _stop_payments_after(entitlement, first_of_month(on), acting_user, reason)
        held += 1
    return held


@transaction.atomic
def do_resume_for_case(case, *, acting_user) -> int:
    """Payments resume from this month's run on (the months held are not paid later)."""
    resumed = 0
    for entitlement in Entitlement.objects.select_for_update().filter(
        case=case, stopped_on__isnull=True, suspended_on__isnull=False
    ):
        entitlement.suspended_on = None
        _save(entitlement, acting_user, "resumed")
        resumed += 1
    return resumed


@transaction.atomic
def do_stop_for_person(person, *, acting_user, on: dt.date, reason: str) -> int:
    """Stop every running entitlement of a person, in every program (a death)."""
    stopped = 0
    for entitlement in Entitlement.objects.filter(person=person, stopped_on__isnull=True):
        do_stop(entitlement, acting_user=acting_user, on=on, reason=reason)
        stopped += 1
    return stopped


@transaction.atomic
def do_stop_for_case(case, *, acting_user, on: dt.date, reason: str) -> int:
    """Stop every running entitlement of a case (the case was terminated or closed)."""
    stopped = 0
    for entitlement in Entitlement.objects.filter(case=case, stopped_on__isnull=True):
        do_stop(entitlement, acting_user=acting_user, on=on, reason=reason)
        stopped += 1
    return stopped


def do_schedule_month(month: dt.date, *, acting_user=None, program: str | None = None) -> int:
    """The monthly run: a payment for `month` on every entitlement covering it, in every program
    (or one). Idempotent (one payment per entitlement and month; existing rows are left alone),
    so the task runs daily and a missed day is caught up. Returns how many were scheduled."""
    month = first_of_month(month)
    # A stopped entitlement's end_month is the month it stopped in (do_stop): covering() is
    # enough to leave it out afterwards.
    due = Entitlement.objects.covering(month).exclude(payments__month=month).order_by("pk")
    if program:
        due = due.filter(program=program)
    rows = []
    for entitlement in due.iterator(chunk_size=2000):
        priced = get_program(entitlement.program).price(entitlement, month)
        if priced is None or priced[0] <= 0:
            continue
        amount, details = priced
        rows.append(
            Payment(entitlement_id=entitlement.pk, month=month, amount=amount, details=details)
        )
    with transaction.atomic():
        bulk_create_with_history(
            rows, Payment, batch_size=2000, ignore_conflicts=True, default_user=acting_user
        )
    return len(rows)


@transaction.atomic
def do_record_result(
    payment: Payment, status: str, *, acting_user, note: str = "", at=None
) -> Payment:
    """The bank's answer for one payment: paid, failed (with the reason) or returned. A failed
    or returned payment is held until its account is changed or it is tried again."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    allowed = {
        Payment.Status.SCHEDULED: {Payment.Status.PAID, Payment.Status.FAILED},
        Payment.Status.SENT: {Payment.Status.PAID, Payment.Status.FAILED},
        Payment.Status.FAILED: {Payment.Status.PAID, Payment.Status.FAILED},
        Payment.Status.PAID: {Payment.Status.RETURNED},
    }
    if status not in allowed.get(payment.status, set()):
        raise ValidationError(
            _("A payment that is “%(now)s” cannot become “%(then)s”.")
            % {"now": payment.get_status_display(), "then": Payment.Status(status).label}
        )
    payment.status = status
    payment.note = note[:200]
    payment.held = status in (Payment.Status.FAILED, Payment.Status.RETURNED)
    if status == Payment.Status.PAID:
        payment.paid_at = at or timezone.now()
    return _save(payment, acting_user, f"bank: {status}")
