"""Crawling the site in a real browser as each kind of user: the demo world (`manage.py
load_demo`), each role's start pages, then the links they show, one page per URL pattern, so
new pages are visited without being listed. Used by the Content-Security-Policy crawl and the
language crawl."""

from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve

from tests.auth import sign_in

# Start pages of each kind of user (demo logins, README).
START = {
    None: [
        "/",
        "/accessibility/",
        "/accounts/login/",
        "/accounts/signup/",
        "/orgs/register/",
        "/orgs/ledger/",
        "/orgs/needs/",
        "/assistance/notices/",
        "/eldercare/institutions/",
    ],
    "citizen": [
        "/",
        "/my/",
        "/my/messages/",
        "/accounts/profile/",
        "/assistance/apply/dibao/",
        "/eldercare/",
        "/eldercare/book/",
        "/marriage/",
        "/marriage/book/registration/",
    ],
    "family": ["/eldercare/family/", "/eldercare/bookings/"],
    "caseworker": ["/staff/", "/staff/cases/", "/staff/cases/office/", "/staff/people/"],
    "supervisor": ["/staff/cases/office/", "/staff/cases/"],
    "registrar": [
        "/marriage/staff/",
        "/marriage/staff/statistics/",
        "/marriage/staff/replacement/",
    ],
    "childworker": ["/childwelfare/staff/", "/childwelfare/staff/children/"],
    "provider": ["/eldercare/provider/", "/eldercare/provider/workers/"],
    "org": ["/orgs/my/", "/orgs/charity/"],
    "donor": ["/orgs/donate/", "/orgs/donations/"],
    "admin": [
        "/admin/",
        "/admin/rules/ruleset/",
        "/admin/rules/parameter/add/",
        "/admin/casework/holiday/add/",
        "/admin/people/person/",
        "/admin/accounts/user/",
        "/staff/people/",
    ],
}
# Followed links per role, beyond the start pages: one per URL pattern.
FOLLOW_AT_MOST = 14
# Never followed: they sign out, switch the language, log a reveal or download files.
SKIP_NAMES = {"logout", "set_language", "person-reveal", "jsi18n"}
SKIP_WORDS = ("logout", "/setlang/", "/reveal/", "/download", "/file/", "/export")


def session_cookie(user) -> dict:
    """A signed-in session as the login (and, for staff, the second factor) would leave it."""
    client = Client()
    sign_in(client, user)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value}


class Visit:
    """One crawl: a browser context per user (in `language` when given: the language cookie);
    `inspect(page, url)` runs on every page opened, `prepare(ctx, page)` on each new context."""

    def __init__(self, browser, base_url, *, language=None, inspect=None, prepare=None):
        self.browser = browser
        self.base_url = base_url
        self.language = language
        self.inspect = inspect
        self.prepare = prepare
        self.problems: list[str] = []

    def context(self, user):
        ctx = self.browser.new_context(base_url=self.base_url, locale="zh-CN")
        ctx.set_default_timeout(15_000)
        cookies = []
        if user is not None:
            cookies.append({**session_cookie(user), "url": self.base_url})
        if self.language:
            name = settings.LANGUAGE_COOKIE_NAME
            cookies.append({"name": name, "value": self.language, "url": self.base_url})
        if cookies:
            ctx.add_cookies(cookies)
        page = ctx.new_page() if self.prepare is None else self.prepare(ctx)
        return ctx, page

    def open(self, page, path: str) -> list[str]:
        """Open a page; the same-site links it shows."""
        page.goto(path, wait_until="load")
        if self.inspect is not None:
            self.inspect(page, path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        return [h for h in hrefs if urlsplit(h).netloc == urlsplit(self.base_url).netloc]


def pattern(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    if match.url_name in SKIP_NAMES or any(w in url for w in SKIP_WORDS):
        return None
    return match.view_name


def crawl(visit: Visit, page, starts: list[str]) -> list[str]:
    seen_patterns: set[str] = set()
    opened = []
    queue = []
    for path in starts:
        queue += visit.open(page, path)
        opened.append(path)
        seen_patterns.add(pattern(urljoin(visit.base_url, path)) or path)
    followed = 0
    while queue and followed < FOLLOW_AT_MOST:
        url = queue.pop(0).split("#")[0]
        key = pattern(url)
        if key is None or key in seen_patterns:
            continue
        seen_patterns.add(key)
        queue += visit.open(page, url)
        opened.append(url)
        followed += 1
    return opened
