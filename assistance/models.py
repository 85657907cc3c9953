"""Social assistance (低保, 特困, 临时救助): the application details of a case, the household's
declared and verified economic situation, the public notice, objections and payments."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.lib.masking import mask_bank_account, mask_name, mask_phone
from civilaffairs.rules.engine import reason_of

CENT = Decimal("0.01")


class AssistanceApplication(models.Model):
    class Kind(models.TextChoices):
        DIBAO = "dibao", _("Minimum living allowance (低保)")
        TEKUN = "tekun", _("Extreme-poverty support (特困供养)")
        LINSHI = "linshi", _("Temporary assistance (临时救助)")

    class HardshipCause(models.TextChoices):
        ILLNESS = "illness", _("Illness")
        DISABILITY = "disability", _("Disability")
        UNEMPLOYMENT = "unemployment", _("Unemployment")
        DISASTER = "disaster", _("Natural disaster")
        ACCIDENT = "accident", _("Accident")
        EDUCATION = "education", _("School costs")
        OLD_AGE = "old_age", _("Old age without support")
        OTHER = "other", _("Other")

    class EmergencyType(models.TextChoices):
        NONE = "", _("Not applicable")
        EMERGENCY = "emergency", _("Emergency (sudden event)")
        EXPENDITURE = "expenditure", _("Large necessary expense")

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="assistance"
    )
    kind = models.CharField(_("kind of assistance"), max_length=10, choices=Kind.choices)
    hardship_cause = models.CharField(
        _("main cause of hardship"),
        max_length=20,
        choices=HardshipCause.choices,
        default=HardshipCause.OTHER,
    )
    situation = models.TextField(_("your situation in your own words"), blank=True)
    emergency_type = models.CharField(
        _("type of temporary hardship"),
        max_length=12,
        choices=EmergencyType.choices,
        default="",
        blank=True,
    )
    expense_amount = models.DecimalField(
        _("the expense (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    financial_assets = models.DecimalField(
        _("savings and other financial assets (yuan)"), max_digits=14, decimal_places=2, default=0
    )
    vehicles = models.PositiveSmallIntegerField(_("motor vehicles owned"), default=0)
    extra_housing = models.PositiveSmallIntegerField(
        _("homes owned besides the one lived in"), default=0
    )
    has_income_source = models.BooleanField(_("has a source of income"), default=False)
    has_able_supporter = models.BooleanField(
        _("has a legal supporter able to support"), default=False
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=32, blank=True)
    declaration = models.BooleanField(_("declaration signed"), default=False)
    step = models.PositiveSmallIntegerField(default=1)
    # Decided benefit.
    people_covered = models.PositiveSmallIntegerField(_("people covered"), default=0)
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=10, decimal_places=2, default=0
    )
    one_off_amount = models.DecimalField(
        _("one-off amount (yuan)"), max_digits=10, decimal_places=2, default=0
    )
    # 临时救助: the caseworker sets the amount within the configured range and says why; in an
    # emergency the township may pay first (先行救助) and the papers follow.
    justification = models.TextField(_("why this amount"), blank=True)
    paid_first_on = models.DateField(_("paid first on"), null=True, blank=True)
    paid_first_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paid first by"),
    )
    benefit_from = models.DateField(_("paid from"), null=True, blank=True)
    benefit_until = models.DateField(_("paid until"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    # Investigation (入户调查).
    visit_date = models.DateField(_("home visit date"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    neighbour_interviews = models.TextField(_("neighbour interviews"), blank=True)
    verified_income = models.DecimalField(
        _("verified monthly household income (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    # Public notice (公示).
    notice_start = models.DateField(_("notice from"), null=True, blank=True)
    notice_end = models.DateField(_("notice until"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assistance application")
        verbose_name_plural = _("assistance applications")
        indexes = [
            models.Index(
                fields=["notice_end"],
                name="assist_notice_end",
                condition=Q(notice_end__isnull=False),
            ),
            models.Index(fields=["kind", "next_review_on"], name="assist_review_due"),
        ]

    def __str__(self):
        return f"{self.case.reference} {self.get_kind_display()}"

    @property
    def payments(self):
        """This case's payments on the benefits ledger, the latest first."""
        from civilaffairs.benefits.models import Payment

        return Payment.objects.of_case(self.case_id)

    def open_objection(self) -> "Objection | None":
        """The objection the township has yet to answer (at most one: lodging one ends the
        notice, and only a notice takes them)."""
        return self.objections.filter(resolved_at__isnull=True).first()

    @property
    def masked_bank_account(self):
        return mask_bank_account(self.bank_account)

    @cached_property
    def declared_incomes(self) -> list:
        """The declared incomes with each member's name, read once per instance: the counts
        below and the case page's list all come from these rows. Actions lock and read the
        application afresh (actions._lock), so a change of incomes is never read stale."""
        return list(self.incomes.select_related("person"))

    @property
    def citizen_steps(self) -> list[dict]:
        """The temporary-assistance process as the applicant reads it, step by step, each
        done, current or still to come (the other programs show their state's label)."""
        if self.kind != self.Kind.LINSHI:
            return []
        return linshi_citizen_steps(self.case.state, paid_first=self.paid_first_on is not None)

    @cached_property
    def latest_review(self) -> "Review | None":
        """The last periodic review, whose incomes and assets replace what was declared and
        verified before it (the investigation itself stays as it was)."""
        history = self.__dict__.get("review_history")
        if history is not None:
            return history[0] if history else None
        return self.reviews.order_by("-pk").first()

    @cached_property
    def review_history(self) -> list:
        """Every periodic review, the latest first, each with its incomes and who did it, in a
        fixed number of queries (the case page lists them)."""
        return list(
            self.reviews.select_related("reviewed_by__person")
            .prefetch_related("incomes__person")
            .order_by("-pk")
        )

    @cached_property
    def economic_check_answerable(self) -> bool:
        """Whether some department answers the economic-status check for the case's region:
        the case page offers to send it only then, and says why not otherwise."""
        from civilaffairs.exchange.queries import economic_check_sources

        return bool(economic_check_sources(self.case.region_id))

    @cached_property
    def economic_check(self):
        """The latest household economic-status check of this case, with its answers."""
        from civilaffairs.exchange.models import EconomicCheck

        return (
            EconomicCheck.objects.filter(case_id=self.case_id)
            .prefetch_related("answers")
            .order_by("-requested_at", "-pk")
            .first()
        )

    def economy(self) -> "Economy":
        """The household's economic situation the amount and the rules work from: the last
        review's when there is one, else the application's (with the income verified at the
        home visit taking precedence over the declared one)."""
        review = self.latest_review
        if review is not None:
            return Economy(
                members=review.members,
                monthly_income=review.monthly_income,
                financial_assets=review.financial_assets,
                vehicles=review.vehicles,
                extra_housing=review.extra_housing,
                verified=True,
            )
        members = max(len({r.person_id for r in self.declared_incomes}), 1)
        verified = self.verified_income is not None
        return Economy(
            members=members,
            monthly_income=self.verified_income if verified else self.countable_monthly_income(),
            financial_assets=self.financial_assets,
            vehicles=self.vehicles,
            extra_housing=self.extra_housing,
            verified=verified,
        )

    def members_count(self) -> int:
        return self.economy().members

    def countable_monthly_income(self) -> Decimal:
        countable = set(IncomeKind.countable())
        total = sum(
            (r.monthly_amount for r in self.declared_incomes if r.kind in countable), Decimal(0)
        )
        return total.quantize(CENT)

    def per_capita_income(self) -> Decimal:
        return self.economy().per_capita_income


def per_capita(income: Decimal, members: int) -> Decimal:
    """Income per person, to the fen, half up (the one rounding every 低保 figure uses)."""
    return (income / members).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Economy:
    """A household's income and assets as the amount and the rules read them: from the
    application (declared, or verified at the home visit) or from a periodic review."""

    members: int
    monthly_income: Decimal  # countable, the whole household's
    financial_assets: Decimal
    vehicles: int
    extra_housing: int
    verified: bool = False

    @property
    def per_capita_income(self) -> Decimal:
        return per_capita(self.monthly_income, max(self.members, 1))

    @property
    def financial_assets_per_capita(self) -> Decimal:
        return (self.financial_assets / max(self.members, 1)).quantize(CENT)


class IncomeKind(models.TextChoices):
    """Income categories. Basic pension contributions, medical insurance payments and the age
    allowance (高龄津贴) are not counted as household income for 低保 (DOMAIN.md)."""

    WAGES = "wages", _("Wages")
    BUSINESS = "business", _("Net business income")
    PROPERTY = "property", _("Property income (rent, interest)")
    TRANSFER = "transfer", _("Transfers (pensions, maintenance)")
    AGRICULTURE = "agriculture", _("Farming income")
    BASIC_PENSION = "basic_pension", _("Basic pension insurance contribution refunds (not counted)")
    AGE_ALLOWANCE = "age_allowance", _("Age allowance 高龄津贴 (not counted)")
    MEDICAL = "medical", _("Medical insurance reimbursement (not counted)")

    @classmethod
    def countable(cls):
        return [cls.WAGES, cls.BUSINESS, cls.PROPERTY, cls.TRANSFER, cls.AGRICULTURE]


class MemberIncome(models.Model):
    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.CASCADE, related_name="incomes"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of income"), max_length=20, choices=IncomeKind.choices)
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=12, decimal_places=2, default=0
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member income")
        verbose_name_plural = _("member incomes")

    def __str__(self):
        return f"{self.person} {self.kind} {self.monthly_amount}"


class HouseholdEconomy(models.Model):
    """The household's economic situation as last declared or verified: what whole-registry
    rule previews and re-screening read in SQL."""

    household = models.OneToOneField(
        "people.Household", on_delete=models.CASCADE, related_name="economy"
    )
    members = models.PositiveSmallIntegerField(default=1)
    monthly_income = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    per_capita_income = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    financial_assets = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    vehicles = models.PositiveSmallIntegerField(default=0)
    extra_housing = models.PositiveSmallIntegerField(default=0)
    verified = models.BooleanField(default=False)
    as_of = models.DateField(default=dt.date.today)
    source_case = models.ForeignKey(
        "casework.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household economic situation")
        verbose_name_plural = _("household economic situations")

    def __str__(self):
        return f"{self.household_id}: {self.per_capita_income}"


class Objection(models.Model):
    """An objection lodged during the public notice. It sends the case back to the township,
    which investigates, records its finding with reasons, answers the objector where they left
    a way to reach them, and puts the household on a new notice or proposes a refusal
    (DOMAIN.md: objections trigger re-investigation and a new notice)."""

    class Finding(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        PARTLY = "partly", _("Partly upheld")
        NOT_UPHELD = "not_upheld", _("Not upheld")

    class AnsweredBy(models.TextChoices):
        EMAIL = "email", _("By e-mail, sent by the portal")
        PHONE = "phone", _("By telephone")
        LETTER = "letter", _("By letter")
        IN_PERSON = "in_person", _("In person")

    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.CASCADE, related_name="objections"
    )
    text = models.TextField(_("objection"))
    contact = models.CharField(_("contact (optional)"), max_length=60, blank=True)
    language = models.CharField(max_length=10, blank=True)  # the objector's, for the answer
    lodged_at = models.DateTimeField(auto_now_add=True)
    finding = models.CharField(_("finding"), max_length=12, choices=Finding.choices, blank=True)
    reasons = models.TextField(_("reasons for the finding"), blank=True)
    answer = models.TextField(_("answer to the objector"), blank=True)
    answered_by = models.CharField(
        _("answered"), max_length=12, choices=AnsweredBy.choices, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["lodged_at", "pk"]

    def __str__(self):
        return f"{self.application_id} {self.lodged_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def contact_is_email(self) -> bool:
        return "@" in self.contact

    @property
    def masked_contact(self) -> str:
        """What every staff member reading the case sees: enough to know there is a way to
        answer, not enough to call (the caseworker answering sees it whole, logged)."""
        if not self.contact:
            return ""
        if self.contact_is_email:
            local, _at, domain = self.contact.partition("@")
            return f"{local[:1]}***@{domain}"
        return mask_phone(self.contact)


class Review(models.Model):
    """A periodic review (复核) of a grant: the incomes and assets collected again, the rules in
    force applied to them, the amount before and after. Kept beside the first investigation,
    which it never overwrites; the latest review is what the amount is worked out from."""

    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewed_on = models.DateField(_("review date"))
    findings = models.TextField(_("what the review found"))
    members = models.PositiveSmallIntegerField(_("household members"), default=1)
    monthly_income = models.DecimalField(
        _("countable monthly household income (yuan)"), max_digits=12, decimal_places=2
    )
    financial_assets = models.DecimalField(
        _("savings and other financial assets (yuan)"), max_digits=14, decimal_places=2, default=0
    )
    vehicles = models.PositiveSmallIntegerField(_("motor vehicles owned"), default=0)
    extra_housing = models.PositiveSmallIntegerField(
        _("homes owned besides the one lived in"), default=0
    )
    amount_before = models.DecimalField(
        _("monthly amount before (yuan)"), max_digits=10, decimal_places=2
    )
    amount_after = models.DecimalField(
        _("monthly amount after (yuan)"), max_digits=10, decimal_places=2
    )
    screening_outcome = models.CharField(_("result of the rules"), max_length=8, blank=True)
    screening_reasons = models.JSONField(default=list, blank=True)
    ruleset_version = models.PositiveIntegerField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("periodic review")
        verbose_name_plural = _("periodic reviews")
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.application_id} {self.reviewed_on}"

    @property
    def per_capita_income(self) -> Decimal:
        return per_capita(self.monthly_income, max(self.members, 1))

    @property
    def reasons(self) -> list[str]:
        """The rules' reasons in the reader's language (kept in every language)."""
        return [reason_of(r) for r in self.screening_reasons]

    @property
    def screening_label(self) -> str:
        return {
            "pass": _("Met"),
            "fail": _("Not met"),
            "refer": _("Needs a person to decide"),
        }.get(self.screening_outcome, "—")


class ReviewIncome(models.Model):
    """One member's monthly income of one kind, as the review found it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="incomes")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind of income"), max_length=20, choices=IncomeKind.choices)
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=12, decimal_places=2, default=0
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("income found at a review")
        verbose_name_plural = _("incomes found at reviews")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.person_id} {self.kind} {self.monthly_amount}"


class Linshi:
    """The states of temporary assistance's own process (workflow.linshi_workflow), named once
    here so the citizen's steps below and the workflow agree."""

    DRAFT, SUBMITTED, SCREENED, ACCEPTED = "draft", "submitted", "screened", "accepted"
    APPROVAL, GRANTED, REFUSED, WITHDRAWN = "approval", "granted", "refused", "withdrawn"
    PAID_FIRST, PAPERS_IN, NOT_CONFIRMED = "paid_first", "papers_in", "not_confirmed"
    TERMINATED = "terminated"  # cases ended before temporary assistance had its own process


def linshi_citizen_steps(state: str, *, paid_first: bool) -> list[dict]:
    """[{label, status: done | current | todo}], in plain words: the usual way (the township
    looks into it, the amount is set and approved, paid once) or, after an emergency, pay
    first and papers after."""
    L = Linshi
    if paid_first or state in (L.PAID_FIRST, L.PAPERS_IN, L.NOT_CONFIRMED):
        steps = [
            (_("Your application is received"), (L.SUBMITTED, L.SCREENED, L.ACCEPTED)),
            (_("Because of the emergency, the township pays the help at once"), (L.PAID_FIRST,)),
            (
                _("You hand in the papers afterwards; the township office tells you which"),
                (L.PAPERS_IN,),
            ),
            (_("The papers are checked and the help is confirmed"), (L.GRANTED, L.NOT_CONFIRMED)),
        ]
    else:
        steps = [
            (_("Your application is received"), (L.SUBMITTED,)),
            (_("The township office looks into your situation"), (L.SCREENED, L.ACCEPTED)),
            (
                _(
                    "The amount is set and approved (by the township, or by the county for larger amounts)"
                ),
                (L.APPROVAL,),
            ),
            (_("The help is paid once, to your bank account"), (L.GRANTED,)),
        ]
    current = next((i for i, (_label, states) in enumerate(steps) if state in states), None)
    if current is None:  # a draft, or ended on the way: the page says so in its status
        return []
    rows = []
    for i, (label, _states) in enumerate(steps):
        if i < current or (i == current and state in (L.GRANTED, L.NOT_CONFIRMED)):
            status = "done"
        else:
            status = "current" if i == current else "todo"
        rows.append({"label": label, "status": status})
    return rows


def public_notice_name(person) -> str:
    return mask_name(person.name) if person else ""


# --------------------------------------------------------------------------- disaster relief
#
# A disaster (自然灾害) declared by the county or city: the regions it hit, its response level
# (Ⅰ the gravest to Ⅳ, as 《国家自然灾害救助应急预案》 grades them), and once saved the
# affected population counted from the person master record per village (DisasterArea), the
# material needs from per-person norms (rules parameters of the program "disaster_relief",
# per region and level), the relief the township hands out per household (Relief) and the
# emergency 临时救助 cases opened for vulnerable households (DisasterCase).


class DisasterEvent(models.Model):
    class Kind(models.TextChoices):
        FLOOD = "flood", _("Flood")
        EARTHQUAKE = "earthquake", _("Earthquake")
        DROUGHT = "drought", _("Drought")
        SNOW = "snow", _("Snow, ice and cold")
        TYPHOON = "typhoon", _("Typhoon")
        LANDSLIDE = "landslide", _("Landslide or debris flow")
        FIRE = "fire", _("Forest or grassland fire")
        OTHER = "other", _("Other")

    class Level(models.IntegerChoices):
        I = 1, _("Level I (gravest)")  # noqa: E741 — the plan's own numbering
        II = 2, _("Level II")
        III = 3, _("Level III")
        IV = 4, _("Level IV")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind of disaster"), max_length=12, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("response level"), choices=Level.choices)
    started_on = models.DateField(_("began on"))
    ended_on = models.DateField(_("response ended on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # When the affected population was last counted (DisasterArea's rows are of that count).
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disaster")
        verbose_name_plural = _("disasters")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="assist_disaster_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def norm_key(self, item: str) -> str:
        """The rules parameter holding the per-person norm of `item` at this event's level."""
        return f"{item}_l{self.level}"


class DisasterRegion(models.Model):
    """A region the event hit, as chosen on the region tree (a county covers its townships)."""

    event = models.ForeignKey(DisasterEvent, on_delete=models.CASCADE, related_name="regions")
    region = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "region"], name="assist_disaster_region_once")
        ]

    def __str__(self):
        return f"{self.event_id} · {self.region_id}"


class DisasterArea(models.Model):
    """The affected people of one place of residence (a village or community) at the count:
    everyone living there, and the vulnerable among them. A person in several groups is one
    person in `vulnerable`."""

    event = models.ForeignKey(DisasterEvent, on_delete=models.CASCADE, related_name="areas")
    region = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")
    people = models.PositiveIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)
    aged_80 = models.PositiveIntegerField(default=0)
    alone = models.PositiveIntegerField(default=0)
    disabled = models.PositiveIntegerField(default=0)
    children = models.PositiveIntegerField(default=0)
    assisted = models.PositiveIntegerField(default=0)
    vulnerable = models.PositiveIntegerField(default=0)
    vulnerable_households = models.PositiveIntegerField(default=0)
    # The same without those vulnerable only through a 低保 or 特困 case, for a reader whose
    # grant does not reach those cases' confidentiality (the village lists leave them out for
    # that reader; these figures agree with them).
    vulnerable_internal = models.PositiveIntegerField(default=0)
    vulnerable_households_internal = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "region"], name="assist_disaster_area_once")
        ]

    def __str__(self):
        return f"{self.event_id} · {self.region_id}: {self.people}"


class ReliefItem(models.TextChoices):
    """What relief is given, each with a per-person norm (rules parameter `<item>_l<level>`)."""

    TENT = "tent", _("Tents")
    QUILT = "quilt", _("Quilts")
    FOOD = "food", _("Food (kg)")
    WATER = "water", _("Drinking water (litres)")
    CLOTHING = "clothing", _("Clothing (sets)")
    CASH = "cash", _("Cash (yuan)")


class Relief(models.Model):
    """Relief handed to a household: what, how much, when and by whom. One row per item and
    household in an event: a second delivery of the same item corrects this row's quantity
    (do_correct_relief), so nothing is given twice by mistake."""

    event = models.ForeignKey(DisasterEvent, on_delete=models.PROTECT, related_name="reliefs")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    # The household's place when the relief was given (the progress by region reads it).
    region = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")
    item = models.CharField(_("item"), max_length=10, choices=ReliefItem.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    given_on = models.DateField(_("given on"))
    given_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("given by")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("relief given")
        verbose_name_plural = _("relief given")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "household", "item"], name="assist_relief_item_once"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="assist_relief_positive"),
        ]
        indexes = [models.Index(fields=["event", "region"], name="assist_relief_event_region")]

    def __str__(self):
        return f"{self.get_item_display()} {self.quantity.normalize()} → {self.household_id}"


class DisasterCase(models.Model):
    """The emergency 临时救助 case opened for a household because of an event: one per
    household and event, so opening them again for a village opens only the missing ones."""

    event = models.ForeignKey(DisasterEvent, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(
        "casework.Case", on_delete=models.PROTECT, related_name="disaster_link"
    )
    region = models.ForeignKey("people.Region", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "household"], name="assist_disaster_case_once")
        ]

    def __str__(self):
        return f"{self.event_id} · {self.case_id}"
