"""Child welfare: children's protection records, guardians, intake reports, needs assessments,
support plans matched to a resource catalogue, visits with alerts, and the basic living
allowance for orphans and children without a de-facto carer.

A child is a `people.Person`; `ChildProfile` adds what child welfare knows about them. Reads go
through `childwelfare.queries` (narrower than anywhere else: the child-welfare role in the
child's jurisdiction, or the assigned children's director), and every view of a record is
logged there.
"""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.masking import mask_name, mask_phone
from civilaffairs.people.models import Region

from .scope import alert_scope_q, child_scope_q

# --------------------------------------------------------------------------- vocabularies


class Category(models.TextChoices):
    """Protection categories (DOMAIN.md, Child welfare). Children in difficulty (困境儿童) are
    split by cause, because visits, plans and statistics differ by cause."""

    PENDING = "pending", _("Being identified")
    NONE = "none", _("No protection category")
    ORPHAN = "orphan", _("Orphan (孤儿)")
    NO_CARER = "no_carer", _("Child without a de-facto carer (事实无人抚养)")
    LEFT_BEHIND = "left_behind", _("Left-behind child (留守儿童)")
    POOR_FAMILY = "poor_family", _("Child in difficulty: poor family")
    DISABLED = "disabled", _("Child in difficulty: disability")
    SERIOUSLY_ILL = "seriously_ill", _("Child in difficulty: serious illness")
    OTHER_DIFFICULTY = "other_difficulty", _("Child in difficulty: other")

    @classmethod
    def protected(cls) -> list[str]:
        """Categories under protection (visits, plans)."""
        return [c for c in cls.values if c not in (cls.PENDING, cls.NONE)]

    @classmethod
    def allowance(cls) -> list[str]:
        """Categories entitled to the basic living allowance."""
        return [cls.ORPHAN, cls.NO_CARER]


# The rules program that pre-screens each category and holds its parameters (visit interval,
# plan review cadence), in order of precedence: the first that passes is suggested.
CATEGORY_PROGRAMS = {
    Category.ORPHAN: "child_orphan",
    Category.NO_CARER: "child_no_carer",
    Category.LEFT_BEHIND: "child_left_behind",
    Category.POOR_FAMILY: "child_difficulty",
    Category.DISABLED: "child_difficulty",
    Category.SERIOUSLY_ILL: "child_difficulty",
    Category.OTHER_DIFFICULTY: "child_difficulty",
}
PRESCREEN_ORDER = ["child_orphan", "child_no_carer", "child_left_behind", "child_difficulty"]
ALLOWANCE_PROGRAM = "child_allowance"


class Area(models.TextChoices):
    """The five areas of a needs assessment."""

    LIVING = "living", _("Living conditions")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    PSYCHOLOGY = "psychology", _("Psychology")
    SAFETY = "safety", _("Safety")


class Need(models.TextChoices):
    """Kinds of support a plan item gives and a resource offers."""

    LIVING_ASSISTANCE = "living_assistance", _("Living assistance")
    EDUCATION_AID = "education_aid", _("Education aid")
    MEDICAL_AID = "medical_aid", _("Medical aid")
    COUNSELLING = "counselling", _("Psychological counselling")
    GUARDIANSHIP_SUPPORT = "guardianship_support", _("Guardianship support")


# The support that answers a need found in each area.
AREA_NEED = {
    Area.LIVING: Need.LIVING_ASSISTANCE,
    Area.EDUCATION: Need.EDUCATION_AID,
    Area.HEALTH: Need.MEDICAL_AID,
    Area.PSYCHOLOGY: Need.COUNSELLING,
    Area.SAFETY: Need.GUARDIANSHIP_SUPPORT,
}


class Score(models.IntegerChoices):
    NONE = 0, _("0 – no need")
    SOME = 1, _("1 – some need, watch")
    CLEAR = 2, _("2 – clear need, support")
    URGENT = 3, _("3 – urgent need")


# From this score an area needs an item in the support plan.
NEEDS_SUPPORT_FROM = Score.CLEAR


