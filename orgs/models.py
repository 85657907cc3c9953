"""Social organizations and charity (社会组织与慈善).

Registration: social groups (社会团体), social service agencies (社会服务机构) and foundations
(基金会), each registered with the civil-affairs bureau at one level (province, prefecture or
county) — its registration authority (登记管理机关). Establishment, change and deregistration
are cases on the platform's engine; `OrgApplication` holds what is applied for, and approval
writes it into `Organization` in the same transaction.

Annual reports (年报/年检) are cases too (`AnnualReport`), graded by the authority; an
organization that has not filed by the deadline for its type gets a `LateFiling` flag.

Charity matching: needs (from recognised charities, or from civil-affairs offices on behalf of
households) and donors' offers are paired by `Match` rows; `Delivery` rows record what was sent
and what the needing side confirmed receiving. The public ledger lists confirmed deliveries.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import uscc
from .scope import authority_scope_q

# ----------------------------------------------------------------------------- organizations


class OrgType(models.TextChoices):
    SOCIAL_GROUP = "social_group", _("Social group (社会团体)")
    SERVICE_AGENCY = "service_agency", _("Social service agency (社会服务机构)")
    FOUNDATION = "foundation", _("Foundation (基金会)")


# GB 32100 category character of each type under the civil-affairs department ("5").
USCC_CATEGORY = {
    OrgType.SOCIAL_GROUP: uscc.CATEGORY_SOCIAL_GROUP,
    OrgType.SERVICE_AGENCY: uscc.CATEGORY_SOCIAL_SERVICE_AGENCY,
    OrgType.FOUNDATION: uscc.CATEGORY_FOUNDATION,
}


class RegistrationLevel(models.IntegerChoices):
    """The level of the registration authority; the same numbers as Office.Level and
    Region.Level, so an authority is "the office at this level covering the domicile"."""

    PROVINCE = 1, _("Province")
    PREFECTURE = 2, _("Prefecture / city")
    COUNTY = 3, _("County / district")


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Organizations registered with one of the user's offices or with an office below it in
        its jurisdiction (a higher authority guides the lower ones); see orgs.queries."""
        return self.filter(authority_scope_q(user))

    def in_register(self):
        """What the public register lists: every organization ever registered, whatever its
        status (a revoked or deregistered one stays visible as such)."""
        return self.all()

    def filing(self):
        """Organizations that must file annual reports."""
        return self.filter(
            status__in=[
                Organization.Status.ACTIVE,
                Organization.Status.SUSPENDED,
                Organization.Status.RESTRICTED,
            ]
        )


