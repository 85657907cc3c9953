"""Resident identity numbers (GB 11643-1999).

18 characters: a 6-digit address code, the birth date YYYYMMDD, a 3-digit sequence whose last
digit is odd for men and even for women, and a check character (ISO 7064 MOD 11-2).

The address code is where the number was first issued and never changes, so a code retired
since (110103 崇文区, merged in 2010) is still valid: the caller decides which codes exist by
passing `address_code_exists`, which the people app answers from the current *and* retired
division codes it ships.
"""

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DIGITS_AND_CHECK = re.compile(r"[0-9]{17}[0-9X]")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1880, 1, 1)


def check_char(first17: str) -> str:
    """The check character for the first 17 digits. (A bulk import checks a million numbers:
    the digits are read as their ASCII codes, each 48 more than the digit, so the weighted
    sum is taken over the bytes and 48 times the weights' sum taken off, with no int() per
    digit: three times faster than a generator.)"""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("17 digits expected")
    total = sum(map(operator.mul, first17.encode(), WEIGHTS)) - _ZERO_WEIGHT
    return CHECK_CHARS[total % 11]


_ZERO_WEIGHT = ord("0") * sum(WEIGHTS)


# A Chinese input method in its wide mode types digits and letters as wide characters.
_WIDE = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


def normalize(value: str) -> str:
    """The number as it is stored: without the spaces (also wide ones) or hyphens people put
    between groups of digits, wide digits made plain, and a trailing x upper-cased, as people
    type it both ways."""
    if value and value.isascii() and value.isalnum():
        return value.upper()  # as typed by most, and as every legacy file has it
    value = (value or "").translate(_WIDE)
    return "".join(value.split()).replace("-", "").upper()


class IdNumber(NamedTuple):
    """A parsed number (a named tuple, not a frozen dataclass: a bulk import makes a million,
    and a tuple is made in a fifth of the time)."""

    value: str
    address_code: str
    birth_date: dt.date
    sequence: str

    @property
    def sex(self) -> str:
        """'M' or 'F' from the 17th digit."""
        return "M" if int(self.sequence[-1]) % 2 == 1 else "F"

    @property
    def province_code(self) -> str:
        return self.address_code[:2] + "0000"


def parse(
    value: str,
    *,
    address_code_exists: Callable[[str], bool] | None = None,
    today: dt.date | None = None,
) -> IdNumber:
    """Parse and fully validate an ID number, or raise ValidationError with the reason.

    Each failure has its own message, so a citizen who mistyped one digit is told which part
    is wrong rather than "invalid".
    """
    value = normalize(value)
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)d."),
            code="id_length",
            params={"n": len(value)},
        )
    # ASCII digits only: str.isdigit() is also true of '²', which int() refuses.
    if not DIGITS_AND_CHECK.fullmatch(value):
        raise ValidationError(
            _("An ID number has 17 digits followed by a digit or X."),
            code="id_characters",
        )
    try:
        birth = _date(value[6:14])
    except ValueError:
        raise ValidationError(
            _(
                "Characters 7 to 14 of an ID number are the birth date; %(date)s is not a real date."
            ),
            code="id_birth_date",
            params={"date": value[6:14]},
        ) from None
    today = today or dt.date.today()
    if birth < EARLIEST_BIRTH or birth > today:
        raise ValidationError(
            _("The birth date %(date)s in the ID number is not possible."),
            code="id_birth_date",
            params={"date": birth.isoformat()},
        )
    if check_char(value[:17]) != value[17]:
        raise ValidationError(
            _(
                "The last character (check digit) does not match; please check the number for a typing error."
            ),
            code="id_check_digit",
        )
    if address_code_exists is not None and not address_code_exists(value[:6]):
        raise ValidationError(
            _(
                "The first six digits %(code)s are not an address code of any division, past or present."
            ),
            code="id_address_code",
            params={"code": value[:6]},
        )
    return IdNumber(value=value, address_code=value[:6], birth_date=birth, sequence=value[14:17])


@functools.lru_cache(maxsize=50_000)
def _date(yyyymmdd: str) -> dt.date:
    """A birth date from its eight digits. Kept: a million people share some 40,000 birth
    dates, and the look-up costs a fifth of building the date again."""
    return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))


def make(address_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid ID number: used by the demo data, the bench generator and test factories.

    `sequence` is 0-999; its parity decides the sex (odd = male).
    """
    if len(address_code) != 6 or not address_code.isdigit():
        raise ValueError("address_code must be 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0-999")
    first17 = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
