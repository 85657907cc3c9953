"""Every API error is JSON: a stable `code`, the message in Chinese and English, and for bad
input every problem found (`errors`), so a department's developer can act on it in either
language. Nothing outside REST framework's exceptions is caught here: a bug stays a 500."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from .catalogue import LANGS

MESSAGES = {
    "not_authenticated": _("A valid access token is required (OAuth2 client credentials)."),
    "authentication_failed": _("The access token is not valid or has expired."),
    "no_grant": _("This client has no grant in force."),
    "endpoint_not_granted": _("This client's grant does not include this endpoint."),
    "purpose_required": _("State the purpose of the request in the X-Purpose header."),
    "purpose_not_granted": _("This purpose is not in the client's grant."),
    "reference_required": _(
        "This purpose needs a case or document reference in the X-Reference header."
    ),
    "not_found": _("Nothing was found that this client may see."),
    "already_answered": _("This source of the check has been answered already."),
    "bad_input": _(
        "The request holds characters no field may hold (a NUL, say); nothing was read."
    ),
    "invalid": _("The request is not valid; each problem is listed under errors."),
    "parse_error": _("The request body is not valid JSON."),
    "method_not_allowed": _("This method is not allowed here."),
    "unsupported_media_type": _("Send the body as JSON (Content-Type: application/json)."),
    "not_acceptable": _("This API answers in JSON only."),
    "rate_limited": _("Too many calls in this minute; try again shortly."),
    "quota_exceeded": _("This client's daily quota is used up; it renews at midnight."),
}


def both(message) -> dict[str, str]:
    """A message in every language of the API: a lazy translation, or a callable that writes
    it (for a message with values: `lambda: gettext("…%(x)s") % {...}`)."""
    out = {}
    for lang in LANGS:
        with translation.override(lang):
            out[lang] = str(message() if callable(message) else message)
    return out


class ApiError(exceptions.APIException):
    """An error with one of the codes above."""

    def __init__(self, code: str, status_code: int):
        self.status_code = status_code
        self.api_code = code
        super().__init__(detail=str(MESSAGES[code]), code=code)


class ApiInvalid(exceptions.APIException):
    """Bad input: every problem at once, each as (field, code, lazy message)."""

    status_code = status.HTTP_400_BAD_REQUEST
    api_code = "invalid"

    def __init__(self, problems: list[tuple[str, str, object]]):
        self.problems = problems
        super().__init__(detail=str(MESSAGES["invalid"]), code="invalid")


class QuotaExceeded(exceptions.Throttled):
    api_code = "quota_exceeded"


class RateLimited(exceptions.Throttled):
    api_code = "rate_limited"


_BY_CLASS = (
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "endpoint_not_granted"),
    (exceptions.NotFound, "not_found"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.Throttled, "rate_limited"),
)


def code_of(exc) -> str:
    code = getattr(exc, "api_code", None)
    if code:
        return code
    for cls, name in _BY_CLASS:
        if isinstance(exc, cls):
            return name
    return "invalid"


def handle(exc, context):
    # Imported here: REST framework's views read the settings that name this module's
    # neighbours (auth.py), so a module-level import would be circular.
    from rest_framework.views import exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = code_of(exc)
    body = {"code": code, "message": both(MESSAGES.get(code, MESSAGES["invalid"]))}
    if isinstance(exc, ApiInvalid):
        body["errors"] = [
            {"field": field, "code": problem, "message": both(message)}
            for field, problem, message in exc.problems
        ]
    elif isinstance(exc, exceptions.ValidationError):
        # REST framework's own (a parser's, say): in the language of the request only.
        body["errors"] = [
            {"field": field, "code": "invalid", "message": {"text": str(detail)}}
            for field, details in (exc.detail.items() if isinstance(exc.detail, dict) else [])
            for detail in (details if isinstance(details, list) else [details])
        ]
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after_seconds"] = int(exc.wait)
    response.data = body
    request = context.get("request")
    if request is not None:
        request.api_error_code = code
    return response


def bad_input_response():
    """What the portal's bad-input guard answers on the API (before any view runs)."""
    from django.http import JsonResponse

    body = {"code": "bad_input", "message": both(MESSAGES["bad_input"])}
    return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
