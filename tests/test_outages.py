"""The portal degrades instead of failing when a service it depends on is away: with Redis
gone the signed-in site works (sessions live in PostgreSQL, the cache turns into misses);
with PostgreSQL gone every page answers 503 with a retry page, never 500; with the broker gone
a submission is kept and the request is not held up. The same with real processes, under
load, is in tests/faults/."""

import logging
import os
import signal
import socket
import sys
import time

import psycopg
import pytest
from django import db
from django.test import Client, RequestFactory
from django.urls import reverse

from civilaffairs import celery_app
from civilaffairs.casework import actions as casework_actions
from civilaffairs.casework.models import Case
from civilaffairs.lib import unavailable
from civilaffairs.lib.unavailable import database_is_away, server_error
from tests.auth import sign_in
from tests.factories import PASSWORD
from tests.worker.conftest import PrivateRedis, point_app_at


def nothing_listening() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def errors_in(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


# --------------------------------------------------------------------------- Redis away


@pytest.fixture
def redis_away(settings):
    """The cache pointed at a port where nothing listens, as after `redis-server` stopped.
    The caches in the process's memory (page fragments) stay, as they do in production."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{nothing_listening()}/0",
        },
    }


@pytest.mark.django_db
def test_with_redis_away_a_citizen_signs_in_applies_reads_her_cases_and_signs_out(
    client, personas, redis_away, settings, caplog
):
    from assistance import actions
    from tests.assistance.conftest import citizen_household, fill_dibao, setup_assistance

    setup_assistance(personas)
    citizen_household(personas)
    response = client.post(
        reverse("accounts:login"), {"username": "13800000001", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("cases:my-cases")).status_code == 200
    # Submitting reads the working calendar (cached) for the case's due date.
    app = actions.do_start_application(
        "dibao", acting_user=personas.citizen, person=personas.citizen.person
    )
    fill_dibao(app, personas.citizen)
    actions.do_submit_application(app, acting_user=personas.citizen)
    assert Case.objects.get(pk=app.case.pk).due_at is not None
    page = client.get(reverse("cases:case-detail", args=[app.case.pk]))
    assert page.status_code == 200 and app.case.reference in page.content.decode()
    signed_in_cookie = client.cookies["sessionid"].value
    assert client.post(reverse("accounts:logout")).status_code == 302
    # The session is gone for good: the old cookie signs nobody in.
    client.cookies["sessionid"] = signed_in_cookie
    response = client.get(reverse("cases:my-cases"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not errors_in(caplog)


@pytest.mark.django_db
def test_with_redis_away_a_supervisor_still_sees_the_counts_above_a_long_queue(
    client, personas, redis_away, settings, caplog
):
    settings.QUEUE_COUNTS_CACHE_FROM = 0  # every queue is "long": its counts go to the cache
    sign_in(client, personas.supervisor)
    for _ in range(2):
        response = client.get(reverse("casework:queue-office"))
        assert response.status_code == 200
    assert not errors_in(caplog)


@pytest.mark.django_db
def test_a_session_cookie_that_cannot_be_a_session_key_is_no_session(client, regions):
    # As a WSGI server hands them over: bytes read as latin-1.
    for value in ("a" * 31 + "\x00", "x" * 5000, ("短" * 12).encode().decode("latin-1")):
        response = client.get(reverse("portal:home"), HTTP_COOKIE=f"sessionid={value}")
        assert response.status_code == 200


# --------------------------------------------------------------------------- PostgreSQL away


@pytest.fixture
def server_client():
    """A client that gets what a browser would: the response Django's handler makes of an
    exception (handler500 turns a lost database into the 503), not the exception itself, which
    the test client re-raises by default. The session is read by middleware before any view,
    so the 503 of a signed-in page comes from there."""
    return Client(raise_request_exception=False)


@pytest.fixture
def database_away(django_db_blocker):
    """The default connection pointed at a port where nothing listens, as while PostgreSQL
    restarts; put back afterwards."""
    connection = db.connections["default"]
    with django_db_blocker.unblock():
        connection.close()
        saved = dict(connection.settings_dict)
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(nothing_listening()))
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
            unavailable.database._reset()


def test_with_the_database_away_a_signed_in_page_answers_503_with_a_retry_page_in_both_languages(
    server_client, database_away, caplog
):
    client = server_client
    client.cookies["sessionid"] = "a" * 32  # reading the session needs the database
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("cases:my-cases") + "?page=2")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert '<html lang="zh-Hans"' in page
    assert page.index("服务暂时无法使用") < page.index("Service temporarily unavailable")
    assert "请在 30 秒后重试" in page and "Please try again in 30 seconds" in page
    assert 'href="/my/?page=2"' in page  # "try again": the same page
    assert "sessionid" not in response.cookies  # the session was not saved over
    assert not errors_in(caplog)


def test_the_retry_page_comes_in_english_first_after_the_switch(server_client, database_away):
    client = server_client
    client.cookies["lang"] = "en"
    client.cookies["sessionid"] = "a" * 32
    response = client.get(reverse("cases:my-cases"))
    page = response.content.decode()
    assert response.status_code == 503 and '<html lang="en"' in page
    assert page.index("Service temporarily unavailable") < page.index("服务暂时无法使用")


def test_with_the_database_away_a_sent_form_is_told_it_was_not_saved(server_client, database_away):
    client = server_client
    response = client.post(reverse("accounts:login"), {"username": "citizen", "password": "x"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "刚才提交的内容没有保存" in page and "What you just sent was not saved" in page
    assert "Try again" not in page  # a link would not send the form again


def test_an_outage_is_logged_once_not_once_per_request(server_client, database_away, caplog):
    client = server_client
    client.cookies["sessionid"] = "a" * 32
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            assert client.get(reverse("cases:my-cases")).status_code == 503
    outage = [r for r in caplog.records if r.name == "civilaffairs.outage"]
    assert len(outage) == 1
    assert outage[0].getMessage().startswith("PostgreSQL unavailable (OperationalError:")
    assert not any(r.exc_info for r in caplog.records)


def test_a_page_that_never_asks_the_database_does_not_end_the_outage(
    server_client, database_away, caplog
):
    """The sign-in form of a visitor without a session needs no database: answering it says
    nothing about PostgreSQL, so the outage goes on, unreported as over."""
    client = server_client
    client.cookies["sessionid"] = "a" * 32
    with caplog.at_level(logging.INFO):
        assert client.get(reverse("cases:my-cases")).status_code == 503
        assert (
            Client(raise_request_exception=False).get(reverse("accounts:login")).status_code == 200
        )
        assert unavailable.database.is_down
        assert client.get(reverse("cases:my-cases")).status_code == 503
    messages = [r.getMessage() for r in caplog.records if r.name == "civilaffairs.outage"]
    assert len(messages) == 1 and messages[0].startswith("PostgreSQL unavailable")


def a_lost_connection_error() -> db.OperationalError:
    """The error Django raises for a refused connection (its wrapper keeps libpq's as the
    cause)."""
    try:
        psycopg.connect(host="127.0.0.1", port=nothing_listening(), user="x", dbname="x")
    except psycopg.OperationalError as exc:
        error = db.OperationalError(*exc.args)
        error.__cause__ = exc
        return error
    raise AssertionError("connected to a port where nothing listens")


@pytest.mark.django_db
def test_only_a_lost_or_refused_connection_counts_as_the_database_being_away():
    assert database_is_away(a_lost_connection_error())
    assert database_is_away(db.InterfaceError("connection already closed"))
    # A statement timeout is a fault of the page, not an outage.
    with pytest.raises(db.OperationalError) as timeout, db.connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)")
    assert not database_is_away(timeout.value)
    assert not database_is_away(ValueError("bad input"))
    assert not database_is_away(None)


def test_a_database_lost_outside_a_view_also_answers_503_and_anything_else_500():
    request = RequestFactory().get("/my/")
    try:
        raise a_lost_connection_error()
    except db.OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    try:
        raise KeyError("a bug")
    except KeyError:
        assert sys.exc_info()[0] is KeyError
        response = server_error(request)
    assert response.status_code == 500
    unavailable.database._reset()


# --------------------------------------------------------------------------- broker away


@pytest.fixture
def hung_broker():
    """A redis-server that accepts connections and answers nothing (stopped with SIGSTOP),
    as a broker behind a dead network path looks."""
    server = PrivateRedis()
    server.start()
    before = celery_app.conf.broker_url
    point_app_at(server.url)
    os.kill(server.proc.pid, signal.SIGSTOP)
    yield server
    os.kill(server.proc.pid, signal.SIGCONT)
    point_app_at(before)
    server.stop()
    casework_actions.broker._reset()


def test_a_hung_broker_holds_up_one_submission_for_its_timeouts_and_no_other(hung_broker, caplog):
    started = time.monotonic()
    assert casework_actions.enqueue_screening(1) is False
    assert time.monotonic() - started < 4  # two tries of a one-second socket timeout
    started = time.monotonic()
    for case_id in range(2, 50):
        assert casework_actions.enqueue_screening(case_id) is False
    assert time.monotonic() - started < 0.1  # left for the sweep, without trying
    outage = [r.getMessage() for r in caplog.records if r.name == "civilaffairs.outage"]
    assert len(outage) == 1 and outage[0].startswith("Celery broker unavailable")
    assert not errors_in(caplog)
