"""Which organizations a member of staff's authority covers, as a filter (queries.py says the
rule in words). Apart from queries.py so that `Organization.objects.visible_to` uses it without
importing the module that imports the models."""

from django.db.models import Q

from civilaffairs.accounts.access import grants_for
from civilaffairs.accounts.models import Office, StaffRole

AUTHORITY_ROLES = (
    StaffRole.Role.CASEWORKER,
    StaffRole.Role.REVIEWER,
    StaffRole.Role.APPROVER,
    StaffRole.Role.SUPERVISOR,
)


def authority_scope_q(user, prefix: str = "") -> Q:
    """Organizations (or rows reached through `prefix`, e.g. "organization__") within the
    user's authority: see orgs.queries' docstring."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    for g in grants_for(user):
        if g.role not in AUTHORITY_ROLES or g.office_level > Office.Level.COUNTY:
            continue
        q |= Q(
            **{
                f"{prefix}authority__region_prefix__startswith": g.region_prefix,
                f"{prefix}registration_level__gte": g.office_level,
            }
        )
    return q
