"""Permission-scoped reads of cases and documents (DESIGN §3.2).

Staff reads go through `Case.objects.visible_to(user)`, which applies the region subtree and the
confidentiality level together; citizens read through `Case.objects.of_citizen(user)`. A row
outside the reader's scope is answered with 404, exactly like a row that does not exist, so no
one learns what lies in another office's area.
"""

import dataclasses
import datetime as dt
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from civilaffairs.accounts.access import (
    grants_for,
    is_staff_member,
    office_ids,
    require_staff,
    scope_q,
)
from civilaffairs.accounts.models import StaffRole, User

from .models import Case, Document, Notification
from .workflow import all_workflows, queued_states

# What a row of a staff list shows; select_related keeps a list page at a fixed query count.
CASE_ROW_RELATED = ("region", "office", "applicant")
# The columns a queue row shows (and its keyset order): a list page reads these, not every
# column of five tables. Building and reading ~90 columns cost more than the query itself.
CASE_ROW_FIELDS = (
    "id",
    "reference",
    "service",
    "state",
    "priority",
    "queue_rank",
    "submitted_at",
    "due_at",
    "closed_at",
    "region",
    "region__name",
    "office",
    "office__name",
    "applicant",
    "applicant__name",
)
# Three joins, not six: PostgreSQL spent more time planning the six-join version (1.4 ms)
# than running it (0.1 ms). The beneficiary is read only when it is someone other than the
# applicant (rare), and the assignee's name with one small query (assignee_name).
CASE_DETAIL_RELATED = (
    "region",
    "office",
    "applicant",
)


def _get_or_404(qs, pk):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_case(user, pk) -> Case:
    """A case in the staff member's jurisdiction and level, or 404 (PermissionDenied for a user
    who is not staff at all)."""
    require_staff(user)
    case = _get_or_404(Case.objects.visible_to(user).select_related(*CASE_DETAIL_RELATED), pk)
    case._read_as_visible_to = user.pk  # see Case.is_visible_to
    return case


def assignee_name(case: Case) -> str:
    """Who has the case, in one small query (the case page does not join user and person)."""
    if case.assignee_id is None:
        return ""
    row = (
        User.objects.filter(pk=case.assignee_id)
        .values_list("person__name", "first_name", "last_name", "username")
        .first()
    )
    return User.name_to_show(*row) if row else ""


def access_citizen_case(user, pk) -> Case:
    """One of the citizen's own cases (applicant or beneficiary), or 404."""
    return _get_or_404(Case.objects.of_citizen(user).select_related("region", "office"), pk)


def documents_visible_to(user):
    """Documents a staff member may open: the case in scope, and the document's own level
    allowed by a grant covering the case's region."""
    visible_cases = Case.objects.visible_to(user).values("pk")
    return Document.objects.filter(case__in=visible_cases).filter(
        scope_q(user, region_field="case__region_id", level_field="confidentiality")
    )


def access_document(user, pk) -> Document:
    """A document that the user may download, or 404: staff in scope at the document's level,
    or the applicant / beneficiary of its case."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    q = Q(pk__in=[])
    if is_staff_member(user):
        q |= Q(pk__in=documents_visible_to(user).values("pk"))
    if user.person_id:
        q |= Q(case__in=Case.objects.of_citizen(user).values("pk"), shared_with_applicant=True)
    return _get_or_404(Document.objects.filter(q).select_related("case"), pk)


# ----------------------------------------------------------------------------- staff queues


def supervised_office_q(user) -> Q:
    """The offices whose queues the user may hand out: every office under a supervisor's
    jurisdiction, and an approver's own office (as actions._check_supervisor allows)."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    for g in grants_for(user):
        if g.role == StaffRole.Role.SUPERVISOR:
            q |= Q(office__region_prefix__startswith=g.region_prefix)
        if g.role in (StaffRole.Role.SUPERVISOR, StaffRole.Role.APPROVER):
            q |= Q(office_id=g.office_id)
    return q


def state_rows(qs) -> list[tuple[str, str, int]]:
    """(service, state, count) of a queue in one GROUP BY."""
    return [tuple(r) for r in qs.order_by().values_list("service", "state").annotate(n=Count("id"))]


