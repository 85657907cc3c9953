"""Who acts for whom, and what every topic of elder care's actions shares."""

import logging

from django.core.exceptions import PermissionDenied

from civilaffairs.accounts.access import grants_for
from civilaffairs.accounts.models import StaffRole

from ..models import (
    Booking,
    FamilyLink,
    Provider,
    ProviderMember,
)

log = logging.getLogger(__name__)

BOOKING_PREFIX = "YLFW"
# Bookings a care plan keeps ahead of today; the daily task moves the horizon on.
PLAN_HORIZON_DAYS = 14
CW = StaffRole.Role.CASEWORKER


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _pk(obj_or_pk):
    return getattr(obj_or_pk, "pk", obj_or_pk)


# =========================================================================== who acts for whom


def acts_for(user, elder_id: int) -> bool:
    """The elder themself, or a family member whose link is confirmed."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.person_id and user.person_id == elder_id:
        return True
    return FamilyLink.objects.confirmed().filter(family=user, elder_id=elder_id).exists()


def staff_covers(user, region_code: str, roles=None) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(
        region_code.startswith(g.region_prefix) and (roles is None or g.role in roles)
        for g in grants_for(user)
    )


def provider_of(user) -> Provider | None:
    if not getattr(user, "is_authenticated", False):
        return None
    member = (
        ProviderMember.objects.select_related("provider")
        .filter(user=user, is_active=True, provider__is_active=True)
        .first()
    )
    return member.provider if member else None


def _require_provider(booking: Booking, user):
    provider = provider_of(user)
    if provider is None or provider.pk != booking.provider_id:
        raise PermissionDenied
