"""Paying what the ledger owes: a county's batch is prepared from the payments due, approved
by a second person, exported as the bank file, and closed by the bank's result file
(docs/bank-file.md). Failed and returned payments wait for a new account or a decision to
try again, and go into a later batch.

No one is paid twice: a payment is on at most one batch line that is waiting or paid (a
constraint of the database, benefits_line_pays_once), an exported file is the same bytes
however often it is downloaded, and a result file read twice changes nothing the second time.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import log_access
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.notify import notify
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import first_of_month
from civilaffairs.lib.params import is_digits
from civilaffairs.people.models import Region

from .. import bankfile, queries
from ..models import BatchLine, DisbursementBatch, Entitlement, Payment
from ..registry import program_label
from .ledger import do_record_result

BATCH = DisbursementBatch.Status
LINE = BatchLine.Result


def _locked(batch) -> DisbursementBatch:
    return DisbursementBatch.objects.select_for_update().get(pk=batch.pk)


def _refresh_totals(batch):
    live = batch.lines.exclude(result=LINE.WITHDRAWN)
    batch.line_count = live.count()
    batch.total = live.aggregate(t=Sum("amount"))["t"] or Decimal("0")


@transaction.atomic
def do_prepare_batch(county: Region, month: dt.date, *, acting_user) -> DisbursementBatch:
    """A batch of every payment of the county due by `month` (failed ones given a new account
    or a new try included) that has an account to pay to."""
    if county.level != Region.Level.COUNTY:
        raise ValidationError(_("A batch is prepared for a county."))
    month = first_of_month(month)
    due = list(
        queries.due_for_batch(county.code, month)
        .select_related("entitlement__person")
        .select_for_update(of=("self",))
        .order_by("entitlement__person__name", "month", "pk")
    )
    if not due:
        raise ValidationError(_("No payment of this county is due and ready to send."))
    sequence = DisbursementBatch.objects.filter(county=county, month=month).count() + 1
    reference = f"PAY-{county.code}-{month:%Y%m}-{sequence:02d}"
    try:
        with transaction.atomic():
            batch = DisbursementBatch.objects.create(
                reference=reference, county=county, month=month, prepared_by=acting_user
            )
            BatchLine.objects.bulk_create(
                BatchLine(
                    batch=batch,
                    payment=payment,
                    line_no=n,
                    reference=f"{reference}-{n:05d}",
                    amount=payment.amount,
                    payee_name=payment.entitlement.person.name,
                    id_number=payment.entitlement.person.id_number or "",
                    bank_name=payment.entitlement.bank_name,
                    bank_account=payment.entitlement.bank_account,
                )
                for n, payment in enumerate(due, start=1)
            )
    except IntegrityError:
        # Another batch of the county was prepared at the same moment and took these.
        raise ValidationError(
            _("Another batch of this county was being prepared at the same time; try again.")
        ) from None
    _refresh_totals(batch)
    return _save(batch, acting_user, "prepared")


def _withdraw_stopped(batch, acting_user) -> int:
    """Lines whose payment was stopped since they were prepared (a death, a termination) are
    taken out before the money goes."""
    stopped = batch.lines.filter(result=LINE.PENDING, payment__status=Payment.Status.STOPPED)
    count = stopped.update(result=LINE.WITHDRAWN, reason=_("Payment stopped")[:200])
    if count:
        _refresh_totals(batch)
    return count


@transaction.atomic
def do_approve_batch(batch: DisbursementBatch, *, acting_user) -> DisbursementBatch:
    """The second person's approval: never the one who prepared it."""
    batch = _locked(batch)
    if batch.status != BATCH.DRAFT:
        raise ValidationError(_("Only a batch awaiting approval can be approved."))
    if batch.prepared_by_id is not None and batch.prepared_by_id == acting_user.pk:
        raise ValidationError(
            _("A batch is approved by someone other than the person who prepared it.")
        )
    _withdraw_stopped(batch, acting_user)
    if batch.line_count == 0:
        raise ValidationError(_("Every payment of this batch was stopped: cancel it instead."))
    batch.status = BATCH.APPROVED
    batch.approved_by, batch.approved_at = acting_user, timezone.now()
    return _save(batch, acting_user, "approved")


