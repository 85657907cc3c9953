"""Marriage registration (婚姻登记): registries and their appointment slots, the details of each
registration, divorce and replacement case, and the marriage records with their certificates.

Design:
- A registry is a platform `accounts.Office` (the county civil-affairs bureau that handles the
  `marriage.*` services) plus a `RegistrationOffice` row one-to-one with it: its public name,
  the code printed in certificate numbers, opening periods, slot length and capacity. Jurisdiction
  (staff roles, case scoping) stays the platform's; only what is specific to a registry is here.
- Every application (marriage registration, divorce by agreement, certificate replacement) is a
  platform `Case` with a `MarriageApplication` details row. The two parties are the case's
  applicant (who booked) and beneficiary (the partner), so both see the case in "my
  applications" and either may fire the citizen transitions (withdrawal).
- `MarriageRecord` is the portal's register of marriages: the stand-in for the national marriage
  database, read through `marriage.adapters`. At most one record in force per person is a
  database constraint, so two registries cannot marry the same person at the same moment.
- Marriage records and certificates are kept permanently (the services' retention is None).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

# The legal minimum age to marry (Civil Code Art. 1047), by sex.
MIN_AGE = {"M": 22, "F": 20}
# Divorce by agreement (Civil Code Art. 1077): calendar days.
COOLING_OFF_DAYS = 30
COLLECTION_DAYS = 30

# Age bands of the statistics (age on the registration day). Upper bound inclusive; None = open.
AGE_BANDS = [
    ("20-24", 20, 24),
    ("25-29", 25, 29),
    ("30-34", 30, 34),
    ("35-39", 35, 39),
    ("40-49", 40, 49),
    ("50+", 50, None),
]


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


class RegistrationOfficeQuerySet(models.QuerySet):
    def bookable(self):
        return self.filter(is_active=True, office__is_active=True)


class RegistrationOffice(models.Model):
    """What a marriage registry adds to its platform office."""

    office = models.OneToOneField(
        "accounts.Office",
        on_delete=models.PROTECT,
        related_name="marriage_registry",
        verbose_name=_("office"),
    )
    name = models.CharField(_("registry name"), max_length=120)
    # Printed in certificate numbers (J<code>-<year>-<sequence>); the county code by default.
    code = models.CharField(_("registry code"), max_length=12, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("couples per slot"), default=3)
    booking_days = models.PositiveSmallIntegerField(_("days open for booking ahead"), default=28)
    is_active = models.BooleanField(_("taking appointments"), default=True)

    history = HistoricalRecords()
    objects = RegistrationOfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("marriage registry")
        verbose_name_plural = _("marriage registries")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def hours_text(self, periods=None) -> str:
        """The opening periods in words, consecutive days with the same hours together:
        "星期一–星期五 09:00-12:00, 13:30-17:00"."""
        periods = list(self.periods.all()) if periods is None else periods
        by_day: dict[int, list[str]] = {}
        for p in sorted(periods, key=lambda p: (p.weekday, p.start)):
            by_day.setdefault(p.weekday, []).append(f"{p.start:%H:%M}-{p.end:%H:%M}")
        names = dict(OpeningPeriod.Weekday.choices)
        groups: list[list] = []  # [first day, last day, hours]
        for day in sorted(by_day):
            hours = ", ".join(by_day[day])
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == hours:
                groups[-1][1] = day
            else:
                groups.append([day, day, hours])
        return "; ".join(
            f"{names[a]}{'–' + str(names[b]) if b != a else ''} {hours}" for a, b, hours in groups
        )


class OpeningPeriod(models.Model):
    """A weekly opening period. Slots are made for working days of the platform's calendar;
    an extra opening on a rest day (e.g. 5.20) is a Slot added in the admin."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    registry = models.ForeignKey(
        RegistrationOffice, on_delete=models.CASCADE, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(pgettext_lazy("time of day", "from"))
    end = models.TimeField(pgettext_lazy("time of day", "to"))

    class Meta:
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        ordering = ["registry", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="period_ordered")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class SlotQuerySet(models.QuerySet):
    def with_taken(self):
        """Each slot with the number of places held (pending or confirmed appointments of open
        cases, and attended ones): one query for a whole list."""
        return self.annotate(
            taken=Count(
                "appointments",
                filter=Q(appointments__status__in=Appointment.HOLDING)
                & Q(appointments__application__case__closed_at__isnull=True)
                | Q(appointments__status=Appointment.Status.ATTENDED),
            )
        )

    def upcoming(self, today: dt.date | None = None):
        today = today or timezone.localdate()
        return self.filter(date__gt=today)


