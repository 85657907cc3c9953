"""Template helpers of the case pages: the header's unread-message count."""

from django import template

from civilaffairs.casework.queries import unread_count_for

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context) -> int:
    """Unread notifications of the logged-in citizen; counted once per request."""
    request = context.get("request")
    return unread_count_for(request) if request is not None else 0
