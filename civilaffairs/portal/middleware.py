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

    A NUL character in the address, a form field, an upload's name or a cookie is answered 400
    with a page in both languages. PostgreSQL cannot hold or compare a text with a NUL in it
    (the driver refuses the query), and no person types one: it comes from a fuzzer or an
    attacker. Refused here, before any view, it is refused everywhere, including values a view
    reads without a form (a query string, the session cookie); stripping it in forms would
    miss those, and would quietly change what was sent. The page is rendered without the
    request's context: the user and the session come from the very cookies that may be at
    fault.

    Uploaded files keep the name they were sent with (lib.uploads), so that a name that tries
    to be a path is refused where uploads are checked rather than cut down by Django's parser.
    Hence this runs before anything reads the body (CSRF does).
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from civilaffairs.lib.uploads import keep_sent_file_names

        keep_sent_file_names(request)
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest
            from django.template.loader import render_to_string

            return HttpResponseBadRequest(render_to_string("400.html"))
        return self.get_response(request)

    def _has_nul(self, request) -> bool:
        if "\x00" in request.path or _any_nul(request.GET) or _any_nul(request.COOKIES):
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
