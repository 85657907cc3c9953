"""What a domain counts for the dashboards (issue #18): the platform never imports a domain,
so each domain registers its figures in its AppConfig.ready() and the platform counts them
with its own (actions.do_count_month) and shows them on /staff/figures/<domain>/.

A domain gives, per table, one SELECT that PostgreSQL runs for the month and that returns
rows of four columns:

    region_code   the region the row belongs to (a case's region, a provider's, …)
    level         the confidentiality level of what was counted (0 where it has none)
    key           what the row counts, one of the table's `labels` (a status, a kind, …)
    n             how many

with the named parameters %(start)s and %(end)s (the month as a span of time in the
portal's zone; for the current month `end` is now) and %(month)s (its first day). The
platform sums the rows under every region above their own, so the page reads one region
code, as it does for the benefit figures. The first table's keys are also summed per region
(the page's "by region" table), so they should add up to something (one kind of thing each).
%(next)s is the first day of the next month (a date column's end), %(zone)s the portal's time
zone, for a timestamp's local date. A constant of the code (a status, a kind) goes into the
text through sql_literal. The SQL is the domain's own text: table names from
`_meta`, values only as those parameters (a literal per cent sign is written %%).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass


def sql_literal(value) -> str:
    """A constant of the code (a status, a kind) as an SQL literal: letters, digits and
    underscores only, never a value from outside."""
    value = str(value)
    if not re.fullmatch(r"[A-Za-z0-9_]+", value):
        raise ValueError(f"not a plain constant: {value!r}")
    return f"'{value}'"


def in_force_at_end(alias: str = "c") -> str:
    """SQL: the case `alias` was in force at the month's end (%(end)s): decided before it with
    a grant (approved; or granted and since stopped, 'terminated', or ended, 'completed') and
    not closed by then. A refusal or a withdrawal never was; one that closed in a later month
    still counts for this one. The one definition the domains' figures share."""
    if not re.fullmatch(r"[a-z_]+", alias):
        raise ValueError(f"not a table alias: {alias!r}")
    return (
        f"{alias}.decided_at < %(end)s"
        f" AND {alias}.outcome IN ('approved', 'terminated', 'completed')"
        f" AND ({alias}.closed_at IS NULL OR {alias}.closed_at >= %(end)s)"
    )


@dataclass(frozen=True)
class FigureTable:
    key: str
    title: object  # a lazy translation: the table's heading
    first: object  # what the first column holds ("Status", "Kind", …)
    column: object  # what `n` counts ("Bookings", "Children", …)
    sql: Callable[[], str]  # the SELECT (a callable: models are ready when it is asked)
    labels: Callable[[], dict]  # key → label, in the reader's language, in the table's order
    people: bool = True  # counts of people or of their applications: small cells suppressed
    chart: str = "bar"
    # Where the table also sums money: the label of that column, and the SELECT gives a fifth
    # column `amount` (yuan).
    amount: object = None
    note: object = ""  # said under the title: what is counted, and when


@dataclass(frozen=True)
class DomainFigures:
    code: str  # the domain's code, and the page's address /staff/figures/<code>/
    label: object  # the page's title, e.g. "Figures: elder care"
    roles: tuple[str, ...]  # who reads them, of their own area
    tables: tuple[FigureTable, ...]
    note: object = ""  # said under the title: what the figures are


_figures: dict[str, DomainFigures] = {}


def register_figures(figures: DomainFigures) -> DomainFigures:
    existing = _figures.get(figures.code)
    if existing is not None and existing != figures:
        raise ValueError(f"figures {figures.code!r} registered twice")
    keys = [t.key for t in figures.tables]
    if len(set(keys)) != len(keys) or "region" in keys:
        # "region" is the page's own table (the first table by region).
        raise ValueError(f"figures {figures.code!r}: a table key is used twice or is 'region'")
    _figures[figures.code] = figures
    # In the staff menu, for whoever may read them (of some area).
    from civilaffairs.casework.registry import register_link

    from .queries import may_see_figures

    register_link(
        "staff",
        figures.label,
        "insight:domain",
        args=(figures.code,),
        visible=lambda user: may_see_figures(user, figures.roles),
    )
    return figures


def get_figures(code: str) -> DomainFigures | None:
    return _figures.get(code)


def all_figures() -> list[DomainFigures]:
    return sorted(_figures.values(), key=lambda f: f.code)
