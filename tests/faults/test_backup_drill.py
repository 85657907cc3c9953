"""The backup drill (scripts/backup_drill.py) on a small database of the suite's own cluster:
dump, restore into a fresh database, check, and serve the portal from it."""

import subprocess
import sys

import pytest

from tests.faults.processes import ROOT

pytestmark = pytest.mark.faults


def drill(portal, *extra):
    result = subprocess.run(
        [sys.executable, "scripts/backup_drill.py", "--database-url", portal.env["DATABASE_URL"]]
        + ["--pg-bin", str(portal.cluster.bin), "--work-dir", str(portal.workdir)]
        + ["--log", str(portal.log("drill")), *extra],
        cwd=ROOT,
        env=portal.env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    with open(portal.log("drill"), "a") as log:
        log.write(result.stdout + result.stderr)
    return result


def drill_databases(portal) -> list:
    return portal.cluster.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s",
        (f"{portal.dbname[:40]}_drill_%",),
    )


def test_a_backup_restored_into_a_fresh_database_serves_the_portal(portal):
    result = drill(portal)
    assert result.returncode == 0, result.stderr
    assert "migrate --check: no migration missing" in result.stdout
    assert "row counts match in all" in result.stdout
    assert "/staff/cases/ (signed in as staff)" in result.stdout
    assert drill_databases(portal) == []  # the restored copy is dropped afterwards
    assert list(portal.workdir.glob("*.dump")) == []


def test_the_drill_fails_when_the_backup_lacks_a_migration_of_this_version(portal):
    portal.cluster.execute(
        "DELETE FROM django_migrations WHERE app = 'sessions'", dbname=portal.dbname
    )
    result = drill(portal)
    assert result.returncode == 1
    assert "backup drill failed: migrate --check" in result.stderr
    assert drill_databases(portal) == []
