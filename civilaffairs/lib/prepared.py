"""Server-side prepared statements for the few reads every request makes.

PostgreSQL plans a statement each time it receives one as text. For the small indexed reads
that every page makes (the signed-in user with their grants, a staff queue's page of rows),
planning costs several times the execution: the queue page's four-table read took about
0.4 ms to plan and 0.1 ms to run. A statement prepared once per database connection is
planned once (PostgreSQL switches a prepared statement to its generic plan after five runs
when that plan is as good, which it is here: the jurisdiction and filters are written into the
statement itself, only a page's cursor is a parameter).

Use it only for statements whose text is fixed once compiled (lib.compiled): each distinct
text is a statement of its own on every connection that runs it. Each connection keeps at
most KEPT_PER_CONNECTION of them, the least recently used is dropped beyond that.

PgBouncer in transaction mode hands each transaction a different server connection, where a
statement prepared on another does not exist: set DATABASE_PREPARED_STATEMENTS=0 there (the
statements are then sent as text, as any other query).
"""

import hashlib
import re
import weakref
from collections import OrderedDict

from django.conf import settings
from django.db import connection

KEPT_PER_CONNECTION = 200


class _Prepared:
    """What one database connection has prepared, most recently used last. `unsure` after a
    failed run: whether its PREPARE or DEALLOCATE took effect is not known, so the next
    first run starts with DEALLOCATE ALL and the list starts again empty."""

    def __init__(self):
        self.names: OrderedDict[str, None] = OrderedDict()
        self.unsure = False


# Per raw database connection (a reconnect is a new one, with nothing prepared yet).
_connections: "weakref.WeakKeyDictionary[object, _Prepared]" = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%[s%]")


def _numbered(sql: str) -> str:
    """psycopg2's %s placeholders as PostgreSQL's $1, $2, … (%% stays: psycopg2 still reads
    the text when it sends the first run's parameters)."""
    count = 0

    def number(match):
        nonlocal count
        if match.group() == "%%":
            return "%%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def statement_name(sql: str) -> str:
    """The name a statement is prepared under: the same text, the same name, everywhere."""
    return "ca_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()


def execute(cursor, sql: str, params=()):
    """Run `sql` (psycopg2 style: %s placeholders, %% for a literal %) with `params` on
    `cursor` (a cursor of django.db.connection), prepared on this connection the first time
    it runs there. Preparing travels with that first run, in the same round trip: every run
    is one query."""
    params = tuple(params)
    if not settings.DATABASE_PREPARED_STATEMENTS:
        # Without parameters psycopg2 sends the text as it is: the %% must be undone here.
        cursor.execute(sql if params else sql.replace("%%", "%"), params or None)
        return
    connection.ensure_connection()
    prepared = _connections.setdefault(connection.connection, _Prepared())
    name = statement_name(sql)
    run = f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if name in prepared.names:
        prepared.names.move_to_end(name)
    else:
        # Not transactional: once prepared, a statement stays for the connection's life even
        # if the surrounding transaction rolls back.
        run = f"PREPARE {name} AS {_numbered(sql)}; {run}"
        if prepared.unsure:
            run = f"DEALLOCATE ALL; {run}"
        else:
            while len(prepared.names) >= KEPT_PER_CONNECTION:
                oldest, _ = prepared.names.popitem(last=False)
                run = f"DEALLOCATE {oldest}; {run}"
        prepared.names[name] = None
    try:
        if params:
            cursor.execute(run, params)
        else:
            cursor.execute(run.replace("%%", "%"))
    except Exception:
        prepared.names.clear()
        prepared.unsure = True
        raise
    prepared.unsure = False
