"""A department's grant (what its API client may do) and the log of every call."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from oauth2_provider.settings import oauth2_settings

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Person, Region

from .endpoints import ENDPOINTS


class CheckSource(models.TextChoices):
    """What the household economic-status check (居民家庭经济状况核对) asks each department:
    the value each member has, in the unit named."""

    DEPOSITS = "deposits", _("Bank deposits and financial assets (yuan)")
    VEHICLES = "vehicles", _("Motor vehicles registered (number)")
    PROPERTY = "property", _("Homes registered (number)")
    TAX = "tax", _("Taxable income (yuan a month)")
    PROVIDENT_FUND = "provident_fund", _("Wage base of the housing provident fund (yuan a month)")


class ApiGrantQuerySet(models.QuerySet):
    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(is_active=True, valid_from__lte=now, expires_at__gt=now)


class ApiGrant(models.Model):
    """What one department's system may do through the API: the endpoints, the region subtree,
    the highest confidentiality level, whether full ID numbers are shown, the purposes it may
    state, its rate and daily quota, and until when. Created by an administrator beside the
    OAuth2 application that holds the client's credentials."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_grant",
        verbose_name=_("API client"),
    )
    department = models.CharField(_("department"), max_length=100)
    endpoints = ArrayField(
        models.CharField(max_length=40, choices=[(e.code, e.label) for e in ENDPOINTS]),
        default=list,
        blank=True,
        verbose_name=_("endpoints"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    max_confidentiality = models.PositiveSmallIntegerField(
        _("highest confidentiality level"),
        choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )
    may_see_id_number = models.BooleanField(_("shown full ID numbers"), default=False)
    # The economic-status check: what this department answers (with economic-checks:answer).
    check_sources = ArrayField(
        models.CharField(max_length=20, choices=CheckSource.choices),
        default=list,
        blank=True,
        verbose_name=_("answers the economic check for"),
    )
    per_minute = models.PositiveIntegerField(_("calls per minute"), default=60)
    per_day = models.PositiveIntegerField(_("calls per day"), default=10_000)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ApiGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("API grant")
        verbose_name_plural = _("API grants")

    def __str__(self):
        return self.department


class ApiPurpose(models.Model):
    """A purpose a client may state (X-Purpose): why the law lets this department ask. Some
    purposes need a case or document reference (X-Reference) with each call."""

    grant = models.ForeignKey(ApiGrant, on_delete=models.CASCADE, related_name="purposes")
    code = models.SlugField(_("code"), max_length=40)
    description = models.CharField(_("description"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    needs_reference = models.BooleanField(_("needs a case or document reference"), default=False)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        constraints = [
            models.UniqueConstraint(fields=["grant", "code"], name="exchange_purpose_code_once")
        ]

    def __str__(self):
        return self.code


class ApiCall(models.Model):
    """One call to the API, kept API_LOG_RETENTION_DAYS: who called, what for, about whom,
    which data elements went out, and the answer. The citizen's "who used my data" page reads
    it by subject."""

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API client"),
    )
    department = models.CharField(_("department"), max_length=100, blank=True)
    endpoint = models.CharField(_("endpoint"), max_length=40, blank=True)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    # The purpose in words as the grant described it then (the citizen's page shows it).
    purpose_text = models.CharField(_("purpose described"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    subjects = ArrayField(models.BigIntegerField(), default=list, blank=True)
    fields = ArrayField(
        models.CharField(max_length=60), default=list, blank=True, verbose_name=_("data elements")
    )
    status = models.PositiveSmallIntegerField(_("status"))
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at"]
        indexes = [
            GinIndex(fields=["subjects"], name="exchange_call_subjects"),
            models.Index(fields=["application", "-at"], name="exchange_call_client_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.department} {self.endpoint} {self.status}"


class InboundNotice(models.Model):
    """A notice another department sent (a death, say), kept whatever became of it: applied to
    the master record, held for a person to check (the name differs from the record), or
    unmatched (no such ID number in the client's region yet: kept for matching, never
    dropped). The sender's event id makes a resend change nothing."""

    class Kind(models.TextChoices):
        DEATH = "death", _("Death notice")
        INCOME = "income", _("Income record")
        DISABILITY = "disability", _("Disability grade")
        PREMARITAL = "premarital", _("Premarital medical check")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        HELD = "held", _("Held for checking")
        UNMATCHED = "unmatched", _("No matching person yet")

    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("API client"),
    )
    department = models.CharField(_("department"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    event_id = models.CharField(_("sender's event id"), max_length=64)
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    occurred_on = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    # What the notice says beyond who and when (an income's kind and amount).
    details = models.JSONField(_("details"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice from a department")
        verbose_name_plural = _("notices from departments")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "event_id"], name="exchange_notice_once"
            )
        ]
        indexes = [models.Index(fields=["id_number", "status"], name="exchange_notice_id_status")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event_id}"


class EventKind(models.TextChoices):
    """What a subscriber can be told, each readable only with the read endpoint beside it."""

    CASE_DECIDED = "case.decided", _("A case was decided")
    BENEFIT_STARTED = "benefit.started", _("A benefit started")
    BENEFIT_STOPPED = "benefit.stopped", _("A benefit stopped")
    PERSON_DIED = "person.died", _("A death was recorded")
    MARRIAGE_REGISTERED = "marriage.registered", _("A marriage was registered")


# The endpoint a grant must hold to be told of each kind: an event tells what a read would.
EVENT_NEEDS = {
    EventKind.CASE_DECIDED: "cases:read",
    EventKind.BENEFIT_STARTED: "benefits:read",
    EventKind.BENEFIT_STOPPED: "benefits:read",
    EventKind.PERSON_DIED: "persons:read",
    EventKind.MARRIAGE_REGISTERED: "marriage:read",
}


class Subscription(models.Model):
    """A client's address to be told of events as they happen. Deliveries are signed with the
    subscription's own signing secret (HMAC-SHA256): the client's OAuth2 secret is kept only
    as a hash, so it cannot sign anything."""

    grant = models.ForeignKey(
        ApiGrant,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("API grant"),
    )
    url = models.URLField(_("address"), max_length=300)
    kinds = ArrayField(
        models.CharField(max_length=40, choices=EventKind.choices),
        default=list,
        verbose_name=_("events"),
    )
    signing_secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.grant.department}: {self.url}"


class Delivery(models.Model):
    """One event for one subscription, until the subscriber accepts it (2xx) or the attempts
    run out. Made in the transaction that caused the event, so none is lost; sent after
    commit, retried with exponential backoff, re-queued by beat if a task was lost."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (attempts used up)")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"))
    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices)
    body = models.JSONField(_("body"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_status = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="exchange_delivery_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="exchange_delivery_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.event_id}"


class EconomicCheck(models.Model):
    """One household economic-status check for a case: the members at the time it was asked,
    sent to every department that answers a source, due within ECONOMIC_CHECK_WORKING_DAYS
    working days. Past that date a missing answer is a warning on the case page."""

    case = models.ForeignKey(
        "casework.Case", on_delete=models.CASCADE, related_name="economic_checks"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    members = models.JSONField(_("members"))  # [{"person": pk, "id_number": …, "name": …}]
    sources = ArrayField(models.CharField(max_length=20, choices=CheckSource.choices))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    due_on = models.DateField(_("answers due"))

    class Meta:
        verbose_name = _("economic-status check")
        verbose_name_plural = _("economic-status checks")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.case_id} {self.requested_at:%Y-%m-%d}"

    def missing(self) -> list[str]:
        answered = {a.source for a in self.answers.all()}
        return [s for s in self.sources if s not in answered]

    def overdue(self, today=None) -> bool:
        return bool(self.missing()) and (today or timezone.localdate()) > self.due_on

    def missing_labels(self) -> str:
        return ", ".join(str(CheckSource(s).label) for s in self.missing())

    def source_rows(self) -> list[dict]:
        """Each source asked, with its answer or None (waiting)."""
        answers = {a.source: a for a in self.answers.all()}
        return [{"label": CheckSource(s).label, "answer": answers.get(s)} for s in self.sources]

    def member_rows(self) -> list[dict]:
        """Each member with the value each answered source gave (None: no record there)."""
        answers = {a.source: a.values for a in self.answers.all()}
        return [
            {
                "name": m["name"],
                "values": [
                    (answers[s].get(str(m["person"])) if s in answers else "") for s in self.sources
                ],
            }
            for m in self.members
        ]


class EconomicCheckAnswer(models.Model):
    """One department's answer for one source: each member's value (None: no record)."""

    economic_check = models.ForeignKey(
        EconomicCheck, on_delete=models.CASCADE, related_name="answers"
    )
    source = models.CharField(_("source"), max_length=20, choices=CheckSource.choices)
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    department = models.CharField(_("department"), max_length=100)
    values = models.JSONField(_("values"))  # {person pk: "123.45" or None}
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("economic-status check answer")
        verbose_name_plural = _("economic-status check answers")
        constraints = [
            models.UniqueConstraint(
                fields=["economic_check", "source"], name="exchange_check_answer_once"
            )
        ]

    def __str__(self):
        return f"{self.economic_check_id} {self.source}"


def retention_cutoff(now=None):
    import datetime as dt

    return (now or timezone.now()) - dt.timedelta(days=settings.API_LOG_RETENTION_DAYS)
