"""The suite in two processes (pytest-xdist), as `make test` runs it: `-p tests.parallel -n 2
--dist loadgroup --no-loadscope-reorder`. What each worker needs of its own, and what must stay
together.

Loaded with `-p`, so before pytest-django sets Django up and the settings read REDIS_URL.
pytest-django gives each worker its own PostgreSQL database (test_<name>_gw0, _gw1, …); this
gives each its own Redis database the same way (the number after the configured one), so that
one worker's cache.clear() (FLUSHDB), a lockout counter or a cached count never reaches the
other's tests. The Celery and fault tests start their own Redis on a free port already.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
REDIS_DATABASES = 16  # Redis's default `databases`

worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … in a worker; unset otherwise
if worker:
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    base = int(parts.path.lstrip("/") or 0)
    number = (base + int(worker.removeprefix("gw"))) % REDIS_DATABASES
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{number}"))

# The tests that share a costly package-wide fixture stay in one process, one after another:
# tests/security's demo world takes half a minute and more to load, and spread over files and
# processes it was loaded seven times instead of once. Every other module is one unit (its
# module-scoped fixtures set up once). Units go out in the order pytest-django sorted the tests
# (those in a rolled-back transaction before those that commit and flush), as in one process.
SHARED_FIXTURE_PACKAGES = ("tests/security/",)


def _unit(item) -> str:
    path = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
    return next((p for p in SHARED_FIXTURE_PACKAGES if path.startswith(p)), path)


def pytest_collection_modifyitems(session, config, items):
    """In a worker only: each test's unit (xdist_group), and no `runs_last` test
    (scripts/run_tests.sh runs those once the workers are done: no process of this run can know
    that the other has finished). Before xdist reads the groups (trylast)."""
    if not worker:
        return
    last = [item for item in items if item.get_closest_marker("runs_last")]
    if last:
        config.hook.pytest_deselected(items=last)
        items[:] = [item for item in items if not item.get_closest_marker("runs_last")]
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_unit(item)))
