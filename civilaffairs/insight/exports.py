"""A dashboard table as a CSV or XLSX file, with small cells suppressed.

A file leaves the staff workspace (it is mailed, printed, put in a report), so a cell of one
to four people is written "<5" and its amount left out: with a village, a sex and an age band
a cell of one is a person. Zero stays zero (it singles out no one). Row labels and headers
are in the reader's language."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

SUPPRESS_BELOW = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _shown(n):
    return "<5" if n is not None and 0 < n < SUPPRESS_BELOW else n


def table_rows(rows, *, with_households: bool, first: str) -> list[list]:
    header = [first, _("People")]
    if with_households:
        header.append(_("Households"))
    header.append(_("Monthly amount (yuan)"))
    out = [header]
    for row in rows:
        small = 0 < row.persons < SUPPRESS_BELOW
        line = [row.label or _("Recorded at this region itself"), _shown(row.persons)]
        if with_households:
            line.append(_shown(row.households))
        line.append("" if small else f"{row.amount:.2f}")
        out.append(line)
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
