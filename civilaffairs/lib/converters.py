"""Path converters for the site's URLs.

`<id:pk>` is the one way a URL carries a row id. Django's own `int` converter accepts any run
of digits, so /staff/people/99999999999999999999/ reached the view, whose query then failed in
PostgreSQL (no id column holds a number above 2^63 - 1) and answered 500. An id is ASCII
digits up to the largest bigint; anything else is no match, so the answer is 404.
"""

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            # A ValueError here tells the resolver the pattern does not match.
            raise ValueError("larger than any id")
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class RegionCodeConverter:
    """`<region:code>`: a region's official code, 6 to 12 ASCII digits (GB/T 2260 and the
    statistical codes below it); anything else does not match (404)."""

    regex = "[0-9]{6,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def register():
    register_converter(IdConverter, "id")
    register_converter(RegionCodeConverter, "region")
