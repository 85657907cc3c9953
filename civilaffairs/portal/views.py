from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.actions import do_set_elder_mode
from civilaffairs.casework.registry import catalogue
from civilaffairs.lib.params import safe_next

from .context_processors import ELDER_COOKIE

ONE_YEAR = 365 * 24 * 3600


@require_GET
def home(request):
    from civilaffairs.casework.registry import all_services, links

    citizen_links = links("citizen")
    return render(
        request,
        "portal/home.html",
        {
            # Called by the template only when the catalogue is not in the fragment cache.
            "catalogue": catalogue,
            "citizen_links": citizen_links,
            # What the catalogue is built from: the services and links registered in code.
            "registered": (len(all_services()), citizen_links),
        },
    )


@require_GET
def accessibility(request):
    return render(request, "portal/accessibility.html")


@require_POST
def set_language(request):
    """Django's language switch, and for a logged-in user the choice kept on the account too,
    so messages written for them later (notifications, screening explanations) use it."""
    from django.conf import settings
    from django.views.i18n import set_language as django_set_language

    from civilaffairs.accounts.actions import do_set_language

    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        do_set_language(request.user, acting_user=request.user, language=language)
    return response


@require_POST
def preferences(request):
    """Turn large-type mode on or off. A plain form post, so it works without JavaScript; the
    choice is kept on the account when logged in and in a cookie either way."""
    enabled = request.POST.get("elder_mode") == "1"
    if request.user.is_authenticated:
        do_set_elder_mode(request.user, acting_user=request.user, enabled=enabled)
    response = HttpResponseRedirect(safe_next(request, "/"))
    response.set_cookie(
        ELDER_COOKIE, "1" if enabled else "0", max_age=ONE_YEAR, samesite="Lax", httponly=True
    )
    return response


def bench_bare(request):
    """The floor of the page benchmarks: a Django view that does nothing (BENCH_ENDPOINTS only)."""
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")
