"""Browser fixtures: one headless Debian Chromium per test session, a fresh context per test.

Never `playwright install` and never the network: the browser is /usr/bin/chromium and every
page comes from pytest-django's live server.
"""

import os
import re
from pathlib import Path

import pytest
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
