"""The one benefits ledger: what a case entitles someone to, and every payment of it.

Assistance (低保, 特困, 临时救助), elder allowances (高龄津贴) and child allowances (孤儿 / 事实
无人抚养儿童基本生活保障) are each an Entitlement on their case; one monthly run
(`benefits.actions.do_schedule_month`) schedules every payment; one stop rule ends them all
(death: `benefits.receivers.stop_on_death`). A domain registers its programs
(`benefits.registry.register_program`) and, where the amount changes by month (an elder's
age), the rule that prices a month.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class EntitlementQuerySet(models.QuerySet):
    def covering(self, month):
        """Entitlements that pay for `month` (the first of a month)."""
        return self.filter(
            Q(end_month__isnull=True) | Q(end_month__gte=month),
            start_month__lte=month,
            kind=Entitlement.Kind.MONTHLY,
            monthly_amount__gt=0,
            suspended_on__isnull=True,
        )

    def running(self):
        return self.filter(stopped_on__isnull=True)


class Entitlement(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ONE_OFF = "one_off", _("One-off")

    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="entitlements")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="entitlements"
    )
    # A program code registered by its domain (benefits.registry), e.g. "assistance.dibao".
    program = models.CharField(_("program"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MONTHLY)
    monthly_amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    start_month = models.DateField(_("paid from"))  # the first of a month
    # The last month paid (inclusive); None = until stopped. A child's allowance ends the month
    # before the 18th birthday.
    end_month = models.DateField(_("paid until"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    # Suspended (payments held while a change is looked into): no month is scheduled until it
    # resumes, and the months in between are not paid later.
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    stop_reason = models.CharField(_("reason stopped"), max_length=200, blank=True)
    reason = models.CharField(_("grounds"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntitlementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        indexes = [
            models.Index(fields=["person"], name="benefits_ent_person"),
            models.Index(fields=["program", "start_month"], name="benefits_ent_program"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=models.F("start_month")),
                name="benefits_ent_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.program} {self.case_id}"


class PaymentQuerySet(models.QuerySet):
    def of_case(self, case_id):
        """A case's payments, the latest first (what the case and citizen pages list)."""
        return self.filter(entitlement__case_id=case_id).order_by("-month", "-id")


class Payment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        RETURNED = "returned", _("Returned by the bank")
        STOPPED = "stopped", _("Stopped")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments")
    month = models.DateField(_("month"))  # the first day of the month paid for
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    # What the domain priced the month by (an elder's age that month), kept for the record.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PaymentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-month", "-id"]
        constraints = [
            # One payment per entitlement and month: the monthly run can run twice, a day can be
            # caught up, and nobody is paid twice for one month.
            models.UniqueConstraint(fields=["entitlement", "month"], name="benefits_pay_once"),
        ]
        indexes = [models.Index(fields=["month", "status"], name="benefits_pay_month")]

    def __str__(self):
        return f"{self.entitlement_id} {self.month:%Y-%m} {self.amount}"