class Slot(models.Model):
    """A time at a registry with room for `capacity` couples."""

    registry = models.ForeignKey(
        RegistrationOffice,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=_("registry"),
    )
    date = models.DateField(_("date"))
    start = models.TimeField(pgettext_lazy("time of day", "from"))
    end = models.TimeField(pgettext_lazy("time of day", "to"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["registry", "date", "start"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "date", "start"], name="slot_unique"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="slot_ordered"),
        ]

    def __str__(self):
        return f"{self.registry} {self.date} {self.start:%H:%M}"

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, tzinfo=local_tz())

    def label(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.start:%H:%M}-{self.end:%H:%M}"


class MarriageRecordQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(status=MarriageRecord.Status.IN_FORCE)

    def of_person(self, person):
        pk = getattr(person, "pk", person)
        return self.filter(Q(man_id=pk) | Q(woman_id=pk))

    def statistics(self):
        """Registrations per registry and month, with the parties by age band and sex: the
        rows the statistics page shows and the analytics will read. One GROUP BY."""
        from django.db.models.functions import TruncMonth

        counts = {"marriages": Count("id")}
        for label, low, high in AGE_BANDS:
            for sex, field in (("men", "man_age"), ("women", "woman_age")):
                cond = Q(**{f"{field}__gte": low})
                if high is not None:
                    cond &= Q(**{f"{field}__lte": high})
                counts[f"{sex}_{label}"] = Count("id", filter=cond)
        return (
            self.order_by()
            .annotate(month=TruncMonth("registered_on"))
            .values("registry_id", "month")
            .annotate(**counts)
            .order_by("-month", "registry_id")
        )

    def divorce_statistics(self):
        from django.db.models.functions import TruncMonth

        return (
            self.filter(status=MarriageRecord.Status.DIVORCED, dissolved_registry__isnull=False)
            .order_by()
            .annotate(month=TruncMonth("dissolved_on"))
            .values("dissolved_registry_id", "month")
            .annotate(divorces=Count("id"))
        )


