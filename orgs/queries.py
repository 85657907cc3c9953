"""Permission-scoped reads of the social-organization domain (DESIGN §3.2).

Three kinds of reader besides the public:

- Authority staff see the organizations registered with their office or with an office below
  it inside their jurisdiction (a provincial bureau guides the city and county bureaus under
  it): a grant at level L with region prefix P sees organizations whose registration level is
  L or lower (a larger number) and whose authority lies in P. A township office registers
  nothing and sees nothing; another county sees nothing. The cases themselves are scoped by the
  platform (`Case.objects.visible_to`): a registration case carries the authority's region.
- Organization accounts (OrgAccount) see their own organization, its applications and
  reports, and act for its charity needs.
- Donors see their own offers and where they went.

Every `access_*` answers 404 for a row outside the reader's scope, like a row that does not
exist.
"""

from django.db.models import Q
from django.http import Http404

from civilaffairs.accounts.access import grants_for, has_role, holds_role, require_role
from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.models import Case
from civilaffairs.lib.lookup import get_or_404

from .models import (
    AnnualReport,
    CharityProject,
    Delivery,
    LateFiling,
    Match,
    Need,
    Offer,
    OrgAccount,
    Organization,
    OrgApplication,
)
from .scope import AUTHORITY_ROLES, authority_scope_q

# Who decides on registrations (approve / refuse) at the authority.
DECIDING_ROLES = (StaffRole.Role.APPROVER, StaffRole.Role.SUPERVISOR)
# Who grades annual reports.
GRADING_ROLES = AUTHORITY_ROLES
# Staff of an office who raise needs on behalf of households.
NEED_ROLES = AUTHORITY_ROLES


def is_staff(user) -> bool:
    """The registration authority's staff (AUTHORITY_ROLES), or the administrator."""
    return holds_role(user, AUTHORITY_ROLES)


def require_staff(user):
    """The registration authority's staff (AUTHORITY_ROLES); a registrar or a child-welfare
    worker of the same bureau is refused (403)."""
    require_role(user, AUTHORITY_ROLES)


def runs_projects_as_staff(user) -> bool:
    """Staff of an office that may publish the needs of a charity project (NEED_ROLES): the
    staff side of the charity pages (views.charity_home asks this, or an organization)."""
    return has_role(user, *NEED_ROLES)


# ----------------------------------------------------------------------------- authority staff


def holds_authority_grant(user, office_id: int | None, roles) -> bool:
    """Whether the user works at this very office in one of `roles` (the registration
    authority itself, not a colleague elsewhere who happens to see the case)."""
    if getattr(user, "is_superuser", False):
        return True
    return office_id is not None and any(
        g.office_id == office_id and g.role in roles for g in grants_for(user)
    )


ORG_ROW_RELATED = ("authority", "domicile_region")


def list_organizations_for_staff(user):
    require_staff(user)
    return Organization.objects.visible_to(user).select_related(*ORG_ROW_RELATED)


def access_organization_for_staff(user, pk) -> Organization:
    require_staff(user)
    return get_or_404(
        Organization.objects.visible_to(user).select_related(
            *ORG_ROW_RELATED, "legal_representative"
        ),
        pk,
    )


def list_late_filings_for_staff(user):
    require_staff(user)
    return LateFiling.objects.filter(authority_scope_q(user, "organization__")).select_related(
        "organization", "organization__authority"
    )


def access_application_for_staff(user, pk) -> OrgApplication:
    """An application whose case the staff member may see (the platform's one filter)."""
    require_staff(user)
    return get_or_404(
        OrgApplication.objects.filter(case__in=Case.objects.visible_to(user)).select_related(
            "case", "case__office", "organization", "legal_representative", "domicile_region"
        ),
        pk,
    )


def access_report_for_staff(user, pk) -> AnnualReport:
    require_staff(user)
    return get_or_404(
        AnnualReport.objects.filter(case__in=Case.objects.visible_to(user)).select_related(
            "case", "case__office", "organization"
        ),
        pk,
    )


# ----------------------------------------------------------------------------- organization side


def my_org_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_orgs_cache", None)
    if cached is None:
        cached = list(
            OrgAccount.objects.filter(user=user, is_active=True)
            .values_list("organization_id", flat=True)
            .order_by("organization_id")
        )
        user._orgs_cache = cached
    return cached


def forget_my_orgs(user):
    user.__dict__.pop("_orgs_cache", None)


def list_my_organizations(user):
    return Organization.objects.filter(pk__in=my_org_ids(user)).select_related(*ORG_ROW_RELATED)


def access_my_organization(user, pk) -> Organization:
    return get_or_404(list_my_organizations(user).select_related("legal_representative"), pk)


def _my_application_q(user) -> Q:
    q = Q(organization_id__in=my_org_ids(user))
    if getattr(user, "person_id", None):
        q |= Q(case__applicant_id=user.person_id)
    return q


def list_my_applications(user):
    if not getattr(user, "is_authenticated", False):
        return OrgApplication.objects.none()
    return OrgApplication.objects.filter(_my_application_q(user)).select_related(
        "case", "organization"
    )


def access_my_application(user, pk) -> OrgApplication:
    """An application the user filed, or one of their organization's."""
    return get_or_404(
        list_my_applications(user).select_related(
            "case__office", "legal_representative", "domicile_region"
        ),
        pk,
    )


def access_my_report(user, pk) -> AnnualReport:
    return get_or_404(
        AnnualReport.objects.filter(organization_id__in=my_org_ids(user)).select_related(
            "case", "case__office", "organization"
        ),
        pk,
    )


# ----------------------------------------------------------------------------- charity: needing side


def requester_q(user, prefix: str = "") -> Q:
    """Projects (or rows reached through `prefix`, e.g. "project__") the user may act for: the
    projects of their organizations, and of the offices in their jurisdiction."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(**{f"{prefix}organization_id__in": my_org_ids(user)})
    for g in grants_for(user):
        if g.role in NEED_ROLES:
            q |= Q(**{f"{prefix}office__region_prefix__startswith": g.region_prefix})
    return q


def list_projects_for_requester(user):
    return CharityProject.objects.filter(requester_q(user)).select_related(
        "organization", "office", "region"
    )


def access_project_for_requester(user, pk) -> CharityProject:
    return get_or_404(list_projects_for_requester(user), pk)


NEED_ROW_RELATED = ("project", "project__organization", "project__office", "region")


def list_needs_for_requester(user):
    return Need.objects.filter(requester_q(user, "project__")).select_related(*NEED_ROW_RELATED)


def access_need_for_requester(user, pk) -> Need:
    return get_or_404(
        list_needs_for_requester(user).select_related("household", "household__head"), pk
    )


def access_match_for_requester(user, pk) -> Match:
    return get_or_404(
        Match.objects.filter(requester_q(user, "need__project__")).select_related(
            "need", "offer", "need__project"
        ),
        pk,
    )


def access_delivery_for_requester(user, pk) -> Delivery:
    return get_or_404(
        Delivery.objects.filter(requester_q(user, "match__need__project__")).select_related(
            "match", "match__need", "match__offer"
        ),
        pk,
    )


# ----------------------------------------------------------------------------- charity: donors


def list_my_offers(user):
    if not getattr(user, "is_authenticated", False):
        return Offer.objects.none()
    return Offer.objects.filter(donor=user).select_related("region")


def access_my_offer(user, pk) -> Offer:
    return get_or_404(list_my_offers(user), pk)


def access_match_for_donor(user, pk) -> Match:
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_or_404(
        Match.objects.filter(offer__donor=user).select_related("need", "offer", "need__project"),
        pk,
    )
