"""Permission-scoped reads of cases and documents (DESIGN §3.2).

Staff reads go through `Case.objects.visible_to(user)`, which applies the region subtree and the
confidentiality level together; citizens read through `Case.objects.of_citizen(user)`. A row
outside the reader's scope is answered with 404, exactly like a row that does not exist, so no
one learns what lies in another office's area.
"""

import dataclasses
import datetime as dt
import functools
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from civilaffairs.accounts.access import (
    grants_for,
    is_staff_member,
    max_level_for,
    office_ids,
    require_staff,
    scope_q,
)
from civilaffairs.accounts.models import StaffRole, User
from civilaffairs.lib.history import field_history
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.lib.paging import KeysetPage, keyset_page_sql
from civilaffairs.people.models import Membership

from .models import QUEUE_ORDER, Case, Document, Notification, due_note
from .registry import get_service
from .scope import Scope
from .workflow import all_workflows, queued_by_service

# What a row of a staff list shows; select_related keeps a list page at a fixed query count.
CASE_ROW_RELATED = ("region", "office", "applicant")
# Three joins, not six: PostgreSQL spent more time planning the six-join version (1.4 ms)
# than running it (0.1 ms). The beneficiary is read only when it is someone other than the
# applicant (rare), and the assignee's name with one small query (assignee_name).
CASE_DETAIL_RELATED = (
    "region",
    "office",
    "applicant",
)


def access_case(user, pk) -> Case:
    """A case in the staff member's jurisdiction and level, or 404 (PermissionDenied for a user
    who is not staff at all)."""
    require_staff(user)
    case = get_or_404(Case.objects.visible_to(user).select_related(*CASE_DETAIL_RELATED), pk)
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


def related_cases(user, case: Case, *, limit: int = 10) -> list[Case]:
    """Other cases of the same household (or, without one, of the same person) that the user
    may see: a caseworker sees at once that the household already receives a benefit or has
    another application in hand. Newest first; drafts left out."""
    if case.household_id is not None:
        same = Q(household_id=case.household_id)
    else:
        people = {p for p in (case.applicant_id, case.beneficiary_id) if p is not None}
        if not people:
            return []
        same = Q(applicant_id__in=people) | Q(beneficiary_id__in=people)
    return list(
        Case.objects.visible_to(user)
        .filter(same, submitted_at__isnull=False)
        .exclude(pk=case.pk)
        .select_related("region")
        .order_by("-created_at", "-pk")[:limit]
    )


def cases_of_person(user, person):
    """Every case of every service the staff member may see in which the person is the
    applicant, the beneficiary or a member (now or before) of the case's household: for the
    person's page, keyset-paged by the caller. The region is selected for the row; the service
    and state labels come from the registry and the workflow, without a query."""
    households = Membership.objects.filter(person=person).values("household_id")
    return (
        Case.objects.visible_to(user)
        .filter(Q(applicant=person) | Q(beneficiary=person) | Q(household_id__in=households))
        .select_related("region")
    )


def works_on_cases_of(user, person) -> bool:
    """Whether the staff member has a case of the person in hand: assigned to them, or at one of
    their offices. Opening the person's record otherwise is a look-up outside their own cases,
    which the person sees on "who used my data" (portal.register_views.person_detail)."""
    from civilaffairs.accounts.access import office_ids

    return (
        cases_of_person(user, person)
        .filter(Q(assignee=user) | Q(office_id__in=office_ids(user)))
        .exists()
    )


def case_field_history(case: Case, *, limit: int = 20) -> list:
    """The latest changes of the case and of its application (the domain's details row), field
    by field, old → new, with who and when, newest first (lib.history.field_history): personal
    numbers masked, the workflow's states and the service in words. Two queries for the rows,
    one per related model named in a change."""
    labels = {
        "state": lambda v: case.workflow.states[v].label if v in case.workflow.states else v,
        "service": lambda v: get_service(v).name if v == case.service else v,
    }
    entries = _latest_changes(
        case.history, limit, Case._meta.verbose_name, labels, reason_label=case_change_reason(case)
    )
    details = case.details()
    if details is not None and hasattr(details, "history"):
        entries += _latest_changes(details.history, limit, details._meta.verbose_name, {})
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _latest_changes(history, limit, what, labels, reason_label=None) -> list:
    rows = list(history.select_related("history_user__person").order_by("-history_id")[: limit + 1])
    older = rows[limit] if len(rows) > limit else None
    return field_history(
        rows[:limit],
        older=older,
        what=str(what),
        value_labels=labels,
        excluded={"reference", "screening_outcome"},
        reason_label=reason_label,
    )


# The reasons the platform's actions save on a case's history row (casework.actions), in words;
# a step saves its own name, read through its workflow.
CASE_CHANGE_REASONS = {
    "claimed": gettext_lazy("taken from the office queue"),
    "released": gettext_lazy("given back to the office queue"),
    "assigned": gettext_lazy("assigned by a supervisor"),
    "priority": gettext_lazy("priority changed"),
    "routed": gettext_lazy("sent to the office that handles it"),
    "screened": gettext_lazy("pre-screened by the rules"),
}


