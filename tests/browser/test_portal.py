"""The citizen portal in a real browser: sign-up, log-in, large type, keyboard use, the
language switch, the voice guide, and an axe-core accessibility scan of every citizen page.

Each test runs against pytest-django's live server (a transactional database: the region
table is emptied after each test, so every test loads it again with ensure_regions()).
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from civilaffairs.accounts.forms import LoginForm, SignUpForm
from civilaffairs.accounts.models import User
from civilaffairs.people.models import Person
from tests.conftest import ensure_regions
from tests.factories import PASSWORD, UserFactory, valid_id

from .conftest import label_of, label_pattern, load_axe, t

pytestmark = pytest.mark.browser

STRONG_PASSWORD = "Quiet-Lantern-River-4821"
CHECK_CHARS = "0123456789X"


@pytest.fixture
def tx_regions(transactional_db):
    ensure_regions()


# ------------------------------------------------------------------ helpers


def url(live_server, name: str, **kwargs) -> str:
    return live_server.url + reverse(name, kwargs=kwargs or None)


def field(page, form_class, name: str):
    return page.get_by_label(label_pattern(label_of(form_class, name)))


def fill_sign_up(page, *, name: str, id_number: str, phone: str, password: str):
    field(page, SignUpForm, "name").fill(name)
    field(page, SignUpForm, "id_number").fill(id_number)
    field(page, SignUpForm, "phone").fill(phone)
    field(page, SignUpForm, "password1").fill(password)
    field(page, SignUpForm, "password2").fill(password)


def submit(page, text: str):
    page.locator("main").get_by_role("button", name=t(text), exact=True).click()


def expect_logged_in(page):
    nav = page.get_by_role("navigation", name=t("Main"))
    expect(nav.get_by_role("button", name=t("Log out"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=t("My profile"), exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=t("Log in"), exact=True)).to_have_count(0)


def wrong_check_digit(id_number: str) -> str:
    last = id_number[-1].upper()
    other = CHECK_CHARS[(CHECK_CHARS.index(last) + 1) % len(CHECK_CHARS)]
    return id_number[:-1] + other


def px(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)px", value.strip())
    assert match, f"not a pixel length: {value!r}"
    return float(match.group(1))


def font_sizes(page) -> tuple[float, float]:
    """Computed font size of the body and of the page's first instruction paragraph."""
    body, para = page.evaluate(
        """() => [
            getComputedStyle(document.body).fontSize,
            getComputedStyle(document.querySelector('main p')).fontSize,
        ]"""
    )
    return px(body), px(para)


def elder_toggle(page):
    return page.locator("button.btn-elder-toggle")


def press_elder_toggle_with_keyboard(page):
    toggle = elder_toggle(page)
    toggle.focus()
    assert page.evaluate("() => document.activeElement.classList.contains('btn-elder-toggle')")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def assert_target_at_least(locator, minimum: float, what: str):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None, f"{what}: not rendered"
    assert box["width"] >= minimum and box["height"] >= minimum, (
        f"{what}: target is {box['width']:.1f} x {box['height']:.1f} px, "
        f"needs at least {minimum:.0f} x {minimum:.0f} px"
    )


# ------------------------------------------------------------ sign-up / log-in


def test_a_citizen_signs_up_and_lands_logged_in(tx_regions, page, live_server):
    id_number = valid_id()
    phone = "13912345678"
    page.goto(url(live_server, "accounts:signup"))

    fill_sign_up(page, name="李建国", id_number=id_number, phone=phone, password=STRONG_PASSWORD)
    with page.expect_navigation():
        submit(page, "Create my account")

    expect(page).to_have_url(url(live_server, "portal:home"))
    expect_logged_in(page)
    expect(page.locator("main .alert-success")).to_be_visible()

    user = User.objects.select_related("person").get(phone=phone)
    assert user.username == phone
    assert user.check_password(STRONG_PASSWORD)
    assert user.person is not None
    assert user.person.id_number == id_number
    assert user.person.name == "李建国"


