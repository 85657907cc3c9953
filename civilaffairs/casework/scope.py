"""A staff member's jurisdiction over cases as one frozen value.

Everything `Case.objects.visible_to(user)` is built from sits in one `Scope`: the user's id and
flag, their active grants (each an office, its region prefix and level, a role and the highest
confidentiality level it allows), and which services the roles they hold work. Anything kept
for a user's view of the cases (the counts above a long queue, a cached fragment that shows
cases) is keyed by `Scope.cache_key()`, which hashes every field. A new field is part of the key
without anyone having to remember it, and a changed grant or a new service is a new key, so
nothing counted for one jurisdiction is ever shown to another.

It lives in casework rather than in accounts.access because the services belong to casework's
registry (accounts is a layer below).
"""

import dataclasses
import hashlib

from civilaffairs.accounts.access import Grant, grants_for

from .registry import narrowed_services, services_by_staff_roles


@dataclasses.dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_superuser: bool
    grants: tuple[Grant, ...]
    # For each set of roles that works some services and of which the user holds one: those
    # roles and the services they work (registry.services_by_staff_roles).
    services: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    # The services above whose cases a rule of their own narrows further
    # (Service.staff_scope, built from the user and their grants alone).
    narrowed: tuple[str, ...]
    # Every registered service by the roles that work it, held or not: visible_to names the
    # services a user's roles do not work, so a service registered later is another scope.
    registry: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]

    @classmethod
    def of(cls, user) -> "Scope":
        """The user's scope as it is now (their grants are read once per request)."""
        is_superuser = bool(getattr(user, "is_superuser", False))
        grants = grants_for(user)
        held = {g.role for g in grants}
        registry = tuple(services_by_staff_roles())
        services = tuple(
            (roles, codes) for roles, codes in registry if is_superuser or held.intersection(roles)
        )
        worked = {code for _roles, codes in services for code in codes}
        narrowed = tuple(sorted(s.code for s in narrowed_services() if s.code in worked))
        return cls(
            user_id=getattr(user, "pk", None),
            is_superuser=is_superuser,
            grants=grants,
            services=services,
            narrowed=narrowed,
            registry=registry,
        )

    @property
    def offices(self) -> tuple[int, ...]:
        return tuple(sorted({g.office_id for g in self.grants}))

    @property
    def region_prefixes(self) -> tuple[str, ...]:
        return tuple(sorted({g.region_prefix for g in self.grants}))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(sorted({g.role for g in self.grants}))

    def cache_key(self) -> str:
        """A digest of every field: equal scopes, equal keys; any difference, another key."""
        values = tuple(getattr(self, f.name) for f in dataclasses.fields(self))
        return "scope:" + hashlib.sha256(repr(values).encode()).hexdigest()
