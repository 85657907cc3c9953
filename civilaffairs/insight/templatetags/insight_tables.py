"""The tables of a figures page, for templates/insight/_tables.html: written by Jinja2
(insight.tables.tables_html says why) from what the page's context holds."""

from django import template

from civilaffairs.insight.tables import tables_html

register = template.Library()


@register.simple_tag(takes_context=True)
def figure_tables(context):
    """Needs in the context: tables, region, month, query (the filters, without region)."""
    return tables_html(context["tables"], context["region"], context["month"], context["query"])
