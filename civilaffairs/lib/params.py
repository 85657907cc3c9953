"""What a request's address carries: query-string values, and where to send the user back.

Anyone can type a query string, so every value may be missing, malformed or absurd. Each
reader here returns the value, or the default when there is none; a value that was given but
cannot be used is ignored and the page says so in the user's language (a message), instead of
failing further down: PostgreSQL refuses an id above 2^63 - 1, `int()` refuses '²' although
`str.isdigit()` accepts it, `date()` refuses 2026-02-30, and a date at the end of the calendar
has no next day.

Every view that reads `request.GET` reads it through these (forms bound to `request.GET`
validate their own fields). `safe_next` is the one check of a user-supplied redirect target.
"""

import datetime as dt
import re

from django.contrib import messages
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .converters import BIGINT_MAX
from .months import parse_month

# Dates a page may be asked about: any real record falls inside, and a day before or after
# each end is still a date (datetime.date stops at 9999-12-31).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
DEGREES = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,15})?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A keyset cursor is URL-safe base64 of a few values (lib.paging); anything longer is not ours.
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,512}")


def is_digits(value) -> bool:
    """ASCII digits only: `str.isdigit()` is also true of '²' and '١٢', which `int()` refuses
    or reads as another number."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def is_storable_text(value: str) -> bool:
    """Text PostgreSQL can hold: no NUL character, and no lone surrogate ("\\ud800", a valid
    JSON escape but no character, which cannot even be encoded to send)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def ignored(request, name: str) -> None:
    """Tell the user a value of the address was not used (without repeating it: it may be
    long, or not meant for their eyes)."""
    messages.warning(
        request,
        _("The address gave “%(name)s” a value that could not be used; it was ignored.")
        % {"name": name},
    )


def _raw(request, name: str) -> str:
    return request.GET.get(name, "").strip()


def to_int(raw, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int | None:
    """`raw` (a string from a request) as a whole number from `minimum` to `maximum`, or None."""
    raw = raw.strip() if isinstance(raw, str) else ""
    negative = raw.startswith("-")
    digits = raw[1:] if negative else raw
    if not is_digits(digits) or len(digits) > 19:
        return None
    number = -int(digits) if negative else int(digits)
    return number if minimum <= number <= maximum else None


def to_id(raw) -> int | None:
    """`raw` as a row id (1 to the largest bigint), or None."""
    return to_int(raw, minimum=1)


def get_int(request, name: str, *, default=None, minimum: int = 0, maximum: int = BIGINT_MAX):
    """A whole number between `minimum` and `maximum`, else `default`."""
    raw = _raw(request, name)
    if not raw:
        return default
    number = to_int(raw, minimum=minimum, maximum=maximum)
    if number is None:
        ignored(request, name)
        return default
    return number


def get_id(request, name: str):
    """A row id (1 to the largest bigint), or None. Whether the row exists, and whether the
    user may see it, is for the scoped query that reads it."""
    return get_int(request, name, minimum=1)


def get_degrees(request, name: str, limit: int) -> float | None:
    """A latitude or longitude in decimal degrees from -limit to limit, else None."""
    raw = _raw(request, name)
    if not raw:
        return None
    value = float(raw) if DEGREES.fullmatch(raw) else None
    if value is None or not -limit <= value <= limit:
        ignored(request, name)
        return None
    return value


def get_date(
    request, name: str, *, default=None, earliest=EARLIEST_DATE, latest=LATEST_DATE
) -> dt.date | None:
    """A real date written YYYY-MM-DD between `earliest` and `latest`, else `default`."""
    raw = _raw(request, name)
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw) if ISO_DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None or not earliest <= day <= latest:
        ignored(request, name)
        return default
    return day


def get_month(request, name: str, *, default=None, earliest=EARLIEST_DATE, latest=LATEST_DATE):
    """A month written YYYY-MM (its first day) between `earliest` and `latest`, else
    `default`."""
    raw = _raw(request, name)
    if not raw:
        return default
    month = parse_month(raw)
    if month is None or not earliest <= month <= latest:
        ignored(request, name)
        return default
    return month


def get_choice(request, name: str, choices, *, default=None):
    """One of `choices` (values, or (value, label) pairs), else `default`."""
    raw = _raw(request, name)
    if not raw:
        return default
    values = {c[0] if isinstance(c, tuple | list) else c for c in choices}
    if raw not in {str(v) for v in values}:
        ignored(request, name)
        return default
    return next(v for v in values if str(v) == raw)


def get_text(request, name: str, *, max_length: int = 100) -> str:
    """Free text such as a search term, stripped; longer than `max_length` is ignored."""
    raw = _raw(request, name)
    if len(raw) > max_length:
        ignored(request, name)
        return ""
    return raw


def get_cursor(request, name: str = "after"):
    """A keyset page's cursor as lib.paging wrote it, else None (the first page). Its values
    are checked again where they are decoded."""
    raw = _raw(request, name)
    if not raw:
        return None
    if not CURSOR.fullmatch(raw):
        ignored(request, name)
        return None
    return raw


def safe_next(request, fallback: str) -> str:
    """Where to go back to: the `next` the form posted (or the address carried) when it is a
    path on this site, else `fallback`. Only a path that starts with "/" is taken: a bare word
    such as "queue" is read by `redirect()` as the name of a URL, and there is none."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
