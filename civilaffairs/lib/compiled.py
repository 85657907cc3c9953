"""Statements compiled once per process and run with fresh values.

Building a queryset (Q objects for the jurisdiction, joins, filters) and compiling it to SQL
costs Django several times what PostgreSQL needs to run a small indexed read. A hot read whose
SQL depends only on things known before it runs (the user's id, flags and grants, what the code
registered, the filters of a list) is therefore compiled once and kept here under a key that
names exactly those things: a changed grant or filter is a new key, so nothing compiled for one
is ever run for another. Values that change from one run to the next (a page's cursor, the
current time) stay parameters or SQL of their own and are never part of what is kept.

Kept per process and bounded: a new release starts new processes, and when the table is full it
starts again empty, which costs one compile per key.
"""

from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


class Kept(dict):
    """A per-process table that starts again empty once it holds `limit` entries: its memory
    is bounded, and starting again costs one rebuild per key still in use."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def keep(self, key: Hashable, value: T) -> T:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


_kept = Kept(5000)


def compiled(key: Hashable, build: Callable[[], T]) -> T:
    """What `build()` returns for `key`, built the first time only. `key` must name everything
    the result depends on."""
    try:
        return _kept[key]  # type: ignore[return-value]
    except KeyError:
        return _kept.keep(key, build())


def literal_sql(qs) -> str:
    """The queryset's SQL with its parameters written in, exactly as psycopg2 sends them
    (psycopg2 always quotes parameters into the text on the client), and every % doubled, so
    the result can be combined with placeholders of its own. For statements kept by
    `compiled` and prepared by lib.prepared: values written in are part of the plan."""
    # elide_empty=False: a filter that can match nothing (an empty IN list) is written as a
    # false condition instead of raising EmptyResultSet; the statement is kept, not skipped.
    sql, params = qs.query.get_compiler(connection=connection, elide_empty=False).as_sql()
    with connection.cursor() as cursor:
        text = cursor.mogrify(sql, params)
    if isinstance(text, bytes):
        text = text.decode()  # Django's PostgreSQL connections speak UTF8
    return text.replace("%", "%%")