class MarriageRecord(models.Model):
    """One marriage in the portal's register (the national database's stand-in)."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("In force")
        DIVORCED = "divorced", _("Dissolved by divorce")
        ENDED_BY_DEATH = "ended_by_death", _("Ended by death")

    man = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="marriages_as_man",
        verbose_name=_("husband"),
    )
    woman = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="marriages_as_woman",
        verbose_name=_("wife"),
    )
    registry = models.ForeignKey(
        RegistrationOffice,
        on_delete=models.PROTECT,
        related_name="marriages",
        verbose_name=_("registered at"),
    )
    registered_on = models.DateField(_("registered on"))
    # Fixed at registration, for the statistics by age band.
    man_age = models.PositiveSmallIntegerField(_("husband's age"))
    woman_age = models.PositiveSmallIntegerField(_("wife's age"))
    certificate_number = models.CharField(
        _("marriage certificate number"), max_length=40, unique=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_FORCE
    )
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    dissolved_registry = models.ForeignKey(
        RegistrationOffice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="divorces",
        verbose_name=_("divorce registered at"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = MarriageRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("marriage record")
        verbose_name_plural = _("marriage records")
        ordering = ["-registered_on", "-id"]
        constraints = [
            # Bigamy is void (Art. 1051): one marriage in force per person, enforced by the
            # database whatever the application does.
            models.UniqueConstraint(
                fields=["man"], condition=Q(status="in_force"), name="marriage_one_in_force_man"
            ),
            models.UniqueConstraint(
                fields=["woman"],
                condition=Q(status="in_force"),
                name="marriage_one_in_force_woman",
            ),
            models.CheckConstraint(condition=~Q(man=models.F("woman")), name="marriage_two_people"),
        ]
        indexes = [
            models.Index(fields=["registry", "registered_on"], name="marriage_registry_day"),
            models.Index(
                fields=["dissolved_registry", "dissolved_on"], name="marriage_divorce_day"
            ),
        ]

    def __str__(self):
        return self.certificate_number

    def spouse_of(self, person):
        pk = getattr(person, "pk", person)
        return self.woman if pk == self.man_id else self.man

    @property
    def is_in_force(self):
        return self.status == self.Status.IN_FORCE


def expected_marital_status(person) -> str | None:
    """What the marriage records say a person's marital status is (None when the records know
    nothing about them): the master record must agree after every registration."""
    from civilaffairs.people.models import Person

    latest = MarriageRecord.objects.of_person(person).order_by("-registered_on", "-id").first()
    if latest is None:
        return None
    if latest.status == MarriageRecord.Status.IN_FORCE:
        return Person.MaritalStatus.MARRIED
    if latest.status == MarriageRecord.Status.DIVORCED:
        return Person.MaritalStatus.DIVORCED
    return Person.MaritalStatus.WIDOWED


class MarriageApplicationQuerySet(models.QuerySet):
    def of_registries(self, registry_ids):
        return self.filter(registry_id__in=registry_ids)

    def of_person(self, person):
        pk = getattr(person, "pk", person)
        return self.filter(Q(case__applicant_id=pk) | Q(case__beneficiary_id=pk))

    def open(self):
        return self.filter(case__closed_at__isnull=True)


class MarriageApplication(models.Model):
    """The details of one marriage-registration, divorce or replacement case."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("Marriage registration")
        DIVORCE = "divorce", _("Divorce registration")
        REPLACEMENT = "replacement", _("Certificate replacement")

    class Refusal(models.TextChoices):
        UNDER_AGE = "under_age", _("Under the legal age to marry (Civil Code Art. 1047)")
        MARRIED = "married", _("A party is married (Civil Code Art. 1042, 1051)")
        RELATION = (
            "relation",
            _(
                "Direct blood relatives or collateral relatives within three generations (Civil Code Art. 1048)"
            ),
        )
        SAME_SEX = "same_sex", _("Marriage is between a man and a woman (Civil Code Art. 1049)")
        IDENTITY = "identity", _("Identity could not be verified")
        NO_MARRIAGE = "no_marriage", _("No marriage between the parties in the records")
        AGREEMENT = (
            "agreement",
            _(
                "No written divorce agreement on property, children and debts (Civil Code Art. 1076)"
            ),
        )
        NOT_IN_PERSON = "not_in_person", _("Both parties must appear in person")
        NOT_VOLUNTARY = (
            "not_voluntary",
            _("Not the free will of both parties (Civil Code Art. 1046, 1076)"),
        )
        CAPACITY = (
            "capacity",
            _(
                "A party lacks full civil capacity: a divorce is then decided by a court, not "
                "registered by agreement"
            ),
        )
        NOT_MAINLAND = (
            "not_mainland",
            _(
                "The marriage was not registered in the Chinese mainland: the divorce is not "
                "registered here"
            ),
        )
        OTHER = "other", _("Other reason")

    # The legal reasons a registrar may refuse each kind of application for: a marriage is
    # refused for what stops a marriage (Civil Code Art. 1046-1051), a divorce by agreement for
    # what the law asks of one (Art. 1076 and the Marriage Registration Regulations: both in
    # person and willing, a written agreement, full civil capacity, a marriage registered in
    # the mainland and on record).
    REFUSALS = {
        Kind.REGISTRATION: (
            Refusal.UNDER_AGE,
            Refusal.MARRIED,
            Refusal.RELATION,
            Refusal.SAME_SEX,
            Refusal.IDENTITY,
            Refusal.NOT_IN_PERSON,
            Refusal.NOT_VOLUNTARY,
            Refusal.OTHER,
        ),
        Kind.DIVORCE: (
            Refusal.NOT_IN_PERSON,
            Refusal.NOT_VOLUNTARY,
            Refusal.AGREEMENT,
            Refusal.CAPACITY,
            Refusal.NOT_MAINLAND,
            Refusal.NO_MARRIAGE,
            Refusal.IDENTITY,
            Refusal.OTHER,
        ),
    }

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="marriage", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    registry = models.ForeignKey(
        RegistrationOffice,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("registry"),
    )
    # The marriage concerned: the one registered, the one being dissolved, or the one whose
    # certificate is replaced.
    record = models.ForeignKey(
        MarriageRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("marriage record"),
    )
    # Each party's online declaration of no spouse and no prohibited kinship (registration).
    declared_a_at = models.DateTimeField(_("first party declared"), null=True, blank=True)
    declared_b_at = models.DateTimeField(_("second party declared"), null=True, blank=True)
    # The last run of the legal checks at the counter: [{code, label, outcome, reason}].
    checks = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(_("legal checks run"), null=True, blank=True)
    # What the registrar confirmed at the counter.
    photos_checked = models.BooleanField(_("photos checked against the ID cards"), default=False)
    declarations_signed = models.BooleanField(
        _("declarations signed at the counter"), default=False
    )
    # A review found no prohibited relation despite the household data (and why).
    relation_cleared_at = models.DateTimeField(_("relation reviewed"), null=True, blank=True)
    relation_clearance = models.TextField(_("review finding"), blank=True)
    refusal = models.CharField(
        _("legal reason for refusal"), max_length=16, choices=Refusal.choices, blank=True
    )
    # Divorce by agreement.
    agreement_children = models.TextField(_("agreement on the children"), blank=True)
    agreement_property = models.TextField(_("agreement on property and debts"), blank=True)
    received_at = models.DateTimeField(_("application received"), null=True, blank=True)
    cooling_off_ends = models.DateField(_("cooling-off period ends"), null=True, blank=True)
    collection_ends = models.DateField(_("certificate to be collected by"), null=True, blank=True)
    window_reminded_at = models.DateTimeField(null=True, blank=True)
    # Replacement (补领): whose certificate.
    holder = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certificate holder"),
    )

    history = HistoricalRecords()
    objects = MarriageApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("marriage application")
        verbose_name_plural = _("marriage applications")
        indexes = [
            models.Index(
                fields=["cooling_off_ends"],
                name="marriage_cooling_off",
                condition=Q(cooling_off_ends__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.case.reference} {self.get_kind_display()}"

    @property
    def party_a(self):
        return self.case.applicant

    @property
    def party_b(self):
        return self.case.beneficiary

    def parties(self):
        return [p for p in (self.case.applicant, self.case.beneficiary) if p is not None]

    def is_party(self, person_id) -> bool:
        return person_id is not None and person_id in (
            self.case.applicant_id,
            self.case.beneficiary_id,
        )

    def other_party(self, person_id):
        return self.case.beneficiary if person_id == self.case.applicant_id else self.case.applicant

    @property
    def received_on(self) -> dt.date | None:
        return timezone.localdate(self.received_at) if self.received_at else None

    @property
    def collection_starts(self) -> dt.date | None:
        if self.cooling_off_ends is None:
            return None
        return self.cooling_off_ends + dt.timedelta(days=1)

    def cooling_off_days_left(self, today: dt.date | None = None) -> int | None:
        if self.cooling_off_ends is None:
            return None
        today = today or timezone.localdate()
        return max((self.cooling_off_ends - today).days, 0)

    def collection_days_left(self, today: dt.date | None = None) -> int | None:
        if self.collection_ends is None:
            return None
        today = today or timezone.localdate()
        return max((self.collection_ends - today).days, 0)

    def day_number(self, today: dt.date | None = None) -> int | None:
        """Days since receipt: day 1 is the day after receipt (Civil Code Art. 201)."""
        if self.received_on is None:
            return None
        return ((today or timezone.localdate()) - self.received_on).days

    @property
    def can_check_in(self) -> bool:
        """The couple may be checked in at the counter: on the day they apply, and again on
        the day they collect a divorce certificate (marriage.actions.do_check_in)."""
        state = self.case.state
        return state == "booked" or (
            self.kind == self.Kind.DIVORCE and state in ("cooling_off", "collection")
        )

    def refusal_choices(self) -> list[tuple[str, str]]:
        """The legal reasons this kind of application may be refused for."""
        return [(r.value, r.label) for r in self.REFUSALS.get(self.kind, ())]

    def appointment_day(self) -> dt.date | None:
        """The day of the couple's appointment for the visit at hand (to apply, while the case
        is booked or just submitted; to collect a divorce certificate, afterwards): the earliest
        one still held, or None when they hold none."""
        purpose = (
            Appointment.Purpose.APPLY
            if self.case.state in ("booked", "submitted")
            else Appointment.Purpose.COLLECT
        )
        return (
            self.appointments.filter(purpose=purpose, status__in=Appointment.HOLDING)
            .order_by("slot__date")
            .values_list("slot__date", flat=True)
            .first()
        )

    @property
    def checks_shown(self) -> list[dict]:
        return checks_shown(self.checks)

    def check_outcome(self) -> str:
        outcomes = {c.get("outcome") for c in self.checks}
        if "fail" in outcomes:
            return "fail"
        if "refer" in outcomes:
            return "refer"
        return "pass" if self.checks else ""


def checks_shown(checks: list[dict], language: str | None = None) -> list[dict]:
    """Stored legal checks (marriage.checks) with their label and reason in `language` (by
    default the reader's); checks stored before they kept every language are shown as they
    were written."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return [{**c, **(c.get("texts") or {}).get(language, {})} for c in checks]


class Appointment(models.Model):
    """One booked visit of a couple to a registry. Both parties must confirm it."""

    class Purpose(models.TextChoices):
        APPLY = "apply", _("Apply (register or file the divorce application)")
        COLLECT = "collect", _("Collect the divorce certificate")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the partner's confirmation")
        CONFIRMED = "confirmed", _("Confirmed by both")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        MISSED = "missed", _("Missed")

    # Statuses that hold a place in the slot (while the case is open).
    HOLDING = (Status.PENDING, Status.CONFIRMED)

    application = models.ForeignKey(
        MarriageApplication,
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("application"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("time slot")
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.APPLY
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    confirmed_a_at = models.DateTimeField(null=True, blank=True)
    confirmed_b_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__date", "slot__start", "id"]
        indexes = [models.Index(fields=["slot", "status"], name="appointment_slot_status")]

    def __str__(self):
        return f"{self.application.case.reference} {self.slot}"

    @property
    def is_active(self):
        return self.status in self.HOLDING

    def confirmed_by(self, person_id) -> bool:
        case = self.application.case
        if person_id == case.applicant_id:
            return self.confirmed_a_at is not None
        if person_id == case.beneficiary_id:
            return self.confirmed_b_at is not None
        return False


class Certificate(models.Model):
    """A certificate booklet. Each party holds their own; both carry the same number. A
    replacement (补领) voids the lost booklet and gets a number of its own."""

    class Kind(models.TextChoices):
        MARRIAGE = "J", _("Marriage certificate")
        DIVORCE = "L", _("Divorce certificate")
        MARRIAGE_REPLACEMENT = "BJ", _("Marriage certificate (replacement)")
        DIVORCE_REPLACEMENT = "BL", _("Divorce certificate (replacement)")

    number = models.CharField(_("certificate number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    record = models.ForeignKey(
        MarriageRecord, on_delete=models.PROTECT, related_name="certificates"
    )
    holder = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="marriage_certificates",
        verbose_name=_("holder"),
    )
    registry = models.ForeignKey(
        RegistrationOffice,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("issued by"),
    )
    issued_on = models.DateField(_("issued on"))
    application = models.ForeignKey(
        MarriageApplication,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    voided_on = models.DateField(_("void since"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["issued_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["number", "holder"], name="certificate_unique"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_divorce(self):
        return self.kind in (self.Kind.DIVORCE, self.Kind.DIVORCE_REPLACEMENT)

    @property
    def is_valid(self):
        return self.voided_on is None


class CertificateCounter(models.Model):
    """Per registry, kind and year, the last sequence number handed out."""

    registry = models.ForeignKey(RegistrationOffice, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registry", "kind", "year"], name="certcounter_unique")
        ]

    def __str__(self):
        return f"{self.kind}{self.registry_id}-{self.year}:{self.last}"


class PremaritalCheck(models.Model):
    """A premarital medical check's result as health reported it through the inter-agency API,
    attached to the person's open application: health data, shown to the registrar at the
    counter only. The check is voluntary; its advice informs, it never refuses a registration
    by itself (Civil Code Art. 1053: a party with a serious illness must tell the other)."""

    application = models.ForeignKey(
        MarriageApplication,
        on_delete=models.CASCADE,
        related_name="premarital_checks",
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    advice = models.CharField(_("medical advice"), max_length=20)
    checked_on = models.DateField(_("checked on"))
    institution = models.CharField(_("institution"), max_length=100)
    department = models.CharField(_("reported by"), max_length=100)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("premarital check")
        verbose_name_plural = _("premarital checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self):
        return f"{self.person_id} {self.checked_on}"

    def advice_label(self) -> str:
        from civilaffairs.exchange.catalogue import PREMARITAL_ADVICE

        return str(dict(PREMARITAL_ADVICE).get(self.advice, self.advice))
