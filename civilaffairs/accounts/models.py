"""Users, offices and staff roles: who may see and do what, where."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.masking import mask_phone


class User(AbstractUser):
    """A login. A citizen's is bound to exactly one Person by real-name verification; a staff
    member's may be too, but their powers come from StaffRole rows, not from this record."""

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        verbose_name=_("person (real-name binding)"),
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    elder_mode = models.BooleanField(_("large-type mode"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Raised to end every session of the user at once (a second-factor reset): it is part of
    # the session hash Django checks on every request, so no session needs to be found.
    session_generation = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="user_unique_phone"
            ),
        ]
        permissions = [
            ("reveal_id_number", _("Can reveal full ID numbers and phone numbers (logged)")),
        ]

    # Until a first reset the session hash is Django's own, so no existing session ends when
    # this arrives; from then on it also covers the generation.
    def get_session_auth_hash(self):
        if not self.session_generation:
            return super().get_session_auth_hash()
        return self._generation_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        if not self.session_generation:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._generation_hash(secret)

    def _generation_hash(self, secret):
        return salted_hmac(
            "civilaffairs.accounts.User.session_generation",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def __str__(self):
        # A citizen who signed up with their mobile number has it as their user name; it is
        # shown masked wherever a user is named (history, admin lists, logs of access).
        if self.phone and self.username == self.phone:
            return mask_phone(self.username)
        return self.username

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    masked_phone.fget.short_description = _("mobile phone")  # its label in the admin

    @property
    def display_name(self):
        return self.name_to_show(
            self.person.name if self.person_id else "",
            self.first_name,
            self.last_name,
            self.username,
        )

    @staticmethod
    def name_to_show(person_name, first_name, last_name, username) -> str:
        """The person's name, else the full name, else the user name (also for rows read as
        plain values, e.g. a select of many staff)."""
        return person_name or f"{first_name} {last_name}".strip() or username


class OfficeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def handling(self, service_code: str):
        return self.active().filter(services__contains=[service_code])

    def covering(self, region_code: str):
        """Offices whose jurisdiction contains this region code, nearest (deepest) first."""
        from civilaffairs.people.models import Region

        return (
            self.active()
            .filter(region_prefix__in=Region.prefix_chain(region_code))
            .order_by("-level")
        )


class Office(models.Model):
    """A civil-affairs bureau, township office, community station or registry, with the region
    it serves. Its jurisdiction is that region's subtree."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        PREFECTURE = 2, _("Prefecture / city")
        COUNTY = 3, _("County / district")
        TOWNSHIP = 4, _("Township / street")
        COMMUNITY = 5, _("Village / community")

    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        "people.Region", on_delete=models.PROTECT, related_name="offices", verbose_name=_("region")
    )
    # Denormalised from region so that routing and scoping are plain index lookups.
    region_prefix = models.CharField(max_length=12, editable=False, db_index=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    services = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        verbose_name=_("services handled"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = OfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["region_id", "name"]
        indexes = [models.Index(fields=["level", "region_prefix"])]

    def __str__(self):
        return self.name

    def sync_region_prefix(self):
        """Called by the actions that create or move an office."""
        self.region_prefix = self.region.prefix


class StaffRole(models.Model):
    """A staff member's role in one office. A person may hold several."""

    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        REVIEWER = "reviewer", _("Reviewer")
        APPROVER = "approver", _("Approver")
        SUPERVISOR = "supervisor", _("Supervisor")
        REGISTRAR = "registrar", _("Marriage registrar")
        CHILD_WELFARE = "child_welfare", _("Child-welfare worker")
        CHILDREN_DIRECTOR = "children_director", _("Community children's director")

    # The highest confidentiality a role sees unless the grant says otherwise.
    DEFAULT_LEVEL = {
        Role.CASEWORKER: Confidentiality.CONFIDENTIAL,
        Role.REVIEWER: Confidentiality.CONFIDENTIAL,
        Role.APPROVER: Confidentiality.CONFIDENTIAL,
        Role.SUPERVISOR: Confidentiality.CONFIDENTIAL,
        Role.REGISTRAR: Confidentiality.CONFIDENTIAL,
        Role.CHILD_WELFARE: Confidentiality.SENSITIVE,
        Role.CHILDREN_DIRECTOR: Confidentiality.SENSITIVE,
    }

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="staff_roles", verbose_name=_("user")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="staff_roles", verbose_name=_("office")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    max_confidentiality = models.PositiveSmallIntegerField(
        _("highest confidentiality level"),
        choices=Confidentiality.choices,
        default=Confidentiality.CONFIDENTIAL,
    )
    is_active = models.BooleanField(_("active"), default=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "office", "role"], name="staffrole_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.office} · {self.get_role_display()}"


# The roles that work general cases (social assistance, elder care, social organizations): a
# service that names no roles of its own (Service.staff_roles) is seen and worked by these. A
# marriage registrar or a child-welfare worker holds a grant over the same area but has no
# business reading a household's 低保 file.
CASEWORK_ROLES = (
    StaffRole.Role.CASEWORKER,
    StaffRole.Role.REVIEWER,
    StaffRole.Role.APPROVER,
    StaffRole.Role.SUPERVISOR,
)


class AccessLog(models.Model):
    """Reads that the law or our own rules say must be traceable: revealing a full ID number,
    opening a child's record, exporting lists. Kept ACCESS_LOG_RETENTION_DAYS."""

    class Action(models.TextChoices):
        REVEAL_ID = "reveal_id", _("Revealed a full ID number")
        REVEAL_PHONE = "reveal_phone", _("Revealed a full phone number")
        VIEW_RECORD = "view_record", _("Viewed a protected record")
        EXPORT = "export", _("Exported a list")
        RESET_SECOND_FACTOR = "reset_otp", _("Reset a user's second factor")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(max_length=20, choices=Action.choices, verbose_name=_("action"))
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("kind of record")
    )
    object_id = models.CharField(max_length=64, verbose_name=_("record number"))
    detail = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"
