"""Programs, their parameters per region, and versioned eligibility rules.

A rule set is an immutable, dated version of a program's rules. Only drafts change; an active or
retired version is history that past decisions point to, so a change is made by copying it into
a new draft (`actions.do_copy_ruleset`) and activating that.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.people.models import Region

from . import conditions
from .exceptions import MissingParameter


class Outcome(models.TextChoices):
    """The outcome of one rule, of a whole screening, and the expectation of an example."""

    PASS = "pass", _("Met")
    FAIL = "fail", _("Not met")
    REFER = "refer", _("Refer to a caseworker")


def ancestor_codes(region_code: str) -> list[str]:
    """The codes of a region and of every region above it, province first: the regions whose
    parameters may apply to it. (A prefix of two or four digits is padded back to the
    six-digit code the province or prefecture row carries.)"""
    return [p if len(p) >= 6 else p.ljust(6, "0") for p in Region.prefix_chain(region_code)]


class Program(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    # Free text rather than a foreign key: services are registered in code by domains.
    service_code = models.CharField(_("service code"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def param_keys(self) -> set[str]:
        return Parameter.objects.keys_for(self)


class ParameterQuerySet(models.QuerySet):
    def for_program(self, program):
        """The program's own parameters and the shared ones (no program)."""
        if program is None:
            return self.filter(program__isnull=True)
        return self.filter(Q(program=program) | Q(program__isnull=True))

    def valid_on(self, day: dt.date):
        return self.filter(
            Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        )

    def applying_to(self, region_code: str):
        """Values set for the region itself or any region above it."""
        return self.filter(region_id__in=ancestor_codes(region_code))

    def series(self, program, key: str, region_code: str):
        """All dated values of one key for one region (and program): they must not overlap."""
        program_q = Q(program__isnull=True) if program is None else Q(program=program)
        return self.filter(program_q, key=key, region_id=region_code)

    def overlapping(self, valid_from: dt.date, valid_to: dt.date | None):
        q = Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
        if valid_to is not None:
            q &= Q(valid_from__lte=valid_to)
        return self.filter(q)

    def keys_for(self, program) -> set[str]:
        return set(self.for_program(program).values_list("key", flat=True).distinct())

    def resolve(self, keys, region_code: str, as_of: dt.date) -> dict[str, "Parameter"]:
        """The applying row per key, in one query: the deepest region wins; at the same region
        a program's own value wins over a shared one. Keys without a value are left out."""
        best: dict[str, Parameter] = {}
        rows = self.valid_on(as_of).applying_to(region_code).filter(key__in=list(keys))
        for row in rows:
            current = best.get(row.key)
            if current is None or row.rank > current.rank:
                best[row.key] = row
        return best

    def value_for(self, key: str, region_code: str, as_of: dt.date) -> Decimal:
        """The value that applies to a region on a date (nearest ancestor's), or
        MissingParameter. Scope to a program first: `Parameter.objects.for_program(p)`."""
        row = self.resolve([key], region_code, as_of).get(key)
        if row is None:
            raise MissingParameter(key, region_code, as_of)
        return row.value


class Parameter(models.Model):
    """A named value for a region's whole subtree, valid over a period (e.g. 银川市's monthly
    低保 standard from 1 January). Values are never overwritten: a new value is a new row and
    the previous one ends the day before (`actions.do_set_parameter`)."""

    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parameters",
        verbose_name=_("program"),
        help_text=_("Leave empty for a value shared by every program."),
    )
    key = models.SlugField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("The value applies to this region and everything below it."),
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ParameterQuerySet.as_manager()

    class Meta:
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")
        ordering = ["key", "region", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="rules_parameter_dates_ordered",
            ),
        ]
        # Overlapping periods of one key+region are refused by do_set_parameter under an
        # advisory lock rather than by an exclusion constraint: that would need the btree_gist
        # extension, which the embedded development PostgreSQL may not ship.
        indexes = [models.Index(fields=["key", "region", "valid_from"])]

    def __str__(self):
        return f"{self.key} @ {self.region_id}: {self.value}"

    @property
    def region_prefix(self) -> str:
        return Region.prefix_of(self.region_id)

    @property
    def rank(self) -> tuple[int, bool]:
        return (len(self.region_prefix), self.program_id is not None)

    def conflicts(self):
        """Values of the same series whose period overlaps this one, except an open-ended
        earlier value, which setting this one will end the day before."""
        qs = Parameter.objects.series(self.program_id, self.key, self.region_id).overlapping(
            self.valid_from, self.valid_to
        )
        qs = qs.exclude(Q(valid_to__isnull=True) & Q(valid_from__lt=self.valid_from))
        return qs.exclude(pk=self.pk) if self.pk else qs

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})
        if self.key and self.region_id and self.valid_from:
            clash = self.conflicts().first()
            if clash is not None:
                raise ValidationError(overlap_message(clash))