@transaction.atomic
def do_cancel_batch(batch: DisbursementBatch, *, acting_user, reason: str) -> DisbursementBatch:
    """Before it is sent, a batch can be cancelled; its payments are free for another."""
    batch = _locked(batch)
    if batch.status not in (BATCH.DRAFT, BATCH.APPROVED):
        raise ValidationError(_("A batch sent to the bank cannot be cancelled."))
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for cancelling.")})
    batch.lines.filter(result=LINE.PENDING).update(result=LINE.WITHDRAWN)
    batch.status, batch.cancel_reason = BATCH.CANCELLED, reason.strip()[:200]
    return _save(batch, acting_user, "cancelled")


@transaction.atomic
def do_export_batch(batch: DisbursementBatch, *, acting_user, request=None) -> bytes:
    """The bank file of an approved batch. The first export freezes the batch and marks its
    payments sent; a later one gives the same bytes. Every export is logged: the file holds
    whole ID and account numbers."""
    batch = _locked(batch)
    if batch.status not in (BATCH.APPROVED, BATCH.EXPORTED, BATCH.CLOSED):
        raise ValidationError(_("A batch is exported once it is approved."))
    if batch.status == BATCH.APPROVED:
        _withdraw_stopped(batch, acting_user)
    lines = list(batch.lines.exclude(result=LINE.WITHDRAWN).order_by("line_no"))
    data = bankfile.export(batch, lines)
    if batch.status == BATCH.APPROVED:
        for payment in Payment.objects.select_for_update().filter(
            lines__batch=batch, lines__result=LINE.PENDING
        ):
            payment.status, payment.held = Payment.Status.SENT, False
            _save(payment, acting_user, f"sent: {batch.reference}")
        batch.status, batch.exported_at = BATCH.EXPORTED, timezone.now()
        batch.checksum = bankfile.checksum(data)
        _save(batch, acting_user, "exported")
    elif bankfile.checksum(data) != batch.checksum:
        # What was sent is fixed; a file that came out different would be a second payment.
        raise ValidationError(_("The batch changed after it was sent; it cannot be exported."))
    log_access(acting_user, AccessLog.Action.EXPORT, batch, detail=batch.reference, request=request)
    return data


@transaction.atomic
def do_import_results(batch: DisbursementBatch, data: bytes, *, acting_user) -> dict:
    """The bank's result file for the batch: every line it answers is checked before any is
    stored (all problems are listed); then each payment is marked paid, failed or returned,
    its owner told of a failure, and the batch closed when no line waits any more. Reading the
    same file again changes nothing. Returns counts by result."""
    batch = _locked(batch)
    if batch.status not in (BATCH.EXPORTED, BATCH.CLOSED):
        raise ValidationError(_("Results are read for a batch that was sent to the bank."))
    results = bankfile.parse_results(data, batch_reference=batch.reference)
    lines = {
        line.reference: line
        for line in batch.lines.select_for_update(of=("self",))
        .select_related("payment__entitlement__person__account", "payment__entitlement__case")
        .exclude(result=LINE.WITHDRAWN)
    }
    allowed = {
        LINE.PENDING: {LINE.PAID, LINE.FAILED},
        LINE.PAID: {LINE.RETURNED},
    }
    problems, changes = [], []
    for r in results:
        line = lines.get(r.line)
        if line is None:
            problems.append(_("%(ref)s is not a payment of this batch.") % {"ref": r.line})
        elif r.outcome == line.result:
            continue  # read before: nothing to change
        elif r.outcome not in allowed.get(line.result, set()):
            problems.append(
                _("%(ref)s is “%(now)s” and cannot become “%(then)s”.")
                % {
                    "ref": r.line,
                    "now": line.get_result_display(),
                    "then": LINE(r.outcome).label,
                }
            )
        else:
            changes.append((line, r))
    if problems:
        raise ValidationError(problems[: bankfile.MAX_PROBLEMS])
    counts = {LINE.PAID: 0, LINE.FAILED: 0, LINE.RETURNED: 0}
    for line, r in changes:
        line.result, line.result_on, line.reason_code = r.outcome, r.on, r.code
        line.reason = r.reason  # the bank's own words; the code is read in the reader's language
        line.save(update_fields=["result", "result_on", "reason_code", "reason"])
        note = r.code if r.outcome != LINE.PAID else ""
        at = timezone.make_aware(dt.datetime.combine(r.on, dt.time(12)))
        do_record_result(line.payment, r.outcome, acting_user=acting_user, note=note, at=at)
        if r.outcome != LINE.PAID:
            _tell_of_failure(line)
        counts[r.outcome] += 1
    if batch.status == BATCH.EXPORTED and not batch.lines.filter(result=LINE.PENDING).exists():
        batch.status, batch.closed_at = BATCH.CLOSED, timezone.now()
        _save(batch, acting_user, "reconciled")
    return counts


