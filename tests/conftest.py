"""Shared fixtures: the real region table, named personas, and helpers to log in.

Tests run against the real PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
"""

import logging
import os
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is fine (it is: the loop belongs to Playwright).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[1]
# Every log of the run lands here: this process's records (pytest.log) and the output of every
# process the suite starts (Celery workers, the fault suite's servers), which read the variable.
# tests/test_security_logs.py scans it, last, for personal numbers. Absolute, so a child started
# in another directory writes to the same place.
TEST_LOG_DIR = Path(os.environ.get("TEST_LOG_DIR") or ROOT / "var" / "test-logs").resolve()
os.environ["TEST_LOG_DIR"] = str(TEST_LOG_DIR)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Empty the log directory (once, in the controlling process: tryfirst, so before pytest-xdist
    starts its workers) and write every record of this process, at DEBUG, into it.

    The handler goes first among the root handlers: the console handler's filter redacts
    personal numbers in place (lib/logsafety.py), and the scan must see what the code logged,
    not what that last defence made of it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    TEST_LOG_DIR.mkdir(parents=True, exist_ok=True)
    # WhiteNoise looks into STATIC_ROOT each time the middleware is built and warns when it
    # is missing (hundreds of times a run). The tests serve static files from the apps'
    # folders (finders), as the live server does; an empty STATIC_ROOT changes nothing else.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # `make test` scans the logs in a run of its own after the others (KEEP_TEST_LOGS=1), which
    # reads what they wrote.
    if worker is None and not os.environ.get("KEEP_TEST_LOGS"):
        for old in TEST_LOG_DIR.rglob("*"):
            if old.is_file() or old.is_symlink():
                old.unlink()
    name = f"pytest-{worker}.log" if worker else "pytest.log"
    handler = logging.FileHandler(TEST_LOG_DIR / name, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers.insert(0, handler)
    root.setLevel(logging.DEBUG)
    # The tests' own data tools, not the portal: factory_boy describes every object it builds
    # (a citizen's user name is their mobile number) and Faker every locale it loads.
    for tool in ("factory", "faker"):
        logging.getLogger(tool).setLevel(logging.INFO)


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering (db, transactional, other)
def pytest_collection_modifyitems(session, config, items):
    """Tests marked `runs_last` (the scan of the run's logs) run after every other test of a
    run in one process. `make test` runs them on their own after the parallel run (Makefile)."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)


def ensure_regions():
    """Load the real division table unless present. Transactional tests (live server, real
    workers) truncate every table when they end, so this runs again after them
    (pytest_runtest_teardown)."""
    from civilaffairs.people.models import Region, forget_address_codes

    if not Region.objects.filter(code="640104001").exists():
        call_command("load_regions", verbosity=0)
    forget_address_codes()


def ensure_holidays():
    """The holiday table comes from a data migration; transactional tests truncate it.

    Appointments open only in years whose holidays are loaded (marriage.actions), and tests on
    the real clock book in the coming weeks: a year up to next year that no migration loads yet
    stands in with its New Year's Day, a public holiday every year, so that the suite does not
    run out of slots at new year before the State Council's notice is added."""
    import datetime as dt
    import importlib

    from django.apps import apps

    from civilaffairs.casework.calendar import forget_calendar
    from civilaffairs.casework.models import Holiday

    if not Holiday.objects.exists():
        migration = importlib.import_module(
            "civilaffairs.casework.migrations.0002_holidays_2025_2026"
        )
        migration.load(apps, None)
    loaded = {d.year for d in Holiday.objects.dates("date", "year")}
    for year in range(min(loaded, default=2025), dt.date.today().year + 2):
        if year not in loaded:
            Holiday.objects.create(date=dt.date(year, 1, 1), name="元旦")
    forget_calendar()


def _flushes(item) -> bool:
    """Whether pytest-django empties every table after this test, as it decides: a test that
    commits (transactional_db, a live server, or a django_db mark asking for either)."""
    names = getattr(item, "fixturenames", ())
    if "transactional_db" in names or "live_server" in names:
        return True
    mark = item.get_closest_marker("django_db")
    return bool(mark and (mark.kwargs.get("transaction") or mark.kwargs.get("reset_sequences")))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test that commits has had every table emptied (its fixtures all torn down), the
    division table and the holidays are loaded again, committed. Otherwise each later test in a
    rolled-back transaction loads the 51,000 regions again inside its own transaction, a few
    seconds every time: in one process pytest-django runs those tests first, but a process of
    the parallel run (tests/parallel.py) takes files as they come. A later test that commits
    finds them there too, instead of loading them itself."""
    result = yield
    if nextitem is not None and _flushes(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            ensure_regions()
            ensure_holidays()
            # Closed again: this hook's connection is not always the one the tests and the
            # database's teardown use (it was found left open on the test database at the end).
            from django.db import connection

            connection.close()
    return result


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_regions()
        ensure_holidays()
    yield
    with django_db_blocker.unblock():
        _end_other_sessions()


def _end_other_sessions():
    """Before pytest-django drops the test database: a session some test left on it (a thread's
    connection, a server or worker the test stopped whose backend has not yet noticed) would
    make the drop fail and leave the database behind with a warning. Each is logged, with what
    it last ran, so the test that left it can be found, and then ended."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            # The statement's digits blanked: the run's logs hold no personal number.
            "SELECT pid, application_name, state, regexp_replace(left(query, 120), '[0-9]', "
            "'#', 'g') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for pid, application, state, query in cursor.fetchall():
            logging.getLogger("tests").warning(
                "session %s (%s, %s) still on the test database at the end: %s",
                pid,
                application or "-",
                state,
                query,
            )
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()


@pytest.fixture
def regions(db):
    ensure_regions()
    ensure_holidays()


@pytest.fixture
def personas(regions):
    from tests.factories import make_personas

    return make_personas()


@pytest.fixture
def personas_tx(transactional_db):
    from tests.factories import make_personas

    ensure_regions()
    ensure_holidays()
    return make_personas()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language, whatever an earlier test's last
    request or override left active on this thread (translation is per thread, and the test
    client's requests activate the language they ask for). A test that reads English text asks
    for it with `translation.override("en")`, so the order the tests run in does not matter."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at its production cost makes every test account take half a second; the hasher
    is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
