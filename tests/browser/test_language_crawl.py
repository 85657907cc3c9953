"""What the system writes is in the reader's language (issue #16, item 13): every kind of user
goes through their pages (the same crawl as the Content-Security-Policy test) in English and
in Chinese, and the words the site chose (headings, labels, buttons, column heads, terms,
badges, messages, the menu) hold no Chinese in English and no English in Chinese.

What people wrote or named (a person's name, a place, an organisation, a typed note) stays
as written; it does not sit in those elements, except where a heading names its subject,
which the checks allow by removing the names of the demo world's people, places and offices."""

import re

import pytest

from civilaffairs.accounts.models import User

from .crawl import START, Visit, crawl

pytestmark = pytest.mark.browser

# The elements whose words the site chooses. Text marked with another `lang` (the language
# switch's "中文") is said in that language on purpose.
SYSTEM_TEXT = """() => {
  const picked = document.querySelectorAll(
    "h1, h2, h3, h4, h5, h6, label, legend, button, caption, thead th, dt, summary, .badge, "
    + ".alert, .instructions, .workspace-nav a, .site-header nav a, .form-text, .invalid-feedback"
  );
  const texts = [];
  for (const el of picked) {
    if (el.closest("[lang]") !== document.documentElement) continue;
    const text = el.innerText.trim();
    if (text) texts.push(text);
  }
  return texts;
}"""

CJK = re.compile(r"[\u3400-\u9fff]")
# An English word of the site's own: three letters or more, not a reference (DB-20261206-…),
# an address of the site or a unit.
ENGLISH_WORD = re.compile(r"(?<![\w/.-])[A-Za-z]{3,}(?![\w/.-])")
ALLOWED_IN_CHINESE = {"PDF", "CSV", "XLSX", "Excel", "SMS", "APP", "App", "TOTP", "URL", "Email"}


def demo_names() -> list[str]:
    """The names the demo world's people, places, offices and organisations carry, longest
    first (removed from a text before it is checked: they are written as they were given)."""
    from civilaffairs.accounts.models import Office
    from civilaffairs.people.models import Person, Region

    names = set(Person.objects.values_list("name", flat=True))
    names |= set(Region.objects.values_list("name", flat=True))
    names |= set(Office.objects.values_list("name", flat=True))
    for first, last, username in User.objects.values_list("first_name", "last_name", "username"):
        names |= {first, last, username, f"{first} {last}".strip(), f"{last}{first}"}
    for model, field in _named_fields():
        names |= set(model.objects.values_list(field, flat=True))
    return sorted((n for n in names if n), key=len, reverse=True)


def _named_fields():
    """The domains' fields that hold what people named (a home, a project, a donated item)."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.app_label in {"orgs", "eldercare", "marriage", "childwelfare"}:
            for field in model._meta.fields:
                if field.name in {"name", "item", "title"} and field.get_internal_type() == (
                    "CharField"
                ):
                    yield model, field.name
    # A disaster is named by whoever records it (“2026年7月凤凰北街街道暴雨洪涝”).
    from assistance.models import DisasterEvent

    yield DisasterEvent, "name"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_words_the_site_chooses_are_in_the_readers_language(
    demo_world, browser, live_server, language
):
    names = demo_names()
    found: dict[str, set[str]] = {}

    def inspect(page, url):
        for text in page.evaluate(SYSTEM_TEXT):
            for name in names:
                if name in text:
                    text = text.replace(name, "")
            if language == "en":
                wrong = CJK.search(text)
            else:
                words = set(ENGLISH_WORD.findall(text)) - ALLOWED_IN_CHINESE
                wrong = words and not CJK.search(text) or len(words) > 1
            if wrong:
                found.setdefault(text[:120], set()).add(page.url.replace(live_server.url, ""))

    visit = Visit(browser, live_server.url, language=language, inspect=inspect)
    opened = 0
    for username, starts in START.items():
        if username == "admin":
            continue  # Django's own admin pages are checked by their own catalogue
        user = User.objects.get(username=username) if username else None
        ctx, page = visit.context(user)
        try:
            opened += len(crawl(visit, page, starts))
        finally:
            ctx.close()
    assert opened > 50
    assert not found, f"{len(found)} texts in the wrong language:\n" + "\n".join(
        f"{text!r} on {', '.join(sorted(urls)[:3])}" for text, urls in sorted(found.items())
    )
