"""What a dashboard shows: tables of figures, each drawn as a chart above it and downloadable
as CSV or XLSX (exports.table_lines). One shape for every dashboard and every domain's
figures (insight.registry), so the page template, the chart and the files are written once.

The tables are written by Jinja2 (jinja2/insight/tables.jinja, through `tables_html`), which
templates/insight/_tables.html includes as a string: a page has up to ten tables and a few
hundred cells, which took Django's engine about 2 ms of CPU (half what PostgreSQL took to count
them) and take Jinja2 0.5 ms (docs/scaling.md).
"""

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# What a column holds: counts of people or cases (small ones are suppressed in the files),
# money, a number of days, a share in per cent.
COUNT, AMOUNT, DAYS, PERCENT = "count", "amount", "days", "percent"


@dataclass
class Column:
    label: str
    kind: str = COUNT


@dataclass
class Line:
    label: str
    values: list
    link: str = ""  # a region code one level down, where the line is a region


@dataclass
class Table:
    key: str
    title: str
    first: str  # what the first column holds
    columns: list[Column]
    lines: list[Line] = field(default_factory=list)
    chart: str = "bar"  # bar or line (a line for month by month)
    # The files suppress counts of fewer than five: a table of people or applications per
    # area singles someone out. A table of staff workloads (cases per office or caseworker)
    # describes the staff's work, not the people, and is written whole.
    suppress: bool = True
    note: str = ""  # said under the title (what the figures mean, when)
    empty: str = ""  # said when there are no lines (else: nothing to show for this cut)

    @property
    def data_id(self) -> str:
        return f"fig-{self.key}-data"

    def chart_data(self) -> dict:
        """The first column's figures, for the chart (static/js/insight.js)."""
        return {
            "kind": self.chart,
            "labels": [line.label for line in self.lines],
            "values": [_number(line.values[0]) for line in self.lines],
            "name": self.columns[0].label if self.columns else "",
        }


def _number(value):
    return float(value) if value is not None and not isinstance(value, int) else value


def tables_html(tables: list[Table], region, month, query: str) -> SafeString:
    """The tables of a figures page as HTML, rendered by Jinja2 (insight/tables.jinja) with
    their words in the reader's language: what templates/insight/_tables.html shows. Jinja2
    escaped every value it wrote (autoescape), so the result is safe as a whole."""
    return mark_safe(  # noqa: S308
        render_to_string(
            "insight/tables.jinja",
            {
                "tables": tables,
                "region": region,
                "month": f"{month:%Y-%m}",
                "query": query,
                "texts": {
                    "chart": _("Chart: %(title)s (the same figures are in the table below)"),
                    "none": _("none"),
                    "download": _("Download this table:"),
                    "suppressed": _(
                        "(in the files, a cell of fewer than 5 people is written “<5” and, "
                        "where it would show through, one more cell “×”)"
                    ),
                    "nothing": _("Nothing to show for this cut."),
                },
            },
            using="jinja2",
        )
    )
