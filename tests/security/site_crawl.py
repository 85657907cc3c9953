"""Crawl the site as one user: every page they can reach by GET links and GET forms.

The masking test reads what a user sees; it needs the pages themselves, raw (attributes,
scripts, hidden inputs), and which of them were a logged reveal. Bounded: at most `per_route`
addresses per URL pattern (an admin list with its sort and filter links is one pattern) and
`max_pages` in all, breadth first so the pages nearest the start come first.
"""

import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from django.db import transaction
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from civilaffairs.accounts.models import AccessLog

# Leaving, switching language and revealing are not reading; files are not pages.
SKIP = ("/accounts/logout/", "/admin/logout/", "/i18n/", "/static/", "/media/", "/admin/jsi18n/")
REVEALS = (AccessLog.Action.REVEAL_ID, AccessLog.Action.REVEAL_PHONE)


def start_pages() -> list[str]:
    """Every address of the URL configuration that takes no parameter: the home pages of the
    portal, the staff workspace, each domain, and each admin list."""
    found = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern).lstrip("^").rstrip("$")
            if any(c in route for c in "<([\\?*+"):
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return [url for url in dict.fromkeys(found) if not url.startswith(SKIP)]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("a", "area") and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = {"action": a.get("action") or "", "fields": [], "get": method == "get"}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "file", "reset"):
                self._form["fields"].append((a["name"], a.get("value") or ""))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif self._select is not None and tag == "option":
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = value
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._form["fields"].append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            value = self._select["chosen"] or self._select["first"] or ""
            self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "form":
            self._form = None


@dataclass
class Crawl:
    client: object
    per_route: int = 3
    # The admin draws every model's pages from the same few templates; one of each, for
    # each model, is what there is to read there, and admin pages are the slowest.
    per_admin_route: int = 1
    max_pages: int = 400
    pages: list = field(default_factory=list)  # (url, content type, text) of each page read
    reveals: list = field(default_factory=list)  # pages whose reading was a logged reveal
    errors: list = field(default_factory=list)
    _seen: set = field(default_factory=set)
    _per_route: Counter = field(default_factory=Counter)

    def run(self, starts):
        queue = deque()
        for url in starts:
            self._push(queue, url, "/")
        # Refusals are expected by the hundred here; their log lines are not what is read.
        logger = logging.getLogger("django.request")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            while queue and len(self.pages) < self.max_pages:
                self._visit(queue, queue.popleft())
        finally:
            logger.setLevel(level)
        return self

    def _push(self, queue, href, base):
        parts = urlsplit(urljoin("http://testserver" + base, href))
        if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
            return
        if parts.path.startswith(SKIP) or "/reveal" in parts.path:
            return
        url = urlunsplit(("", "", parts.path, parts.query, ""))
        if url in self._seen:
            return
        try:
            match = resolve(parts.path)
        except Resolver404:
            return
        if match.app_name == "admin" and match.url_name.endswith(("_add", "_delete")):
            return  # an empty form, a confirmation: no stored row is shown on either
        if match.app_name == "admin" and match.url_name.endswith("_simple_history"):
            # A past version in the change page's own form (read here already, with the
            # same masked inputs); with every choice of every foreign key spelled out, one
            # such page can take many seconds.
            return
        route = match.route or match.view_name
        limit = self.per_admin_route if match.app_name == "admin" else self.per_route
        if self._per_route[route] >= limit:
            return
        self._seen.add(url)
        self._per_route[route] += 1
        queue.append(url)

    def _visit(self, queue, url):
        before = AccessLog.objects.filter(action__in=REVEALS).count()
        # A savepoint per page: a page that fails (not this test's subject) must not leave
        # the test's transaction broken for the pages after it.
        try:
            with transaction.atomic():
                response = self.client.get(url)
        except Exception as exc:  # noqa: BLE001 (recorded, the crawl goes on)
            self.errors.append((url, repr(exc)))
            return
        if response.status_code >= 500:
            self.errors.append((url, response.status_code))
        if response.status_code in (301, 302, 303, 307, 308):
            self._push(queue, response["Location"], url)
            return
        if response.status_code != 200 or getattr(response, "streaming", False):
            return
        kind = response.get("Content-Type", "")
        if not kind.startswith(("text/html", "application/json", "text/plain")):
            return
        text = response.content.decode(response.charset or "utf-8", errors="replace")
        if AccessLog.objects.filter(action__in=REVEALS).count() > before:
            self.reveals.append(url)
            return
        self.pages.append((url, kind, text))
        if not kind.startswith("text/html"):
            return
        parser = _Links()
        parser.feed(text)
        for href in parser.links:
            self._push(queue, href, url)
        for form in parser.forms:
            if form["get"]:
                action = form["action"] or url.split("?")[0]
                query = urlencode(form["fields"])
                self._push(queue, f"{action.split('?')[0]}?{query}" if query else action, url)
