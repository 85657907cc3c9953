"""A <select> rendered in Python.

Django renders every <option> through a template include. A queue page's filter form has about
a hundred options (every state of every workflow, every service), and rendering them that way
cost more than everything else on the page together (bench/results/latest.md). The markup is
the same as Django's own select.html; values and labels are escaped by format_html.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _options(options):
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((o["value"], flatatt(o["attrs"]), o["label"]) for o in options),
    )


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            format_html('<optgroup label="{}">{}</optgroup>', group, _options(options))
            if group
            else _options(options)
            for group, options, _index in widget["optgroups"]
        ]
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(parts)),  # noqa: S308 (each part was built by format_html)
        )
