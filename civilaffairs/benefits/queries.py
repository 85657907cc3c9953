"""Scoped reads of the ledger's payouts: what a county has to pay, and the batches a member of
staff may see (the county's staff and those above; a township sees none). A batch outside the
user's jurisdiction answers 404, exactly as one that does not exist."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from civilaffairs.accounts.access import scope_q
from civilaffairs.accounts.models import StaffRole
from civilaffairs.lib.lookup import get_or_404

from .models import BatchLine, DisbursementBatch, Payment

# Who works the payouts of a county: its staff of these roles, and those above.
PAYOUT_ROLES = (
    StaffRole.Role.CASEWORKER,
    StaffRole.Role.REVIEWER,
    StaffRole.Role.APPROVER,
    StaffRole.Role.SUPERVISOR,
)
APPROVING_ROLES = (StaffRole.Role.APPROVER, StaffRole.Role.SUPERVISOR)
_LIVE = (BatchLine.Result.PENDING, BatchLine.Result.PAID)
_PAYABLE = (Payment.Status.SCHEDULED, Payment.Status.FAILED, Payment.Status.RETURNED)


def _waiting(month):
    """Payments owed by `month`, not held, on no live batch line."""
    return Payment.objects.filter(status__in=_PAYABLE, held=False, month__lte=month).exclude(
        pk__in=BatchLine.objects.filter(result__in=_LIVE).values("payment_id")
    )


def due_for_batch(county_code: str, month):
    """What a batch of the county takes: payments waiting that have an account to go to."""
    return (
        _waiting(month)
        .filter(entitlement__case__region_id__startswith=county_code)
        .exclude(entitlement__bank_account="")
    )


def without_account(county_code: str, month):
    """Payments waiting that no batch can take until someone gives their account."""
    return _waiting(month).filter(
        entitlement__case__region_id__startswith=county_code, entitlement__bank_account=""
    )


def held(county_code: str):
    """Failed or returned payments waiting for a new account or a new try."""
    return Payment.objects.filter(held=True, entitlement__case__region_id__startswith=county_code)


def counties_with_due(month) -> list[str]:
    return sorted(
        _waiting(month)
        .exclude(entitlement__bank_account="")
        .annotate(county=Substr("entitlement__case__region_id", 1, 6))
        .values_list("county", flat=True)
        .distinct()
    )


def batches_visible_to(user, roles=PAYOUT_ROLES):
    return DisbursementBatch.objects.filter(scope_q(user, region_field="county_id", roles=roles))


def access_batch(user, pk) -> DisbursementBatch:
    return get_or_404(batches_visible_to(user).select_related("county"), pk)


def may_approve(user, batch) -> bool:
    return batches_visible_to(user, APPROVING_ROLES).filter(pk=batch.pk).exists()


def totals(batch) -> dict:
    """Reconciliation of a batch: count and sum sent, paid, failed or returned, waiting."""
    R = BatchLine.Result
    agg = {}
    for key, result in (
        ("paid", R.PAID),
        ("failed", R.FAILED),
        ("returned", R.RETURNED),
        ("pending", R.PENDING),
    ):
        agg[f"{key}_count"] = Count("pk", filter=Q(result=result))
        agg[f"{key}_total"] = Sum("amount", filter=Q(result=result), default=0)
    row = batch.lines.aggregate(**agg)
    row["sent_count"], row["sent_total"] = batch.line_count, batch.total
    row["balanced"] = (
        row["paid_total"] + row["failed_total"] + row["returned_total"] + row["pending_total"]
        == batch.total
    )
    return row


def county_summary(codes: list[str], month, counties) -> list[dict]:
    """Per county: what a batch would take now (count, sum), what waits for an account, and
    what is held after a failure; three grouped queries, whatever the number of counties."""
    if not codes:
        return []
    county = Substr("entitlement__case__region_id", 1, 6)

    def grouped(qs, **agg):
        return {
            row["county"]: row
            for row in qs.annotate(county=county)
            .filter(county__in=codes)
            .values("county")
            .annotate(**agg)
        }

    due = grouped(
        _waiting(month).exclude(entitlement__bank_account=""), n=Count("pk"), total=Sum("amount")
    )
    missing = grouped(_waiting(month).filter(entitlement__bank_account=""), n=Count("pk"))
    on_hold = grouped(Payment.objects.filter(held=True), n=Count("pk"))
    empty = {"n": 0, "total": 0}
    return [
        {
            "county": c,
            "due": due.get(c.code, empty),
            "missing": missing.get(c.code, empty)["n"],
            "held": on_hold.get(c.code, empty)["n"],
        }
        for c in counties
    ]