def case_change_reason(case: Case):
    """code -> words for the reasons on the case's history (the code itself when unknown)."""
    steps = case.workflow.transitions

    def label(code: str) -> str:
        step = steps.get("submit" if code == "submitted" else code)
        if step is not None:
            return str(step.label)
        return str(CASE_CHANGE_REASONS.get(code, code))

    return label


def access_citizen_case(user, pk) -> Case:
    """One of the citizen's own cases (applicant or beneficiary), or 404."""
    return get_or_404(Case.objects.of_citizen(user).select_related("region", "office"), pk)


def documents_visible_to(user, case: Case | None = None):
    """Documents a staff member may open: the case in scope, and the document's own level
    allowed by a grant covering the case's region. For the documents of one case already read
    in scope this request (access_case), that is the levels the user's grants allow in the
    case's region: one plain filter instead of the jurisdiction subquery again."""
    if case is not None and getattr(case, "_read_as_visible_to", None) == user.pk:
        level = max_level_for(user, case.region_id)
        return Document.objects.filter(case=case, confidentiality__lte=level)
    visible_cases = Case.objects.visible_to(user).values("pk")
    qs = Document.objects.filter(case__in=visible_cases).filter(
        scope_q(user, region_field="case__region_id", level_field="confidentiality")
    )
    return qs.filter(case=case) if case is not None else qs


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
    return get_or_404(Document.objects.filter(q).select_related("case"), pk)


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


