from django.urls import get_script_prefix, get_urlconf, reverse

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


def portal(request):
    from civilaffairs.casework.registry import links

    user = getattr(request, "user", None)
    return {
        **layout_urls(),
        "staff_links": links("staff"),
        "partner_links": links("partner"),
        "elder_mode": elder_mode_for(request),
        "is_staff_member": bool(user and user.is_authenticated and is_staff_member(user)),
    }
