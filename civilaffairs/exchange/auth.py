"""How an API call is let in: the token (OAuth2 client credentials), the client's grant in
force, the endpoint in that grant, the purpose stated, and the client's rate and daily quota.
The grant becomes an `accounts.access.ServicePrincipal`, so every read is limited by the same
jurisdiction code as a staff member's."""

import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from civilaffairs.accounts.access import API_ROLE, Grant, ServicePrincipal, require_endpoint

from .errors import ApiError, QuotaExceeded, RateLimited
from .models import ApiGrant


def principal_of(grant: ApiGrant) -> ServicePrincipal:
    return ServicePrincipal(
        client_id=grant.application.client_id,
        department=grant.department,
        grant=Grant(
            office_id=0,
            region_prefix=grant.region.prefix,
            office_level=grant.region.level,
            role=API_ROLE,
            max_level=grant.max_confidentiality,
        ),
        endpoints=frozenset(grant.endpoints),
        may_see_id_number=grant.may_see_id_number,
    )


class ClientAuthentication(OAuth2Authentication):
    """A bearer token from /api/v1/oauth/token/ whose client holds a grant in force. A staff
    member's session does not open the API: there is no session authentication here."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            if getattr(request._request, "oauth2_error", None) or request.META.get(
                "HTTP_AUTHORIZATION"
            ):
                raise exceptions.AuthenticationFailed()
            return None
        _user, token = found
        grant = (
            ApiGrant.objects.in_force()
            .select_related("application", "region")
            .prefetch_related("purposes")
            .filter(application_id=token.application_id)
            .first()
        )
        if grant is None:
            raise ApiError("no_grant", 403)
        request.api_grant = grant
        return principal_of(grant), token


class GrantAllows(BasePermission):
    """The view's endpoint is in the client's grant and the request states a purpose the
    grant lists (with a reference where the purpose needs one)."""

    def has_permission(self, request, view):
        principal = request.user
        if not isinstance(principal, ServicePrincipal):
            raise exceptions.NotAuthenticated()
        try:
            require_endpoint(principal, view.endpoint)
        except DjangoPermissionDenied:
            raise ApiError("endpoint_not_granted", 403) from None
        code = request.headers.get("X-Purpose", "").strip()
        if not code:
            raise ApiError("purpose_required", 400)
        purpose = next((p for p in request.api_grant.purposes.all() if p.code == code), None)
        if purpose is None:
            raise ApiError("purpose_not_granted", 403)
        reference = request.headers.get("X-Reference", "").strip()
        if purpose.needs_reference and not reference:
            raise ApiError("reference_required", 400)
        request.api_purpose = purpose.code
        request.api_purpose_text = purpose.description
        request.api_reference = reference[:64]
        return True


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


class ClientThrottle(BaseThrottle):
    """Per client: calls per minute (429, try again shortly) and per day (429 until midnight),
    counted in Redis so every web process shares the count."""

    def allow_request(self, request, view):
        grant = getattr(request, "api_grant", None)
        if grant is None:
            return True
        now = time.time()
        minute = int(now // 60)
        if _count(f"api:minute:{grant.pk}:{minute}", 120) > grant.per_minute:
            raise RateLimited(wait=60 - now % 60)
        today = timezone.localdate()
        if _count(f"api:day:{grant.pk}:{today.isoformat()}", 26 * 3600) > grant.per_day:
            local = timezone.localtime()
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            wait = 86400 - (local - midnight).total_seconds()
            raise QuotaExceeded(wait=wait)
        return True
