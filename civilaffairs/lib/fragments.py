"""Page fragments that are the same for everyone: rendered once per process.

A fragment built only from what the code registers at start-up (the service catalogue, the
choices of a filter form, the fixed text and links of a page) differs only by language, by URL
configuration and mount prefix, and by what is registered. Rendering it on every request cost
more than the rest of some pages; it is kept here instead, keyed by those things. A new release
starts new processes, so nothing goes stale. Anything that depends on the user, the request or
the database must not come through here: `rendered_once` takes its context from a function of
no arguments, and the `{% once %}` tag (lib/templatetags/fragments.py) renders its body with
nothing but the values it names.
"""

from collections.abc import Callable, Hashable

from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from .compiled import Kept

_rendered = Kept(5000)


def where() -> tuple:
    """The current language, URL configuration and mount prefix: what every fragment also
    depends on."""
    return (get_language(), get_urlconf(), get_script_prefix())


def kept(key: Hashable, render: Callable[[], SafeString], *, at: tuple | None = None) -> SafeString:
    """`render()` once per process for `key` in the current language, URL configuration and
    mount prefix (`at`, when the caller has already asked `where()`)."""
    key = (key, *(at or where()))
    hit = _rendered.get(key)
    if hit is None:
        hit = _rendered.keep(key, render())
    return hit


def rendered_once(template_name: str, context, *, registered: tuple = ()) -> SafeString:
    """`context` is a callable, called only when the fragment is rendered. `registered`
    names what the fragment was built from (e.g. how many services are registered), so tests
    that register more get a new rendering."""
    return kept((template_name, registered), lambda: render_to_string(template_name, context()))
