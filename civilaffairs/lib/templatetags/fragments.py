"""`{% once %}`: a part of a template rendered once per process (lib.fragments).

    {% load fragments %}
    {% once which signed_in=user.is_authenticated %} … {% endonce %}

The body is rendered with a context holding only the values named in the tag (`name` for a
variable of the page, `name=expression` otherwise), in the current language, URL configuration
and mount prefix; the result is kept per those values and reused. So the fixed text, links and
static files of a page cost a dictionary lookup, and nothing of the user or the request can
leak into what is kept: a variable the tag does not name is simply empty inside it (and so
is a `{% csrf_token %}`: forms stay outside).

Name only hashable values with few possible values (a flag, a choice of page, a link), never
something per user, per row or per count. The body must not depend on anything else that
changes between requests: no `{% now %}`, no dates or times shown in the time zone of the
moment, no filters that read the database.
"""

import itertools

from django import template
from django.template.base import token_kwargs
from django.template.context import Context
from django.utils.translation import get_language

from civilaffairs.lib.fragments import kept, where

register = template.Library()
_serial = itertools.count()


class OnceNode(template.Node):
    def __init__(self, nodelist, values):
        self.nodelist = nodelist
        self.values = values  # [(name, FilterExpression)]
        # Each tag in each loaded template is its own fragment: a serial number, never reused
        # (a template reloaded in development gets new ones).
        self.serial = next(_serial)

    def render(self, context):
        values = tuple((name, expression.resolve(context)) for name, expression in self.values)

        def render():
            inner = Context(
                dict(values),
                autoescape=context.autoescape,
                use_l10n=context.use_l10n,
                use_tz=context.use_tz,
            )
            with inner.bind_template(context.template):
                return self.nodelist.render(inner)

        # One page's fragments share their URL configuration and mount prefix: asked once per
        # rendering (each question reads a context-local variable). The language is asked each
        # time: {% language %} may change it within a page.
        urls = getattr(context, "_fragments_urls", None)
        if urls is None:
            urls = context._fragments_urls = where()[1:]
        return kept(("once", self.serial, values), render, at=(get_language(), *urls))


@register.tag
def once(parser, token):
    bits = token.split_contents()[1:]
    values = []
    while bits:
        named = token_kwargs(bits, parser)
        if named:
            values += named.items()
            continue
        name = bits.pop(0)
        if not name.isidentifier():
            raise template.TemplateSyntaxError(
                f"once: name a variable or give name=value, not {name!r}"
            )
        values.append((name, parser.compile_filter(name)))
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(nodelist, values)
