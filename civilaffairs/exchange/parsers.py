"""The API's JSON parser: DRF's, refusing text no record can hold.

PostgreSQL stores no NUL character in text, and a lone surrogate (`"\\ud800"`, valid JSON
escape, not a character) cannot even be sent to it: either reached the database as a 500.
The web forms refuse a NUL before any view (portal.middleware.BadInputMiddleware); an API body
is refused here, whole, with the API's own 400 answer, before any view reads it.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

from civilaffairs.lib.params import is_storable_text


def _all_holdable(value) -> bool:
    """Every text of the body, keys included, walked without recursion: a body nested a few
    hundred levels deep parses, and would exhaust the stack of a recursive walk."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable_text(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


class UnholdableText(ParseError):
    # Answered as the bad-input guard answers a NUL in a query string (exchange.errors).
    api_code = "bad_input"


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # nested deeper than Python's JSON reader goes
            raise ParseError() from None
        if not _all_holdable(data):
            raise UnholdableText()
        return data