def _tell_of_failure(line):
    payment = line.payment
    entitlement = payment.entitlement
    month, program, account = payment.month, entitlement.program, line.masked_bank_account
    notify(
        entitlement.person,
        lambda: _("A payment could not be made"),
        lambda: (
            _(
                "The bank could not pay %(program)s for %(month)s into the account %(account)s. "
                "The office will contact you; you can also call it to give another account."
            )
            % {
                "program": program_label(program),
                "month": month.strftime("%Y-%m"),
                "account": account,
            }
        ),
        case=entitlement.case,
    )


@transaction.atomic
def do_change_account(
    entitlement: Entitlement, *, acting_user, bank_name: str, bank_account: str, reason: str
) -> int:
    """A new account for an entitlement (after a failed payment, or at the household's
    request): held payments are released to the next batch. Returns how many."""
    entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    digits = "".join(bank_account.split())
    errors = {}
    if not bank_name.strip():
        errors["bank_name"] = _("Please give the bank.")
    # ASCII digits only (lib.params.is_digits): "²" would go into the bank's file.
    if not is_digits(digits) or not 10 <= len(digits) <= 30:
        errors["bank_account"] = _("An account number has 10 to 30 digits.")
    if not reason.strip():
        errors["reason"] = _("Please say why the account changes.")
    if errors:
        raise ValidationError(errors)
    entitlement.bank_name, entitlement.bank_account = bank_name.strip()[:60], digits
    _save(entitlement, acting_user, f"account changed: {reason.strip()[:150]}")
    return _release_held(entitlement.payments.all(), acting_user, "account changed")


@transaction.atomic
def do_retry_payment(payment: Payment, *, acting_user) -> int:
    """Try a failed payment again on the same account (the bank lifted a block, say)."""
    return _release_held(Payment.objects.filter(pk=payment.pk), acting_user, "retry")


def _release_held(payments, acting_user, why: str) -> int:
    released = 0
    for payment in payments.select_for_update().filter(held=True):
        payment.held = False
        _save(payment, acting_user, why)
        released += 1
    return released


def do_prepare_due_batches(month: dt.date | None = None) -> int:
    """The month's batch of every county with payments due, prepared by the system for a
    person to approve; a county that has its batch for the month gets no second one (staff
    prepare supplementary batches themselves). Returns how many were prepared."""
    month = first_of_month(month or timezone.localdate())
    made = 0
    for code in queries.counties_with_due(month):
        if DisbursementBatch.objects.filter(county_id=code, month=month).exists():
            continue
        county = Region.objects.filter(code=code, level=Region.Level.COUNTY).first()
        if county is None:
            continue
        try:
            do_prepare_batch(county, month, acting_user=None)
        except ValidationError:
            continue
        made += 1
    return made
