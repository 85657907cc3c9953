from civilaffairs.accounts.access import is_staff_member

ELDER_COOKIE = "elder"


def elder_mode_for(request) -> bool:
    """Large type is on when the account or this browser asked for it. Turning it off clears
    both (see portal.views.preferences), so the two never disagree for long."""
    user = getattr(request, "user", None)
    by_account = bool(user is not None and user.is_authenticated and user.elder_mode)
    return by_account or request.COOKIES.get(ELDER_COOKIE) == "1"


def portal(request):
    from civilaffairs.casework.registry import links

    user = getattr(request, "user", None)
    return {
        "staff_links": links("staff"),
        "partner_links": links("partner"),
        "elder_mode": elder_mode_for(request),
        "is_staff_member": bool(user and user.is_authenticated and is_staff_member(user)),
    }
