"""The Jinja2 environment for the few templates rendered by Jinja2 rather than Django's engine.

Only the hottest lists use it (a staff queue's rows: Django's engine spent three times as long
on the same ten rows, more than PostgreSQL spent finding them; docs/scaling.md). Everything else,
the page frame included, stays in Django templates, which include the rendered rows as a string.

Texts are translated in Python and passed in (makemessages does not read Jinja2 templates);
dates are shown in the portal's time zone, as Django's `date` filter shows them."""

from django.urls import reverse
from django.utils import timezone

import jinja2


def local(value, fmt: str, empty: str = "") -> str:
    """A date or time in the portal's time zone in strftime's `fmt`, or `empty` for none."""
    if value is None:
        return empty
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(fmt)


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> jinja2.Environment:
    # A name the template uses but the context lacks is an error, not an empty cell.
    options["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(**options)  # noqa: S701 (Django's backend turns autoescape on)
    env.globals["url"] = url
    env.filters["local"] = local
    return env
