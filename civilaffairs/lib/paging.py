"""Keyset pagination: the next page starts after the last row seen, so page 10,000 costs what
page 1 costs (an OFFSET would read and discard every row before it)."""

import base64
import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value

from .params import is_storable_text


def _encode(values) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _no_constant(name):
    raise ValueError(name)  # NaN, Infinity: Python's JSON takes them, no column holds them


def _decode(token: str):
    pad = "=" * (-len(token) % 4)
    return json.loads(base64.urlsafe_b64decode(token + pad), parse_constant=_no_constant)


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    has_next: bool
    size: int


def _field(model, name):
    name = name.lstrip("-")
    if name == "pk":
        return model._meta.pk
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def keyset_page(
    qs: QuerySet,
    *,
    order: tuple[str, ...],
    after: str | None = None,
    size: int = 25,
    row=None,
) -> KeysetPage:
    """One page of `qs` ordered by `order` (the last key must be unique, e.g. "pk" or "-pk";
    every key a column that is never NULL). With `row`, each row of a `values()` queryset
    becomes `row(**values)` (the order's keys among them).

    A malformed cursor starts at the beginning rather than failing: it came from a URL.
    """
    model = qs.model
    qs = qs.order_by(*order)
    parsed = _parse_cursor(model, order, after)
    if parsed is not None:
        qs = qs.filter(_after(order, parsed))
    rows = list(qs[: size + 1])
    if row is not None:
        rows = [row(**values) for values in rows]
    return _page(rows, order, size)


def keyset_page_sql(
    sql: str,
    params,
    *,
    model,
    order: tuple[str, ...],
    after: str | None = None,
    size: int = 25,
    row=None,
) -> KeysetPage:
    """keyset_page for a statement kept as text with its values as parameters (a queryset's
    `query.sql_with_params()`, unordered, its columns named as `order` names them): the page
    is read around it, `SELECT * FROM (statement) WHERE (keys) > (cursor) ORDER BY keys LIMIT`.
    PostgreSQL pulls such a subquery up into the outer query, so the plan is the statement's own
    with the order and the row comparison in it (the same plan keyset_page gets).

    Every key of `order` must run the same way (one row comparison). Each row becomes
    `row(**columns)`, or a dict of its columns."""
    directions = {name.startswith("-") for name in order}
    if len(directions) != 1:
        raise ValueError("keyset_page_sql needs every key of the order in the same direction")
    descending = directions.pop()
    names = [connection.ops.quote_name(name.lstrip("-")) for name in order]
    keys = ", ".join(f"page.{n}" for n in names)
    way = " DESC" if descending else ""
    parsed = _parse_cursor(model, order, after)
    where, values = "", []
    if parsed is not None:
        marks = ", ".join(["%s"] * len(parsed))
        where = f" WHERE ({keys}) {'<' if descending else '>'} ({marks})"
        values = list(parsed)
    ordering = ", ".join(f"page.{n}{way}" for n in names)
    text = f"SELECT * FROM ({sql}) AS page{where} ORDER BY {ordering} LIMIT %s"  # noqa: S608 (kept statement and quoted names; every value a parameter)
    with connection.cursor() as cursor:
        cursor.execute(text, (*params, *values, size + 1))
        columns = [c.name for c in cursor.description]
        read = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    rows = [row(**values) for values in read] if row is not None else read
    return _page(rows, order, size)


def _parse_cursor(model, order, after):
    """The values of a cursor, or None for none. A malformed cursor starts at the beginning
    rather than failing: it came from a URL. Each value must be what its column holds (a
    number in the column's range, a date, …): anything else would fail in the database."""
    if not after:
        return None
    try:
        values = _decode(after)
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError
        return [
            _cursor_value(model, name, value) for name, value in zip(order, values, strict=True)
        ]
    except (
        ValueError,
        TypeError,
        OverflowError,  # 1e400 is a float of infinity to JSON
        ValidationError,
        json.JSONDecodeError,
        UnicodeError,
    ):
        return None


def _cursor_value(model, name, value):
    if isinstance(value, str) and not is_storable_text(value):
        raise ValueError
    field = _field(model, name)
    if field is None:
        return value
    # A generated column (queue_rank) converts as the type it stores.
    field = getattr(field, "output_field", None) or field
    if value is None or isinstance(value, bool | dict | list):
        raise ValueError
    value = field.to_python(value)
    ranges = connection.ops.integer_field_ranges
    if field.get_internal_type() in ranges:
        low, high = ranges[field.get_internal_type()]
        if not low <= value <= high:
            raise ValueError
    return value


def _page(rows, order, size) -> KeysetPage:
    has_next = len(rows) > size
    rows = rows[:size]
    cursor = None
    if has_next and rows:
        last = rows[-1]
        cursor = _encode([_value(last, name) for name in order])
    return KeysetPage(rows=rows, next_cursor=cursor, has_next=has_next, size=size)


def _value(obj, name):
    name = name.lstrip("-")
    if isinstance(obj, dict):  # a row of keyset_page_sql without `row`
        value = obj[name]
    elif name == "pk":
        return obj.pk
    else:
        f = _field(type(obj), name) if hasattr(type(obj), "_meta") else None
        if f is not None and f.is_relation:
            return getattr(obj, f.attname)
        value = getattr(obj, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


class _Row(Func):
    function = "ROW"


class _RowCompare(Func):
    """ROW(a, b, c) > ROW(x, y, z): PostgreSQL starts a scan of a B-tree index on (a, b, c) at
    that point. The equivalent OR chain is only a filter: the index is read from its start."""

    template = "%(expressions)s"
    output_field = BooleanField()

    def __init__(self, left, op, right):
        self.arg_joiner = f" {op} "
        super().__init__(left, right)


def _after(order, values):
    """The rows after `values` in `order`: one row comparison when every key runs the same way
    (see QUEUE_ORDER), otherwise ORs of ANDs."""
    directions = {name.startswith("-") for name in order}
    if len(directions) == 1 and len(order) > 1:
        names = [name.lstrip("-") for name in order]
        return _RowCompare(
            _Row(*[F(n) for n in names]),
            "<" if directions.pop() else ">",
            _Row(*[Value(v) for v in values]),
        )
    return _after_q(order, values)


def _after_q(order, values) -> Q:
    """(a, b, c) > (va, vb, vc) in the given directions, as ORs of ANDs."""
    q = Q(pk__in=[])
    for i, name in enumerate(order):
        term = Q()
        for prev, v in zip(order[:i], values[:i], strict=True):
            term &= Q(**{prev.lstrip("-"): v})
        op = "lt" if name.startswith("-") else "gt"
        term &= Q(**{f"{name.lstrip('-')}__{op}": values[i]})
        q |= term
    return q