# --------------------------------------------------------------------------- the child


class ChildProfileQuerySet(models.QuerySet):
    def active(self):
        """Children under protection now: a protection category, not closed."""
        return self.filter(closed_on__isnull=True, category__in=Category.protected())

    def open(self):
        return self.filter(closed_on__isnull=True)

    def visible_to(self, user):
        return self.filter(child_scope_q(user))

    def of_guardian(self, user):
        """The children the citizen is a current guardian of (and nobody else's)."""
        if not getattr(user, "is_authenticated", False) or not user.person_id:
            return self.none()
        return self.filter(
            pk__in=Guardian.objects.filter(person_id=user.person_id, end_date__isnull=True).values(
                "profile_id"
            )
        )

    def visit_overdue(self, today: dt.date):
        return self.active().filter(next_visit_due__lt=today)


class ChildProfile(models.Model):
    """What child welfare knows about one child. The child is the master record's Person."""

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="child_profile",
        verbose_name=_("child"),
    )
    category = models.CharField(
        _("protection category"), max_length=20, choices=Category.choices, default=Category.PENDING
    )
    category_since = models.DateField(_("in this category since"), null=True, blank=True)
    # The parents as identified from the master record at intake (households and relations),
    # corrected by the worker when the record is incomplete. Their deaths, disabilities and
    # illnesses are read from their own Person rows; the rest from ParentCircumstance.
    father = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("father"),
    )
    mother = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mother"),
    )
    school = models.CharField(_("school"), max_length=120, blank=True)
    school_grade = models.CharField(_("grade / class"), max_length=40, blank=True)
    school_notes = models.TextField(_("school notes"), blank=True)
    health_notes = models.TextField(_("health notes"), blank=True)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children_directed",
        verbose_name=_("children's director"),
    )
    # Always the strictest level; a column so that the platform's scope check (region and level
    # together, accounts.access.scope_q) applies to these rows as it does to cases.
    confidentiality = models.PositiveSmallIntegerField(
        choices=Confidentiality.choices, default=Confidentiality.SENSITIVE, editable=False
    )
    # PIPL Art. 31: processing a child's data under 14 needs the guardian's consent.
    guardian_consent_on = models.DateField(
        _("guardian's consent recorded on"), null=True, blank=True
    )
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    closed_on = models.DateField(_("record closed on"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()
    objects = ChildProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("child's record")
        verbose_name_plural = _("children's records")
        indexes = [
            models.Index(
                fields=["next_visit_due"],
                name="child_visit_due",
                condition=Q(closed_on__isnull=True),
            ),
            models.Index(fields=["category", "id"], name="child_category"),
        ]

    def __str__(self):
        return self.masked_name

    @property
    def masked_name(self) -> str:
        return mask_name(self.person.name)

    @property
    def is_protected(self) -> bool:
        return self.closed_on is None and self.category in Category.protected()

    @property
    def program_code(self) -> str | None:
        return CATEGORY_PROGRAMS.get(self.category)

    def visit_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_protected and self.next_visit_due is not None and self.next_visit_due < today

    def parents(self) -> list:
        return [p for p in (self.father, self.mother) if p is not None]

    def current_guardians(self):
        return self.guardians.filter(end_date__isnull=True).select_related("person")


class CategoryChange(models.Model):
    """The child's categories over time, with who changed them and why."""

    profile = models.ForeignKey(
        ChildProfile, on_delete=models.CASCADE, related_name="category_changes"
    )
    from_category = models.CharField(max_length=20, choices=Category.choices)
    to_category = models.CharField(max_length=20, choices=Category.choices)
    changed_on = models.DateField(_("from"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("category change")
        verbose_name_plural = _("category changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.profile_id}: {self.from_category} → {self.to_category}"


class ParentCircumstance(models.Model):
    """Facts about a parent that the master record does not carry and category rules need:
    working away from home (留守), in custody or compulsory treatment, out of contact (事实无人
    抚养). Deaths, disability grades and serious illness stay on the Person. Recorded by
    child-welfare staff; one row per person."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="parent_circumstance"
    )
    working_away = models.BooleanField(_("works away from home"), default=False)
    working_away_since = models.DateField(_("away since"), null=True, blank=True)
    working_in = models.CharField(_("where (city or province)"), max_length=60, blank=True)
    restricted_liberty = models.BooleanField(
        _("in custody, compulsory treatment or otherwise deprived of liberty"), default=False
    )
    missing = models.BooleanField(_("out of contact (missing)"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("parent's circumstances")
        verbose_name_plural = _("parents' circumstances")

    def __str__(self):
        return str(self.person_id)

    @property
    def unable_to_care(self) -> bool:
        return self.restricted_liberty or self.missing


class Guardian(models.Model):
    """A child's guardian or carer: a person of the master record, or an institution."""

    class Relation(models.TextChoices):
        FATHER = "father", _("Father")
        MOTHER = "mother", _("Mother")
        GRANDPARENT = "grandparent", _("Grandparent")
        SIBLING = "sibling", _("Adult sibling")
        RELATIVE = "relative", _("Other relative")
        FOSTER = "foster", _("Foster family")
        INSTITUTION = "institution", _("Child-welfare institution")
        OTHER = "other", _("Other")

    profile = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="guardians")
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guardianships",
        verbose_name=_("guardian (person)"),
    )
    institution_name = models.CharField(_("institution"), max_length=120, blank=True)
    relation = models.CharField(_("relation to the child"), max_length=20, choices=Relation.choices)
    phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_de_facto_carer = models.BooleanField(_("looks after the child day to day"), default=True)
    start_date = models.DateField(_("from"), default=dt.date.today)
    end_date = models.DateField(_("to"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["end_date", "start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(institution_name=""),
                name="guardian_person_or_institution",
            ),
        ]
        indexes = [
            models.Index(
                fields=["person"], name="guardian_current", condition=Q(end_date__isnull=True)
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id else self.institution_name

    @property
    def is_institution(self) -> bool:
        return self.person_id is None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone or (self.person.phone if self.person_id else ""))


# --------------------------------------------------------------------------- intake


class IntakeReport(models.Model):
    """The details of an intake case: who reported the child, why, and what the rules
    suggested. The child's record is the profile; this is the report that opened it."""

    class ReporterKind(models.TextChoices):
        DIRECTOR = "director", _("Community children's director")
        SCHOOL = "school", _("School")
        CASEWORKER = "caseworker", _("Caseworker")
        HOSPITAL = "hospital", _("Hospital")
        POLICE = "police", _("Police")
        NEIGHBOUR = "neighbour", _("Neighbour or relative")
        OTHER = "other", _("Other")

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="child_intake"
    )
    profile = models.ForeignKey(ChildProfile, on_delete=models.PROTECT, related_name="intakes")
    reporter_kind = models.CharField(_("reported by"), max_length=12, choices=ReporterKind.choices)
    reporter_name = models.CharField(_("reporter's name"), max_length=60, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=60, blank=True)
    concern = models.TextField(_("what gives concern"))
    safety_concern = models.BooleanField(_("serious safety concern"), default=False)
    suggested_category = models.CharField(
        _("category suggested by the rules"),
        max_length=20,
        choices=Category.choices,
        blank=True,
    )
    prescreened_at = models.DateTimeField(_("pre-screened"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intake report")
        verbose_name_plural = _("intake reports")
        indexes = [
            models.Index(
                fields=["prescreened_at"],
                name="intake_not_prescreened",
                condition=Q(prescreened_at__isnull=True),
            )
        ]

    def __str__(self):
        return self.case.reference

    kind = "intake"


# --------------------------------------------------------------------------- assessment, plan


class NeedsAssessment(models.Model):
    profile = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="assessments")
    case = models.ForeignKey(
        "casework.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_assessments",
    )
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("overall summary"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["-assessed_on", "-id"]

    def __str__(self):
        return f"{self.profile_id} {self.assessed_on}"

    def areas_needing_support(self) -> list["AssessmentArea"]:
        return [a for a in self.areas.all() if a.score >= NEEDS_SUPPORT_FROM]


class AssessmentArea(models.Model):
    assessment = models.ForeignKey(NeedsAssessment, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(_("area"), max_length=12, choices=Area.choices)
    score = models.PositiveSmallIntegerField(_("need"), choices=Score.choices)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assessment area")
        verbose_name_plural = _("assessment areas")
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "area"], name="assessment_area_once")
        ]

    def __str__(self):
        return f"{self.area}: {self.score}"

    @property
    def need(self) -> str:
        return AREA_NEED[Area(self.area)]

    @property
    def needs_support(self) -> bool:
        return self.score >= NEEDS_SUPPORT_FROM


class ResourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def with_load(self):
        """Each resource with `in_use` (open plan items) and `free` places."""
        return self.annotate(
            in_use=Count("items", filter=Q(items__status__in=SupportItem.Status.open())),
        ).annotate(free=F("capacity") - F("in_use"))

    def serving(self, region_code: str):
        """Resources whose area contains the region (the region itself or any level above)."""
        return self.filter(region_prefix__in=Region.prefix_chain(region_code))

    def matching(self, need: str, region_code: str):
        """Resources that offer this support where the child lives and still have room,
        nearest first (a community's own before the county's), then the most room."""
        return (
            self.active()
            .filter(needs__contains=[need])
            .serving(region_code)
            .with_load()
            .filter(free__gt=0)
            .select_related("region")
            .order_by(Length("region_prefix").desc(), "-free", "name", "pk")
        )


class Resource(models.Model):
    """The catalogue of support: providers, schools, charities, counsellors, clinics."""

    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Service provider")
        SCHOOL = "school", _("School")
        CHARITY = "charity", _("Charity")
        COUNSELLOR = "counsellor", _("Counsellor")
        MEDICAL = "medical", _("Clinic or hospital")
        COMMUNITY = "community", _("Community service")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    needs = ArrayField(
        models.CharField(max_length=24, choices=Need.choices),
        verbose_name=_("support offered"),
    )
    region = models.ForeignKey(
        "people.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("area served"),
        help_text=_("The resource serves this region and everything below it."),
    )
    # Denormalised from region (as on Office) so that matching is one index lookup.
    region_prefix = models.CharField(max_length=12, editable=False, db_index=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), help_text=_("How many children it can support at the same time.")
    )
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = ResourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resource catalogue")
        ordering = ["region_prefix", "name"]
        indexes = [models.Index(fields=["is_active", "region_prefix"], name="resource_area")]

    def __str__(self):
        return self.name

    @property
    def need_labels(self) -> list[str]:
        return [str(Need(n).label) for n in self.needs if n in Need.values]

    def sync_region_prefix(self):
        """Called by the actions that create or move a resource."""
        self.region_prefix = Region.prefix_of(self.region_id)


class SupportPlan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        ENDED = "ended", _("Ended")

    profile = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="plans")
    case = models.ForeignKey(
        "casework.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="child_plans"
    )
    assessment = models.ForeignKey(
        NeedsAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="plans"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    review_months = models.PositiveSmallIntegerField(_("reviewed every (months)"))
    next_review_on = models.DateField(_("next review"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile"], condition=Q(status="active"), name="one_active_plan_per_child"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_review_on"], name="plan_review_due", condition=Q(status="active")
            )
        ]

    def __str__(self):
        return f"{self.profile_id} {self.created_at:%Y-%m-%d}"


class SupportItem(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

        @classmethod
        def open(cls):
            return [cls.PLANNED, cls.IN_PROGRESS]

    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="items")
    need = models.CharField(_("support"), max_length=24, choices=Need.choices)
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("resource"),
    )
    description = models.CharField(_("what will be done"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="child_support_items",
        verbose_name=_("responsible"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    progress = models.TextField(_("progress"), blank=True)
    completed_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support item")
        verbose_name_plural = _("support items")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["resource", "status"], name="item_resource_load")]

    def __str__(self):
        return f"{self.get_need_display()} · {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.status in self.Status.open()

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())


class PlanReview(models.Model):
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("reviewed on"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    progress = models.TextField(_("progress found"))
    next_review_on = models.DateField(_("next review"))
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["-reviewed_on", "-id"]

    def __str__(self):
        return f"{self.plan_id} {self.reviewed_on}"


# --------------------------------------------------------------------------- visits, alerts


class Visit(models.Model):
    class Place(models.TextChoices):
        HOME = "home", _("At home")
        SCHOOL = "school", _("At school")
        OFFICE = "office", _("At the community office")
        OTHER = "other", _("Elsewhere")

    profile = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("date of the visit"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("where"), max_length=10, choices=Place.choices, default=Place.HOME)
    child_seen = models.BooleanField(_("the child was seen in person"), default=True)
    people_seen = models.CharField(
        _("who else was seen"),
        max_length=200,
        blank=True,
        help_text=_("E.g. grandmother, class teacher."),
    )
    concerns = models.TextField(_("concerns"), blank=True)
    safety_concern = models.BooleanField(
        _("serious safety concern (escalates immediately)"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.profile_id} {self.visited_on}"


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def visible_to(self, user):
        return self.filter(alert_scope_q(user))


class Alert(models.Model):
    """An alert to the supervising staff: a visit overdue, or a serious safety concern."""

    class Kind(models.TextChoices):
        VISIT_OVERDUE = "visit_overdue", _("Visit overdue")
        SAFETY = "safety", _("Serious safety concern")

    profile = models.ForeignKey(ChildProfile, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    due_on = models.DateField(_("visit was due"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("what was done"), blank=True)

    history = HistoricalRecords()
    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["resolved_at", "-raised_at", "-id"]
        constraints = [
            # One open overdue alert per child: the daily sweep is idempotent.
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(kind="visit_overdue", resolved_at__isnull=True),
                name="one_open_visit_alert_per_child",
            )
        ]
        indexes = [
            models.Index(
                fields=["-raised_at"], name="alert_open", condition=Q(resolved_at__isnull=True)
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.profile_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def text(self) -> str:
        """The alert in the reader's language. An overdue visit is the system's words, made from
        its facts when read (the stored message is in the language of the sweep that raised
        it); a safety concern is what a person wrote, shown as written."""
        if self.kind == self.Kind.VISIT_OVERDUE and self.due_on is not None:
            days = (timezone.localdate(self.raised_at) - self.due_on).days
            return _("The visit due on %(date)s is %(days)d day(s) overdue (%(category)s).") % {
                "date": self.due_on,
                "days": days,
                "category": self.profile.get_category_display(),
            }
        return self.message


# --------------------------------------------------------------------------- allowance


PAYMENTS_PREFETCH = "case__entitlements__payments"


class AllowanceGrant(models.Model):
    """The details of a basic-living-allowance case (孤儿 / 事实无人抚养儿童基本生活保障)."""

    class CareSetting(models.TextChoices):
        INSTITUTION = "institution", _("Raised in an institution (集中养育)")
        DISPERSED = "dispersed", _("Raised in a family (社会散居)")

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="child_allowance"
    )
    profile = models.ForeignKey(ChildProfile, on_delete=models.PROTECT, related_name="allowances")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    care_setting = models.CharField(_("care setting"), max_length=12, choices=CareSetting.choices)
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"), max_digits=10, decimal_places=2, default=0
    )
    start_month = models.DateField(_("paid from"), null=True, blank=True)
    # The last month the child is under 18 on its first day: payments never go past it.
    last_month = models.DateField(_("paid until"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("child allowance")
        verbose_name_plural = _("child allowances")

    def __str__(self):
        return self.case.reference

    kind = "allowance"

    @property
    def payments(self) -> list:
        """The allowance's payments on the benefits ledger, the latest first. Lists of grants
        prefetch `case__entitlements__payments` (PAYMENTS_PREFETCH) and cost no query here."""
        rows = [p for e in self.case.entitlements.all() for p in e.payments.all()]
        return sorted(rows, key=lambda p: (p.month, p.pk), reverse=True)
