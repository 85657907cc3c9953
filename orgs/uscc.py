"""The unified social credit code of organizations (统一社会信用代码, GB 32100-2015).

Eighteen characters from a 31-character alphabet (the digits and the capital letters without
I, O, Z, S and V, which are too easily misread):

    position 1      registration department (5 = civil affairs, 9 = market regulation, ...)
    position 2      category within that department (civil affairs: 1 social group,
                    2 social service agency, 3 foundation, 9 other)
    positions 3-8   the administrative division code of the registration authority (GB/T 2260)
    positions 9-17  the organization code (GB 11714: eight characters and a check character)
    position 18     the check character of the whole code

The check character: each of the first 17 characters is given its value (its index in the
alphabet) and weighted by 3^i mod 31 (1, 3, 9, 27, 19, ...); the check character is the one
whose value is 31 − (sum mod 31), with 31 meaning 0. Because 31 is prime and every weight is
non-zero modulo 31, changing any single character changes the sum modulo 31, so every
single-character error is caught.

Written here rather than taken from a library so that the domain owns the rule it enforces;
python-stdnum's `stdnum.cn.uscc` serves only as an independent cross-check in the tests.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(ALPHABET)}
MODULUS = 31
LENGTH = 18
WEIGHTS = tuple(pow(3, i, MODULUS) for i in range(LENGTH - 1))

# Registration department and category of the three kinds of social organization.
CIVIL_AFFAIRS = "5"
CATEGORY_SOCIAL_GROUP = "1"
CATEGORY_SOCIAL_SERVICE_AGENCY = "2"
CATEGORY_FOUNDATION = "3"

# GB 11714-1997: the organization code's own check character.
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def compact(value: str) -> str:
    """What a person typed, without spaces and hyphens, in capitals: the form of a code that is
    stored and compared. (Validation itself is strict: see `is_valid`.)"""
    return "".join((value or "").split()).replace("-", "").upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (which must be in the alphabet)."""
    if len(first17) != LENGTH - 1:
        raise ValueError("need exactly 17 characters")
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(MODULUS - total % MODULUS) % MODULUS]


def problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is.

    Strict: exactly 18 characters of the alphabet, capital letters only, the division code
    digits, and the right check character. Callers normalise input with `compact` first."""
    if not isinstance(code, str) or len(code) != LENGTH:
        return str(_("A unified social credit code has 18 characters."))
    bad = [c for c in code if c not in VALUE]
    if bad:
        return str(
            _(
                "“%(char)s” cannot appear in a unified social credit code (the letters I, O, Z, S "
                "and V are never used)."
            )
            % {"char": bad[0]}
        )
    if not code[2:8].isdigit():
        return str(_("Characters 3 to 8 of the code are the division code and must be digits."))
    if code[-1] != check_character(code[:-1]):
        return str(
            _("The check character does not match: please check the code for a typing error.")
        )
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def validate(code: str) -> None:
    """A Django validator."""
    message = problem(code)
    if message:
        raise ValidationError(message, code="uscc")


def org_code_check(body8: str) -> str:
    """The GB 11714 check character of an eight-character organization code body."""
    total = sum(ORG_CODE_CHARS.index(c) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def make(department: str, category: str, division: str, org_body8: str) -> str:
    """A complete code from its parts: the organization code gets its GB 11714 check
    character and the whole its GB 32100 check character."""
    if len(division) != 6 or not division.isdigit():
        raise ValueError("the division code has six digits")
    if len(org_body8) != 8 or any(c not in VALUE for c in org_body8):
        raise ValueError("the organization code body has eight characters of the alphabet")
    first17 = department + category + division + org_body8 + org_code_check(org_body8)
    return first17 + check_character(first17)
