"""The person master record: who someone is, where they live, whom they live with.

No app keeps its own copy of a person; every domain links here. Only `people.actions` creates
or merges a Person (house rule 5).
"""

import datetime as dt
import time
from functools import lru_cache

from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from civilaffairs.lib import idnumber
from civilaffairs.lib.masking import mask_id_number, mask_phone


class RegionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)

    def within(self, region: "Region"):
        """The region itself and everything below it: one indexed prefix query."""
        return self.filter(code__startswith=region.prefix)

    def under_prefixes(self, prefixes):
        """Regions under any of these code prefixes (a jurisdiction); None means every one."""
        if prefixes is None:
            return self
        q = Q(pk__in=[])
        for prefix in prefixes:
            q |= Q(code__startswith=prefix)
        return self.filter(q)

    def answering_to(self, text: str, *, limit: int = 6) -> list["Region"]:
        """The regions someone means by `text`: a code (6 to 12 digits, also written after the
        name as pages show it, "崇安社区 640104001002"), else a name: the places of exactly that
        name, or failing any, those whose name contains it. Current regions only; at most
        `limit`, the highest levels first."""
        text = " ".join((text or "").split())
        if not text:
            return []
        last = text.rsplit(" ", 1)[-1]
        current = self.filter(is_current=True).order_by("level", "code")
        if last.isascii() and last.isdigit():
            if not 6 <= len(last) <= 12:
                return []
            return list(current.filter(code=last)[:1])
        exact = list(current.filter(name=text)[:limit])
        if exact:
            return exact
        return list(current.filter(name__contains=text)[:limit])


# Region.full_name per (code, name): (expires, text).
_full_names: dict[tuple[str, str], tuple[float, str]] = {}