def test_sign_up_with_a_wrong_check_digit_shows_the_reason_and_saves_nothing(
    tx_regions, page, live_server
):
    bad_id = wrong_check_digit(valid_id())
    phone = "13912345679"
    page.goto(url(live_server, "accounts:signup"))

    fill_sign_up(page, name="李建国", id_number=bad_id, phone=phone, password=STRONG_PASSWORD)
    with page.expect_navigation():
        submit(page, "Create my account")

    id_input = field(page, SignUpForm, "id_number")
    expect(id_input).to_have_attribute("aria-invalid", "true")
    expect(id_input).to_have_value(bad_id)  # what was typed is kept, to be corrected
    # The reason sits next to the field and is tied to it for screen readers.
    error = page.locator("#div_id_id_number .invalid-feedback")
    expect(error).to_be_visible()
    expect(error).not_to_have_text(re.compile(r"^\s*$"))
    error_id = error.get_attribute("id")
    assert error_id and error_id in (id_input.get_attribute("aria-describedby") or "").split()
    # Only the ID field is wrong.
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)

    assert not User.objects.exists()
    assert not Person.objects.exists()


def test_a_citizen_logs_in_with_mobile_number(tx_regions, page, live_server):
    phone = "13700001234"
    UserFactory(username=phone, phone=phone)
    page.goto(url(live_server, "accounts:login"))

    field(page, LoginForm, "username").fill(phone)
    field(page, LoginForm, "password").fill(PASSWORD)
    with page.expect_navigation():
        submit(page, "Log in")

    expect(page).to_have_url(url(live_server, "portal:home"))
    expect_logged_in(page)


# -------------------------------------------------------------- large type


def test_large_type_grows_the_text_and_survives_a_reload(tx_regions, page, live_server):
    page.goto(url(live_server, "portal:home"))
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\belder-mode\b"))
    expect(elder_toggle(page)).to_have_attribute("aria-pressed", "false")
    body_before, para_before = font_sizes(page)

    press_elder_toggle_with_keyboard(page)

    expect(html).to_have_class(re.compile(r"\belder-mode\b"))
    expect(elder_toggle(page)).to_have_attribute("aria-pressed", "true")
    body_large, para_large = font_sizes(page)
    assert body_large > body_before and body_large >= 22, (body_before, body_large)
    assert para_large > para_before and para_large >= 22, (para_before, para_large)

    page.reload()
    expect(html).to_have_class(re.compile(r"\belder-mode\b"))
    assert font_sizes(page) == (body_large, para_large)

    # Every control is a big target in elder mode.
    assert_target_at_least(elder_toggle(page), 60, "large-type toggle")
    main_cta = page.locator("main").get_by_role("link", name=t("Sign up"), exact=True)
    assert_target_at_least(main_cta, 60, "home page 'Sign up' button")
    for index, button in enumerate(page.locator("button:visible, .btn:visible").all()):
        assert_target_at_least(button, 60, f"button #{index} ({button.inner_text().strip()!r})")

    press_elder_toggle_with_keyboard(page)
    expect(html).not_to_have_class(re.compile(r"\belder-mode\b"))
    expect(elder_toggle(page)).to_have_attribute("aria-pressed", "false")
    assert font_sizes(page) == (body_before, para_before)


# ---------------------------------------------------------------- keyboard


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(tx_regions, page, live_server):
    page.goto(url(live_server, "portal:home"))

    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(t("Skip to main content"))
    expect(skip).to_be_in_viewport()  # shown once focused, not left off-screen

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()


