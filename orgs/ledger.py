"""The public charity ledger (公示): every donation received and where it went.

Built from confirmed deliveries only. What it shows about each: the date received, the donor's
name when the donor agreed (otherwise "Anonymous donor"), the goods and quantity received, the
project, who runs it (an organization or an office, never a person), and the area no finer than
the township. It never reads a need's household, internal note or creator, nor a donor's
account: recipients' personal data cannot reach a public page because the query never loads it.
Totals per project are sums over the same rows.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from .models import Delivery, ItemCategory, Unit

ROW_FIELDS = (
    "pk",
    "confirmed_at",
    "received_quantity",
    "value",
    "match__offer__donor_name",
    "match__offer__show_name",
    "match__offer__item",
    "match__need__category",
    "match__need__unit",
    "match__need__project_id",
    "match__need__project__name",
    "match__need__project__organization__name",
    "match__need__project__office__name",
    "match__need__region__name",
    "match__need__region__level",
    "match__need__region__parent__name",
)


def ledger_queryset():
    """The confirmed deliveries that received something, newest first."""
    return Delivery.objects.confirmed().filter(received_quantity__gt=0)


@dataclass
class LedgerRow:
    pk: int
    received_at: object
    donor: str
    item: str
    category: str
    quantity: int
    unit: str
    value: Decimal
    project_id: int
    project: str
    runner: str
    area: str


def rows(deliveries) -> list[LedgerRow]:
    """Ledger rows from a page of `ledger_queryset()` (one query, named columns only)."""
    from django.utils.translation import gettext as _

    out = []
    for d in deliveries.values(*ROW_FIELDS):
        level = d["match__need__region__level"]
        area = (
            d["match__need__region__parent__name"]
            if level and level > 4 and d["match__need__region__parent__name"]
            else d["match__need__region__name"]
        )
        out.append(
            LedgerRow(
                pk=d["pk"],
                received_at=d["confirmed_at"],
                donor=d["match__offer__donor_name"]
                if d["match__offer__show_name"]
                else _("Anonymous donor"),
                item=d["match__offer__item"],
                category=ItemCategory(d["match__need__category"]).label,
                quantity=d["received_quantity"],
                unit=Unit(d["match__need__unit"]).label,
                value=d["value"],
                project_id=d["match__need__project_id"],
                project=d["match__need__project__name"],
                runner=d["match__need__project__organization__name"]
                or d["match__need__project__office__name"]
                or "",
                area=area or "",
            )
        )
    return out


@dataclass
class ProjectTotal:
    project_id: int
    project: str
    runner: str
    deliveries: int = 0
    value: Decimal = Decimal(0)
    by_goods: list = field(default_factory=list)  # (category label, unit label, quantity)


def project_totals() -> list[ProjectTotal]:
    """Per project: number of deliveries, total value, and quantity per kind of goods. One
    GROUP BY query."""
    grouped = (
        ledger_queryset()
        .order_by()
        .values(
            "match__need__project_id",
            "match__need__project__name",
            "match__need__project__organization__name",
            "match__need__project__office__name",
            "match__need__category",
            "match__need__unit",
        )
        .annotate(qty=Sum("received_quantity"), value=Sum("value"), n=Count("pk"))
        .order_by("match__need__project__name", "match__need__project_id", "match__need__category")
    )
    totals: dict[int, ProjectTotal] = {}
    for g in grouped:
        pid = g["match__need__project_id"]
        t = totals.get(pid)
        if t is None:
            t = totals[pid] = ProjectTotal(
                project_id=pid,
                project=g["match__need__project__name"],
                runner=g["match__need__project__organization__name"]
                or g["match__need__project__office__name"]
                or "",
            )
        t.deliveries += g["n"]
        t.value += g["value"] or Decimal(0)
        t.by_goods.append(
            (
                ItemCategory(g["match__need__category"]).label,
                Unit(g["match__need__unit"]).label,
                g["qty"],
            )
        )
    return list(totals.values())


def grand_total() -> dict:
    agg = ledger_queryset().aggregate(
        deliveries=Count("pk"), quantity=Sum("received_quantity"), value=Sum("value")
    )
    return {
        "deliveries": agg["deliveries"] or 0,
        "quantity": agg["quantity"] or 0,
        "value": agg["value"] or Decimal(0),
    }
