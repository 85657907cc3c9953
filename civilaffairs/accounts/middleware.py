from urllib.parse import quote

from django.http import HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .second_factor import is_verified, requires_second_factor

# What a member of staff may open between the password and the second factor: the
# second-factor pages, logging out, and the two display switches of every page (language and
# large type, which an elder-friendly site keeps usable on its login steps too). Static files
# never get here (WhiteNoise answers them first). By view name, so a page mounted elsewhere
# stays closed.
OPEN_VIEWS = frozenset(
    {
        "accounts:second-factor",
        "accounts:second-factor-setup",
        "accounts:logout",
        "set_language",
        "portal:preferences",
    }
)


class SecondFactorMiddleware:
    """Staff and administrators pass the second factor before any other page, the Django
    admin included (whichever login form took their password).

    The check reads the session and the signed-in user that every page reads anyway: no
    query of its own (see second_factor for why the session's flag can be trusted)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in OPEN_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or is_verified(request) or not requires_second_factor(user):
            return None
        target = reverse("accounts:second-factor")
        if request.method in ("GET", "HEAD"):
            target += "?next=" + quote(request.get_full_path(), safe="/")
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the second-factor page into a fragment: send the window there.
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)
