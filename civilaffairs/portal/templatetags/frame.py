"""`{% frame "header" %}`: a part of the page frame, written once in jinja2/frame/ (lib/jinja.py
says why it is Jinja2) and shown by every Django page through templates/base.html."""

from django import template
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils.safestring import mark_safe

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
        request = values.get("request")
        values["csrf_input"] = csrf_input(request) if request is not None else ""
        context.render_context["frame"] = values
    html = engines["jinja2"].env.get_template(f"frame/{part}.jinja").render(values)
    return mark_safe(html)  # noqa: S308 (Jinja2 escaped every value it wrote: autoescape)
