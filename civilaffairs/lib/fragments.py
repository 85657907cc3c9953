"""Page fragments that are the same for everyone: rendered once per process.

A fragment built only from what the code registers at start-up (the service catalogue, the
choices of a filter form) differs only by language, by URL configuration and by what is
registered. Rendering it on every request cost more than the rest of some pages; it is kept
here instead, keyed by those three things. A new release starts new processes, so nothing goes
stale. Anything that depends on the user, the request or the database must not come through
here.
"""

from django.template.loader import render_to_string
from django.urls import get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

_rendered: dict[tuple, SafeString] = {}


def rendered_once(template_name: str, context, *, registered: tuple = ()) -> SafeString:
    """`context` is a callable, called only when the fragment is rendered. `registered`
    names what the fragment was built from (e.g. how many services are registered), so tests
    that register more get a new rendering."""
    key = (template_name, get_language(), get_urlconf(), registered)
    if key not in _rendered:
        _rendered[key] = render_to_string(template_name, context())
    return _rendered[key]
