"""The Jinja2 environment for the templates rendered by Jinja2 rather than Django's engine.

Three kinds (docs/architecture.md, "Templates"; docs/scaling.md for the measurements): the page
frame (jinja2/frame/: the header, the staff menu, the messages, the footer), which every page
shows, Django pages through `{% frame %}` (portal.templatetags.frame) and Jinja2 pages by
`{% include %}`; the staff queue page, the hottest page, whole; and the figures pages' tables.
Everything else is a Django template.

Texts are written `{{ _("…") }}`, one to a `{{ }}`, Django's gettext with its catalogue: the
project's `makemessages` reads `.jinja` files as well (portal/management/commands/
makemessages.py), and Django's reader finds `_("…")` in them because it is also Django's
syntax for a translated literal (it reads only the first of a `{{ }}`). A value goes into a
text with `|format`; a plural is made in Python (`ngettext`) and passed in. Dates are shown
in the portal's time zone, as Django's `date` filter shows them."""

import functools

from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html, json_script

import jinja2


def local(value, fmt: str, empty: str = "") -> str:
    """A date or time in the portal's time zone in strftime's `fmt`, or `empty` for none."""
    if value is None:
        return empty
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(fmt)


def plain(value) -> str:
    """A number as Django's engine writes it with localization off (`{% localize off %}`): no
    thousands separator, the decimal point of settings.DECIMAL_SEPARATOR, a Decimal in fixed
    notation (0.00, never 0E-2); the same in every language."""
    if type(value) is int:  # the most of a table's cells: as Django writes them, quicker
        return str(value)
    return formats.localize(value, use_l10n=False)


def html_lang(language_code: str) -> str:
    """The `lang` of a page in Django's language code (zh-hans): BCP 47's case (zh-Hans)."""
    return {"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}.get(language_code, language_code)


# A number no URL pattern's own text holds, standing for the row's id in url_maker.
_MARKER = 987654321


def url_maker(name: str):
    """`pk -> reverse(name, args=[pk])` for a route whose one argument is an integer id, at
    the cost of one reverse for a whole list: the address is made once with a marker for the
    id, and each row's id is put in its place."""
    head, marker, tail = reverse(name, args=[_MARKER]).partition(str(_MARKER))
    if not marker:
        raise ValueError(f"{name} does not take one integer id")
    return lambda pk: f"{head}{int(pk)}{tail}"


def csrf_field(token) -> str:
    """The hidden field of a form's token, as Django's `{% csrf_token %}` writes it."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def csrf(request) -> dict:
    """The form token of a page Jinja2 renders, made once for all its forms and the page's
    htmx header. (Django's Jinja2 backend gives `csrf_input` and `csrf_token` as lazy texts
    that make a new masked token each time one is written: six times on a staff page.) A
    context processor of the Jinja2 engine only."""
    token = SimpleLazyObject(lambda: get_token(request))
    return {"csrf_token": token, "csrf_input": SimpleLazyObject(lambda: csrf_field(token))}


def environment(**options) -> jinja2.Environment:
    # A name the template uses but the context lacks is an error, not an empty cell.
    options["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(**options)  # noqa: S701 (Django's backend turns autoescape on)
    # `{{ _("text") }}`: the text in the active language, escaped as any value; a value put
    # into it with `|format` is escaped with it.
    env.globals["_"] = translation.gettext
    env.globals["html_lang"] = html_lang
    # A static file's address is fixed for the life of a process (the manifest is read once).
    env.globals["static"] = functools.lru_cache(maxsize=256)(static)
    env.filters["local"] = local
    env.filters["plain"] = plain
    # As Django's filter of the name: the value as JSON in a <script type="application/json">.
    env.filters["json_script"] = json_script
    return env
