"""gunicorn settings that go wherever the portal is served: gunicorn reads ./gunicorn.conf.py
from the directory it starts in, and scripts/devserver.py names this file explicitly.

The logger keeps query strings out of the access log (staff searches by ID number or phone are
GET requests, so bookmarks and the back button work) and puts the personal-number filters on
gunicorn's own handlers (civilaffairs/lib/gunicorn_logging.py). Production starts gunicorn from
the project directory or passes `--config /path/to/gunicorn.conf.py`.
"""

import os

logger_class = "civilaffairs.lib.gunicorn_logging.GunicornLogger"

# The web processes prepare the statements they run often (psycopg 3, protocol level; the
# reasoning, and why workers do not, is beside DATABASE_PREPARE_THRESHOLD in settings.py).
# Read by the settings when a worker loads the portal, after this file. An explicit value wins
# (0 behind a PgBouncer older than 1.21).
os.environ.setdefault("DATABASE_PREPARE_THRESHOLD", "5")