# -------------------------------------------------------------------- axe

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page) -> list[dict]:
    load_axe(page)
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({
                        target: n.target.join(' '), html: n.html, summary: n.failureSummary,
                    })),
                }));
        }""",
        AXE_TAGS,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}")
            lines.append(f"        {node['html'][:200]}")
            for detail in (node["summary"] or "").splitlines():
                lines.append(f"        {detail}")
    return "\n".join(lines)


def _open(name):
    def go(page, live_server):
        page.goto(url(live_server, name))

    return go


def _home_large_type(page, live_server):
    page.goto(url(live_server, "portal:home"))
    press_elder_toggle_with_keyboard(page)
    expect(page.locator("html")).to_have_class(re.compile(r"\belder-mode\b"))


def _home_in_english(page, live_server):
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server.url}])
    page.goto(url(live_server, "portal:home"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


def _sign_up_with_errors(page, live_server):
    page.goto(url(live_server, "accounts:signup"))
    fill_sign_up(
        page,
        name="李建国",
        id_number=wrong_check_digit(valid_id()),
        phone="1391234",
        password="short",
    )
    with page.expect_navigation():
        submit(page, "Create my account")
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()


AXE_PAGES = {
    "home": _open("portal:home"),
    "sign-up": _open("accounts:signup"),
    "log-in": _open("accounts:login"),
    "accessibility-statement": _open("portal:accessibility"),
    "home-large-type": _home_large_type,
    "home-english": _home_in_english,
    "sign-up-with-errors": _sign_up_with_errors,
}


@pytest.mark.parametrize("where", list(AXE_PAGES))
def test_axe_finds_no_serious_or_critical_violation(where, tx_regions, page, live_server):
    AXE_PAGES[where](page, live_server)
    violations = run_axe(page)
    assert not violations, f"axe on {where} ({page.url}):\n{describe(violations)}"


# ---------------------------------------------------------------- language


def test_the_language_switch_shows_english_and_back(tx_regions, page, live_server):
    page.goto(url(live_server, "portal:home"))
    html = page.locator("html")
    h1 = page.locator("main h1")
    expect(html).to_have_attribute("lang", "zh-Hans")
    chinese_h1 = h1.inner_text().strip()
    switch = page.locator("form.lang-switch")

    with page.expect_navigation():
        switch.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(h1).to_have_text("Civil affairs services")
    expect(switch.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(url(live_server, "portal:home"))  # stays on the same page
    assert chinese_h1 != "Civil affairs services", (
        "the Chinese home page shows the untranslated English heading: "
        "the zh_Hans catalogue lacks 'Civil affairs services' (or is not compiled)"
    )
    assert re.search(r"[\u4e00-\u9fff]", chinese_h1), chinese_h1

    with page.expect_navigation():
        switch.get_by_role("button", name="中文").click()
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(h1).to_have_text(chinese_h1)
    expect(switch.get_by_role("button", name="中文")).to_have_attribute("aria-pressed", "true")


# ------------------------------------------------------------- voice guide

# Headless Chromium has no audio: record what would be said instead. speechSynthesis stays the
# browser's own object (so voice-guide.js shows its button); only speak() is replaced, and the
# test decides when each utterance "ends".
RECORD_SPEECH = """
(() => {
    window.__spoken = [];
    window.__pending = [];
    const synth = window.speechSynthesis;
    if (!synth) { return; }
    synth.speak = function (utterance) {
        window.__spoken.push({text: utterance.text, lang: utterance.lang});
        window.__pending.push(utterance);
    };
    synth.cancel = function () { window.__pending = []; };
    window.__finishSpeaking = function () {
        let guard = 1000;
        while (window.__pending.length && guard--) {
            const u = window.__pending.shift();
            if (u.onend) { u.onend(new Event('end')); }
        }
    };
})();
"""


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("*", ""))


def test_the_voice_guide_button_speaks_the_page(tx_regions, page, live_server):
    page.add_init_script(RECORD_SPEECH)
    page.goto(url(live_server, "portal:home"))
    assert page.evaluate("() => typeof window.speechSynthesis === 'object'")
    button = page.locator("#voice-guide")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-pressed", "false")

    expected = page.evaluate(
        """() => [document.querySelector('main h1'),
                  ...document.querySelectorAll('main .instructions')]
                 .filter(el => el.getClientRects().length)
                 .map(el => el.innerText)"""
    )
    assert len(expected) >= 2, expected

    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => window.__spoken.length > 0")
    page.evaluate("() => window.__finishSpeaking()")
    expect(button).to_have_attribute("aria-pressed", "false")  # finished by itself

    spoken = page.evaluate("() => window.__spoken")
    said = squash("".join(item["text"] for item in spoken))
    assert said.startswith(squash(expected[0])), (expected[0], spoken)
    position = 0
    for text in expected:
        found = said.find(squash(text), position)
        assert found >= 0, f"not read, or read out of order: {text!r}\nspoken: {spoken}"
        position = found + len(squash(text))
    assert all(item["lang"].lower().startswith("zh") for item in spoken), spoken

    # Pressing it again while it speaks stops it.
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("(n) => window.__spoken.length > n", arg=len(spoken))
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("() => window.__pending.length") == 0
