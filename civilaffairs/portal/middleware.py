from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguageMiddleware:
    """Chinese unless the visitor chose English with the switch (a cookie).

    Django's LocaleMiddleware also follows the browser's Accept-Language, which would show a
    Chinese government service in English to anyone whose browser happens to be set so; the
    switch is on every page for whoever prefers English.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: what the server spent, so benchmarks
    (and browser dev tools) can tell server time from network time. First in the chain, so it
    covers every other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response


class BadInputMiddleware:
    """Input no view can use, dealt with once for every view.

    A NUL character in the address, a form field or an upload's name is answered 400
    with a page in both languages. PostgreSQL cannot hold or compare a text with a NUL in it
    (the driver refuses the query), and no person types one: it comes from a fuzzer or an
    attacker. Refused here, before any view, it is refused everywhere, including values a view
    reads without a form (a query string); stripping it in forms would miss those, and would
    quietly change what was sent. The page is rendered without the request's context. Cookies
    are not refused: a browser sends a bad one with every request until it is cleared, so a 400
    would lock its owner out of the whole site; whoever reads a cookie treats a bad value as no
    value (the session store, the language switch, CSRF).

    Uploaded files keep the name they were sent with (lib.uploads), so that a name that tries
    to be a path is refused where uploads are checked rather than cut down by Django's parser.
    Hence this runs before anything reads the body (CSRF does).

    The admin's date drill-down (`?<field>__year=`, `__month=`, `__day=`) builds a datetime
    from the numbers and then the day, month or year after it; Django turns a ValueError into
    its "invalid lookup" page, but a year of 99999999999999999999 (OverflowError) or 9999 (no
    year after it) answered 500. Such a value gets the same page here.
    """

    DRILL_DOWN = {"__year": 9998, "__month": 12, "__day": 31}

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from civilaffairs.lib.uploads import keep_sent_file_names

        keep_sent_file_names(request)
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest
            from django.template.loader import render_to_string

            if request.path.startswith("/api/"):
                # A department's system reads JSON, in the API's error format.
                from civilaffairs.exchange.errors import bad_input_response

                return bad_input_response()
            return HttpResponseBadRequest(render_to_string("400.html"))
        if self._drill_down_out_of_range(request):
            from django.contrib.admin.views.main import ERROR_FLAG
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return self.get_response(request)

    def _drill_down_out_of_range(self, request) -> bool:
        for key, values in request.GET.lists():
            limit = next((n for end, n in self.DRILL_DOWN.items() if key.endswith(end)), None)
            if limit is None:
                continue
            for value in values:
                try:
                    number = int(value)
                except ValueError:
                    continue  # the admin refuses it itself
                if not 0 < number <= limit:
                    return True
        return False

    def _has_nul(self, request) -> bool:
        if "\x00" in request.path or _any_nul(request.GET):
            return True
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            if _any_nul(request.POST):
                return True
            return any(
                "\x00" in getattr(f, "sent_name", f.name or "")
                for _field, files in request.FILES.lists()
                for f in files
            )
        return False


def _any_nul(data) -> bool:
    lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
    return any("\x00" in key or any("\x00" in str(v) for v in values) for key, values in lists)
