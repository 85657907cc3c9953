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
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from civilaffairs.lib.masking import mask_bank_account, mask_id_number


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

    case = models.ForeignKey(
        "casework.Case",
        on_delete=models.PROTECT,
        related_name="entitlements",
        verbose_name=_("case"),
    )
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
    # Where the money goes (the account the household declared, or the one staff set after a
    # failed payment: benefits.actions.do_change_account). Shown masked; whole only in the
    # bank file, whose every export is logged.
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=32, blank=True)
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

    @property
    def masked_bank_account(self) -> str:
        return mask_bank_account(self.bank_account)


class PaymentQuerySet(models.QuerySet):
    def of_case(self, case_id):
        """A case's payments, the latest first (what the case and citizen pages list)."""
        return self.filter(entitlement__case_id=case_id).order_by("-month", "-id")


class Payment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent to the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", pgettext_lazy("payment", "Failed")
        RETURNED = "returned", _("Returned by the bank")
        STOPPED = "stopped", _("Stopped")

    entitlement = models.ForeignKey(
        Entitlement,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("entitlement"),
    )
    month = models.DateField(_("month"))  # the first day of the month paid for
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))
    note = models.CharField(max_length=200, blank=True)
    # A failed or returned payment waits for a new account or a decision to try the same one
    # again before a batch takes it (benefits.actions.do_change_account / do_retry_payment).
    held = models.BooleanField(default=False)
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

    @property
    def failure(self):
        """The batch line the bank last refused (from prefetched `lines`), or None."""
        refused = [
            line
            for line in self.lines.all()
            if line.result in (BatchLine.Result.FAILED, BatchLine.Result.RETURNED)
        ]
        return max(refused, key=lambda line: line.pk, default=None)


class DisbursementBatch(models.Model):
    """One county's payments sent to the bank together (docs/bank-file.md): prepared from the
    ledger, approved by a second person, exported as a file with a checksum, and closed when
    the bank's result file has answered every line."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Prepared, awaiting approval")
        APPROVED = "approved", _("Approved, ready to export")
        EXPORTED = "exported", _("Sent to the bank, awaiting its results")
        CLOSED = "closed", _("Reconciled")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=40, unique=True)
    county = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    month = models.DateField(_("month"))  # the first of the month it pays in
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    line_count = models.PositiveIntegerField(_("payments"), default=0)
    total = models.DecimalField(_("total (yuan)"), max_digits=14, decimal_places=2, default=0)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prepared_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    checksum = models.CharField(_("file checksum (SHA-256)"), max_length=64, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disbursement batch")
        verbose_name_plural = _("disbursement batches")
        ordering = ["-month", "-id"]
        indexes = [models.Index(fields=["county", "month"], name="benefits_batch_county")]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.APPROVED, self.Status.EXPORTED)


class BatchLine(models.Model):
    """One payment in one batch, with what was sent (payee, account, amount) as it was sent
    and what the bank answered. A payment is on at most one line that is waiting or paid, so
    no batch, exported twice or imported twice, pays anyone twice; a failed line leaves the
    payment free for a later batch."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Awaiting the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", pgettext_lazy("payment", "Failed")
        RETURNED = "returned", _("Returned by the bank")
        WITHDRAWN = "withdrawn", _("Withdrawn before sending")

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.PROTECT, related_name="lines")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField()
    reference = models.CharField(_("reference"), max_length=50, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    payee_name = models.CharField(max_length=100)
    id_number = models.CharField(max_length=18)
    bank_name = models.CharField(max_length=60)
    bank_account = models.CharField(max_length=32)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    result_on = models.DateField(null=True, blank=True)
    reason_code = models.CharField(max_length=8, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("batch line")
        verbose_name_plural = _("batch lines")
        ordering = ["batch", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="benefits_line_no"),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(result__in=["pending", "paid"]),
                name="benefits_line_pays_once",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def masked_bank_account(self) -> str:
        return mask_bank_account(self.bank_account)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def reason_label(self) -> str:
        """Why the bank did not pay, in the reader's language when the code is a known one."""
        from .bankfile import REASONS

        known = REASONS.get(self.reason_code)
        return (
            f"{self.reason_code} {known}" if known else f"{self.reason_code} {self.reason}".strip()
        )