class Organization(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended (activities stopped)")
        # Repeated failures of the annual inspection: listed as abnormal (活动异常名录),
        # cannot publish charity needs until the authority lifts it.
        RESTRICTED = "restricted", _("Restricted (repeated annual-report failures)")
        REVOKED = "revoked", _("Registration revoked")
        DEREGISTERED = "deregistered", _("Deregistered")

    name = models.CharField(_("name"), max_length=120)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[uscc.validate]
    )
    org_type = models.CharField(_("type"), max_length=20, choices=OrgType.choices)
    registration_level = models.PositiveSmallIntegerField(
        _("registration level"), choices=RegistrationLevel.choices
    )
    authority = models.ForeignKey(
        "accounts.Office",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registration authority"),
    )
    sponsoring_unit = models.CharField(
        _("sponsoring unit (业务主管单位)"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty for organizations registered directly without one."),
    )
    legal_representative = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("legal representative"),
    )
    registered_capital = models.DecimalField(
        _("registered capital (yuan)"), max_digits=14, decimal_places=2
    )
    domicile_region = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("domicile")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    scope = models.TextField(_("scope of business"))
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.CharField(_("reason for the status"), max_length=300, blank=True)
    is_charity = models.BooleanField(_("recognised as a charitable organization"), default=False)
    charity_recognised_on = models.DateField(_("recognised as a charity on"), null=True, blank=True)
    established_on = models.DateField(_("established on"))
    deregistered_on = models.DateField(_("deregistered on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("social organization")
        verbose_name_plural = _("social organizations")
        ordering = ["name", "pk"]
        constraints = [
            # Two live organizations never share a name; a deregistered one frees it.
            models.UniqueConstraint(
                fields=["name"],
                condition=~Q(status__in=["revoked", "deregistered"]),
                name="orgs_live_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(registered_capital__gte=0), name="orgs_capital_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["authority", "status"]),
            models.Index(fields=["registration_level", "status"]),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """The code must be a civil-affairs code of the right category (GB 32100: department
        5; category 1 social group, 2 social service agency, 3 foundation)."""
        if self.uscc and uscc.is_valid(self.uscc) and self.org_type:
            expected = uscc.CIVIL_AFFAIRS + USCC_CATEGORY[self.org_type]
            if self.uscc[:2] != expected:
                raise ValidationError(
                    {
                        "uscc": _(
                            "A %(type)s registered by civil affairs has a code beginning with "
                            "%(prefix)s."
                        )
                        % {"type": self.get_org_type_display(), "prefix": expected}
                    }
                )

    @property
    def is_live(self) -> bool:
        return self.status not in (self.Status.REVOKED, self.Status.DEREGISTERED)

    @property
    def may_publish_needs(self) -> bool:
        return self.is_charity and self.status == self.Status.ACTIVE


# The status moves the registration authority may make (orgs.actions.do_set_status); the
# status form offers only these.
STATUS_MOVES = {
    Organization.Status.ACTIVE: {
        Organization.Status.SUSPENDED,
        Organization.Status.RESTRICTED,
        Organization.Status.REVOKED,
    },
    Organization.Status.SUSPENDED: {Organization.Status.ACTIVE, Organization.Status.REVOKED},
    Organization.Status.RESTRICTED: {
        Organization.Status.ACTIVE,
        Organization.Status.SUSPENDED,
        Organization.Status.REVOKED,
    },
}


class OrgAccount(models.Model):
    """A login acting for an organization: its staff who file applications and reports."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="org_accounts",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="accounts",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization account")
        verbose_name_plural = _("organization accounts")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="orgs_account_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.organization}"


# ----------------------------------------------------------------------------- applications


class OrgApplication(models.Model):
    """What an establishment, change or deregistration application asks for (one-to-one with
    its Case). On approval it is written into the organization and `changes` keeps what
    changed, from what, to what."""

    class Kind(models.TextChoices):
        ESTABLISH = "establish", _("Establishment registration")
        CHANGE = "change", _("Change registration")
        DEREGISTER = "deregister", _("Deregistration")

    # The fields a change application may change (the list).
    CHANGEABLE = ("name", "legal_representative", "domicile_region", "address", "scope")

    case = models.OneToOneField(
        "casework.Case",
        on_delete=models.CASCADE,
        related_name="orgs_application",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind of application"), max_length=12, choices=Kind.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    org_type = models.CharField(_("type"), max_length=20, choices=OrgType.choices, blank=True)
    registration_level = models.PositiveSmallIntegerField(
        _("registration level"), choices=RegistrationLevel.choices, null=True, blank=True
    )
    sponsoring_unit = models.CharField(
        _("sponsoring unit (业务主管单位)"), max_length=120, blank=True
    )
    legal_representative = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("legal representative"),
    )
    registered_capital = models.DecimalField(
        _("registered capital (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    domicile_region = models.ForeignKey(
        "people.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("domicile"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    scope = models.TextField(_("scope of business"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    declaration = models.BooleanField(_("declaration signed"), default=False)
    changes = models.JSONField(_("changes applied"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("written into the register"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")

    def __str__(self):
        return f"{self.case.reference} {self.get_kind_display()}"

    @property
    def changes_described(self) -> list[tuple[str, str, str]]:
        """What the approval wrote into the register, (the item's name, from, to), as people
        read it. `changes` is keyed by the register's field for a change; an establishment
        records the new name and code, a deregistration the status."""
        out = []
        for key, change in (self.changes or {}).items():
            change = change if isinstance(change, dict) else {"to": str(change)}
            if key == "established":
                for field in ("name", "uscc"):
                    label = Organization._meta.get_field(field).verbose_name
                    out.append((str(label), "", str(change.get(field, ""))))
                continue
            try:
                field = Organization._meta.get_field(key)
            except FieldDoesNotExist:  # a field since renamed: shown by its key
                out.append((key, str(change.get("from", "")), str(change.get("to", ""))))
                continue
            before, after = change.get("from", ""), change.get("to", "")
            if field.choices:  # a status: by its label in the reader's language
                labels = dict(field.flatchoices)
                before, after = labels.get(before, before), labels.get(after, after)
            out.append((str(field.verbose_name), str(before or ""), str(after or "")))
        return out

    def display_name(self) -> str:
        return self.name or (self.organization.name if self.organization_id else "")


class FiledDocument(models.Model):
    """What an uploaded document is for (charter, member list, ...): the platform's Document
    kinds are generic, a registration needs these specific ones."""

    class Purpose(models.TextChoices):
        CHARTER = "charter", _("Charter (章程)")
        MEMBER_LIST = "member_list", _("List of members or founders")
        CAPITAL_PROOF = "capital_proof", _("Proof of registered capital")
        RESOLUTION = "resolution", _("Resolution of the members' or board meeting")
        LIQUIDATION = "liquidation", _("Liquidation report")
        FINANCIAL = "financial", _("Financial statements or audit report")
        OTHER = "other", _("Other")

    # The platform Document.kind each purpose is stored under.
    DOCUMENT_KIND = {
        Purpose.CHARTER: "agreement",
        Purpose.MEMBER_LIST: "other",
        Purpose.CAPITAL_PROOF: "asset_proof",
        Purpose.RESOLUTION: "agreement",
        Purpose.LIQUIDATION: "other",
        Purpose.FINANCIAL: "income_proof",
        Purpose.OTHER: "other",
    }

    document = models.OneToOneField(
        "casework.Document", on_delete=models.CASCADE, related_name="orgs_filing"
    )
    purpose = models.CharField(_("document"), max_length=20, choices=Purpose.choices)

    class Meta:
        verbose_name = _("filed document")
        verbose_name_plural = _("filed documents")

    def __str__(self):
        return f"{self.get_purpose_display()}: {self.document_id}"


def required_documents(kind: str, org_type: str | None) -> list[str]:
    """The documents an application of this kind must carry before it can be submitted."""
    P = FiledDocument.Purpose
    if kind == OrgApplication.Kind.ESTABLISH:
        needed = [P.CHARTER, P.CAPITAL_PROOF]
        if org_type == OrgType.SOCIAL_GROUP:
            needed.append(P.MEMBER_LIST)
        return needed
    if kind == OrgApplication.Kind.CHANGE:
        return [P.RESOLUTION]
    if kind == OrgApplication.Kind.DEREGISTER:
        return [P.RESOLUTION, P.LIQUIDATION]
    return []


# ----------------------------------------------------------------------------- annual reports


class Grade(models.TextChoices):
    PASS = "pass", _("Pass (合格)")
    BASIC_PASS = "basic_pass", _("Basic pass (基本合格)")
    FAIL = "fail", _("Fail (不合格)")


class AnnualReport(models.Model):
    """One year's report of an organization (one-to-one with its Case)."""

    # Lets the case-page partials tell a report from an application.
    is_annual_report = True

    case = models.OneToOneField(
        "casework.Case", on_delete=models.CASCADE, related_name="orgs_report"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("organization"),
    )
    year = models.PositiveSmallIntegerField(_("year reported on"))
    activities = models.TextField(_("activities during the year"), blank=True)
    income = models.DecimalField(_("income (yuan)"), max_digits=14, decimal_places=2, default=0)
    expenses = models.DecimalField(_("expenses (yuan)"), max_digits=14, decimal_places=2, default=0)
    net_assets = models.DecimalField(
        _("net assets at year end (yuan)"), max_digits=14, decimal_places=2, default=0
    )
    staff_count = models.PositiveIntegerField(_("full-time staff"), default=0)
    volunteer_count = models.PositiveIntegerField(_("volunteers"), default=0)
    governance = models.TextField(
        _("governance (meetings held, changes of officers, internal rules)"), blank=True
    )
    declaration = models.BooleanField(_("declaration signed"), default=False)
    late = models.BooleanField(_("filed after the deadline"), default=False)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    grade_reason = models.TextField(_("reasons for the grade"), blank=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("graded by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year", "-pk"]
        indexes = [models.Index(fields=["organization", "-year"])]

    def __str__(self):
        return f"{self.organization} {self.year}"

    @property
    def is_filed(self) -> bool:
        return self.case.submitted_at is not None and self.case.state != "withdrawn"


class LateFiling(models.Model):
    """The flag raised when an organization has not filed its report by the deadline."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="late_filings",
        verbose_name=_("organization"),
    )
    year = models.PositiveSmallIntegerField(_("year reported on"))
    deadline = models.DateField(_("deadline"))
    flagged_at = models.DateTimeField(_("flagged"))
    filed_at = models.DateTimeField(_("filed at last"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("late annual report")
        verbose_name_plural = _("late annual reports")
        ordering = ["-year", "organization_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="orgs_late_once_a_year")
        ]

    def __str__(self):
        return f"{self.organization} {self.year}"


# ----------------------------------------------------------------------------- charity


class ItemCategory(models.TextChoices):
    FOOD = "food", _("Food and cooking oil")
    CLOTHING = "clothing", _("Clothing and shoes")
    BEDDING = "bedding", _("Bedding and winter supplies")
    SCHOOL = "school", _("School supplies and books")
    MEDICAL = "medical", _("Medical and hygiene supplies")
    ELDER_CARE = "elder_care", _("Elder-care and mobility aids")
    HOUSEHOLD = "household", _("Household goods and appliances")
    OTHER = "other", _("Other goods")


class Unit(models.TextChoices):
    PIECE = "piece", _("pieces")
    SET = "set", _("sets")
    BOX = "box", _("boxes")
    BAG = "bag", _("bags")
    KG = "kg", _("kg")


class Urgency(models.IntegerChoices):
    NORMAL = 1, _("Normal")
    URGENT = 2, _("Urgent")
    EMERGENCY = 3, _("Emergency")


class CharityProject(models.Model):
    """A charity project (慈善项目) that needs belong to, run by a recognised charity or by a
    civil-affairs office (relief for households it supports). The public ledger totals by it."""

    name = models.CharField(_("project name"), max_length=120)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("organization"),
    )
    office = models.ForeignKey(
        "accounts.Office",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("office"),
    )
    region = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    description = models.TextField(_("what the project does"), blank=True)
    is_open = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("charity project")
        verbose_name_plural = _("charity projects")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True, office__isnull=False)
                | Q(organization__isnull=False, office__isnull=True),
                name="orgs_project_one_runner",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def runner_name(self) -> str:
        return self.organization.name if self.organization_id else self.office.name


class Need(models.Model):
    """Goods a project needs. A need raised by an office on behalf of a household keeps the
    household link for the office's own use only: no public page ever reads it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PARTLY = "partly", _("Partly fulfilled")
        FULFILLED = "fulfilled", _("Fulfilled")
        CLOSED = "closed", _("Closed")
        EXPIRED = "expired", _("Expired")

    project = models.ForeignKey(CharityProject, on_delete=models.PROTECT, related_name="needs")
    category = models.CharField(_("category"), max_length=20, choices=ItemCategory.choices)
    item = models.CharField(_("item"), max_length=80, help_text=_("e.g. winter quilts"))
    quantity = models.PositiveIntegerField(_("quantity"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    region = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    deadline = models.DateField(_("needed by"))
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household (internal)"),
    )
    internal_note = models.TextField(_("internal note (never published)"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Kept by the actions under the row lock: promised (proposed or accepted, or received on a
    # match that is over) and received (confirmed deliveries).
    committed = models.PositiveIntegerField(default=0, verbose_name=_("committed"))
    received = models.PositiveIntegerField(default=0, verbose_name=_("received"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-urgency", "deadline", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orgs_need_quantity"),
            models.CheckConstraint(
                condition=Q(committed__lte=models.F("quantity")), name="orgs_need_not_overcommitted"
            ),
            models.CheckConstraint(
                condition=Q(received__lte=models.F("quantity")), name="orgs_need_not_overfilled"
            ),
        ]
        indexes = [models.Index(fields=["status", "category", "-urgency", "deadline"])]

    def __str__(self):
        return f"{self.item} × {self.quantity}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.committed

    @property
    def is_matchable(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PARTLY) and self.open_quantity > 0

    @property
    def public_area(self) -> str:
        """The area public pages show (load `region__parent` with the row)."""
        return public_region(self.region).name


class Offer(models.Model):
    """Goods a donor (a person or a company) offers."""

    class DonorKind(models.TextChoices):
        PERSON = "person", _("A person")
        COMPANY = "company", _("A company or other body")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("All given")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charity_offers"
    )
    donor_kind = models.CharField(
        _("the donor is"), max_length=10, choices=DonorKind.choices, default=DonorKind.PERSON
    )
    donor_name = models.CharField(_("donor name"), max_length=120)
    show_name = models.BooleanField(_("show my name in the public ledger"), default=False)
    category = models.CharField(_("category"), max_length=20, choices=ItemCategory.choices)
    item = models.CharField(_("item"), max_length=80)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    unit_value = models.DecimalField(
        _("estimated value per unit (yuan)"), max_digits=10, decimal_places=2, default=0
    )
    region = models.ForeignKey(
        "people.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("where the goods are"),
    )
    conditions = models.TextField(_("conditions"), blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    committed = models.PositiveIntegerField(default=0, verbose_name=_("committed"))
    received = models.PositiveIntegerField(default=0, verbose_name=_("received"))
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orgs_offer_quantity"),
            models.CheckConstraint(
                condition=Q(committed__lte=models.F("quantity")),
                name="orgs_offer_not_overcommitted",
            ),
            models.CheckConstraint(condition=Q(unit_value__gte=0), name="orgs_offer_value"),
        ]
        indexes = [models.Index(fields=["status", "category", "unit"])]

    def __str__(self):
        return f"{self.item} × {self.quantity}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.committed

    def public_donor_name(self) -> str:
        """The name the ledger shows: only with the donor's consent."""
        return self.donor_name if self.show_name else str(_("Anonymous donor"))


class Match(models.Model):
    """A pairing of a need and an offer for a quantity: proposed by the matching step,
    accepted or declined by the needing side, then delivered."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted, awaiting delivery")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        FULFILLED = "fulfilled", _("Fulfilled")
        CLOSED_SHORT = "closed_short", _("Closed with part delivered")

    OPEN_STATUSES = (Status.PROPOSED, Status.ACCEPTED)

    need = models.ForeignKey(
        Need, on_delete=models.PROTECT, related_name="matches", verbose_name=_("need")
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="matches", verbose_name=_("offer")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PROPOSED
    )
    # Why this offer: region depth shared, share of the need covered, etc.
    score = models.JSONField(default=dict, blank=True)
    sent = models.PositiveIntegerField(default=0, verbose_name=_("sent"))
    received = models.PositiveIntegerField(default=0, verbose_name=_("received"))
    proposed_at = models.DateTimeField(_("proposed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orgs_match_quantity"),
            models.CheckConstraint(
                condition=Q(sent__lte=models.F("quantity")), name="orgs_match_not_oversent"
            ),
            models.CheckConstraint(
                condition=Q(received__lte=models.F("sent")), name="orgs_match_received_le_sent"
            ),
            # One live pairing of a need and an offer at a time.
            models.UniqueConstraint(
                fields=["need", "offer"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="orgs_match_one_open_pair",
            ),
        ]

    def __str__(self):
        return f"{self.need_id}↔{self.offer_id} × {self.quantity}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def undelivered(self) -> int:
        return self.quantity - self.sent


class DeliveryQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class Delivery(models.Model):
    """Goods sent against an accepted match; counted once the needing side confirms receipt."""

    match = models.ForeignKey(
        Match, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("match")
    )
    quantity = models.PositiveIntegerField(_("quantity sent"))
    sent_on = models.DateField(_("sent on"))
    note = models.CharField(_("note (e.g. courier number)"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    received_quantity = models.PositiveIntegerField(_("quantity received"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("receipt confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Copied at confirmation so the ledger reads one row: value = received × the offer's unit
    # value at that time.
    value = models.DecimalField(_("value (yuan)"), max_digits=14, decimal_places=2, default=0)

    history = HistoricalRecords()
    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-sent_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orgs_delivery_quantity"),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=models.F("quantity")),
                name="orgs_delivery_received_le_sent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-confirmed_at", "-id"],
                name="orgs_ledger_order",
                condition=Q(confirmed_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.match_id} × {self.quantity} ({self.sent_on})"


def public_region(region):
    """A region as public pages show it: never finer than the township, so that a need in a
    small village cannot point at one family. (Load `region__parent` with the row.)"""
    if region is not None and region.level > 4 and region.parent_id:
        return region.parent
    return region


def reporting_year(today: dt.date) -> int:
    """Reports filed in a year are about the year before."""
    return today.year - 1
