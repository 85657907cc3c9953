"""Template helpers of the case pages: the header's unread-message count."""

from django import template

from civilaffairs.casework.queries import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context) -> int:
    """Unread notifications of the logged-in citizen; counted once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.person_id:
        return 0
    cached = getattr(request, "_unread_messages", None)
    if cached is None:
        cached = request._unread_messages = unread_count(user)
    return cached