def overlap_message(clash: Parameter) -> str:
    return _(
        "Another value of “%(key)s” for this region is valid from %(start)s to %(end)s; "
        "periods must not overlap."
    ) % {"key": clash.key, "start": clash.valid_from, "end": clash.valid_to or "…"}


class RuleSetQuerySet(models.QuerySet):
    def in_force(self, program, as_of: dt.date):
        """The version that decides on `as_of`: the most recently activated one that had taken
        effect by then. A retired version still decides dates before its successor's start,
        which is what lets a change be activated ahead of the date it takes effect."""
        return (
            self.filter(
                program=program,
                status__in=[RuleSet.Status.ACTIVE, RuleSet.Status.RETIRED],
                activated_at__isnull=False,
                valid_from__lte=as_of,
            )
            .order_by("-activated_at", "-version")
            .first()
        )


class RuleSet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="rulesets", verbose_name=_("program")
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    valid_from = models.DateField(_("valid from"))
    note = models.TextField(_("note"), blank=True)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="rules_ruleset_version"),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status="active"),
                name="rules_one_active_ruleset_per_program",
            ),
        ]

    def __str__(self):
        return f"{self.program.code} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Rule(models.Model):
    class OnFail(models.TextChoices):
        FAIL = "fail", _("Not eligible")
        REFER = "refer", _("Refer to a caseworker")

    ruleset = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="rules", verbose_name=_("rule set")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120)
    condition = models.JSONField(
        _("condition"),
        default=dict,
        help_text=_(
            'Met when this holds, e.g. {"fact": "per_capita_income", "op": "lt", '
            '"param": "dibao_standard"}. Groups: {"all": [...]}, {"any": [...]}, {"not": ...}.'
        ),
    )
    on_fail = models.CharField(
        _("when not met"), max_length=10, choices=OnFail.choices, default=OnFail.FAIL
    )
    reason = models.TextField(
        _("reason"),
        help_text=_(
            "Shown to the applicant when the rule is not met. %(name)s inserts a fact or "
            "parameter value; write %% for a percent sign."
        ),
    )
    reason_en = models.TextField(_("reason (English)"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["ruleset", "order", "id"]

    def __str__(self):
        return self.name

    def used_facts(self) -> set[str]:
        return conditions.used_facts(self.condition)

    def used_params(self) -> set[str]:
        return conditions.used_params(self.condition)

    def reason_placeholders(self) -> set[str]:
        return conditions.placeholders(self.reason) | conditions.placeholders(self.reason_en)

    def reason_in(self, language: str | None) -> str:
        if language and language.startswith("en") and self.reason_en:
            return self.reason_en
        return self.reason

    def problems(self, param_keys) -> list[str]:
        """Why this rule cannot be activated, as sentences; [] when it can."""
        errors = conditions.validate_condition(self.condition, param_keys=param_keys)
        errors += conditions.validate_reason(self.reason, param_keys=param_keys)
        errors += conditions.validate_reason(self.reason_en, param_keys=param_keys)
        return errors


class RuleExample(models.Model):
    """A stored example application with its expected outcome. A version is activated only when
    every example comes out as expected, so a change cannot silently flip a known case."""

    ruleset = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="examples", verbose_name=_("rule set")
    )
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    as_of = models.DateField(_("as of"))
    facts = models.JSONField(
        _("facts"),
        default=dict,
        blank=True,
        help_text=_('Fact values, e.g. {"member_count": 3, "monthly_income": "1800.00"}.'),
    )
    expected = models.CharField(_("expected outcome"), max_length=10, choices=Outcome.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("example")
        verbose_name_plural = _("examples")
        ordering = ["ruleset", "id"]

    def __str__(self):
        return self.name
