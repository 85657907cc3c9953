"""What the urgent-visit block of the staff case page asks about its reader (the page renders
the domain's block with the case and its details only)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def may_reveal_phones(context, visit) -> bool:
    """Whether the reader may see the full numbers to call (HomeVisit.may_reveal_phones)."""
    request = context.get("request")
    return visit.may_reveal_phones(getattr(request, "user", None))