class Region(models.Model):
    """An administrative division keyed by its official code (GB/T 2260 + statistical codes)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        PREFECTURE = 2, _("Prefecture")
        COUNTY = 3, _("County")
        TOWNSHIP = 4, _("Township / street")
        VILLAGE = 5, _("Village / community")

    # Significant digits of a code at each level: a subtree is "code starts with these".
    PREFIX_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}

    code = models.CharField(pgettext_lazy("region", "code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent area"),
    )
    # Retired codes stay: ID numbers issued under them are valid for life.
    is_current = models.BooleanField(_("current"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        # PostgreSQL gets a varchar_pattern_ops index on every char primary and foreign key
        # from Django itself, so `code LIKE '64%'` on any region column is an index range scan.
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: self.PREFIX_LENGTH[self.level]]

    @staticmethod
    def prefix_of(code: str) -> str:
        """The subtree prefix of a code without loading the row (trailing zero groups dropped)."""
        if len(code) > 6:
            return code
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
        return code

    @staticmethod
    def prefix_chain(code: str) -> list[str]:
        """The subtree prefixes of a code and of every level above it, province first.
        A region lies in an office's jurisdiction when the office's prefix is in this list."""
        chain = [code[:2], code[:4], code[:6], code[:9], code[:12]]
        own = Region.prefix_of(code)
        return [p for p in dict.fromkeys(chain) if len(p) <= len(own)]

    def ancestors(self) -> list["Region"]:
        """From the province down to the parent, in one query."""
        codes = [c for c in self.ancestor_codes() if c != self.code]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def ancestor_codes(self) -> list[str]:
        """The codes this region would have at each level above it, itself last."""
        c = self.code
        candidates = [c[:2] + "0000", c[:4] + "00", c[:6], c[:9], c[:12]]
        out = []
        for level, code in zip(range(1, 6), candidates, strict=True):
            if level > self.level:
                break
            if code not in out:
                out.append(code)
        return out

    @property
    def full_name(self) -> str:
        """银川市兴庆区凤凰北街街道…: reference data shown on many pages, so kept per process
        for ten minutes rather than read again (an ancestors query) on every page."""
        key = (self.code, self.name)
        hit = _full_names.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        names = [r.name for r in self.ancestors()] + [self.name]
        # Municipalities repeat themselves (北京市 市辖区); drop the filler.
        text = "".join(n for n in names if n not in ("市辖区", "县", "省直辖县级行政区划"))
        if len(_full_names) > 50_000:
            _full_names.clear()
        _full_names[key] = (time.monotonic() + 600, text)
        return text


@lru_cache(maxsize=1)
def _address_codes() -> frozenset[str]:
    return frozenset(Region.objects.filter(code__regex=r"^\d{6}$").values_list("code", flat=True))


def address_code_exists(code: str) -> bool:
    """Whether a six-digit ID address code is a division that exists or existed."""
    return code in _address_codes()


def forget_address_codes():
    """Called after the region table is reloaded."""
    _address_codes.cache_clear()


def parse_id_number(value: str) -> idnumber.IdNumber:
    return idnumber.parse(value, address_code_exists=address_code_exists)


def validate_id_number(value: str):
    parse_id_number(value)


class PersonQuerySet(models.QuerySet):
    def active(self):
        """Not merged into another record."""
        return self.filter(merged_into__isnull=True)

    def living(self):
        return self.active().filter(date_of_death__isnull=True)

    def in_region(self, region: Region, field: str = "residence_region"):
        return self.filter(**{f"{field}_id__startswith": region.prefix})

    def visible_to(self, user, roles=None):
        """Active records of people in the user's jurisdiction (through a grant in one of
        `roles`, when given)."""
        from civilaffairs.accounts.access import person_scope_q

        return self.active().filter(person_scope_q(user, roles=roles))

    def search(self, term: str):
        term = (term or "").strip()
        if not term:
            return self
        normalized = idnumber.normalize(term)
        if len(normalized) == 18:
            return self.filter(id_number=normalized)
        if term.isdigit() and len(term) == 11:
            return self.filter(phone=term)
        return self.filter(name__startswith=term)


class Person(models.Model):
    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        FOREIGNER_PR = "foreigner_pr", _("Foreigner's permanent residence ID")
        HK_MO_TW = "hk_mo_tw", _("Hong Kong / Macao / Taiwan residence permit")
        NONE = "none", _("No document yet (e.g. unregistered newborn)")

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class MaritalStatus(models.TextChoices):
        UNMARRIED = "unmarried", _("Never married")
        MARRIED = "married", _("Married")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")

    class Disability(models.IntegerChoices):
        # 残疾等级 1 (most severe) to 4 under GB/T 26341-2010.
        NONE = 0, _("None")
        GRADE_1 = 1, _("Grade 1 (most severe)")
        GRADE_2 = 2, _("Grade 2")
        GRADE_3 = 3, _("Grade 3")
        GRADE_4 = 4, _("Grade 4")

    id_type = models.CharField(
        _("document type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    # NULL rather than '' so that the unique constraint ignores people without a number.
    id_number = models.CharField(_("ID number"), max_length=32, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True)
    # Region keys are indexed once, with varchar_pattern_ops (Meta.indexes), which serves both
    # `=` and the `LIKE 'prefix%'` of jurisdiction queries; Django's default would add two.
    hukou_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
        verbose_name=_("household registration (hukou)"),
    )
    residence_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="+",
        verbose_name=_("place of residence"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    marital_status = models.CharField(
        _("marital status"),
        max_length=12,
        choices=MaritalStatus.choices,
        default=MaritalStatus.UNMARRIED,
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=Disability.choices, default=Disability.NONE
    )
    chronic_illness = models.BooleanField(_("chronic illness"), default=False)
    serious_illness = models.BooleanField(_("serious illness"), default=False)
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    # A merged record stays, pointing to the survivor, so its history stays readable.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # a partial index below: almost every row is NULL here
        related_name="merged_records",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"],
                condition=Q(id_number__isnull=False) & Q(merged_into__isnull=True),
                name="person_unique_document",
            ),
            models.CheckConstraint(
                condition=Q(id_type="none", id_number__isnull=True) | ~Q(id_type="none"),
                name="person_no_number_without_document",
            ),
        ]
        indexes = [
            models.Index(
                OpClass("hukou_region", name="varchar_pattern_ops"), name="person_hukou_prefix"
            ),
            models.Index(
                OpClass("residence_region", name="varchar_pattern_ops"),
                name="person_residence_prefix",
            ),
            models.Index(
                fields=["merged_into"], name="person_merged", condition=Q(merged_into__isnull=False)
            ),
            # A person by number alone (the registry's search, the API, departments' notices):
            # the unique constraint leads with the document type, which those lookups do not
            # know, so without this each one read the whole table.
            models.Index(
                fields=["id_number"], name="person_id_number", condition=Q(id_number__isnull=False)
            ),
            # Matching people who have no document number (find_person): only those rows.
            models.Index(
                fields=["name", "birth_date"],
                name="person_no_number_match",
                condition=Q(id_number__isnull=True),
            ),
            models.Index(fields=["phone"], name="person_phone", condition=~Q(phone="")),
            # Possible duplicates (imports/matching.py) are looked for among people born the
            # same day, of the same sex.
            models.Index(fields=["birth_date", "sex"], name="person_birth_sex"),
            # …and, for an imported row with a number, among the few records without one.
            models.Index(
                fields=["birth_date"],
                name="person_no_number_birth",
                condition=Q(id_number__isnull=True),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.id_type == self.IdType.RESIDENT_ID:
            if not self.id_number:
                raise ValidationError({"id_number": _("A resident ID card has a number.")})
            try:
                parsed = parse_id_number(self.id_number)
            except ValidationError as exc:
                raise ValidationError({"id_number": exc.messages}) from None
            self.id_number = parsed.value
            if self.birth_date and self.birth_date != parsed.birth_date:
                raise ValidationError(
                    {"birth_date": _("The date of birth differs from the ID number.")}
                )
            if self.sex and self.sex != parsed.sex:
                raise ValidationError({"sex": _("The sex differs from the ID number.")})
        if self.date_of_death and self.birth_date and self.date_of_death < self.birth_date:
            raise ValidationError(
                {"date_of_death": _("The date of death is before the date of birth.")}
            )

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    masked_phone.fget.short_description = _("phone")  # its label in the admin

    @property
    def is_alive(self) -> bool:
        return self.date_of_death is None

    def age_on(self, day: dt.date | None = None) -> int:
        day = day or timezone.localdate()
        return (
            day.year
            - self.birth_date.year
            - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        )

    @property
    def age(self) -> int:
        return self.age_on()

    def current_membership(self):
        return self.memberships.filter(end_date__isnull=True).select_related("household").first()

    def current_household(self):
        """The household the person belongs to now, or None (what a new case is filed under)."""
        membership = self.current_membership()
        return membership.household if membership else None


class Household(models.Model):
    class HukouType(models.TextChoices):
        URBAN = "urban", _("Urban")
        RURAL = "rural", _("Rural")

    head = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="headed_households",
        verbose_name=_("household head"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    hukou_type = models.CharField(
        _("hukou type"), max_length=10, choices=HukouType.choices, default=HukouType.URBAN
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return _("Household of %(head)s") % {"head": self.head.name if self.head else "?"}

    def current_members(self):
        return self.memberships.filter(end_date__isnull=True).select_related("person")


class Membership(models.Model):
    """A person's place in a household, with the GB/T 4761-2008 relationship to the head."""

    class Relation(models.TextChoices):
        HEAD = "02", _("Head of household")
        SPOUSE = "10", _("Spouse")
        SON = "20", _("Son")
        DAUGHTER = "30", _("Daughter")
        GRANDCHILD = "40", _("Grandchild")
        PARENT = "50", _("Parent")
        GRANDPARENT = "60", _("Grandparent")
        SIBLING = "70", _("Sibling")
        OTHER_RELATIVE = "80", _("Other relative")
        NON_RELATIVE = "99", _("Non-relative")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("relation to head"), max_length=2, choices=Relation.choices)
    start_date = models.DateField(_("from"), default=dt.date.today)
    end_date = models.DateField(_("to"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        constraints = [
            # One current household per person.
            models.UniqueConstraint(
                fields=["person"], condition=Q(end_date__isnull=True), name="membership_one_current"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.person} ({self.get_relation_display()})"


class PersonMerge(models.Model):
    """A record of a merge of two person records, kept for audit."""

    survivor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="merges_in", verbose_name=_("kept record")
    )
    merged = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="merges_out", verbose_name=_("merged record")
    )
    acting_user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("done by")
    )
    reason = models.CharField(_("reason"), max_length=200)
    moved = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))

    class Meta:
        verbose_name = _("person merge")
        verbose_name_plural = _("person merges")

    def __str__(self):
        return f"{self.merged_id} → {self.survivor_id}"
