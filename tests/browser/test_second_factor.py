"""The second factor in a real browser, in Chinese and in English: a member of staff logs in,
sets up an authenticator app from the key the page shows, keeps the recovery codes, lands on
the page they asked for; logs in again and types a code; a wrong code is refused. Every page
of it passes axe like the citizen pages (test_portal.run_axe)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from civilaffairs.accounts import second_factor
from civilaffairs.accounts.forms import LoginForm, RecoveryCodeForm, SecondFactorCodeForm
from tests.auth import a_wrong_code, totp_code
from tests.factories import PASSWORD

from .conftest import label_of, label_pattern, t
from .test_portal import describe, run_axe

pytestmark = pytest.mark.browser


def url(live_server, name: str) -> str:
    return live_server.url + reverse(name)


def assert_axe_clean(page, where: str):
    violations = run_axe(page)
    assert not violations, f"axe on {where} ({page.url}):\n{describe(violations)}"


def field(page, form_class, name: str, language: str):
    return page.get_by_label(label_pattern(label_of(form_class, name, language)))


def press(page, text: str, language: str):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t(text, language), exact=True).click()


def log_in(page, live_server, username: str, language: str, landing: str):
    page.goto(landing)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    field(page, LoginForm, "username", language).fill(username)
    field(page, LoginForm, "password", language).fill(PASSWORD)
    press(page, "Log in", language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_member_of_staff_sets_up_the_second_factor_and_uses_it(
    language, personas_tx, page, live_server
):
    user = personas_tx.caseworker
    if language == "en":
        page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    queue = url(live_server, "casework:queue-office")
    log_in(page, live_server, user.username, language, queue)

    # First time: the setup page, with the QR code drawn on the page and the key as text.
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/setup/"))
    expect(page.locator("main h1")).to_have_text(t("Set up your second factor", language))
    qr = page.get_by_role(
        "img", name=t("QR code that adds this account to an authenticator app", language)
    )
    expect(qr.locator("svg")).to_be_visible()
    code_field = field(page, SecondFactorCodeForm, "code", language)
    expect(code_field).to_have_attribute("autocomplete", "one-time-code")
    expect(code_field).to_have_attribute("inputmode", "numeric")
    assert_axe_clean(page, f"setup ({language})")

    # The app a person would use reads the key as typed; so does this test.
    key = second_factor.key_from_base32(page.locator("#otp-secret").inner_text())
    code_field.fill(second_factor.code_at(key))
    press(page, "Confirm and continue", language)

    # The recovery codes, once, with what to do with them.
    expect(page.locator("main h1")).to_have_text(t("Recovery codes", language))
    expect(page.locator("main")).to_contain_text(t("They are shown only this once.", language))
    codes = page.locator("ol.recovery-codes li")
    expect(codes).to_have_count(10)
    assert_axe_clean(page, f"recovery codes ({language})")
    with page.expect_navigation():
        page.get_by_role("link", name=t("I have kept the codes: continue", language)).click()
    expect(page).to_have_url(queue)

    # Next time: the password, then a code from the app.
    nav = page.get_by_role("navigation", name=t("Main", language))
    with page.expect_navigation():
        nav.get_by_role("button", name=t("Log out", language), exact=True).click()
    log_in(page, live_server, user.username, language, queue)
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/\?next="))
    expect(page.locator("main h1")).to_have_text(t("Enter your one-time code", language))
    assert_axe_clean(page, f"verify ({language})")

    # A wrong code is refused in the page's language, next to the field.
    code_field = field(page, SecondFactorCodeForm, "code", language)
    code_field.fill(a_wrong_code(user))
    press(page, "Continue", language)
    expect(code_field).to_have_attribute("aria-invalid", "true")
    with translation.override(language):
        refusal = second_factor.wrong_app_code_message()
    expect(page.locator("#id_code_error")).to_have_text(refusal)
    assert_axe_clean(page, f"verify with an error ({language})")

    # The recovery code form is there without JavaScript (a <details>), labelled.
    page.locator("details summary").click()
    expect(field(page, RecoveryCodeForm, "recovery_code", language)).to_be_visible()

    page.wait_for_timeout(1100)  # the throttle's one second after a wrong code
    code_field.fill(totp_code(user))
    press(page, "Continue", language)
    expect(page).to_have_url(queue)
