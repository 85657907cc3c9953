"""Jurisdiction: the one place that decides which rows a staff member may see.

A staff member holds grants (StaffRole rows). Each grant covers its office's region subtree up
to a confidentiality level. `scope_q` turns a user's grants into one Q object that every staff
list, detail view, export and API applies, so a view cannot check the region and forget the
level, or the reverse. `access_*` helpers answer 404 for rows outside the scope, so a staff
member cannot even learn whether a record elsewhere exists.
"""

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404

from civilaffairs.lib.confidentiality import Confidentiality

from .models import CASEWORK_ROLES, AccessLog, Office, StaffRole

# Who registers people and households, corrects them and merges duplicate records in the
# staff registry: the casework roles (a caseworker and above), in their jurisdiction. A
# registrar or a child-welfare worker may read a record of their area, not write it.
REGISTRY_ROLES = tuple(CASEWORK_ROLES)


@dataclass(frozen=True)
class Grant:
    office_id: int
    region_prefix: str
    office_level: int
    role: str
    max_level: int


def grants_sql(user_id_sql: str) -> str:
    """A user's active grants (active roles at active offices) as one JSON array of
    [office_id, region_prefix, office_level, role, max_level], in a fixed order: the one
    definition of what a user may do. Read with the user on every request (user_with_grants)
    or on its own (grants_for)."""
    # The text holds table names from _meta and `user_id_sql`, which its two callers below
    # pass as "%s" (a parameter) or "u.id" (a column): never a value.
    return (
        "SELECT COALESCE(json_agg(json_build_array(r.office_id, o.region_prefix, o.level,"  # noqa: S608
        " r.role, r.max_confidentiality) ORDER BY o.level, r.office_id, r.role), '[]')::text"
        f" FROM {StaffRole._meta.db_table} r JOIN {Office._meta.db_table} o ON o.id = r.office_id"
        f" WHERE r.user_id = {user_id_sql} AND r.is_active AND o.is_active"
    )


# The role an API client's grant holds: it works no service's queue and writes nothing through
# the staff pages; what it may read or send is its grant's endpoints (require_endpoint).
API_ROLE = "api"


@dataclass(frozen=True)
class ServicePrincipal:
    """Another department's system calling the API (civilaffairs/exchange), limited exactly as
    a staff member is: its grant is a Grant of the role API_ROLE over a region subtree up to a
    confidentiality level, so scope_q, person_scope_q and every queryset built on them limit
    it with the same code that limits staff. What it may call is its grant's endpoints."""

    client_id: str
    department: str
    grant: Grant
    endpoints: frozenset[str]
    may_see_id_number: bool

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False
    pk: ClassVar[None] = None

    @property
    def _grants_cache(self) -> tuple[Grant, ...]:
        return (self.grant,)


def require_endpoint(principal, endpoint: str):
    """PermissionDenied unless the caller is an API client whose grant names `endpoint`
    (e.g. "persons:read"). A staff member's session never opens the API."""
    if not isinstance(principal, ServicePrincipal) or endpoint not in principal.endpoints:
        raise PermissionDenied


def _grants(text: str) -> tuple[Grant, ...]:
    return tuple(Grant(*row) for row in json.loads(text))


def grants_for(user) -> tuple[Grant, ...]:
    """The user's active grants, read once per request (cached on the user object; a user
    signed in through the session arrives with them, see user_with_grants)."""
    if not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, "_grants_cache", None)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(grants_sql("%s"), [user.pk])
        grants = _grants(cursor.fetchone()[0])
    user._grants_cache = grants
    return grants


@functools.cache
def _user_statement() -> tuple[str, list[str]]:
    from .models import User

    fields = User._meta.concrete_fields
    columns = ", ".join(f'u."{f.column}"' for f in fields)
    sql = (
        f"SELECT {columns}, ({grants_sql('u.id')}), ({_permissions_sql('u.id')}) "  # noqa: S608 (names from _meta; the id is a parameter)
        f"FROM {User._meta.db_table} u WHERE u.id = %s"
    )
    return sql, [f.attname for f in fields]


