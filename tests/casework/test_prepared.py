"""Statements a web process's connection runs often are prepared by psycopg 3 at the protocol
level (settings.py: server-side binding, DATABASE_PREPARE_THRESHOLD, which gunicorn.conf.py sets
for the web), so PostgreSQL plans the queue's read once per connection instead of on every
page; workers and commands prepare nothing (docs/scaling.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.auth import sign_in

from .conftest import make_case, resident

ROOT = Path(__file__).resolve().parents[2]


def _queue_reads(statements: list[str]) -> list[str]:
    # lib.paging.keyset_page_sql's wrapper around the queue's kept statement.
    return [s for s in statements if s.startswith("SELECT * FROM (") and ") AS page" in s]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.cursor.execute("SELECT statement FROM pg_prepared_statements", prepare=False)
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def web_threshold():
    """This connection as a web process's is: preparing after 5 runs (the tests, like workers,
    run with the settings' 0)."""
    connection.ensure_connection()
    raw = connection.connection
    assert raw.prepare_threshold is None
    raw.prepare_threshold = 5
    yield 5
    raw.prepare_threshold = None


@pytest.mark.django_db
def test_the_queue_page_reads_through_statements_its_connection_has_prepared(
    client, world, web_threshold
):
    assert settings.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True
    threshold = web_threshold
    applicant = resident()
    for _ in range(3):
        make_case(applicant)
    sign_in(client, world.supervisor)
    url = reverse("casework:queue-office")
    page = client.get(url)
    assert page.status_code == 200
    before = _prepared()
    # The queue's own read (the keyset page around its kept statement) is not prepared after
    # one page…
    assert _queue_reads(before) == [], before
    for _ in range(threshold):
        assert client.get(url).status_code == 200
    after = _prepared()
    # …and is after a few: the rows' statement, with its values as parameters ($1, …), not in
    # its text, so one prepared statement serves every page and every cursor.
    rows = _queue_reads(after)
    assert len(rows) == 1, after
    assert "casework_case" in rows[0] and "$1" in rows[0]
    # The session's read, which every signed-in page makes, is prepared too.
    assert any("django_session" in s for s in after), after
    # The page still shows the cases when its statements are prepared.
    assert page.content.decode().count('href="/staff/cases/') == client.get(
        url
    ).content.decode().count('href="/staff/cases/')


def _threshold(env: dict) -> str:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(repr(settings.DATABASES['default']['OPTIONS']['prepare_threshold']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "civilaffairs.settings"},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _gunicorns(env: dict) -> str:
    """What DATABASE_PREPARE_THRESHOLD is once gunicorn has read its configuration (before a
    worker loads the portal)."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, runpy; runpy.run_path('gunicorn.conf.py'); "
            "print(os.environ['DATABASE_PREPARE_THRESHOLD'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_web_prepares_and_workers_and_commands_do_not():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARE_THRESHOLD"}
    # A worker, a command, the tests: nothing prepared.
    assert _threshold(env) == "None"
    # The web: gunicorn's configuration gives 5, which the settings read.
    assert _gunicorns(env) == "5"
    assert _threshold({**env, "DATABASE_PREPARE_THRESHOLD": "5"}) == "5"
    # An explicit 0 wins over gunicorn's default (PgBouncer before 1.21).
    zero = {**env, "DATABASE_PREPARE_THRESHOLD": "0"}
    assert _gunicorns(zero) == "0"
    assert _threshold(zero) == "None"
