from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext, ngettext

from civilaffairs.accounts.access import is_staff_member

ELDER_COOKIE = "elder"


def elder_mode_for(request) -> bool:
    """Large type is on when the account or this browser asked for it. Turning it off clears
    both (see portal.views.preferences), so the two never disagree for long."""
    user = getattr(request, "user", None)
    by_account = bool(user is not None and user.is_authenticated and user.elder_mode)
    return by_account or request.COOKIES.get(ELDER_COOKIE) == "1"


# The links of the page frame (header, staff menu, footer), by context name. Reversing them
# on every page cost more than a dozen URL lookups per request; they only change with the
# URL configuration and the prefix the site is mounted under, so they are worked out once.
LAYOUT_URLS = {
    "home_url": "portal:home",
    "profile_url": "accounts:profile",
    "login_url": "accounts:login",
    "signup_url": "accounts:signup",
    "logout_url": "accounts:logout",
    "set_language_url": "set_language",
    "preferences_url": "portal:preferences",
    "accessibility_url": "portal:accessibility",
    "my_cases_url": "cases:my-cases",
    "inbox_url": "cases:inbox",
    "workspace_url": "staff:workspace",
    "person_list_url": "staff:person-list",
    "my_queue_url": "casework:queue-mine",
    "office_queue_url": "casework:queue-office",
    "admin_url": "admin:index",
}
_layout_urls: dict[tuple, dict[str, str]] = {}


def layout_urls() -> dict[str, str]:
    key = (get_urlconf(), get_script_prefix())
    if key not in _layout_urls:
        _layout_urls[key] = {name: reverse(route) for name, route in LAYOUT_URLS.items()}
    return _layout_urls[key]


def where_in_frame(path: str, urls) -> tuple[str, str]:
    """(current, within): `path` itself when it is one of the frame's links (else ""), and the
    longest of those links, home aside, that the path lies under (else ""). The frame marks the
    current link and the section from these; being one of a few values, they let the frame's
    fragments be cached per value ({% cache %}) rather than compare the path link by link."""
    current = path if path in urls else ""
    within = max((u for u in urls if u != "/" and path.startswith(u)), key=len, default="")
    return current, within


def inbox_label(request) -> str:
    """The header's link to a citizen's messages, with how many are unread."""
    from civilaffairs.casework.queries import unread_count_for

    unread = unread_count_for(request)
    if not unread:
        return gettext("Messages")
    return ngettext("Messages (%(n)s unread)", "Messages (%(n)s unread)", unread) % {"n": unread}


def portal(request):
    from civilaffairs.casework.registry import links, links_for

    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    urls = layout_urls()
    staff_links = links_for("staff", user) if signed_in else ()
    current, within = where_in_frame(
        request.path, {*urls.values(), *(url for _label, url in staff_links)}
    )
    return {
        **urls,
        "staff_links": staff_links,
        "partner_links": links("partner"),
        "nav_current": current,
        "nav_within": within,
        "elder_mode": elder_mode_for(request),
        # Plain flags of the signed-in user for the frame (each `user.…` in a template goes
        # through the lazy user object).
        "signed_in": signed_in,
        "is_admin": signed_in and user.is_staff,
        "is_citizen": signed_in and bool(user.person_id),
        "is_staff_member": signed_in and is_staff_member(user),
        # Called by the header for a citizen only: the unread count is a query.
        "inbox_label": lambda: inbox_label(request),
    }
