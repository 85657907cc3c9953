"""Jurisdiction: the one place that decides which rows a staff member may see.

A staff member holds grants (StaffRole rows). Each grant covers its office's region subtree up
to a confidentiality level. `scope_q` turns a user's grants into one Q object that every staff
list, detail view, export and API applies, so a view cannot check the region and forget the
level, or the reverse. `access_*` helpers answer 404 for rows outside the scope, so a staff
member cannot even learn whether a record elsewhere exists.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from civilaffairs.lib.confidentiality import Confidentiality

from .models import AccessLog, StaffRole


@dataclass(frozen=True)
class Grant:
    office_id: int
    region_prefix: str
    office_level: int
    role: str
    max_level: int


def grants_for(user) -> tuple[Grant, ...]:
    """The user's active grants, read once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, "_grants_cache", None)
    if cached is not None:
        return cached
    if getattr(user, "has_staff_role", None) is False:
        # Read with the user this request (backends.PhoneOrUsernameBackend.get_user): no role.
        user._grants_cache = ()
        return ()
    rows = (
        StaffRole.objects.filter(user=user, is_active=True, office__is_active=True)
        .values_list(
            "office_id", "office__region_prefix", "office__level", "role", "max_confidentiality"
        )
        .order_by("office__level", "office_id", "role")
    )
    grants = tuple(Grant(*row) for row in rows)
    user._grants_cache = grants
    return grants


def forget_grants(user):
    user.__dict__.pop("_grants_cache", None)
    user.__dict__.pop("has_staff_role", None)  # a role granted since: ask the database again


def is_staff_member(user) -> bool:
    return bool(grants_for(user)) or getattr(user, "is_superuser", False)


def has_role(user, *roles: str) -> bool:
    return any(g.role in roles for g in grants_for(user))


def office_ids(user, roles: Iterable[str] | None = None) -> list[int]:
    roles = set(roles) if roles else None
    return sorted({g.office_id for g in grants_for(user) if roles is None or g.role in roles})


def scope_q(
    user,
    *,
    region_field: str,
    level_field: str | None = None,
    roles: Iterable[str] | None = None,
) -> Q:
    """Rows whose region lies in one of the user's jurisdictions, at a confidentiality level the
    same grant allows. `region_field` names a region-code column (a FK to Region ends in `_id`).

    A superuser (the system administrator) sees everything; a user with no matching grant sees
    nothing.
    """
    if getattr(user, "is_superuser", False):
        return Q()
    roles = set(roles) if roles else None
    # The highest level granted per prefix: one OR term per jurisdiction, not per role.
    best: dict[str, int] = {}
    for g in grants_for(user):
        if roles is not None and g.role not in roles:
            continue
        best[g.region_prefix] = max(best.get(g.region_prefix, -1), g.max_level)
    if not best:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for prefix, level in best.items():
        term = Q(**{f"{region_field}__startswith": prefix})
        if level_field:
            term &= Q(**{f"{level_field}__lte": level})
        q |= term
    return q


def person_scope_q(user) -> Q:
    """People who live or hold hukou in the user's jurisdiction."""
    return scope_q(user, region_field="residence_region_id") | scope_q(
        user, region_field="hukou_region_id"
    )


def max_level_for(user, region_code: str) -> int:
    """The highest confidentiality level the user may see for a row in this region, or -1."""
    if getattr(user, "is_superuser", False):
        return Confidentiality.SENSITIVE
    levels = [g.max_level for g in grants_for(user) if region_code.startswith(g.region_prefix)]
    return max(levels, default=-1)


def require_staff(user):
    if not is_staff_member(user):
        raise PermissionDenied


def access_person(user, pk):
    """A person in the user's jurisdiction, or 404."""
    from civilaffairs.people.models import Person

    require_staff(user)
    try:
        return (
            Person.objects.visible_to(user)
            .select_related("hukou_region", "residence_region")
            .get(pk=pk)
        )
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def log_access(user, action: str, obj, *, detail: str = "", request=None) -> AccessLog:
    ip = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR")
    return AccessLog.objects.create(
        user=user,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        detail=detail[:200],
        ip_address=ip,
    )
