"""Shared fixtures: the real region table, named personas, and helpers to log in.

Tests run against the real PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
"""

import os

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is fine (it is: the loop belongs to Playwright).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def ensure_regions():
    """Load the real division table unless present. Transactional tests (live server, real
    workers) truncate every table when they end, so this runs again after them."""
    from civilaffairs.people.models import Region, forget_address_codes

    if not Region.objects.filter(code="640104001").exists():
        call_command("load_regions", verbosity=0)
    forget_address_codes()


def ensure_holidays():
    """The holiday table comes from a data migration; transactional tests truncate it."""
    import importlib

    from django.apps import apps

    from civilaffairs.casework.calendar import forget_calendar
    from civilaffairs.casework.models import Holiday

    if not Holiday.objects.exists():
        migration = importlib.import_module(
            "civilaffairs.casework.migrations.0002_holidays_2025_2026"
        )
        migration.load(apps, None)
    forget_calendar()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_regions()


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
def _fast_password_hashing(settings):
    """PBKDF2 at its production cost makes every test account take half a second; the hasher
    is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
