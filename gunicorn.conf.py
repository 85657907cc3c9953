"""gunicorn settings that go wherever the portal is served: gunicorn reads ./gunicorn.conf.py
from the directory it starts in, and scripts/devserver.py names this file explicitly.

The logger keeps query strings out of the access log (staff searches by ID number or phone are
GET requests, so bookmarks and the back button work) and puts the personal-number filters on
gunicorn's own handlers (civilaffairs/lib/gunicorn_logging.py). Production starts gunicorn from
the project directory or passes `--config /path/to/gunicorn.conf.py`.
"""

logger_class = "civilaffairs.lib.gunicorn_logging.GunicornLogger"
