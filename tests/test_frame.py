"""The page frame (jinja2/frame/): written once in Jinja2, shown by Django pages through
`{% frame %}` (templates/base.html) and by the pages Jinja2 renders whole (jinja2/base.jinja).
The two skeletons must lay the same parts out the same way; the frame's texts must be in the
catalogue that makemessages writes."""

import re
from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.template import TemplateSyntaxError, engines
from django.test import RequestFactory
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]

DJANGO_PAGE = """{% extends "staff/base_staff.html" %}
{% block title %}A page · {{ block.super }}{% endblock %}
{% block breadcrumbs %}<nav>crumbs</nav>{% endblock %}
{% block workspace %}<p>The page's own content</p>{% endblock %}"""
JINJA_PAGE = """{% extends "staff/base_staff.jinja" %}
{% block title %}A page · {{ super() }}{% endblock %}
{% block breadcrumbs %}<nav>crumbs</nav>{% endblock %}
{% block workspace %}<p>The page's own content</p>{% endblock %}"""


def _request(user, path="/staff/cases/office/?size=10&region=6401"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.LANGUAGE_CODE = translation.get_language()
    return request


def _comparable(html: str) -> str:
    """The page with each form's token (a new mask each time it is made) and the layout's
    whitespace taken out."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1…", html)
    html = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1…", html)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_django_page_and_a_jinja2_page_have_the_same_frame(personas, language):
    """The staff frame (head, header, staff menu, a message, footer) around the same blocks:
    the same document from templates/staff/base_staff.html and jinja2/staff/base_staff.jinja."""
    from tests.auth import needs_second_factor

    user = personas.supervisor
    needs_second_factor(user)  # reads the user's grants afresh
    with translation.override(language):
        pages = []
        for engine, source in (("django", DJANGO_PAGE), ("jinja2", JINJA_PAGE)):
            request = _request(user)
            messages.warning(request, "Check the <address> before you go on")
            messages.info(request, mark_safe('Read <a href="/help/">the help</a>'))
            pages.append(engines[engine].from_string(source).render({}, request))
    django_page, jinja_page = pages
    assert _comparable(django_page) == _comparable(jinja_page)
    # What the comparison covers: each part of the frame is there, in the page's language.
    lang = "zh-Hans" if language == "zh-hans" else "en"
    assert django_page.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">')
    workspace = "工作台首页" if language == "zh-hans" else "Workspace home"
    assert workspace in django_page  # the staff menu
    assert 'class="alert alert-warning"' in django_page
    assert "Check the &lt;address&gt; before you go on" in django_page  # escaped
    assert 'Read <a href="/help/">the help</a>' in django_page  # marked safe by the code
    assert "<p>The page's own content</p>" in django_page
    assert 'href="tel:12345"' in django_page  # the footer
    # The page's own address, escaped, goes back with the language switch.
    assert 'name="next" value="/staff/cases/office/?size=10&amp;region=6401"' in django_page


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["casework:queue-office", "staff:workspace"])
def test_every_form_of_a_page_and_its_htmx_header_carry_one_token(client, personas, page):
    """The queue page (Jinja2 whole) and a Django page make their form token once for all
    their forms (four or more: language, large text, log out, the page's own) and htmx."""
    from django.urls import reverse

    from tests.auth import sign_in

    sign_in(client, personas.supervisor)
    response = client.get(reverse(page))
    assert response.status_code == 200
    html = response.content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    assert len(tokens) >= 4
    assert len(set(tokens)) == 1


def test_a_frame_part_that_does_not_exist_is_an_error():
    page = engines["django"].from_string('{% load frame %}{% frame "sidebar" %}')
    with pytest.raises(TemplateSyntaxError):
        page.render({})


def _jinja_texts() -> set[str]:
    texts = set()
    for path in (ROOT / "jinja2").rglob("*.jinja"):
        texts |= set(re.findall(r'\b_\("([^"]+)"\)', path.read_text(encoding="utf-8")))
        texts |= set(re.findall(r"\b_\('([^']+)'\)", path.read_text(encoding="utf-8")))
    return texts


def test_djangos_reader_finds_every_text_of_a_jinja2_template():
    """makemessages reads a `.jinja` file as a Django template: it finds `_("…")` alone in a
    `{{ }}` (or first in one), not a second one (`{{ _("a") if x else _("b") }}` loses "b").
    Each text must be where the reader finds it, or the next makemessages drops it."""
    for path in sorted((ROOT / "jinja2").rglob("*.jinja")):
        source = path.read_text(encoding="utf-8")
        written = set(re.findall(r'\b_\("([^"]+)"\)', source))
        written |= set(re.findall(r"\b_\('([^']+)'\)", source))
        read = templatize(source, origin=str(path))
        found = set(re.findall(r'\b_\("([^"]+)"\)', read))
        found |= set(re.findall(r"\b_\('([^']+)'\)", read))
        assert written - found == set(), path.relative_to(ROOT)


def test_every_text_of_a_jinja2_template_is_translated():
    texts = _jinja_texts()
    assert "Skip to main content" in texts and "Office queue" in texts  # the reader works
    with translation.override("zh-hans"):
        missing = sorted(t for t in texts if translation.gettext(t) == t)
    assert missing == []


def test_makemessages_reads_jinja2_templates(tmp_path, monkeypatch):
    """The project's makemessages (portal/management/commands/makemessages.py) takes the texts
    of `.jinja` files as Django's takes those of its templates."""
    (tmp_path / "locale").mkdir()
    (tmp_path / "page.jinja").write_text(
        '<p>{{ _("A text only a Jinja2 template has") }}</p>\n', encoding="utf-8"
    )
    (tmp_path / "page.html").write_text(
        '{% load i18n %}<p>{% translate "A text of a Django template" %}</p>\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    catalogue = (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(
        encoding="utf-8"
    )
    assert 'msgid "A text only a Jinja2 template has"' in catalogue
    assert 'msgid "A text of a Django template"' in catalogue
