"""Browser fixtures: one headless Debian Chromium per test session, a fresh context per test.

Never `playwright install` and never the network: the browser is /usr/bin/chromium and every
page comes from pytest-django's live server.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE_JS = Path(__file__).parent / "assets" / "axe.min.js"
# Playwright's waits: generous enough for a loaded CI machine, short enough to fail fast.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    pg.close()


@pytest.fixture
def contexts(browser, live_server):
    """Opens a fresh browser context per person (cookies of their own), in the language given:
    `open_context("en")` returns its page."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    with contextlib.ExitStack() as stack:

        def open_context(language: str):
            ctx = browser.new_context(
                base_url=live_server.url,
                viewport={"width": 1280, "height": 900},
                locale="zh-CN",
                accept_downloads=True,
            )
            stack.callback(ctx.close)
            ctx.set_default_timeout(TIMEOUT_MS)
            ctx.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
            return ctx.new_page()

        yield open_context


def log_in(page, username, language, landing=None):
    """Log in through the form (on `landing`'s way, when given) and pass the second factor."""
    from civilaffairs.accounts.forms import LoginForm
    from tests.auth import pass_second_factor
    from tests.factories import PASSWORD

    page.goto(landing or reverse("accounts:login"))
    page.get_by_label(label_pattern(label_of(LoginForm, "username", language))).fill(username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password", language))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t("Log in", language), exact=True).click()
    pass_second_factor(page, username)


def press(page, name):
    """Press a button of the page's main content and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=name, exact=True).click()


def field(scope, form_class, name, language):
    """A form field found by its label as the page shows it in `language`."""
    return scope.get_by_label(label_pattern(label_of(form_class, name, language)))


def load_axe(page) -> None:
    """Put axe-core into the page. Evaluated by the browser's debugging protocol rather than
    added as a <script> tag: the site's Content-Security-Policy refuses inline scripts, and the
    test tool must not need an exception to it."""
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))


def t(message: str, language: str = "zh-hans") -> str:
    """A UI string as the site shows it in `language` (the site's default is Chinese).

    Asking Django's own catalogue keeps the tests right before and after the zh catalogue
    is filled in."""
    with translation.override(language):
        return str(translation.gettext(message))


def label_of(form_class, field: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return str(form_class.base_fields[field].label)


def label_pattern(text: str) -> re.Pattern:
    """A field's accessible name: its label text plus the required-field asterisk."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


@pytest.fixture
def demo_world(transactional_db):
    """`manage.py load_demo`: the live server reads committed rows, so the package-wide `world`
    of tests/security (one rolled-back transaction) cannot serve it."""
    from civilaffairs.portal import demo
    from tests.conftest import ensure_holidays, ensure_regions

    ensure_regions()
    ensure_holidays()
    demo.load(log=lambda *args: None)