def _counts_key(user, which: str, filters: dict) -> str:
    """The shared-cache key of a queue's counts: the user's whole jurisdiction (Scope), which
    queue, the queued states the code registered and the filters. The state filter is left
    out (the counts are of every state, and each state's link shows the same totals)."""
    counted = tuple(sorted((k, v) for k, v in filters.items() if k != "state"))
    parts = (
        Scope.of(user).cache_key(),
        which,
        connection.settings_dict["NAME"],
        queued_by_service(),
        counted,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"casework:queue-counts:v3:{digest}"


def queue_counts(user, which: str, filters: dict) -> tuple[list, dt.datetime | None]:
    """The per-state counts above a staff queue, and when they were counted if not just now.

    A large queue (QUEUE_COUNTS_CACHE_FROM cases or more) is counted at most once every
    QUEUE_COUNTS_SECONDS per jurisdiction (Scope), queue and filter: the rows of the page stay
    live, only the totals may lag, and the page says how old they are. A small queue is always
    counted live (and costs nothing to count)."""
    key, now = _counts_key(user, which, filters), timezone.now()
    hit = cache.get(key)
    # The age is checked here too: the cache may keep an entry a little past its timeout.
    if hit is not None and hit[1] > now - dt.timedelta(seconds=settings.QUEUE_COUNTS_SECONDS):
        rows, at = hit
        return label_state_rows(rows), at
    rows = list(
        filter_queue(queue_cases(user, which), filters, include_state=False)
        .order_by()
        .values_list("service", "state")
        .annotate(n=Count("id"))
    )
    if sum(n for *_k, n in rows) >= settings.QUEUE_COUNTS_CACHE_FROM:
        cache.set(key, (rows, now), settings.QUEUE_COUNTS_SECONDS)
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
    if getattr(user, "is_superuser", False):
        office_q = Q()  # the administrator: every office (an empty Q drops out of an OR)
    else:
        # Their own offices (an approver's among them), and every office under a supervisor's
        # jurisdiction (what supervised_office_q allows, without repeating the own offices).
        office_q = Q(office_id__in=office_ids(user))
        prefixes = {
            g.region_prefix for g in grants_for(user) if g.role == StaffRole.Role.SUPERVISOR
        }
        for prefix in sorted(prefixes):
            office_q |= Q(office__region_prefix__startswith=prefix)
    return (
        Case.objects.visible_to(user)
        .open()
        .filter(office_q, assignee__isnull=True, submitted_at__isnull=False)
        .queued()
        .select_related(*CASE_ROW_RELATED)
    )


def filter_queue(qs, filters: dict, *, include_state: bool = True):
    """A queue narrowed by the filter form's cleaned values (QueueFilterForm.filters)."""
    if filters.get("service"):
        qs = qs.filter(service=filters["service"])
    if include_state and filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("region"):
        qs = qs.filter(region_id__startswith=filters["region"])
    if filters.get("priority") is not None:
        qs = qs.filter(priority=filters["priority"])
    # The database's clock, not a value from Python: a queue's statement is kept per scope and
    # filter (_queue_statement), and a time written into it would go stale.
    if filters.get("overdue") == "yes":
        qs = qs.overdue(now=Now())
    elif filters.get("overdue") == "no":
        qs = qs.not_overdue(now=Now())
    return qs


@dataclasses.dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of a staff queue: what the list shows, read as plain values, with its labels
    in the page's language (queue_page)."""

    id: int
    reference: str
    service: str
    state: str
    priority: int
    queue_rank: int
    submitted_at: dt.datetime | None
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    region_id: str
    region_name: str
    office_id: int | None
    office_name: str | None
    applicant_id: int | None
    applicant_name: str | None
    service_name: str = ""
    state_label: str = ""
    priority_label: str = ""
    is_overdue: bool = False
    # Calendar days to the promised date (negative once overdue), as on the case page.
    days_left: int | None = None

    @property
    def due_note(self) -> tuple[str, str] | None:
        return due_note(self.days_left, self.is_overdue)

    @property
    def pk(self):
        return self.id


# What a queue row reads (QueueRow's fields, under those names): the columns it shows and its
# keyset order, not every column of four tables.
QUEUE_ROW_FIELDS = (
    "id",
    "reference",
    "service",
    "state",
    "priority",
    "queue_rank",
    "submitted_at",
    "due_at",
    "closed_at",
    "region_id",
    "office_id",
    "applicant_id",
)
QUEUE_ROW_NAMES = {
    "region_name": F("region__name"),
    "office_name": F("office__name"),
    "applicant_name": F("applicant__name"),
}


def queue_cases(user, which: str):
    """The cases of the queue `which` ("mine" or "office") of the user, unfiltered."""
    return list_my_cases(user) if which == "mine" else list_unassigned_cases(user)


def queue_rows(user, which: str, filters: dict):
    """The rows of a staff queue with the filter form's cleaned values: the columns the list
    shows (QueueRow's fields) and nothing else, unordered."""
    return filter_queue(queue_cases(user, which), filters).values(
        *QUEUE_ROW_FIELDS, **QUEUE_ROW_NAMES
    )


def queue_page(user, which: str, filters: dict, *, after: str | None, size: int) -> KeysetPage:
    """One keyset page of a staff queue in claim order (QUEUE_ORDER), as QueueRows. Each
    label (service, state, priority) is worked out once per page, not once per row: looking
    them up through the template engine for every row cost more than the rest of the list."""
    labels: dict[tuple, str] = {}
    now = timezone.now()
    today = timezone.localdate(now)

    def label(key: tuple, text) -> str:
        if key not in labels:
            labels[key] = str(text())
        return labels[key]

    def row(**values) -> QueueRow:
        service, state, priority = values["service"], values["state"], values["priority"]
        workflow = all_workflows().get(service)
        due_at, is_open = values["due_at"], values["closed_at"] is None
        return QueueRow(
            **values,
            service_name=label(("service", service), lambda: get_service(service).name),
            state_label=label(
                ("state", service, state),
                # A state its workflow no longer has (data older than a change of the process)
                # is shown by its name rather than failing the whole list.
                lambda: (
                    workflow.states[state].label if workflow and state in workflow.states else state
                ),
            ),
            priority_label=label(("priority", priority), lambda: Case.Priority(priority).label),
            is_overdue=is_open and due_at is not None and due_at < now,
            days_left=(timezone.localdate(due_at) - today).days if is_open and due_at else None,
        )

    try:
        sql, params = _queue_statement(
            Scope.of(user), which, tuple(sorted(filters.items())), queued_by_service(), user
        )
    except EmptyResultSet:
        # Empty by construction (no workflow queues any state, or no office to look in).
        return KeysetPage(rows=[], next_cursor=None, has_next=False, size=size)
    return keyset_page_sql(
        sql, params, model=Case, order=QUEUE_ORDER, after=after, size=size, row=row
    )


@functools.lru_cache(maxsize=4096)
def _queue_statement(scope: Scope, which: str, filters: tuple, queued: tuple, user):
    """The text and parameters of a queue's rows (queue_rows), kept per jurisdiction, queue,
    filter and queued states, as claim-next's statement is: building and compiling the
    queryset (the jurisdiction, the queued states of every service, the offices) cost twice
    what PostgreSQL needs to run it, on every page view. The key is complete by construction:
    the Scope holds everything visible_to and the office queue are built from (a changed grant
    is another Scope, so another statement), the filters are the form's cleaned values and
    name no time (filter_queue asks the database for now), `queued` is what .queued() reads,
    and `user` adds nothing the Scope does not hold (a user compares by id; "mine" is theirs).
    Every value stays a parameter; the keyset cursor is added around it on each page."""
    return queue_rows(user, which, dict(filters)).query.sql_with_params()


def assignable_staff(user, *, office_id=None, office_ids=None, case: Case | None = None):
    """Members of staff a supervisor may hand cases to: the staff of one office (the case
    page), or of some offices the supervisor covers (the queue page: the offices of its rows).
    Each with the office they work in, for the select's label. For one `case`, only grants
    in a role that works its service at its confidentiality level: a marriage registrar of
    the same office could be handed an assistance case they cannot open (do_assign_case
    refuses it whatever the list offers)."""
    roles = StaffRole.objects.filter(is_active=True, office__is_active=True)
    if case is not None:
        roles = roles.filter(
            office_id=case.office_id,
            role__in=case.service_def.staff_roles,
            max_confidentiality__gte=case.confidentiality,
        )
    elif office_id is not None:
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
    return get_or_404(
        Document.objects.filter(
            case__in=Case.objects.of_citizen(user).values("pk"), shared_with_applicant=True
        ).select_related("case"),
        pk,
    )
