"""Move one app's migrations back and forth on the test database (data-migration tests)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(app: str | None = None, to: str | None = None):
    """Every app at its latest migration, `app` at migration `to` when given; returns the
    historical models of that state."""
    executor = MigrationExecutor(connection)
    targets = [n for n in executor.loader.graph.leaf_nodes() if not (app and n[0] == app)]
    if app and to:
        targets.append((app, to))
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps
