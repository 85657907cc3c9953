"""What may reach a log: no personal numbers, no query strings, no tracebacks for client errors.

The first defence is that nothing logs personal data (searches keep their query strings out of
the access log; code never formats a person into a message). This module is the last one: a
filter on every handler of every process (Django's LOGGING, the Celery worker and beat through
`protect_celery_logging`, gunicorn through lib/gunicorn_logging.py) that rewrites anything shaped like
an ID number, a mobile number or a bank-card number before it is written.

"Shaped like" is deliberately loose: a log line loses little when a 16-digit number that was not
a card is hidden, and a check digit or a plausible date are not worth trusting here.
"""

from __future__ import annotations

import logging
import re

# Digits that are not part of a longer run of letters or digits. Not `\w`: in Python it matches
# Chinese characters, and "身份证号640104…" must be caught.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"

# An unbroken run: 11 to 19 digits, or 17 digits and an X (an ID number's check character).
_RUN = re.compile(_EDGE_BEFORE + r"(?:\d{17}[Xx]|\d{11,19})" + _EDGE_AFTER)
# The same numbers as people type them, in groups separated by a space or a hyphen:
# "6401 0419 8005 1712 34", "138-0000-0001", "6222 0212 3456 7890 123".
# Only the last group may be short, so two dates in a row ("2026-12-01 2026-12-31") are no card.
_GROUPED = re.compile(
    _EDGE_BEFORE + r"\d{3,8}(?:[ -]\d{3,8}){0,5}[ -]\d{1,8}(?:[ -]?[Xx])?" + _EDGE_AFTER
)

REDACTED = {
    "id": "[redacted:id]",
    "mobile": "[redacted:mobile]",
    "card": "[redacted:card]",
}


def _kind(digits: str) -> str | None:
    """Which personal number a run of digits (separators removed) could be."""
    n = len(digits)
    if n == 18 and digits[:17].isdigit():
        return "id"
    if not digits.isdigit():
        return None
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "mobile"
    if n == 13 and digits.startswith("86") and _kind(digits[2:]) == "mobile":
        return "mobile"  # +86 13800000001
    if n == 15:
        return "id"  # the first-generation, 15-digit ID number
    if 16 <= n <= 19:
        return "card"
    return None


def _replace(match: re.Match) -> str:
    text = match.group(0)
    kind = _kind(re.sub(r"[ -]", "", text).upper())
    return REDACTED[kind] if kind else text


def redact(text: str) -> str:
    """`text` with every ID, mobile and bank-card shaped number replaced by a marker."""
    if not any(ch.isdigit() for ch in text):
        return text
    return _GROUPED.sub(_replace, _RUN.sub(_replace, text))


class RedactPersonalNumbers(logging.Filter):
    """Rewrites a record's message, its traceback and stack so no personal number is written.

    The record is formatted here, once, and carries the redacted text from then on, so every
    handler after this one writes the same safe text whichever formatter it uses."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_personal_numbers_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log what there is rather than nothing
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._personal_numbers_redacted = True
        return True


class OneLineClientErrors(logging.Filter):
    """A 4xx answer (Forbidden, Not Found, Bad Request) is one line, without a traceback.

    Django logs PermissionDenied and friends with the exception attached, so every 403 printed
    a full traceback of an ordinary refusal. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class WithoutQueryString(logging.Filter):
    """runserver's request line without its query string (staff searches carry ID numbers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str) and "?" in args[0]:
            method, _space, rest = args[0].partition(" ")
            target, _space2, protocol = rest.partition(" ")
            line = " ".join(p for p in (method, target.split("?", 1)[0], protocol) if p)
            record.args = (line, *args[1:])
        return True


def protect_handlers(logger: logging.Logger) -> None:
    """Put the filters on every handler of `logger` (idempotent)."""
    for handler in logger.handlers:
        for kind in (OneLineClientErrors, RedactPersonalNumbers):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())


def protect_celery_logging(logger=None, **_kwargs) -> None:
    """Celery's after_setup_logger / after_setup_task_logger: the worker and beat replace the
    root handlers that Django's LOGGING configured, so the filters go on theirs."""
    from celery.utils.log import get_multiprocessing_logger

    for each in (logger, logging.getLogger(), get_multiprocessing_logger()):
        if each is not None:
            protect_handlers(each)
