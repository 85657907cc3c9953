"""Session, caching and content rules for pages with personal data.

- A member of staff who leaves a workstation signed in is signed out after
  STAFF_IDLE_TIMEOUT_MINUTES without a request, and the login page says why.
- No page shown to a signed-in user, and no staff, admin, account or "my" page, is kept by the
  browser (back button after logout, a shared computer's cache) or by a proxy.
- Every answer carries the Content-Security-Policy of settings.CONTENT_SECURITY_POLICY.

Each runs on every request, the staff queue page's included (it has a benchmark target), so the
common case is a few dictionary look-ups and one header assignment.
"""

import logging
import time

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from civilaffairs.accounts.access import is_staff_member

logger = logging.getLogger(__name__)

# Pages personal to whoever opens them, signed in or not (the login form carries a CSRF token
# for this browser; a staff or admin URL answered to a visitor is still a staff URL).
# The API's answers hold personal data for the department that asked: never kept either.
PRIVATE_PREFIXES = ("/staff/", "/admin/", "/my/", "/accounts/", "/api/")


def idle_notice(minutes: int) -> str:
    """What the login page says after an idle session was ended."""
    return ngettext(
        "You were signed out after %(minutes)d minute without activity, to protect the "
        "personal data on these pages. Please sign in again.",
        "You were signed out after %(minutes)d minutes without activity, to protect the "
        "personal data on these pages. Please sign in again.",
        minutes,
    ) % {"minutes": minutes}


def start_idle_clock(sender, request=None, **kwargs):
    """user_logged_in: the idle clock starts at sign-in. The login saves the session anyway,
    so the first page after it has nothing to write (a staff page's queries stay the same from
    the first request on)."""
    if request is not None and hasattr(request, "session"):
        request.session[StaffIdleTimeoutMiddleware.SEEN_AT] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Ends a staff session that has been idle for STAFF_IDLE_TIMEOUT_MINUTES.

    The time of the last request is kept in the session, rewritten at most once a minute: a
    session write is a database write, and a caseworker working a queue makes many requests a
    minute. The timeout is therefore exact to within that minute."""

    SEEN_AT = "_staff_seen_at"
    WRITE_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response
        self.timeout = settings.STAFF_IDLE_TIMEOUT_MINUTES * 60

    def __call__(self, request):
        if self.timeout > 0 and self._is_staff(request.user):
            now = int(time.time())
            seen = request.session.get(self.SEEN_AT)
            if isinstance(seen, int) and now - seen > self.timeout:
                return self._end(request)
            if not isinstance(seen, int) or now - seen >= self.WRITE_EVERY_SECONDS:
                request.session[self.SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _is_staff(user) -> bool:
        return user.is_authenticated and (user.is_staff or is_staff_member(user))

    def _end(self, request):
        logger.info("idle staff session ended (user %s)", request.user.pk)
        logout(request)
        messages.warning(request, idle_notice(settings.STAFF_IDLE_TIMEOUT_MINUTES))
        login = reverse(settings.LOGIN_URL)
        if request.method == "GET":
            login = f"{login}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would swap the login page into a fragment of the old one: load it whole.
            return HttpResponseClientRedirect(login)
        return redirect(login)


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` (Django's never_cache) on every response to a
    signed-in user and on every staff, admin, account and citizen's own URL."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.session_cookie = settings.SESSION_COOKIE_NAME

    # What django.utils.cache.add_never_cache_headers writes, as one string: the page has no
    # Cache-Control of its own in the common case, and parsing and merging one costs more than
    # the rest of this middleware.
    NEVER = "max-age=0, no-cache, no-store, must-revalidate, private"

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(PRIVATE_PREFIXES) or self._signed_in(request):
            if "Cache-Control" in response or "Expires" in response:
                add_never_cache_headers(response)
            else:
                response.headers["Cache-Control"] = self.NEVER
        return response

    def _signed_in(self, request) -> bool:
        # Without a session cookie nobody is signed in: skip loading the (lazy) user.
        if self.session_cookie not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the site's policy built once instead of on every response.

    The policy only changes with the settings; a response that asks for something of its own
    (django-csp's decorators, a nonce, an existing header, a report-only policy) goes through
    django-csp unchanged."""

    _OWN = ("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace")

    def __init__(self, get_response=None):
        super().__init__(get_response)
        self._built_for = None
        self._policy = ""

    def process_response(self, request, response):
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        if (
            not config
            or config.get("EXCLUDE_URL_PREFIXES")
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or (settings.DEBUG and response.status_code in (404, 500))  # Django's debug pages
            or CSP_HEADER in response
            or getattr(request, "_csp_nonce", None)
            or any(getattr(response, name, None) for name in self._OWN)
        ):
            return super().process_response(request, response)
        if self._built_for is not config:
            self._policy, self._built_for = build_policy(), config
        response.headers[CSP_HEADER] = self._policy
        return response
