"""`{% frame "header" %}`: a part of the page frame, written once in jinja2/frame/ (lib/jinja.py
says why it is Jinja2) and shown by every Django page through templates/base.html."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from civilaffairs.lib.jinja import csrf_field

register = template.Library()

PARTS = ("head", "header", "messages", "footer", "staff_menu")


@register.simple_tag(takes_context=True)
def frame(context, part: str) -> str:
    if part not in PARTS:
        raise template.TemplateSyntaxError(f"no frame part {part!r}")
    # The page's context as Jinja2 reads it, made once per page for all its parts.
    values = context.render_context.get("frame")
    if values is None:
        values = context.flatten()
        # The page's one token (Django's csrf context processor makes it once, lazily).
        token = values.get("csrf_token")
        values["csrf_input"] = csrf_field(token) if token else ""
        context.render_context["frame"] = values
    html = engines["jinja2"].env.get_template(f"frame/{part}.jinja").render(values)
    return mark_safe(html)  # noqa: S308 (Jinja2 escaped every value it wrote: autoescape)
