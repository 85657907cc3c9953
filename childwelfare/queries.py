"""Who may read a child's record: narrower than anywhere else in the portal.

* Staff holding the child-welfare role in the child's jurisdiction, at the strictest
  confidentiality level (the platform's `scope_q`: region and level together).
* The children's director assigned to the child, while they hold that role there.
* A citizen who is the child's current guardian: their own children, nobody else's.

A caseworker with only the social-assistance role (confidential level) sees none of it, and the
platform's case pages refuse them too: child-welfare cases are SENSITIVE. Every opening of a
child's record is written to the access log (who, when, which record, from where).
"""

from django.db.models import Q

from civilaffairs.accounts.access import grants_for, log_access, require_staff, scope_q
from civilaffairs.accounts.models import AccessLog, Office, User
from civilaffairs.casework.models import Case
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.people.models import Region

from .models import Alert, AllowanceGrant, ChildProfile, IntakeReport, Resource
from .scope import CHILD_REGION, CW, DIRECTOR, SUPERVISOR, child_scope_q, worker_scope_q

SERVICES = ("childwelfare.intake", "childwelfare.allowance")
CHILD_ROW_RELATED = ("person__residence_region", "director")
CHILD_DETAIL_RELATED = (
    "person__residence_region",
    "person__hukou_region",
    "director",
    "father",
    "mother",
)


def children_visible_to(user):
    return ChildProfile.objects.visible_to(user)


def access_child(user, pk, *, request=None, purpose: str = "view") -> ChildProfile:
    """A child's record the member of staff may open, or 404; the opening is logged."""
    require_staff(user)
    profile = get_or_404(children_visible_to(user).select_related(*CHILD_DETAIL_RELATED), pk)
    log_access(user, AccessLog.Action.VIEW_RECORD, profile, detail=purpose, request=request)
    return profile


def can_work_on(user, profile: ChildProfile) -> bool:
    """The child-welfare role in the child's jurisdiction (not only the director's access):
    categories, guardians, assessments, plans and allowances are the worker's."""
    if getattr(user, "is_superuser", False):
        return True
    return ChildProfile.objects.filter(worker_scope_q(user), pk=profile.pk).exists()


def can_visit(user, profile: ChildProfile) -> bool:
    return ChildProfile.objects.filter(child_scope_q(user), pk=profile.pk).exists()


def case_staff_scope(user) -> Q:
    """Service.staff_scope of both child-welfare services: a case about a child whose record
    the user may open. Case.objects.visible_to ANDs it in, so the platform's queues and case
    pages hide child cases from everyone else in the same office (other roles, directors of
    other children). Subqueries rather than joins, so the queue query keeps its plan."""
    if not getattr(user, "is_superuser", False) and not any(
        g.role in (CW, DIRECTOR) for g in grants_for(user)
    ):
        return Q(pk__in=[])  # most staff: no child-welfare role, no subqueries to build
    visible = children_visible_to(user).values("pk")
    return Q(pk__in=IntakeReport.objects.filter(profile__in=visible).values("case_id")) | Q(
        pk__in=AllowanceGrant.objects.filter(profile__in=visible).values("case_id")
    )


def child_cases_visible_to(user):
    """Child-welfare cases the user may work: in the platform's case scope (region and level)
    and about a child whose record the user may open (case_staff_scope, through visible_to)."""
    return Case.objects.visible_to(user).filter(service__in=SERVICES)


def access_child_case(user, pk, *, service: str, request=None, purpose: str = "case") -> Case:
    """A child-welfare case of one service, or 404; opening it opens the child's record, so it
    is logged against the record."""
    require_staff(user)
    case = get_or_404(
        child_cases_visible_to(user)
        .filter(service=service)
        .select_related("region", "office", "assignee"),
        pk,
    )
    details = case.details()
    log_access(
        user,
        AccessLog.Action.VIEW_RECORD,
        details.profile,
        detail=f"{purpose} {case.reference}",
        request=request,
    )
    return case


def list_waiting_cases(user):
    """Child-welfare cases waiting for someone to act (the worker's to-do list)."""
    return (
        child_cases_visible_to(user)
        .open()
        .queued()
        .filter(submitted_at__isnull=False)
        .select_related(
            "region", "child_intake__profile__person", "child_allowance__profile__person"
        )
        .queue_order()
    )


def alerts_visible_to(user):
    return Alert.objects.visible_to(user)


def access_alert(user, pk) -> Alert:
    require_staff(user)
    return get_or_404(
        alerts_visible_to(user).select_related("profile__person", "profile__director"), pk
    )


def can_resolve_alert(user, alert: Alert) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return Alert.objects.filter(
        scope_q(user, region_field=f"profile__{CHILD_REGION}", roles=[CW, SUPERVISOR]),
        pk=alert.pk,
    ).exists()


# --------------------------------------------------------------------------- guardians


def list_children_for_guardian(user):
    return ChildProfile.objects.of_guardian(user).select_related("person", "director")


def access_child_for_guardian(user, pk, *, request=None) -> ChildProfile:
    """One of the citizen's own wards, or 404 (another child is answered like no child)."""
    profile = get_or_404(
        ChildProfile.objects.of_guardian(user).select_related("person", "director"), pk
    )
    log_access(user, AccessLog.Action.VIEW_RECORD, profile, detail="guardian", request=request)
    return profile


# --------------------------------------------------------------------------- staff lookups


def staff_covering(region_code: str, roles) -> "list[User]":
    """Active staff whose office's jurisdiction covers the region, in any of the roles."""
    offices = Office.objects.covering(region_code).values("pk")
    return list(
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role__in=list(roles),
            staff_roles__office__in=offices,
        )
        .distinct()
        .order_by("username")
    )


def directors_for(region_code: str):
    """Children's directors who may be assigned to a child living in this region."""
    offices = Office.objects.covering(region_code).values("pk")
    return (
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role=DIRECTOR,
            staff_roles__office__in=offices,
        )
        .distinct()
        .select_related("person")
        .order_by("username")
    )


def item_owners_for(region_code: str):
    """Staff who may own an item of a child's plan: child-welfare staff and directors whose
    jurisdiction covers the child."""
    offices = Office.objects.covering(region_code).values("pk")
    return (
        User.objects.filter(
            is_active=True,
            staff_roles__is_active=True,
            staff_roles__role__in=[CW, DIRECTOR],
            staff_roles__office__in=offices,
        )
        .distinct()
        .select_related("person")
        .order_by("username")
    )


def resources_for(user):
    """Active resources that serve some part of the user's areas: those of the areas above an
    office (the city's, the province's) and those inside it, each with its free places."""
    qs = Resource.objects.active().with_load().select_related("region")
    if getattr(user, "is_superuser", False):
        return qs
    q = Q(pk__in=[])
    for g in grants_for(user):
        q |= Q(region_prefix__in=Region.prefix_chain(g.region_prefix))
        q |= Q(region_prefix__startswith=g.region_prefix)
    return qs.filter(q)
