"""Prepared statements (lib.prepared): planned once per connection, the same rows as text,
one query per run, and a connection that never ends up believing in a statement it lacks."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from civilaffairs.lib import prepared

# A literal %, a parameter and a LIKE pattern given as a parameter: what compiled statements
# carry (lib.compiled.literal_sql doubles the % of the values written in).
SQL = "SELECT code, name FROM people_region WHERE code LIKE '6401%%' AND code LIKE %s ORDER BY code"


def _server_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _run(sql=SQL, params=("640104%",)):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def _as_text(pattern):
    with connection.cursor() as cursor:
        cursor.execute(SQL, [pattern])
        return cursor.fetchall()


@pytest.mark.django_db
def test_a_prepared_statement_returns_what_the_text_returns_and_is_prepared_once(regions):
    expected = _as_text("640104%")
    assert expected and all(code.startswith("640104") for code, _ in expected)
    with CaptureQueriesContext(connection) as first:
        assert _run() == expected
    assert prepared.statement_name(SQL) in _server_statements()
    other = _as_text("640105%")
    with CaptureQueriesContext(connection) as again:
        assert _run() == expected
        assert _run(params=("640105%",)) == other != expected
    # Every run is one query; once prepared, it is only EXECUTE with the parameters.
    assert len(first.captured_queries) == 1
    assert [q["sql"].split(" (")[0] for q in again.captured_queries] == [
        f"EXECUTE {prepared.statement_name(SQL)}"
    ] * 2


@pytest.mark.django_db
def test_a_statement_stays_prepared_when_the_transaction_around_it_rolls_back(regions):
    sql = SQL + " LIMIT 3"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert len(_run(sql)) == 3
        raise RuntimeError("roll back")
    with CaptureQueriesContext(connection) as ctx:
        assert len(_run(sql)) == 3
    assert ctx.captured_queries[0]["sql"].startswith(f"EXECUTE {prepared.statement_name(sql)}")


@pytest.mark.django_db
def test_after_a_failed_run_the_next_run_prepares_afresh(regions):
    """A run that fails (here: in a transaction an earlier error aborted) leaves it unknown
    what the connection holds; the next run clears the slate and prepares again."""
    sql = SQL + " LIMIT 2"
    with transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        with pytest.raises(DatabaseError):
            _run(sql)
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as ctx:
        assert len(_run(sql)) == 2
    assert ctx.captured_queries[0]["sql"].startswith("DEALLOCATE ALL; PREPARE ca_")
    assert len(_run(sql)) == 2


@pytest.mark.django_db
def test_a_connection_keeps_a_bounded_number_of_statements(monkeypatch):
    # From a clean slate, whatever earlier tests prepared on this connection.
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    prepared._connections.pop(connection.connection, None)
    monkeypatch.setattr(prepared, "KEPT_PER_CONNECTION", 3)
    sqls = [f"SELECT {i} + %s" for i in range(1, 7)]
    for i, sql in enumerate(sqls, start=1):
        assert _run(sql, (1,)) == [(i + 1,)]
    kept = set(prepared._connections[connection.connection].names)
    assert kept == {prepared.statement_name(sql) for sql in sqls[-3:]}
    on_server = _server_statements()
    assert kept <= on_server
    assert not {prepared.statement_name(sql) for sql in sqls[:3]} & on_server


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    sql = "SELECT %s::int * 2"
    assert _run(sql, (21,)) == [(42,)]
    connection.close()
    with CaptureQueriesContext(connection) as ctx:
        assert _run(sql, (4,)) == [(8,)]
    assert ctx.captured_queries[0]["sql"].startswith(f"PREPARE {prepared.statement_name(sql)}")


@pytest.mark.django_db
def test_turned_off_the_statement_is_sent_as_text(regions, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as ctx:
        assert _run() == _as_text("640104%")
    assert ctx.captured_queries[0]["sql"].startswith("SELECT code, name FROM people_region")
    # Without parameters too: the doubled % of the text is a single one again.
    counting = "SELECT count(*) FROM people_region WHERE code LIKE '640104%%'"
    settings.DATABASE_PREPARED_STATEMENTS = True
    expected = _run(counting, ())
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert _run(counting, ()) == expected and expected[0][0] > 1
