"""The Jinja2 environment for the few templates rendered by Jinja2 rather than Django's engine.

Only the hottest lists use it (a staff queue's rows: Django's engine spent three times as long
on the same ten rows, more than PostgreSQL spent finding them; the figures pages' tables, a few
hundred cells a page; docs/scaling.md). Everything else, the page frame included, stays in
Django templates, which include the rendered rows as a string.

Texts are translated in Python and passed in (makemessages does not read Jinja2 templates);
dates are shown in the portal's time zone, as Django's `date` filter shows them."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import json_script

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


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> jinja2.Environment:
    # A name the template uses but the context lacks is an error, not an empty cell.
    options["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(**options)  # noqa: S701 (Django's backend turns autoescape on)
    env.globals["url"] = url
    env.filters["local"] = local
    env.filters["plain"] = plain
    # As Django's filter of the name: the value as JSON in a <script type="application/json">.
    env.filters["json_script"] = json_script
    return env
