"""Masking of identifiers shown on screen (DESIGN §4): ID 110105********123X, phone 138****1234,
bank account last four. Names on public notices keep the first character only."""


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) == 18:
        return f"{value[:6]}********{value[-4:]}"
    # Other documents (passports, residence permits): show only the last four.
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = value.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_bank_account(value: str | None) -> str:
    if not value:
        return ""
    value = value.replace(" ", "")
    return "**** " + value[-4:]


def mask_name(value: str | None) -> str:
    """张三丰 -> 张**: for public notices, where a full name is not needed."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
