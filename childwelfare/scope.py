"""Who may read a child's record and its alerts, as filters (queries.py says the rules in
words). Apart from queries.py so that the models' querysets (`ChildProfile.objects.visible_to`,
`Alert.objects.visible_to`) use them without importing the module that imports the models."""

from django.db.models import Q

from civilaffairs.accounts.access import scope_q
from civilaffairs.accounts.models import StaffRole

CW = StaffRole.Role.CHILD_WELFARE
DIRECTOR = StaffRole.Role.CHILDREN_DIRECTOR
SUPERVISOR = StaffRole.Role.SUPERVISOR
# Who works child-welfare cases (Service.staff_roles); case_staff_scope narrows it to the
# children whose record they may open.
CHILD_ROLES = (CW, DIRECTOR)
CHILD_REGION = "person__residence_region_id"


def worker_scope_q(user, prefix: str = "") -> Q:
    """Children a child-welfare worker's jurisdiction covers (region and level together)."""
    return scope_q(
        user,
        region_field=f"{prefix}{CHILD_REGION}",
        level_field=f"{prefix}confidentiality",
        roles=[CW],
    )


def director_scope_q(user, prefix: str = "") -> Q:
    """Children assigned to this director, in an area where they still hold the role."""
    if getattr(user, "is_superuser", False):
        return Q()
    return Q(**{f"{prefix}director": user}) & scope_q(
        user,
        region_field=f"{prefix}{CHILD_REGION}",
        level_field=f"{prefix}confidentiality",
        roles=[DIRECTOR],
    )


def child_scope_q(user) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return worker_scope_q(user) | director_scope_q(user)


def alert_scope_q(user) -> Q:
    """Alerts go to supervisors as well as to child-welfare staff: an alert names the child by
    a masked name only, so a supervisor can chase the director without opening the record."""
    if getattr(user, "is_superuser", False):
        return Q()
    region = f"profile__{CHILD_REGION}"
    return scope_q(user, region_field=region, roles=[CW, SUPERVISOR]) | director_scope_q(
        user, prefix="profile__"
    )
