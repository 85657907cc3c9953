"""The Content-Security-Policy in a real browser: every kind of user goes through their main
pages (and the admin's widgets, the htmx reveal, the voice guide) in Chromium, and any
`securitypolicyviolation` event or CSP error in the console fails the test.

The demo data (`manage.py load_demo`) is the world: every role, with cases, people, bookings,
appointments and organizations to open. From each role's start pages the test follows the
links it finds, one page per URL pattern, so new pages are visited without being listed here.
"""

import pytest
from playwright.sync_api import expect

from civilaffairs.accounts.models import User

from .crawl import START, Visit, crawl

pytestmark = pytest.mark.browser

# Registered before any script of the page runs (an init script is not subject to the page's
# policy), so a violation while parsing is caught too.
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile || ""}:${e.lineNumber}`
  );
});
"""


class CspVisit(Visit):
    """A crawl that fails on any `securitypolicyviolation` event or CSP error in the console."""

    def __init__(self, browser, base_url):
        super().__init__(browser, base_url, prepare=self._listen)

    def _listen(self, ctx):
        where = {"url": ""}
        ctx.expose_function(
            "__cspViolation", lambda text: self.problems.append(f"{where['url']}: {text}")
        )
        ctx.add_init_script(LISTEN)
        page = ctx.new_page()

        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                self.problems.append(f"{page.url}: console: {message.text[:300]}")

        page.on("console", on_console)
        page.on("framenavigated", lambda frame: where.update(url=frame.url))
        return page


def test_no_page_of_any_kind_of_user_breaks_the_content_security_policy(
    demo_world, browser, live_server
):
    visit = CspVisit(browser, live_server.url)
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
