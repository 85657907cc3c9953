"""The directory of support resources, kept by staff."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Region

from ..models import Resource

RESOURCE_FIELDS = {
    "name",
    "kind",
    "needs",
    "region",
    "capacity",
    "contact_name",
    "phone",
    "address",
    "description",
    "is_active",
}


@transaction.atomic
def do_save_resource(resource: Resource | None = None, *, acting_user, **fields) -> Resource:
    """Create or change a catalogue entry (administrators, through the admin)."""
    unknown = set(fields) - RESOURCE_FIELDS
    if unknown:
        raise ValueError(f"not a resource field: {sorted(unknown)}")
    if resource is not None and resource.pk:
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
    else:
        resource = Resource()
    for k, v in fields.items():
        setattr(resource, k, v)
    if isinstance(resource.region, Region):
        resource.sync_region_prefix()
    resource.needs = sorted(set(resource.needs or []))
    if not resource.needs:
        raise ValidationError({"needs": _("Say what support the resource offers.")})
    resource.full_clean(exclude=["region_prefix"])
    return _save(resource, acting_user)
