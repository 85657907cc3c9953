"""Reading what a page sent to PostgreSQL, prepared statements included."""

import re

from django.db import connection

# lib.prepared sends "[DEALLOCATE old; …]PREPARE name AS <statement>; EXECUTE name (…)" the
# first time a statement runs on a connection, and "EXECUTE name (…)" after that.
_FIRST_RUN = re.compile(r"^(?:DEALLOCATE \w+; )*PREPARE (\w+) AS (.*); EXECUTE \1\b", re.DOTALL)
_RUN = re.compile(r"^EXECUTE (\w+)")


def statements(ctx) -> list[str]:
    """The SQL of each query captured by a CaptureQueriesContext, a prepared statement's run
    shown as the statement it runs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        prepared = {}
        for name, text in cursor.fetchall():
            first = _FIRST_RUN.match(text)
            prepared[name] = first.group(2) if first else text
    out = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        first, run = _FIRST_RUN.match(sql), _RUN.match(sql)
        if first:
            sql = first.group(2)
        elif run:
            sql = prepared.get(run.group(1), sql)
        out.append(sql)
    return out
