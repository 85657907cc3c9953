"""One Case table for every service; its timeline, documents, notifications and the calendar.

A domain keeps its own details in a model with a one-to-one link to Case; the queue, the SLA
clock, the timeline and the statistics are shared by all services.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.lib.confidentiality import Confidentiality


class Holiday(models.Model):
    """Official public holidays and make-up working days (调休), from the State Council's yearly
    notice. The SLA clock counts working days through civilaffairs.lib.workdays."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=50)
    # A weekend day that is a working day this year (调休上班).
    is_workday = models.BooleanField(_("make-up working day"), default=False)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"


# Most urgent first, then oldest, then by id. Ascending in every column (queue_rank is the
# negated priority), so a keyset page is one row comparison that a B-tree index starts at:
# page 10,000 reads what page 1 reads.
QUEUE_ORDER = ("queue_rank", "submitted_at", "id")


class CaseQuerySet(models.QuerySet):
    def queued(self):
        """Cases in a state their own workflow queues (workflow.queued_by_service)."""
        from .workflow import queued_by_service

        terms = [Q(service__in=svc, state__in=states) for svc, states in queued_by_service()]
        if not terms:
            return self.none()
        q = terms[0]
        for term in terms[1:]:
            q |= term
        return self.filter(q)

    def visible_to(self, user):
        """The one jurisdiction filter for staff: region subtree and confidentiality together,
        through a grant in a role that works the case's service (Service.staff_roles), and, for
        a service that narrows it further (Service.staff_scope), that service's own rule too.
        Built from the user's Scope (casework.scope), which is what keys anything cached for
        their view of the cases."""
        from civilaffairs.accounts.access import scope_q

        from .registry import get_service, services_by_staff_roles
        from .scope import Scope

        scope = Scope.of(user)
        if scope.is_superuser:
            return self.all()
        # One term per distinct jurisdiction: a supervisor, who works every service, gets
        # one term without a service filter.
        terms: dict[Q, list[str]] = {}
        for roles, codes in scope.services:
            term = scope_q(user, region_field="region", level_field="confidentiality", roles=roles)
            terms.setdefault(term, []).extend(codes)
        every = {code for _roles, codes in services_by_staff_roles() for code in codes}
        q = Q(pk__in=[])
        for term, codes in terms.items():
            if set(codes) == every:
                q |= term
            elif len(codes) <= len(every) / 2:
                q |= term & Q(service__in=sorted(codes))
            else:
                q |= term & ~Q(service__in=sorted(every - set(codes)))
        # Only the narrowed services the user works: the terms above already leave out the
        # others' cases.
        if scope.narrowed:
            per_service = ~Q(service__in=scope.narrowed)
            for code in scope.narrowed:
                per_service |= Q(service=code) & get_service(code).staff_scope(user)
            q &= per_service
        return self.filter(q)

    def of_citizen(self, user):
        """Cases a citizen applied for or benefits from."""
        if not user.is_authenticated or not user.person_id:
            return self.none()
        return self.filter(Q(applicant_id=user.person_id) | Q(beneficiary_id=user.person_id))

    def open(self):
        return self.filter(closed_at__isnull=True)

    def in_force(self):
        """Open cases whose decision granted what was asked (a plan in force, an allowance being
        paid), whatever the workflow calls that state: its `decided` state sets the outcome.
        A workflow with steps after the grant (a suspension) answers for them itself."""
        return self.filter(closed_at__isnull=True, outcome=Case.Outcome.APPROVED)

    def closed(self):
        return self.filter(closed_at__isnull=False)

    def overdue(self, now=None):
        """Open and past their due time (now, or at `now`)."""
        return self.open().filter(due_at__lt=now if now is not None else timezone.now())

    def not_overdue(self, now=None):
        now = now if now is not None else timezone.now()
        return self.filter(Q(due_at__isnull=True) | Q(due_at__gte=now))

    def unassigned_in(self, office_ids):
        return self.open().filter(office_id__in=office_ids, assignee__isnull=True)

    def queue_order(self):
        """Most urgent first, then oldest: the order claim-next takes (QUEUE_ORDER)."""
        return self.order_by(*QUEUE_ORDER)


