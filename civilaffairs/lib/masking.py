"""Masking of personal numbers shown on screen: one mask per kind of number, used by every page,
admin list, form and JSON answer, so that no two places show different parts of a number.

The attacker these masks are built against is any signed-in user without the
`accounts.reveal_id_number` permission who already knows where a person lives, their sex and
their age (pages show all three) and reads every page their role reaches. What they see of a
number must leave at least a thousand full numbers consistent with all of that
(tests/security/test_masking.py crawls every role's pages to prove it).

Resident ID number, `640104***********X`: the address code and the check character.
    The eight birth-date digits cannot be hidden alone, as the old `640104********0488` did:
    pages show the birth date, and the sequence and check characters then give the whole
    number. Nor is one hidden digit ever enough: the check character (ISO 7064 MOD 11-2) gives
    it back. The address code is known to the attacker anyway (the person's region); the three
    sequence digits stay hidden; the check character is shown so that the person recognises
    their own number. With the age known but no full birth date anywhere (pages show age
    instead), about 365 dates x 500 sequences of the right parity / 11 check characters ≈
    16,600 numbers remain; showing even one sequence digit would leave about 1,660, too thin a
    margin. Full birth dates therefore go only with a logged reveal, like the full number.
    Other documents (passports, residence permits): the last two characters only, which no
    page combines with anything.

Mobile number, `138****1234`: the operator prefix and the last four digits; the four middle
    digits stay hidden (10,000 numbers). Landlines and other lengths: the last four when at
    least four others stay hidden, else the last two.

Bank account, `**** 7890`: the last four digits only.

Names on public notices keep the first character only.
"""


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip().upper()
    if len(value) == 18:
        return f"{value[:6]}{'*' * 11}{value[-1]}"
    if len(value) == 15 and value.isdigit():
        # First-generation number: address code, YYMMDD and a sequence, no check character.
        return f"{value[:6]}{'*' * 9}"
    return "*" * max(len(value) - 2, 2) + value[-2:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]  # +86 138 ...: the same mobile number, masked the same way
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    shown = 4 if len(digits) >= 8 else 2
    return "*" * max(len(digits) - shown, 4) + digits[-shown:]


def mask_bank_account(value: str | None) -> str:
    if not value:
        return ""
    digits = "".join(value.split())
    shown = 4 if len(digits) >= 10 else 2
    return "**** " + digits[-shown:]


def mask_name(value: str | None) -> str:
    """张三丰 -> 张**: for public notices, where a full name is not needed."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
