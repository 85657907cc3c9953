"""503 with a retry page while PostgreSQL is away, instead of a 500 per request.

A PostgreSQL restart (an upgrade, a fail-over, a crash) drops every connection: requests in
flight fail, new ones are refused until it is back. That is the service being briefly away,
not a fault of the page, so the visitor is told to try again shortly (`Retry-After`), in
Chinese and English, by a page rendered from a template alone: no session, no user, no
context processor, nothing that would ask the database again. The log gets one line when the
outage starts and a count once a minute (lib.outage), not a traceback per request.

Nothing needs restarting when it is back: each connection is health-checked before a request
uses it (CONN_HEALTH_CHECKS) and a broken one is replaced.

Only the errors of a lost or refused connection count. A deadlock, a statement timeout or a
constraint error is a fault of the code or the data, and stays a logged 500.
"""

import sys

from django import db
from django.conf import settings
from django.http import HttpResponse
from django.template import loader
from django.utils import translation
from django.views import defaults

from .outage import Outage

RETRY_AFTER_SECONDS = 30

# SQLSTATE classes and codes of a database that is away: 08 connection exception, 53
# insufficient resources (too many connections, out of memory, disk full), 57P01 admin
# shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down, in
# recovery).
_AWAY_CLASSES = ("08", "53")
_AWAY_CODES = ("57P01", "57P02", "57P03")

database = Outage("PostgreSQL", retry_after=0)


def database_is_away(exc: BaseException | None) -> bool:
    if isinstance(exc, db.InterfaceError):  # "connection already closed"
        return True
    if not isinstance(exc, db.OperationalError):
        return False
    code = getattr(exc.__cause__, "sqlstate", None)  # psycopg's error, kept as the cause
    if code is None:
        # libpq's own errors carry no SQLSTATE: refused, reset, timed out, closed
        # unexpectedly. Everything PostgreSQL itself raises has one.
        return True
    return code.startswith(_AWAY_CLASSES) or code in _AWAY_CODES


def service_unavailable(request) -> HttpResponse:
    """The retry page: the active language first, then the other one."""
    active = translation.get_language() or settings.LANGUAGE_CODE
    languages = [active] + [code for code, _name in settings.LANGUAGES if code != active]
    html = loader.get_template("503.html").render(
        {
            "languages": languages,
            "lang": active,
            "retry_after": RETRY_AFTER_SECONDS,
            # A page can simply be asked for again; a form that was sent was not saved.
            "was_sent": request.method not in ("GET", "HEAD"),
            # The same page again, always on this site (a path of "//host" would leave it).
            "path": "/" + request.get_full_path().lstrip("/")
            if request.method in ("GET", "HEAD")
            else "",
        }
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged above, once per outage: Django's "Service Unavailable: <path>" per request at
    # ERROR level would bury the one line that matters.
    response._has_been_logged = True
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 when a view (or the template it renders) lost the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not database.is_down:
            return self.get_response(request)
        # During an outage, only a statement that ran says the database is back: a page that
        # never asked it (the sign-in form of a visitor without a session) proves nothing.
        answered = []

        def note_answer(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            answered.append(True)
            return result

        with db.connection.execute_wrapper(note_answer):
            response = self.get_response(request)
        if answered and response.status_code < 500:
            database.succeeded()
        return response

    def process_exception(self, request, exception):
        if not database_is_away(exception):
            return None
        database.failed(exception)
        return service_unavailable(request)


def server_error(request, template_name="500.html"):
    """handler500: the same 503 when the database was lost outside a view (a middleware
    saving the session, say); Django's 500 for anything else."""
    exc = sys.exc_info()[1]
    if database_is_away(exc):
        database.failed(exc)
        return service_unavailable(request)
    return defaults.server_error(request, template_name=template_name)
