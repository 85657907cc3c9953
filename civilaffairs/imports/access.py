"""Who may import and who decides possible duplicates.

Importing writes the person register in bulk, so it takes the `imports.run_import` permission
(given by the administrator) on top of a registry role; the rows must lie in the importer's
jurisdiction. Deciding a possible duplicate is a merge, so it is for the registry roles
(portal.register_views: whoever may merge two records) in the area of the imported row.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from civilaffairs.accounts.access import REGISTRY_ROLES, has_role, region_prefixes, scope_q

from .models import Candidate, ImportBatch


def may_review(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or has_role(user, *REGISTRY_ROLES))


def may_import(user) -> bool:
    return bool(
        getattr(user, "is_superuser", False)
        or (user.has_perm("imports.run_import") and has_role(user, *REGISTRY_ROLES))
    )


def require_importer(user):
    if not may_import(user):
        raise PermissionDenied


def require_reviewer(user):
    if not may_review(user):
        raise PermissionDenied


def import_prefixes(user):
    return region_prefixes(user, REGISTRY_ROLES)


def batches_of(user):
    """The imports of the user's area (an importer sees the batches of colleagues whose area
    lies in theirs: a county sees its townships' imports)."""
    return ImportBatch.objects.filter(scope_q(user, region_field="region_id", roles=REGISTRY_ROLES))


def access_batch(user, pk) -> ImportBatch:
    require_importer(user)
    batch = batches_of(user).select_related("region", "uploaded_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


def candidates_of(user):
    """Pairs whose imported row lies in the user's area and whose record on the register the
    user may open (a county's import can pair a row with someone of another township)."""
    from civilaffairs.people.models import Person

    return Candidate.objects.filter(
        scope_q(user, region_field="region_id", roles=REGISTRY_ROLES),
        person__in=Person.objects.visible_to(user, roles=REGISTRY_ROLES),
    )


def access_candidate(user, pk) -> Candidate:
    require_reviewer(user)
    candidate = (
        candidates_of(user)
        .select_related("row__batch", "row__person", "person", "region")
        .filter(pk=pk)
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate
