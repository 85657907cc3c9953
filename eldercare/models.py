"""Elder care (居家养老, 养老机构, 高龄津贴, 智能设备预警): home-care services and their bookings,
providers and their workers, family members acting for an elder, care assessments and plans,
the proactive age allowance, care institutions, and health-device readings and alerts.

Care plans, age allowances and urgent home visits are cases in the platform's engine; each has
a one-to-one details row here. Bookings are not cases: they are many, short-lived and run by
the provider, and they carry their own small status machine (`Booking.Status`), changed only
by `eldercare.actions`.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.masking import mask_phone
from civilaffairs.people.models import Membership, Region

# Bookings are made in whole slots of this many minutes; a worker's time is held slot by slot
# (WorkerSlot), which is what lets a plain unique constraint refuse double-booking.
SLOT_MINUTES = 30
# A worker may check in this many minutes before the booked start (arriving a little early);
# earlier than that the visit cannot start, so the times on record are the real ones.
CHECK_IN_EARLY_MINUTES = 30
CENT = Decimal("0.01")


def covering_codes(region_code: str) -> list[str]:
    """The region's own code and the codes of every region above it (province first), as
    stored in Region.code: a coverage area "covers" a place when it is one of these."""
    from civilaffairs.rules.models import ancestor_codes

    return ancestor_codes(region_code)


# --------------------------------------------------------------------------- services


class ServiceType(models.Model):
    class Category(models.TextChoices):
        MEAL = "meal", _("Meal aid")
        BATHING = "bathing", _("Bathing aid")
        CLEANING = "cleaning", _("Cleaning")
        NURSING = "nursing", _("Nursing and medical care")
        REHAB = "rehab", _("Rehabilitation")
        COMPANIONSHIP = "companionship", _("Companionship")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length of a visit (minutes)"), default=60
    )
    price = models.DecimalField(_("price per visit (yuan)"), max_digits=8, decimal_places=2)
    # Paid by the civil-affairs bureau to the provider; the elder pays the rest.
    subsidy = models.DecimalField(
        _("government subsidy per visit (yuan)"), max_digits=8, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("offered"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("home-care service type")
        verbose_name_plural = _("home-care service types")
        ordering = ["category", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subsidy__gte=0) & Q(subsidy__lte=models.F("price")),
                name="eldercare_subsidy_within_price",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="eldercare_duration_positive"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.duration_minutes and self.duration_minutes % SLOT_MINUTES:
            raise ValidationError(
                {
                    "duration_minutes": _("A visit lasts a whole number of %(n)s-minute slots.")
                    % {"n": SLOT_MINUTES}
                }
            )

    @property
    def copay(self) -> Decimal:
        return (self.price - self.subsidy).quantize(CENT)


class Provider(models.Model):
    """A home-care service organisation (居家养老服务机构): its own staff log in (ProviderMember)
    and see only the organisation's bookings."""

    name = models.CharField(_("name"), max_length=120)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered in")
    )
    coverage = models.ManyToManyField(
        Region,
        related_name="+",
        verbose_name=_("areas served"),
        help_text=_("Each area covers everything below it."),
    )
    services = models.ManyToManyField(
        ServiceType, related_name="providers", verbose_name=_("services offered")
    )
    daily_capacity = models.PositiveSmallIntegerField(_("visits per day, at most"), default=40)
    qualifications = models.TextField(_("qualifications and licences"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("home-care provider")
        verbose_name_plural = _("home-care providers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.credit_code:
            from stdnum.cn import uscc
            from stdnum.exceptions import ValidationError as StdnumError

            try:
                self.credit_code = uscc.validate(self.credit_code)
            except StdnumError:
                raise ValidationError(
                    {"credit_code": _("This is not a valid unified social credit code.")}
                ) from None


class ProviderMember(models.Model):
    """A login of a provider's staff. One organisation per login."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        DISPATCHER = "dispatcher", _("Dispatcher")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="eldercare_provider"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MANAGER)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provider staff login")
        verbose_name_plural = _("provider staff logins")

    def __str__(self):
        return f"{self.user} · {self.provider}"


class Worker(models.Model):
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="workers", verbose_name=_("provider")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    qualifications = models.CharField(_("qualifications"), max_length=200, blank=True)
    services = models.ManyToManyField(
        ServiceType, related_name="workers", verbose_name=_("services they can give")
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care worker")
        verbose_name_plural = _("care workers")
        ordering = ["provider", "name"]

    def __str__(self):
        return self.name

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    masked_phone.fget.short_description = _("phone")  # its label where the admin shows it


# --------------------------------------------------------------------------- family


class FamilyLinkQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=FamilyLink.Status.CONFIRMED)

    def pending(self):
        return self.filter(status=FamilyLink.Status.PENDING)


class FamilyLink(models.Model):
    """A family member's account linked to an elder, so they can book and follow services for
    them. It takes effect only when the elder consents (from their own account) or a member of
    staff in the elder's area confirms it (e.g. after seeing the household register)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Ended")

    class ConfirmedBy(models.TextChoices):
        NONE = "", _("Not confirmed")
        ELDER = "elder", _("The elder's consent")
        STAFF = "staff", _("Confirmed by staff")

    elder = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="family_links",
        verbose_name=_("elder"),
    )
    family = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="elder_links",
        verbose_name=_("family member"),
    )
    relation = models.CharField(
        _("relation to the elder"), max_length=2, choices=Membership.Relation.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    confirmed_by = models.CharField(
        _("confirmed by"), max_length=6, choices=ConfirmedBy.choices, default="", blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = FamilyLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("family link")
        verbose_name_plural = _("family links")
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "family"],
                condition=Q(status__in=["pending", "confirmed"]),
                name="eldercare_one_open_link",
            ),
        ]

    def __str__(self):
        return f"{self.family} → {self.elder}"


# --------------------------------------------------------------------------- assessment, plan


class CareLevel(models.IntegerChoices):
    """Ability levels after the national elder-ability assessment (GB/T 42195-2022)."""

    INTACT = 0, _("Level 0: fully able")
    MILD = 1, _("Level 1: mildly impaired")
    MODERATE = 2, _("Level 2: moderately impaired")
    SEVERE = 3, _("Level 3: severely impaired")
    TOTAL = 4, _("Level 4: lost ability")


class Cognition(models.TextChoices):
    NORMAL = "normal", _("Normal")
    MILD = "mild", _("Mildly impaired")
    MODERATE = "moderate", _("Moderately impaired")
    SEVERE = "severe", _("Severely impaired")


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    SPOUSE = "spouse", _("With spouse only")
    FAMILY = "family", _("With children or other family")
    OTHER = "other", _("Other")


# Activities of daily living (Barthel index): item, label, the scores an assessor may give.
ADL_ITEMS = [
    ("feeding", _("Feeding"), (0, 5, 10)),
    ("bathing", _("Bathing"), (0, 5)),
    ("grooming", _("Grooming"), (0, 5)),
    ("dressing", _("Dressing"), (0, 5, 10)),
    ("bowels", _("Bowel control"), (0, 5, 10)),
    ("bladder", _("Bladder control"), (0, 5, 10)),
    ("toilet", _("Toilet use"), (0, 5, 10)),
    ("transfers", _("Moving between bed and chair"), (0, 5, 10, 15)),
    ("mobility", _("Walking on level ground"), (0, 5, 10, 15)),
    ("stairs", _("Going up and down stairs"), (0, 5, 10)),
]
COGNITION_FLOOR = {"normal": 0, "mild": 1, "moderate": 2, "severe": 3}


def care_level_for(adl_score: int, cognition: str) -> int:
    """The Barthel bands (100 independent, 61-99 mild, 41-60 moderate, 21-40 severe, 0-20
    total dependence), raised to the floor that impaired cognition sets: someone who walks
    well but cannot find their way home needs care all the same."""
    if adl_score >= 100:
        level = CareLevel.INTACT
    elif adl_score > 60:
        level = CareLevel.MILD
    elif adl_score > 40:
        level = CareLevel.MODERATE
    elif adl_score > 20:
        level = CareLevel.SEVERE
    else:
        level = CareLevel.TOTAL
    return max(int(level), COGNITION_FLOOR.get(cognition, 0))


class CareAssessment(models.Model):
    elder = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="care_assessments"
    )
    case = models.ForeignKey(
        "casework.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_assessments",
    )
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    adl = models.JSONField(_("activities of daily living"), default=dict)
    adl_score = models.PositiveSmallIntegerField(_("ADL score (0-100)"))
    cognition = models.CharField(_("cognition"), max_length=10, choices=Cognition.choices)
    living_situation = models.CharField(
        _("living situation"), max_length=10, choices=LivingSituation.choices
    )
    notes = models.TextField(_("notes"), blank=True)
    care_level = models.PositiveSmallIntegerField(_("care level"), choices=CareLevel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care assessment")
        verbose_name_plural = _("care assessments")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(adl_score__lte=100), name="eldercare_adl_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.elder} {self.assessed_on} {self.get_care_level_display()}"

    def adl_rows(self):
        return [(label, self.adl.get(key)) for key, label, _scores in ADL_ITEMS]


class CarePlan(models.Model):
    """The details of a care-plan case: the assessment it rests on, the provider, and the
    recurring services (CarePlanItem) that become bookings once the plan is approved."""

    case = models.OneToOneField("casework.Case", on_delete=models.CASCADE, related_name="careplan")
    request_note = models.TextField(_("what help is asked for"), blank=True)
    assessment = models.ForeignKey(
        CareAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_level = models.PositiveSmallIntegerField(
        _("care level"), choices=CareLevel.choices, null=True, blank=True
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="care_plans"
    )
    goals = models.TextField(_("goals of care"), blank=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    # Bookings exist up to this day; the daily task extends the horizon.
    generated_until = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def __str__(self):
        return self.case.reference

    @property
    def is_draft(self) -> bool:
        """The plan's contents can be edited while it can still be sent for approval."""
        return self.case.state in self.case.workflow.transitions["propose_plan"].sources

    @cached_property
    def schedule(self) -> list:
        """The plan's services with their types, read once (a case page lists them)."""
        return list(self.items.select_related("service_type"))


class CarePlanItem(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="items")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    start_time = models.TimeField(_("time"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care plan service")
        verbose_name_plural = _("care plan services")
        ordering = ["plan", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "weekday", "start_time"], name="eldercare_plan_item_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M} {self.service_type}"


# --------------------------------------------------------------------------- bookings


class BookingQuerySet(models.QuerySet):
    def live(self):
        """Not declined or cancelled."""
        return self.exclude(status__in=[Booking.Status.DECLINED, Booking.Status.CANCELLED])

    def for_provider(self, provider_id):
        return self.filter(provider_id=provider_id)

    def for_citizen(self, user):
        """The user's own bookings and those of the elders they are confirmed to act for."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        elders = FamilyLink.objects.confirmed().filter(family=user).values("elder_id")
        q = Q(elder_id__in=elders)
        if user.person_id:
            q |= Q(elder_id=user.person_id)
        return self.filter(q)

    def visible_to(self, user):
        """Staff: bookings of elders living in the user's jurisdiction."""
        from civilaffairs.accounts.access import scope_q
        from civilaffairs.accounts.models import CASEWORK_ROLES

        return self.filter(scope_q(user, region_field="region_id", roles=CASEWORK_ROLES))


class Booking(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for the provider to accept")
        ACCEPTED = "accepted", _("Accepted; a worker will be assigned")
        ASSIGNED = "assigned", _("Worker assigned")
        IN_PROGRESS = "in_progress", _("Worker on site")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined by the provider")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.REQUESTED, Status.ACCEPTED, Status.ASSIGNED)

    reference = models.CharField(_("booking number"), max_length=32, unique=True)
    elder = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="eldercare_bookings"
    )
    # The elder's place of residence when booked: staff jurisdiction keys on it.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("service")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("provider")
    )
    starts_at = models.DateTimeField(pgettext_lazy("time of day", "from"))
    ends_at = models.DateTimeField(_("until"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    note = models.CharField(_("note for the worker"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    worker = models.ForeignKey(
        Worker, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2)
    subsidy = models.DecimalField(_("subsidy (yuan)"), max_digits=8, decimal_places=2)
    copay = models.DecimalField(_("to pay (yuan)"), max_digits=8, decimal_places=2)
    plan_item = models.ForeignKey(
        CarePlanItem, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    history = HistoricalRecords()
    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("home-care booking")
        verbose_name_plural = _("home-care bookings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="eldercare_booking_window"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="eldercare_checkout_after_checkin",
            ),
            # A plan generates each visit once, however often the generator runs.
            models.UniqueConstraint(
                fields=["plan_item", "starts_at"],
                condition=Q(plan_item__isnull=False),
                name="eldercare_plan_visit_once",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "starts_at", "id"], name="eldercare_provider_q"),
            models.Index(fields=["elder", "-starts_at"], name="eldercare_elder_bookings"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def can_be_rated(self):
        return self.status == self.Status.COMPLETED and not hasattr(self, "rating")

    @property
    def check_in_from(self) -> dt.datetime:
        """The earliest moment the worker may check in (CHECK_IN_EARLY_MINUTES before the start)."""
        return self.starts_at - dt.timedelta(minutes=CHECK_IN_EARLY_MINUTES)

    @property
    def minutes_on_site(self) -> int | None:
        """How long the worker really stayed: from check-in to check-out (not the booked
        length), in whole minutes; None until the visit is finished."""
        if self.checked_in_at is None or self.checked_out_at is None:
            return None
        return int((self.checked_out_at - self.checked_in_at).total_seconds() // 60)

    def slot_starts(self) -> list[dt.datetime]:
        out, t = [], self.starts_at
        while t < self.ends_at:
            out.append(t)
            t += dt.timedelta(minutes=SLOT_MINUTES)
        return out

    def steps(self):
        """The booking's progress for the elder and the family: (label, time or None)."""
        return [
            (_("Booked"), self.created_at),
            (_("Accepted by the provider"), self.accepted_at),
            (_("Worker assigned"), self.assigned_at),
            (_("Worker arrived"), self.checked_in_at),
            (_("Visit finished"), self.checked_out_at),
        ]


class WorkerSlot(models.Model):
    """One slot of a worker's time held by one booking. The unique constraint on (worker,
    starts_at) makes it impossible, at the database level and under any concurrency, to give a
    worker two overlapping visits. (An exclusion constraint over time ranges would need the
    btree_gist extension, which the embedded development PostgreSQL does not ship.)"""

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="slots")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker time slot")
        verbose_name_plural = _("worker time slots")
        constraints = [
            models.UniqueConstraint(fields=["worker", "starts_at"], name="eldercare_worker_slot"),
        ]

    def __str__(self):
        return f"{self.worker_id} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingRating(models.Model):
    """The elder's (or their family's) rating of one visit: one per booking, after check-out.
    Five levels as in the government-service rating scheme (GB/T 39734-2020)."""

    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, related_name="rating", verbose_name=_("booking")
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now_add=True, verbose_name=_("rated at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit rating")
        verbose_name_plural = _("visit ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="eldercare_rating_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.booking_id}: {self.score}"


# --------------------------------------------------------------------------- age allowance


class AgeAllowance(models.Model):
    """The details of an age-allowance case (高龄津贴)."""

    class Mode(models.TextChoices):
        AUTOMATIC = "automatic", _("Opened automatically")
        INVITED = "invited", _("Accepted an invitation")
        STAFF = "staff", _("Opened by staff")

    case = models.OneToOneField(
        "casework.Case",
        on_delete=models.CASCADE,
        related_name="age_allowance",
        verbose_name=_("case"),
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="age_allowances"
    )
    mode = models.CharField(_("how it started"), max_length=10, choices=Mode.choices)
    threshold = models.PositiveSmallIntegerField(_("age reached"))
    paid_from = models.DateField(_("paid from"), null=True, blank=True)
    stopped_on = models.DateField(_("stopped on"), null=True, blank=True)
    stop_reason = models.CharField(_("reason stopped"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("age allowance")
        verbose_name_plural = _("age allowances")
        indexes = [models.Index(fields=["person"], name="eldercare_allowance_person")]

    def __str__(self):
        return self.case.reference

    @property
    def payments(self):
        """The allowance's payments on the benefits ledger, the latest first."""
        from civilaffairs.benefits.models import Payment

        return Payment.objects.of_case(self.case_id)


class AgeAllowanceInvitation(models.Model):
    """An invitation pushed to a person who has reached the age, where the region asks people
    to confirm rather than opening the case for them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="age_allowance_invitations",
        verbose_name=_("person"),
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    threshold = models.PositiveSmallIntegerField(_("age reached"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(auto_now_add=True, verbose_name=_("sent at"))
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("age allowance invitation")
        verbose_name_plural = _("age allowance invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="pending"),
                name="eldercare_one_pending_invitation",
            ),
        ]

    def __str__(self):
        return f"{self.person} {self.threshold}"


# --------------------------------------------------------------------------- institutions


class InstitutionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def in_region(self, code: str):
        return self.filter(region_id__startswith=Region.prefix_of(code))

    def taking_level(self, level: int):
        return self.filter(care_levels__contains=[level])

    def visible_to(self, user):
        from civilaffairs.accounts.access import scope_q
        from civilaffairs.accounts.models import CASEWORK_ROLES

        return self.filter(scope_q(user, region_field="region_id", roles=CASEWORK_ROLES))


class Institution(models.Model):
    """A care institution (养老机构) with its beds. Citizens search them by area and care level;
    the institution's operator or civil-affairs staff of the area keep occupancy current."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")
        PUBLIC_PRIVATE = "public_private", _("Publicly built, privately run")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    beds_total = models.PositiveIntegerField(_("beds"))
    beds_occupied = models.PositiveIntegerField(_("beds occupied"), default=0)
    care_levels = ArrayField(
        models.PositiveSmallIntegerField(choices=CareLevel.choices),
        default=list,
        verbose_name=_("care levels taken"),
    )
    price_from = models.DecimalField(_("monthly price from (yuan)"), max_digits=8, decimal_places=2)
    price_to = models.DecimalField(_("monthly price up to (yuan)"), max_digits=8, decimal_places=2)
    # The official grading (养老机构等级, GB/T 37276-2018): 0 = not graded, 1-5 stars.
    star_grade = models.PositiveSmallIntegerField(_("official grade (stars)"), default=0)
    operator = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="institutions",
        verbose_name=_("operator"),
    )
    occupancy_updated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("care institution")
        verbose_name_plural = _("care institutions")
        ordering = ["region_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(beds_occupied__lte=models.F("beds_total")),
                name="eldercare_occupied_within_beds",
            ),
            models.CheckConstraint(
                condition=Q(price_from__lte=models.F("price_to")),
                name="eldercare_price_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="eldercare_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(star_grade__lte=5), name="eldercare_star_grade_range"
            ),
        ]
        indexes = [models.Index(fields=["region", "is_active"], name="eldercare_inst_region")]

    def __str__(self):
        return self.name

    @property
    def beds_free(self) -> int:
        return max(self.beds_total - self.beds_occupied, 0)

    def care_level_labels(self):
        labels = dict(CareLevel.choices)
        return [labels.get(level, level) for level in sorted(self.care_levels)]


# --------------------------------------------------------------------------- devices, alerts


class DevicePlatform(models.Model):
    """A health-device platform allowed to post readings. Its token is shown once when issued
    and stored only as a SHA-256 hash (a long random token needs no slow hash)."""

    name = models.CharField(_("name"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(_("token starts with"), max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    # No history table: a platform holds no personal data and decides nothing; issuing and
    # rotating its token are logged by the admin, and last_used_at is bumped on every post.

    class Meta:
        verbose_name = _("health-device platform")
        verbose_name_plural = _("health-device platforms")

    def __str__(self):
        return self.name


class Device(models.Model):
    class Kind(models.TextChoices):
        WATCH = "watch", _("Smart watch or band")
        BUTTON = "button", _("Emergency button")
        SENSOR = "sensor", _("Home sensor")
        OTHER = "other", _("Other")

    platform = models.ForeignKey(
        DevicePlatform, on_delete=models.PROTECT, related_name="devices", verbose_name=_("platform")
    )
    external_id = models.CharField(_("device number"), max_length=64)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="devices", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WATCH)
    is_active = models.BooleanField(_("active"), default=True)
    installed_on = models.DateField(_("installed on"), default=dt.date.today)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("health device")
        verbose_name_plural = _("health devices")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="eldercare_device_unique"
            ),
        ]

    def __str__(self):
        return f"{self.platform} {self.external_id}"


class ReadingKind(models.TextChoices):
    HEART_RATE = "heart_rate", _("Heart rate")
    FALL = "fall", _("Fall detected")
    SOS = "sos", _("SOS button pressed")
    INACTIVITY = "inactivity", _("No activity")


def _plain_number(value) -> str:
    """A measured value as people write it: 150, 37.5 (never 1.5E+2, never 150.00)."""
    return f"{Decimal(str(value)).normalize():f}"


def reading_text(kind: str, value) -> str:
    """What a reading says, with its unit, in the active language ("心率 150 次/分", "Heart rate
    150 bpm"). Alerts keep only the kind and the value and are put in words when read, so each
    reader reads them in their own language."""
    if kind == ReadingKind.HEART_RATE and value is not None:
        return gettext("Heart rate %(value)s bpm") % {"value": _plain_number(value)}
    if kind == ReadingKind.INACTIVITY and value is not None:
        return ngettext(
            "No activity for %(value)s hour", "No activity for %(value)s hours", int(value)
        ) % {"value": _plain_number(value)}
    if kind in ReadingKind.values:
        return str(ReadingKind(kind).label)
    return str(kind)


class DeviceReading(models.Model):
    """One reading as posted by a device platform. Never changed after it is stored (so it has
    no history table); the (platform, event id) pair makes a repeated post a no-op."""

    platform = models.ForeignKey(
        DevicePlatform,
        on_delete=models.PROTECT,
        related_name="readings",
        verbose_name=_("platform"),
    )
    event_id = models.CharField(max_length=100, verbose_name=_("event id"))
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="readings")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=ReadingKind.choices, verbose_name=_("kind"))
    value = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, verbose_name=_("value")
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("device reading")
        verbose_name_plural = _("device readings")
        constraints = [
            models.UniqueConstraint(fields=["platform", "event_id"], name="eldercare_reading_once"),
        ]
        indexes = [models.Index(fields=["person", "-recorded_at"], name="eldercare_reading_p")]

    def __str__(self):
        return f"{self.platform_id}:{self.event_id}"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user):
        from civilaffairs.accounts.access import scope_q
        from civilaffairs.accounts.models import CASEWORK_ROLES

        return self.filter(
            scope_q(
                user,
                region_field="region_id",
                level_field="confidentiality",
                roles=CASEWORK_ROLES,
            )
        )


class Alert(models.Model):
    class Severity(models.IntegerChoices):
        WARNING = 1, _("Warning")
        SEVERE = 2, _("Severe")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HANDLED = "handled", _("Handled")

    reading = models.OneToOneField(DeviceReading, on_delete=models.PROTECT, related_name="alert")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    # The elder's residence when the alert was raised: jurisdiction and routing key on it.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    # What the alert says is kept as the reading's kind and value (a code and a number) and put
    # in words in the reader's language when shown (`text`, models.reading_text).
    kind = models.CharField(max_length=12, choices=ReadingKind.choices, verbose_name=_("kind"))
    value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # An alert says only what the visitor needs (what happened, when); the readings behind it
    # stay in DeviceReading. Confidential, so that the community office that must act sees it.
    confidentiality = models.PositiveSmallIntegerField(
        choices=Confidentiality.choices, default=Confidentiality.CONFIDENTIAL
    )
    visit_case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    history = HistoricalRecords()
    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("health alert")
        verbose_name_plural = _("health alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "-created_at"], name="eldercare_alert_region")]

    def __str__(self):
        return f"{self.person} {self.get_kind_display()} {self.get_severity_display()}"

    @property
    def text(self) -> str:
        """What happened, with its unit, in the active language: "心率 150 次/分"."""
        return reading_text(self.kind, self.value)


class HomeVisit(models.Model):
    """The details of an urgent home-visit case opened by a severe alert."""

    class Finding(models.TextChoices):
        NONE = "", _("Not visited yet")
        WELL = "well", _("Found well")
        HELPED = "helped", _("Helped on the spot")
        HOSPITAL = "hospital", _("Taken to hospital")
        FALSE_ALARM = "false_alarm", _("False alarm")

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="home_visit"
    )
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    finding = models.CharField(
        _("what was found"), max_length=12, choices=Finding.choices, default="", blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("urgent home visit")
        verbose_name_plural = _("urgent home visits")

    def __str__(self):
        return self.case.reference

    def contacts(self) -> list["VisitContact"]:
        """Whom the visiting staff may need to call: the elder, then each family member whose
        link is confirmed (the emergency contacts the family gave themselves)."""
        elder = self.case.beneficiary
        out = [VisitContact("elder", elder.name, gettext("The elder"), elder.phone or "", elder)]
        links = (
            FamilyLink.objects.confirmed()
            .filter(elder_id=elder.pk)
            .select_related("family__person")
            .order_by("requested_at", "pk")
        )
        for link in links:
            family = link.family
            who = family.person or family
            phone = (family.person.phone if family.person else "") or family.phone or ""
            out.append(
                VisitContact(
                    f"link-{link.pk}",
                    family.display_name,
                    gettext("Emergency contact (%(relation)s)")
                    % {"relation": link.get_relation_display()},
                    phone,
                    who,
                )
            )
        return out

    def may_reveal_phones(self, user) -> bool:
        """Full numbers are for the staff who must go: those who may record this visit, while it
        is still to be made (the step's own predicate, casework.who). Everyone else who sees
        the case reads them masked."""
        case = self.case
        step = case.workflow.transitions["record_visit"]
        return user is not None and case.state in step.sources and bool(step.who(case, user))


@dataclass(frozen=True)
class VisitContact:
    """Someone to call about an urgent visit. `phone` is the full number: a page shows
    `masked_phone` unless the reader revealed it (logged against `subject`)."""

    key: str
    name: str
    role: str
    phone: str
    subject: object

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
