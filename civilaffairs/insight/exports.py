"""A dashboard table as a CSV or XLSX file, with small cells suppressed.

A file leaves the staff workspace (it is mailed, printed, put in a report), so a cell of one
to four people is written "<5" and its amount left out: with a village, a sex and an age band
a cell of one is a person. A second cell hidden with it ("×") keeps the first from being
worked out from the rest of the table. Zero stays zero (it singles out no one). Row labels
and headers are in the reader's language. What suppression within one table cannot stop
(the same region's total from another table or file) is why the small cells of the files
are hidden and not rounded: a reader learns only that a cell was under five."""

import csv
import io
from decimal import Decimal

from django.http import HttpResponse

from .tables import COUNT, Table

SUPPRESS_BELOW = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _small(n) -> bool:
    return n is not None and 0 < n < SUPPRESS_BELOW


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _partners(lines, column: int, small: set) -> set:
    """Where exactly one line of a column is small, the next smallest non-zero line, which
    is hidden with it."""
    if len(small) != 1:
        return set()
    others = [
        (line.values[column], i)
        for i, line in enumerate(lines)
        if line.values[column] and i not in small
    ]
    return {min(others)[1]} if others else set()


def table_lines(table: Table) -> list[list]:
    """A dashboard table's lines, header first. A line whose first count is one to four is
    written "<5" there, its other counts "×" and the rest (amounts, shares) left out; where a
    column has exactly one small cell, the next smallest of that column is hidden with it
    ("×"); any other count of one to four is written "<5" and the shares and averages of its
    line left out (they would give it back). A table that describes no one (suppress=False)
    is written whole."""
    out = [[table.first, *(c.label for c in table.columns)]]
    counts = [i for i, c in enumerate(table.columns) if c.kind == COUNT]
    if not table.suppress or not counts:
        out += [[line.label, *map(_cell, line.values)] for line in table.lines]
        return out
    first = counts[0]
    hidden = {i for i, line in enumerate(table.lines) if _small(line.values[first])}
    hidden |= _partners(table.lines, first, hidden)
    # In every other count column, a lone small cell takes a partner too ("×"), else the
    # column's total (from another file of the same page) would give it back.
    partners = {
        j: _partners(
            table.lines, j, {i for i, line in enumerate(table.lines) if _small(line.values[j])}
        )
        for j in counts[1:]
    }
    for i, line in enumerate(table.lines):
        cells = []
        for j, value in enumerate(line.values):
            if i in hidden:
                if j == first:
                    cells.append("<5" if _small(value) else "×")
                else:
                    cells.append("×" if j in counts else "")
            elif j in counts:
                cells.append(
                    "<5" if _small(value) else "×" if i in partners.get(j, ()) else _cell(value)
                )
            else:  # a share or an average of a small count would give the count back
                cells.append("" if any(_small(line.values[k]) for k in counts) else _cell(value))
        out.append([line.label, *cells])
    return out


def response(lines: list[list], name: str, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=name[:31])
        for line in lines:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        reply = HttpResponse(out.getvalue(), content_type=XLSX)
    else:
        text = io.StringIO()
        csv.writer(text).writerows(lines)
        # With a byte-order mark: Excel on Chinese Windows reads UTF-8 only with one.
        reply = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
    reply["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return reply
