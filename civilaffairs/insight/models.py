"""Figures counted ahead of time, so that a dashboard reads a few hundred rows, not the
million behind them (issue #18).

Each month's figures are counted from the ledger, the person register and the case table by
`actions.do_count_month` (beat keeps the current month fresh; a month once over is counted
once more and then stays), at the grain a dashboard cuts by: the program and the person's
sex, age band, disability and hukou type, per region, where a region's rows hold everything
recorded in its subtree (a case of a village counts in the village, its township, county,
prefecture and province). A page reads the rows of one region code.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Age on the first day of the month, in the bands the civil-affairs statistics report:
# children, working age, and the three bands of old age (80+ is where the elder allowance
# begins in most provinces).
AGE_BANDS = (
    ("0-17", _("0–17 (children)"), 0, 17),
    ("18-59", _("18–59"), 18, 59),
    ("60-69", _("60–69"), 60, 69),
    ("70-79", _("70–79"), 70, 79),
    ("80+", _("80 and over"), 80, 200),
)


class BenefitFigure(models.Model):
    """People with a monthly benefit in force in a month (each entitlement's payee), and the
    monthly amounts, per region, program and the payee's attributes."""

    month = models.DateField(_("month"))  # the first of the month
    region_code = models.CharField(_("region code"), max_length=12)
    # The confidentiality level of the cases counted (lib.confidentiality): a viewer sums
    # the levels their grant allows, as every staff list filters by it.
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    # '' holds every program, each person counted once (a person on two programs is one).
    program = models.CharField(_("program"), max_length=40)
    sex = models.CharField(_("sex"), max_length=1)
    age_band = models.CharField(_("age band"), max_length=5)
    disabled = models.BooleanField(_("with a disability"))
    hukou_type = models.CharField(_("hukou type"), max_length=10, blank=True)
    persons = models.PositiveIntegerField(_("people"))
    amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("benefit figure")
        verbose_name_plural = _("benefit figures")
        indexes = [
            models.Index(fields=["region_code", "month"], name="insight_benefit_region_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_code} {self.program}"


class HouseholdFigure(models.Model):
    """Households with at least one member holding a benefit of the program in the month: a
    household is counted once per program, so these are kept apart from the people's cuts."""

    month = models.DateField(_("month"))
    region_code = models.CharField(_("region code"), max_length=12)
    # The confidentiality level of the cases counted (lib.confidentiality): a viewer sums
    # the levels their grant allows, as every staff list filters by it.
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    program = models.CharField(_("program"), max_length=40)
    households = models.PositiveIntegerField(_("households"))

    class Meta:
        indexes = [
            models.Index(fields=["region_code", "month"], name="insight_household_region_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_code} {self.program}"


class PaymentFigure(models.Model):
    """Payments for a month by region, program and status (paid, failed, returned …)."""

    month = models.DateField(_("month"))
    region_code = models.CharField(_("region code"), max_length=12)
    # The confidentiality level of the cases counted (lib.confidentiality): a viewer sums
    # the levels their grant allows, as every staff list filters by it.
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    program = models.CharField(_("program"), max_length=40)
    status = models.CharField(_("status"), max_length=12)
    payments = models.PositiveIntegerField(_("payments"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        indexes = [
            models.Index(fields=["region_code", "month"], name="insight_payment_region_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_code} {self.program} {self.status}"


class MonthCount(models.Model):
    """When a month's figures were counted (every figure on a page says so), and how long the
    count took (the benchmark's aggregate refresh)."""

    month = models.DateField(_("month"), unique=True)
    counted_at = models.DateTimeField(_("counted at"))
    seconds = models.FloatField(default=0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("count of a month")
        verbose_name_plural = _("counts of months")

    def __str__(self):
        return f"{self.month:%Y-%m}"


class CaseFigure(models.Model):
    """Applications per month, region, service and channel: how many were submitted and
    decided in the month, how many of the decided were decided by their promised date and in
    how many days altogether (the average is days / decided), and how many were open and past
    their date at the month's end (for the current month: when it was counted). Counted from
    the case table alone, so a past month is counted again to the same figures."""

    month = models.DateField(_("month"))
    region_code = models.CharField(_("region code"), max_length=12)
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    service = models.CharField(_("service"), max_length=40)
    channel = models.CharField(_("channel"), max_length=12)
    submitted = models.PositiveIntegerField(_("submitted"))
    decided = models.PositiveIntegerField(_("decided"))
    approved = models.PositiveIntegerField(_("approved"))
    in_time = models.PositiveIntegerField(_("decided in time"))
    days = models.PositiveIntegerField(_("days to decide, summed"))
    open = models.PositiveIntegerField(_("open at the month's end"))
    overdue = models.PositiveIntegerField(_("overdue at the month's end"))

    class Meta:
        verbose_name = _("application figure")
        verbose_name_plural = _("application figures")
        indexes = [
            models.Index(fields=["region_code", "month"], name="insight_case_region_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_code} {self.service}"


class WorkloadFigure(models.Model):
    """The open cases as they are now (at the last count of the current month), per office,
    assignee (none: waiting in the office's queue), service and state, under the office's own
    region: each office's and each caseworker's workload; and (whole = true, no office) per
    service and state under every region above the office's, as the other figures stand
    under the case's."""

    region_code = models.CharField(_("region code"), max_length=12)
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    office = models.ForeignKey(
        "accounts.Office", on_delete=models.CASCADE, null=True, related_name="+"
    )
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, related_name="+"
    )
    service = models.CharField(_("service"), max_length=40)
    state = models.CharField(_("state"), max_length=40)
    open = models.PositiveIntegerField(_("open"))
    overdue = models.PositiveIntegerField(_("overdue"))
    due_soon = models.PositiveIntegerField(_("due soon"))
    counted_at = models.DateTimeField(_("counted at"))
    whole = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("workload figure")
        verbose_name_plural = _("workload figures")
        indexes = [models.Index(fields=["region_code"], name="insight_workload_region")]

    def __str__(self):
        return f"{self.region_code} {self.office_id} {self.service} {self.state}"


class DomainFigure(models.Model):
    """A domain's own figures (insight.registry): per month, region, domain, table and key,
    a count. Rows stand under every region above their own."""

    month = models.DateField(_("month"))
    region_code = models.CharField(_("region code"), max_length=12)
    level = models.PositiveSmallIntegerField(_("confidentiality"), default=0)
    domain = models.CharField(_("domain"), max_length=40)
    figure = models.CharField(_("table"), max_length=40)
    key = models.CharField(_("key"), max_length=60)
    n = models.PositiveIntegerField(_("count"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("domain figure")
        verbose_name_plural = _("domain figures")
        indexes = [
            models.Index(
                fields=["domain", "region_code", "month"], name="insight_domain_region_month"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_code} {self.domain} {self.figure}"


class ScenarioQuerySet(models.QuerySet):
    def listed(self):
        """What a list of scenarios shows of each, in one query."""
        return self.select_related("program", "region", "created_by")


class Scenario(models.Model):
    """A proposed change of a program's parameters (and, optionally, a draft rule set), with
    what it would do in a region's subtree, computed once when it was saved and kept
    (`results`, see insight.scenarios): a later change of the register does not change it.
    Nothing in it names a person; it is never edited, only made (actions.do_save_scenario)."""

    title = models.CharField(_("title"), max_length=120)
    program = models.ForeignKey(
        "rules.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    region = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    as_of = models.DateField(_("as of"))
    # {parameter key: the proposed value, as text}
    overrides = models.JSONField(_("proposed values"), default=dict, blank=True)
    ruleset = models.ForeignKey(
        "rules.RuleSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("draft rule set"),
    )
    results = models.JSONField(_("results"), default=dict)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("made by")
    )
    created_at = models.DateTimeField(_("made at"))
    computed_at = models.DateTimeField(_("computed at"))

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        indexes = [
            models.Index(fields=["region", "-created_at", "-id"], name="insight_scenario_region"),
            models.Index(fields=["-created_at", "-id"], name="insight_scenario_made"),
        ]

    def __str__(self):
        return self.title