class Case(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        ASSISTED = "assisted", _("Assisted by staff")
        COUNTER = "counter", _("At the counter")
        PROACTIVE = "proactive", _("Opened proactively")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("Normal")
        HIGH = 1, _("High")
        URGENT = 2, _("Urgent")

    class Outcome(models.TextChoices):
        NONE = "", _("Not decided")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        TERMINATED = "terminated", _("Terminated")
        COMPLETED = "completed", _("Completed")

    reference = models.CharField(_("reference number"), max_length=32, unique=True)
    service = models.CharField(_("service"), max_length=40)
    state = models.CharField(_("state"), max_length=40)
    applicant = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # led by case_applicant (applicant, -created_at)
        related_name="cases_applied",
        verbose_name=_("applicant"),
    )
    beneficiary = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_benefiting",
        verbose_name=_("beneficiary"),
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("household"),
    )
    # The region the case belongs to (the applicant's residence when submitted): jurisdiction,
    # routing and sharding all key on it.
    region = models.ForeignKey(
        "people.Region",
        on_delete=models.PROTECT,
        db_index=False,  # one varchar_pattern_ops index in Meta serves = and prefix
        related_name="+",
        verbose_name=_("region"),
    )
    office = models.ForeignKey(
        "accounts.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # led by case_office_state (office, state)
        related_name="cases",
        verbose_name=_("office"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # -priority, kept by PostgreSQL: the queue order (QUEUE_ORDER) without a descending column.
    queue_rank = models.GeneratedField(
        expression=-F("priority"), output_field=models.IntegerField(), db_persist=True
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.ONLINE
    )
    confidentiality = models.PositiveSmallIntegerField(
        _("confidentiality"), choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When the case was first decided (its outcome set), and the promised date it was decided
    # against: due_at is cleared on decision (a decided case is in no one's queue), so the
    # dashboards' processing time and lateness are read from these (insight.CaseFigure).
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_due_at = models.DateTimeField(_("due when decided"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default="", blank=True
    )
    outcome_reason = models.TextField(_("reason for the decision"), blank=True)
    archive_on = models.DateField(_("archive on"), null=True, blank=True)
    # The latest pre-screening, summarised for lists; the full record is a Screening row.
    screening_outcome = models.CharField(_("pre-screening"), max_length=8, blank=True)

    history = HistoricalRecords(excluded_fields=["screening_outcome", "queue_rank"])
    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The office's unassigned queue in claim order.
            models.Index(
                fields=["office", "queue_rank", "submitted_at", "id"],
                name="case_unassigned_queue",
                condition=Q(assignee__isnull=True, closed_at__isnull=True),
            ),
            # The same queue across offices (a supervisor's): read in claim order, filtered
            # by jurisdiction as it goes, so page 1 and page 10,000 stop after a page of rows.
            models.Index(
                fields=["queue_rank", "submitted_at", "id"],
                name="case_open_unassigned_order",
                condition=Q(assignee__isnull=True, closed_at__isnull=True),
            ),
            # "My cases".
            models.Index(
                fields=["assignee", "queue_rank", "submitted_at", "id"],
                name="case_my_queue",
                condition=Q(closed_at__isnull=True),
            ),
            models.Index(fields=["office", "state"], name="case_office_state"),
            models.Index(
                fields=["due_at"], name="case_open_due", condition=Q(closed_at__isnull=True)
            ),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant"),
            models.Index(fields=["state", "submitted_at"], name="case_state_submitted"),
            models.Index(OpClass("region", name="varchar_pattern_ops"), name="case_region_prefix"),
            models.Index(fields=["service", "state"], name="case_service_state"),
        ]

    def __str__(self):
        return self.reference

    def is_visible_to(self, user) -> bool:
        """Whether the case lies in the user's scope (Case.objects.visible_to). A case read
        through visible_to(user) in this request (queries.access_case marks it) is, without
        asking again: the case page checks every transition's right, and each check would
        otherwise repeat the query. After an action that may move the case, ask the queryset."""
        if getattr(self, "_read_as_visible_to", None) == user.pk:
            return True
        return Case.objects.visible_to(user).filter(pk=self.pk).exists()

    def is_party_or_visible_to(self, user) -> bool:
        """The applicant or beneficiary themselves, or staff whose scope covers the case."""
        if user.person_id and user.person_id in (self.applicant_id, self.beneficiary_id):
            return True
        return self.is_visible_to(user)

    @property
    def service_def(self):
        from .registry import get_service

        return get_service(self.service)

    @property
    def workflow(self):
        from .workflow import workflow_for

        return workflow_for(self.service)

    @property
    def state_def(self):
        return self.workflow.states[self.state]

    def get_state_display(self):
        return self.state_def.label

    def citizen_state_label(self, state: str = ""):
        """What the applicant reads for `state` (default: the case's state now)."""
        found = self.workflow.states.get(state or self.state)
        if found is None:
            return state
        return found.citizen_label or found.label

    @property
    def is_open(self):
        return self.closed_at is None

    @property
    def staff_steps(self) -> list:
        """The steps staff take from the case's state, in the workflow's order (the first is
        the usual next one): for a "next step" link in a list."""
        return [t for t in self.workflow.transitions_from(self.state) if t.roles]

    @property
    def is_in_force(self):
        """See CaseQuerySet.in_force."""
        return self.closed_at is None and self.outcome == Case.Outcome.APPROVED

    @property
    def is_overdue(self):
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    # A case this close to its promised date is shown as due soon (calendar days).
    DUE_SOON_DAYS = 3

    @property
    def days_left(self) -> int | None:
        """Calendar days to the promised date (negative once overdue), None without one."""
        if not self.is_open or self.due_at is None:
            return None
        return (timezone.localdate(self.due_at) - timezone.localdate()).days

    @property
    def days_overdue(self) -> int:
        left = self.days_left
        return -left if left is not None and left < 0 else 0

    @property
    def is_due_soon(self) -> bool:
        left = self.days_left
        return left is not None and 0 <= left <= self.DUE_SOON_DAYS and not self.is_overdue

    @property
    def due_note(self) -> tuple[str, str] | None:
        return due_note(self.days_left, self.is_overdue)

    def details(self):
        """The domain's one-to-one details row, whatever the domain."""
        for rel in self._meta.related_objects:
            if rel.one_to_one and hasattr(self, rel.get_accessor_name()):
                return getattr(self, rel.get_accessor_name())
        return None


def due_note(days_left: int | None, is_overdue: bool) -> tuple[str, str] | None:
    """How close an open case is to its promised date, as the case page and the queue rows
    say it: (colour, words): overdue by n days, due soon (Case.DUE_SOON_DAYS), or days left."""
    if is_overdue:
        late = -days_left if days_left and days_left < 0 else 0
        if not late:
            return "danger", gettext("Overdue")
        return "danger", ngettext("Overdue by %(n)s day", "Overdue by %(n)s days", late) % {
            "n": late
        }
    if days_left is None:
        return None
    colour = "warning" if 0 <= days_left <= Case.DUE_SOON_DAYS else "light"
    return colour, ngettext("%(n)s day left", "%(n)s days left", days_left) % {"n": days_left}


class CaseEvent(models.Model):
    """The timeline: every transition, note, screening, routing step and decision."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("Status change")
        SCREENING = "screening", _("Pre-screening")
        ROUTING = "routing", _("Routing")
        ASSIGNMENT = "assignment", _("Assignment")
        NOTE = "note", _("Note")
        DOCUMENT = "document", _("Document")
        DECISION = "decision", _("Decision")
        PAYMENT = "payment", _("Payment")
        CHANGE = "change", _("Change")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether the citizen sees it on their timeline (and is notified).
    public = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    # What the system wrote, in every language of the site ({"zh-hans": …, "en": …}), so each
    # reader reads it in theirs; empty for what a person typed (a reason, a note), shown as is.
    translations = models.JSONField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.to_state}"

    @property
    def text(self) -> str:
        """The message in the reader's language when the system wrote it, else as written."""
        if self.translations:
            return self.translations.get(translation.get_language() or "", self.message)
        return self.message


class ReferenceCounter(models.Model):
    """Per prefix and day, the last sequence number handed out (row-locked when used)."""

    prefix = models.CharField(max_length=8)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="refcounter_unique")]

    def __str__(self):
        return f"{self.prefix}{self.day:%Y%m%d}:{self.last}"


def document_path(instance, filename):
    # Never the uploaded name: a random one, in a folder per month, outside the web root.
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Document(models.Model):
    class Kind(models.TextChoices):
        ID_CARD = "id_card", _("ID card")
        INCOME_PROOF = "income_proof", _("Proof of income")
        ASSET_PROOF = "asset_proof", _("Proof of assets")
        MEDICAL = "medical", _("Medical record or bill")
        DISABILITY = "disability", _("Disability certificate")
        PHOTO = "photo", _("Photo")
        AGREEMENT = "agreement", _("Agreement or declaration")
        OTHER = "other", _("Other")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40, verbose_name=_("file type"))
    size = models.PositiveIntegerField(verbose_name=_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    confidentiality = models.PositiveSmallIntegerField(
        choices=Confidentiality.choices,
        default=Confidentiality.CONFIDENTIAL,
        verbose_name=_("confidentiality"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))
    # The applicant sees their own uploads; staff decide for theirs (a home-visit report may name
    # neighbours who spoke in confidence).
    shared_with_applicant = models.BooleanField(_("shown to the applicant"), default=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class Notification(models.Model):
    """A person's in-app inbox; written only by casework.notify.notify(), which also sends the
    e-mail and SMS copies after the commit."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    # The timeline event this tells of; each party to the case hears of it once.
    event = models.ForeignKey(
        CaseEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    body = models.TextField(blank=True)
    # What the system wrote, in every language of the site ({code: {"title", "body"}}), read
    # back in the reader's (title_text, body_text); None when written as given.
    translations = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed at"))
    sms_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="notification_once_a_person")
        ]

    def __str__(self):
        return self.title

    def _in_reader_language(self) -> dict:
        return (self.translations or {}).get(translation.get_language() or "") or {}

    @property
    def title_text(self) -> str:
        return self._in_reader_language().get("title") or self.title

    @property
    def body_text(self) -> str:
        return self._in_reader_language().get("body", self.body)


class Screening(models.Model):
    """One automated pre-screening of a case: which rule versions, facts and outcomes, kept so
    a decision can be explained to the citizen and to an auditor years later."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="screenings", verbose_name=_("case")
    )
    program = models.CharField(max_length=40, verbose_name=_("program"))
    ruleset_id = models.PositiveIntegerField(null=True)
    ruleset_version = models.PositiveIntegerField(null=True, verbose_name=_("rule set version"))
    outcome = models.CharField(max_length=8, verbose_name=_("outcome"))
    facts = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    results = models.JSONField(default=list)
    reason = models.CharField(max_length=40, default="submitted", verbose_name=_("why screened"))
    at = models.DateTimeField(default=timezone.now, verbose_name=_("time"))

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.case_id} {self.program} {self.outcome}"

    @property
    def rows(self) -> list[dict]:
        """Each rule's result with its reason in the reader's language."""
        from civilaffairs.rules.engine import reason_of

        return [{**r, "reason": reason_of(r)} for r in self.results]

    @property
    def fact_rows(self) -> list[tuple[str, str, object]]:
        """(label in the reader's language, name, value) of each fact the rules read."""
        from civilaffairs.rules.facts import get_fact

        def label(name):
            try:
                return str(get_fact(name).label)
            except KeyError:
                return name

        return [(label(name), name, value) for name, value in self.facts.items()]

    @property
    def parameter_rows(self) -> list[tuple[str, str, object]]:
        """(label as the administrator named it, key, value) of each parameter used."""
        from civilaffairs.rules.models import Parameter

        labels = dict(
            Parameter.objects.filter(key__in=self.parameters, program__code=self.program)
            .exclude(label="")
            .values_list("key", "label")
        )
        return [(labels.get(key, key), key, value) for key, value in self.parameters.items()]
