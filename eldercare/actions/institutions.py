"""Elder-care institutions and their occupancy."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history as _save

from ..models import (
    Institution,
)
from .common import _lock, provider_of, staff_covers

# =========================================================================== institutions


@transaction.atomic
def do_create_institution(*, acting_user, **fields) -> Institution:
    inst = Institution(**fields)
    inst.full_clean()
    return _save(inst, acting_user)


def may_update_institution(user, inst: Institution) -> bool:
    provider = provider_of(user)
    if provider is not None and inst.operator_id == provider.pk:
        return True
    return staff_covers(user, inst.region_id)


@transaction.atomic
def do_update_occupancy(
    inst: Institution, *, acting_user, beds_occupied: int, beds_total: int | None = None
) -> Institution:
    inst = _lock(Institution, inst.pk)
    if not may_update_institution(acting_user, inst):
        raise PermissionDenied
    total = inst.beds_total if beds_total is None else beds_total
    if beds_occupied < 0 or total < 0:
        raise ValidationError(_("Numbers of beds cannot be negative."))
    if beds_occupied > total:
        raise ValidationError({"beds_occupied": _("More beds occupied than the institution has.")})
    inst.beds_total = total
    inst.beds_occupied = beds_occupied
    inst.occupancy_updated_at = timezone.now()
    return _save(inst, acting_user, "occupancy")