def _permissions_sql(user_id_sql: str) -> str:
    """A JSON array of the user's permissions, as Django's ModelBackend names them
    ("app_label.codename"): their own and their groups'. Every table and column name comes
    from the models' _meta."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from .models import User

    own = User.user_permissions.through._meta
    member = User.groups.through._meta
    given = Group.permissions.through._meta
    own_user = own.get_field("user").column
    own_perm = own.get_field("permission").column
    member_user = member.get_field("user").column
    member_group = member.get_field("group").column
    given_group = given.get_field("group").column
    given_perm = given.get_field("permission").column
    return (
        "SELECT coalesce(json_agg(DISTINCT ct.app_label || '.' || p.codename), '[]')::text "  # noqa: S608 (names from _meta)
        f"FROM {Permission._meta.db_table} p "
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT {own_perm} FROM {own.db_table} WHERE {own_user} = {user_id_sql} "
        f"UNION SELECT g.{given_perm} FROM {given.db_table} g "
        f"JOIN {member.db_table} m ON m.{member_group} = g.{given_group} "
        f"WHERE m.{member_user} = {user_id_sql})"
    )


def user_with_grants(user_id):
    """The signed-in user, their grants and their permissions in one statement, or None.
    Every signed-in request reads its user: asking for the grants in the same round trip, with SQL written once per
    process (not built by the ORM each time; the user's id is a parameter), takes a query and
    its compiling off every staff page, and tells a citizen's page at once that there are
    none."""
    from .models import User

    sql, attnames = _user_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, attnames, row[:-2])
    user._grants_cache = _grants(row[-2])
    # What ModelBackend.get_all_permissions keeps on the user for the request: has_perm (the
    # staff menu asks for the import permission on every staff page) then costs no query. Not
    # for a superuser: Django gives them every permission there is (has_perm answers yes
    # without asking), which their own rows do not list.
    if not user.is_superuser:
        user._perm_cache = set(json.loads(row[-1]))
    return user


def forget_grants(user):
    user.__dict__.pop("_grants_cache", None)


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


def person_scope_q(user, roles: Iterable[str] | None = None) -> Q:
    """People who live or hold hukou in the user's jurisdiction (through a grant in one of
    `roles`, when given)."""
    return scope_q(user, region_field="residence_region_id", roles=roles) | scope_q(
        user, region_field="hukou_region_id", roles=roles
    )


def region_prefixes(user, roles: Iterable[str] | None = None) -> tuple[str, ...] | None:
    """The region-code prefixes of the user's jurisdictions (through a grant in one of
    `roles`, when given), shortest first; None for the administrator, who has every region."""
    if getattr(user, "is_superuser", False):
        return None
    roles = set(roles) if roles else None
    return tuple(
        sorted(
            {g.region_prefix for g in grants_for(user) if roles is None or g.role in roles},
            key=lambda p: (len(p), p),
        )
    )


def max_level_for(user, region_code: str, roles: Iterable[str] | None = None) -> int:
    """The highest confidentiality level the user may see for a row in this region (through
    a grant in one of `roles`, when given), or -1."""
    if getattr(user, "is_superuser", False):
        return Confidentiality.SENSITIVE
    roles = set(roles) if roles else None
    levels = [
        g.max_level
        for g in grants_for(user)
        if region_code.startswith(g.region_prefix) and (roles is None or g.role in roles)
    ]
    return max(levels, default=-1)


def require_staff(user):
    if not is_staff_member(user):
        raise PermissionDenied


def holds_role(user, roles: Iterable[str]) -> bool:
    """Whether the user holds one of `roles` somewhere, or is the administrator: who may open
    a page of a domain's staff (require_role), and so whom its menu link is shown to."""
    return bool(getattr(user, "is_superuser", False) or has_role(user, *roles))


def require_role(user, roles: Iterable[str]):
    """403 unless the user holds one of `roles` somewhere (or is the administrator): a page of
    a domain's staff is not for staff of another line of work (a registrar, say)."""
    if not holds_role(user, roles):
        raise PermissionDenied


def access_person(user, pk, roles: Iterable[str] | None = None):
    """A person in the user's jurisdiction, or 404. With `roles`, the user must hold one of
    them (403 otherwise, whoever is asked about) and the person must lie in a jurisdiction of
    such a grant: the registry's writing pages are for casework staff, not for a registrar
    who may read the record."""
    from civilaffairs.people.models import Person

    require_staff(user)
    if roles is not None:
        require_role(user, roles)
    try:
        return (
            Person.objects.visible_to(user, roles=roles)
            .select_related("hukou_region", "residence_region")
            .get(pk=pk)
        )
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_household(user, pk, roles: Iterable[str]):
    """A household whose region lies in a jurisdiction of one of the user's grants in `roles`,
    or 404 (403 for a user holding none of `roles`)."""
    from civilaffairs.people.models import Household

    require_staff(user)
    require_role(user, roles)
    try:
        return (
            Household.objects.filter(scope_q(user, region_field="region_id", roles=roles))
            .select_related("region", "head")
            .get(pk=pk)
        )
    except (Household.DoesNotExist, ValueError, TypeError):
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