def label_state_rows(rows) -> list[tuple[str, str, int]]:
    """(state, label, count), each state labelled by the workflows actually present (in the
    current language), in workflow order."""
    counts: dict[str, int] = {}
    labels: dict[str, list[str]] = {}
    order: dict[str, tuple[int, int]] = {}
    for service, state, n in rows:
        counts[state] = counts.get(state, 0) + n
        wf = all_workflows().get(service)
        names = list(wf.states) if wf else []
        label = str(wf.states[state].label) if wf and state in wf.states else state
        if label not in labels.setdefault(state, []):
            labels[state].append(label)
        rank = (names.index(state) if state in names else len(names), 0)
        order[state] = min(order.get(state, rank), rank)
    return [
        (state, " / ".join(labels[state]), counts[state])
        for state in sorted(counts, key=lambda s: (order[s], s))
    ]


def counts_by_state(qs) -> list[tuple[str, str, int]]:
    return label_state_rows(state_rows(qs))


def queue_counts_key(user, which: str, filters: dict) -> str:
    """Per database (parallel test runs share a Redis), user, jurisdiction and filter."""
    grants = sorted(dataclasses.astuple(g) for g in grants_for(user))
    raw = json.dumps(
        [connection.settings_dict["NAME"], which, user.pk, user.is_superuser, grants, filters],
        sort_keys=True,
    )
    return "casework:queue-counts:v1:" + hashlib.sha256(raw.encode()).hexdigest()


def queue_counts(user, which: str, qs, filters: dict) -> tuple[list, dt.datetime | None]:
    """The per-state counts above a staff queue, and when they were counted if not just now.

    A large queue (QUEUE_COUNTS_CACHE_FROM cases or more) is counted at most once every
    QUEUE_COUNTS_SECONDS per user, jurisdiction and filter: the rows of the page stay live, only
    the totals may lag, and the page says how old they are. A small queue is always counted
    live (and costs nothing to count)."""
    key = queue_counts_key(user, which, filters)
    hit = cache.get(key)
    if hit is not None:
        rows, at = hit
        return label_state_rows(rows), at
    rows = state_rows(qs)
    if sum(n for *_k, n in rows) >= settings.QUEUE_COUNTS_CACHE_FROM:
        cache.set(key, (rows, timezone.now()), settings.QUEUE_COUNTS_SECONDS)
    return label_state_rows(rows), None


def can_supervise_somewhere(user) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(
        g.role in (StaffRole.Role.SUPERVISOR, StaffRole.Role.APPROVER) for g in grants_for(user)
    )


def list_my_cases(user):
    """Open cases assigned to the user, in their jurisdiction."""
    return (
        Case.objects.visible_to(user)
        .open()
        .filter(assignee=user, submitted_at__isnull=False)
        .select_related(*CASE_ROW_RELATED)
    )


def list_unassigned_cases(user):
    """Open, unassigned, claimable cases of the user's offices (and, for a supervisor, of every
    office they supervise)."""
    mine = office_ids(user)
    office_q = Q(office_id__in=mine)
    if can_supervise_somewhere(user):
        office_q |= supervised_office_q(user)
    return (
        Case.objects.visible_to(user)
        .open()
        .filter(office_q, assignee__isnull=True, submitted_at__isnull=False)
        .filter(state__in=queued_states())
        .select_related(*CASE_ROW_RELATED)
    )


def assignable_staff(user, *, office_id=None, office_ids=None):
    """Members of staff a supervisor may hand cases to: the staff of one office (the case
    page), or of some offices the supervisor covers (the queue page: the offices of its rows).
    Each with the office they work in, for the select's label."""
    roles = StaffRole.objects.filter(is_active=True, office__is_active=True)
    if office_id is not None:
        roles = roles.filter(office_id=office_id)
    else:
        roles = roles.filter(supervised_office_q(user), office_id__in=office_ids or ())
    return roles.order_by("office__region_id", "office__name", "user__username", "role")


# ----------------------------------------------------------------------------- citizens


def list_cases_for_citizen(user):
    return Case.objects.of_citizen(user).order_by("-created_at", "-id")


def list_notifications_for_citizen(user):
    if not getattr(user, "is_authenticated", False) or not user.person_id:
        return Notification.objects.none()
    return Notification.objects.filter(person_id=user.person_id).select_related("case")


def unread_count(user) -> int:
    return list_notifications_for_citizen(user).filter(read_at__isnull=True).count()


def unread_count_for(request) -> int:
    """The signed-in citizen's unread messages, counted once per request: the header shows
    the count on every page, and the inbox shows it again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.person_id:
        return 0
    cached = getattr(request, "_unread_messages", None)
    if cached is None:
        cached = request._unread_messages = unread_count(user)
    return cached


def access_citizen_document(user, pk) -> Document:
    """A document of one of the citizen's own cases, or 404."""
    return _get_or_404(
        Document.objects.filter(
            case__in=Case.objects.of_citizen(user).values("pk"), shared_with_applicant=True
        ).select_related("case"),
        pk,
    )
