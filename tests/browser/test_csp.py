"""The Content-Security-Policy in a real browser: every kind of user goes through their main
pages (and the admin's widgets, the htmx reveal, the voice guide) in Chromium, and any
`securitypolicyviolation` event or CSP error in the console fails the test.

The demo data (`manage.py load_demo`) is the world: every role, with cases, people, bookings,
appointments and organizations to open. From each role's start pages the test follows the
links it finds, one page per URL pattern, so new pages are visited without being listed here.
"""

from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from civilaffairs.accounts.models import User
from tests.auth import sign_in
from tests.conftest import ensure_holidays, ensure_regions

pytestmark = pytest.mark.browser

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

# Registered before any script of the page runs (an init script is not subject to the page's
# policy), so a violation while parsing is caught too.
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile || ""}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def demo_world(transactional_db):
    """`manage.py load_demo`: the live server reads committed rows, so the package-wide `world`
    of tests/security (one rolled-back transaction) cannot serve it."""
    from civilaffairs.portal import demo

    ensure_regions()
    ensure_holidays()
    demo.load(log=lambda *args: None)


def _session_cookie(user) -> dict:
    """A signed-in session as the login (and, for staff, the second factor) would leave it."""
    client = Client()
    sign_in(client, user)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value}


class Visit:
    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.problems: list[str] = []

    def context(self, user):
        ctx = self.browser.new_context(base_url=self.base_url, locale="zh-CN")
        ctx.set_default_timeout(15_000)
        where = {"url": ""}
        ctx.expose_function(
            "__cspViolation", lambda text: self.problems.append(f"{where['url']}: {text}")
        )
        ctx.add_init_script(LISTEN)
        if user is not None:
            ctx.add_cookies([{**_session_cookie(user), "url": self.base_url}])
        page = ctx.new_page()

        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                self.problems.append(f"{page.url}: console: {message.text[:300]}")

        page.on("console", on_console)
        page.on("framenavigated", lambda frame: where.update(url=frame.url))
        return ctx, page

    def open(self, page, path: str) -> list[str]:
        """Open a page; the same-site links it shows."""
        page.goto(path, wait_until="load")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        return [h for h in hrefs if urlsplit(h).netloc == urlsplit(self.base_url).netloc]


def _pattern(url: str) -> str | None:
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
        seen_patterns.add(_pattern(urljoin(visit.base_url, path)) or path)
    followed = 0
    while queue and followed < FOLLOW_AT_MOST:
        url = queue.pop(0).split("#")[0]
        pattern = _pattern(url)
        if pattern is None or pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        queue += visit.open(page, url)
        opened.append(url)
        followed += 1
    return opened


def test_no_page_of_any_kind_of_user_breaks_the_content_security_policy(
    demo_world, browser, live_server
):
    visit = Visit(browser, live_server.url)
    opened = {}
    for username, starts in START.items():
        user = User.objects.get(username=username) if username else None
        ctx, page = visit.context(user)
        try:
            opened[username or "anonymous"] = crawl(visit, page, starts)
            if username == "admin":
                exercise_admin_and_htmx(visit, page)
            if username is None:
                page.goto("/")
                page.locator("button[data-msg-start]").first.click()  # the voice guide
                page.wait_for_timeout(300)
        finally:
            ctx.close()
    assert sum(len(pages) for pages in opened.values()) > 60, opened
    assert not visit.problems, "Content-Security-Policy violations:\n" + "\n".join(
        dict.fromkeys(visit.problems)
    )


def exercise_admin_and_htmx(visit: Visit, page):
    """The admin's calendar pop-up, autocomplete (select2), two-list selector and inline forms,
    and the staff page's htmx reveal build their elements and styles in script: exercised, not
    only loaded."""
    from eldercare.models import Provider
    from marriage.models import RegistrationOffice

    page.goto("/admin/casework/holiday/add/")
    page.locator(".datetimeshortcuts a").first.click()  # "Today"
    page.locator(".datetimeshortcuts a[id^='calendarlink']").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()

    office = RegistrationOffice.objects.order_by("pk").first()
    page.goto(f"/admin/marriage/registrationoffice/{office.pk}/change/")
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".add-row a").first.click()  # a new inline row

    provider = Provider.objects.order_by("pk").first()
    page.goto(f"/admin/eldercare/provider/{provider.pk}/change/")
    expect(page.locator(".selector").first).to_be_visible()  # built by SelectFilter2.js
    page.locator(".selector-filter input").first.fill("助")

    from civilaffairs.people.models import Person

    person = Person.objects.exclude(id_number="").order_by("pk").first()
    page.goto(f"/staff/people/{person.pk}/")
    reveal = page.locator("form[hx-post]:has(input[value='id_number']) button")
    assert reveal.count() == 1, "the administrator may reveal an ID number"
    reveal.click()
    expect(reveal).to_have_count(0)  # htmx swapped the full number in
    expect(page.locator("#id-number-value")).to_contain_text(person.id_number)
