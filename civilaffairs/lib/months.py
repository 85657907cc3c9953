"""Month arithmetic for benefits and review dates, written once.

Payments are per calendar month and named by the month's first day. Review dates move by whole
months and land on the 28th at the latest, so every month has the day (a review due on 31 March
plus one month is 28 April, not 1 May): a date a caseworker can plan for."""

import datetime as dt
import re

MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def parse_month(text) -> dt.date | None:
    """The first day of a month written YYYY-MM (how every page, file and API of the portal
    writes a month), or None for anything else, a month 13 included."""
    if not isinstance(text, str) or not MONTH.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text + "-01")
    except ValueError:
        return None


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` whole months (negative moves back), on the 28th at the latest."""
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, min(day.day, 28))
