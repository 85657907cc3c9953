"""The API's JSON parser: DRF's, refusing text no record can hold.

PostgreSQL stores no NUL character in text, and a lone surrogate (`"\\ud800"`, valid JSON
escape, not a character) cannot even be sent to it: either reached the database as a 500.
The web forms refuse a NUL before any view (portal.middleware.BadInputMiddleware); an API body
is refused here, whole, with the API's own 400 answer, before any view reads it.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser


def _holdable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_holdable(value) -> bool:
    if isinstance(value, str):
        return _holdable(value)
    if isinstance(value, dict):
        return all(_holdable(k) and _all_holdable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_holdable(v) for v in value)
    return True


class UnholdableText(ParseError):
    # Answered as the bad-input guard answers a NUL in a query string (exchange.errors).
    api_code = "bad_input"


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not _all_holdable(data):
            raise UnholdableText()
        return data
