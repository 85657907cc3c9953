"""lib.months.parse_month: the one reading of a month written YYYY-MM (query strings, the
payment batch form, the exchange API and its admin report)."""

import datetime as dt

import pytest

from civilaffairs.lib.months import parse_month


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-12", dt.date(2026, 12, 1)),
        ("2027-01", dt.date(2027, 1, 1)),
        ("2026-13", None),
        ("2026-00", None),
        ("2026-1", None),
        (" 2026-12", None),
        ("2026-12-01", None),
        ("２０２６-１２", None),  # full-width digits are not the ASCII format
        ("", None),
        (None, None),
        (202612, None),
        (["2026-12"], None),
    ],
)
def test_a_month_is_read_only_when_written_yyyy_mm(text, month):
    assert parse_month(text) == month
