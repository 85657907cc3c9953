"""The only code that creates, changes or merges people and households (house rules 1 and 5)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.lib import idnumber
from civilaffairs.lib.history import save_with_history as _save

from . import events
from .models import Household, Membership, Person, PersonMerge, Region, parse_id_number


def find_person(
    *, id_type=Person.IdType.RESIDENT_ID, id_number=None, name=None, birth_date=None, region=None
):
    """The existing record for these identifying facts, or None.

    With a document number that number decides. Without one, a record with the same name,
    birth date and region (hukou or residence) and no number is taken to be the same person,
    so that registering an unregistered newborn twice does not create two people.
    """
    if id_number:
        if id_type == Person.IdType.RESIDENT_ID:
            id_number = idnumber.normalize(id_number)
        return Person.objects.active().filter(id_type=id_type, id_number=id_number).first()
    if name and birth_date and region is not None:
        code = region.code if isinstance(region, Region) else region
        return (
            Person.objects.active()
            .filter(name=name.strip(), birth_date=birth_date, id_number__isnull=True)
            .filter(_same_region_q(code))
            .order_by("pk")
            .first()
        )
    return None


def _same_region_q(code):
    from django.db.models import Q

    return Q(hukou_region_id=code) | Q(residence_region_id=code)


@transaction.atomic
def do_register_person(
    *,
    acting_user,
    name: str,
    id_type: str = Person.IdType.RESIDENT_ID,
    id_number: str | None = None,
    sex: str | None = None,
    birth_date: dt.date | None = None,
    hukou_region: Region | None = None,
    residence_region: Region | None = None,
    **fields,
) -> tuple[Person, bool]:
    """Return (person, created): the existing record for these facts, or a new validated one.

    For a resident ID card, sex and birth date come from the number, and the hukou region
    defaults to the number's address code (the closest fact we have until the citizen says
    where they live now).
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Please enter the name.")})
    if id_type == Person.IdType.RESIDENT_ID:
        parsed = parse_id_number(id_number or "")
        id_number = parsed.value
        if sex and sex != parsed.sex:
            raise ValidationError({"sex": _("The sex differs from the ID number.")})
        if birth_date and birth_date != parsed.birth_date:
            raise ValidationError(
                {"birth_date": _("The date of birth differs from the ID number.")}
            )
        sex, birth_date = parsed.sex, parsed.birth_date
        if hukou_region is None:
            hukou_region = Region.objects.get(code=parsed.address_code)
    elif id_type == Person.IdType.NONE:
        id_number = None
    existing = find_person(
        id_type=id_type, id_number=id_number, name=name, birth_date=birth_date, region=hukou_region
    )
    if existing is not None:
        # Lock so that two concurrent registrations of the same person agree on one row.
        return Person.objects.select_for_update().get(pk=existing.pk), False
    if hukou_region is None:
        raise ValidationError(
            {"hukou_region": _("Please choose the place of household registration.")}
        )
    person = Person(
        name=name,
        id_type=id_type,
        id_number=id_number or None,
        sex=sex,
        birth_date=birth_date,
        hukou_region=hukou_region,
        residence_region=residence_region or hukou_region,
        **fields,
    )
    person.full_clean(validate_unique=False)
    _save(person, acting_user)
    return person, True


PERSON_EDITABLE = {
    "name",
    "hukou_region",
    "address",
    "phone",
    "residence_region",
    "marital_status",
    "disability_grade",
    "chronic_illness",
    "serious_illness",
    "ethnicity",
}


@transaction.atomic
def do_update_person(person: Person, *, acting_user, reason: str = "", **changes) -> Person:
    """Change contact and status facts. Identity facts (number, birth date, sex) are not
    changed here: a wrong one is corrected by a merge or by the administrator with a reason."""
    unknown = set(changes) - PERSON_EDITABLE
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    person = Person.objects.select_for_update().get(pk=person.pk)
    grade_before = person.disability_grade
    for field, value in changes.items():
        setattr(person, field, value)
    person.full_clean(validate_unique=False)
    person._change_reason = (reason or "")[:100] or None
    _save(person, acting_user)
    if person.disability_grade != grade_before:
        events.disability_changed.send(
            Person,
            person=person,
            before=grade_before,
            after=person.disability_grade,
            acting_user=acting_user,
        )
    return person


@transaction.atomic
def do_record_death(person: Person, *, acting_user, date_of_death: dt.date) -> Person:
    """Record a death; every domain hears of it (people.events.person_died) in this
    transaction: benefits stop, open cases are flagged."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if date_of_death > timezone.localdate():
        raise ValidationError({"date_of_death": _("The date of death cannot be in the future.")})
    if person.date_of_death == date_of_death:
        return person  # told already: a repeated notice changes nothing
    person.date_of_death = date_of_death
    person.full_clean(validate_unique=False)
    person._change_reason = "death recorded"
    _save(person, acting_user)
    for m in person.memberships.filter(end_date__isnull=True):
        m.end_date = max(date_of_death, m.start_date)
        _save(m, acting_user)
        events.household_changed.send(
            Household, household=m.household, person=person, change="left", acting_user=acting_user
        )
    events.person_died.send(
        Person, person=person, date_of_death=date_of_death, acting_user=acting_user
    )
    return person


@transaction.atomic
def do_create_household(
    *,
    acting_user,
    head: Person,
    region: Region,
    address: str = "",
    hukou_type=Household.HukouType.URBAN,
    start_date: dt.date | None = None,
) -> Household:
    household = _save(
        Household(head=head, region=region, address=address, hukou_type=hukou_type), acting_user
    )
    do_add_member(
        household,
        head,
        acting_user=acting_user,
        relation=Membership.Relation.HEAD,
        start_date=start_date,
    )
    return household


@transaction.atomic
def do_add_member(
    household: Household,
    person: Person,
    *,
    acting_user,
    relation: str,
    start_date: dt.date | None = None,
) -> Membership:
    """Add a person to a household, ending their current membership elsewhere the day before."""
    start_date = start_date or timezone.localdate()
    person = Person.objects.select_for_update().get(pk=person.pk)
    for current in person.memberships.select_for_update().filter(end_date__isnull=True):
        if current.household_id == household.pk:
            raise ValidationError(
                _("%(name)s is already a member of this household.") % {"name": person.name}
            )
        current.end_date = max(start_date - dt.timedelta(days=1), current.start_date)
        _save(current, acting_user)
        events.household_changed.send(
            Household,
            household=current.household,
            person=person,
            change="left",
            acting_user=acting_user,
        )
    membership = _save(
        Membership(household=household, person=person, relation=relation, start_date=start_date),
        acting_user,
    )
    events.household_changed.send(
        Household, household=household, person=person, change="joined", acting_user=acting_user
    )
    return membership


@transaction.atomic
def do_end_membership(
    membership: Membership, *, acting_user, end_date: dt.date | None = None
) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.end_date is not None:
        return membership
    if (
        membership.relation == Membership.Relation.HEAD
        and Membership.objects.filter(household_id=membership.household_id, end_date__isnull=True)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(
            _("The head of the household cannot leave while other members remain.")
        )
    membership.end_date = end_date or timezone.localdate()
    if membership.end_date < membership.start_date:
        raise ValidationError(
            {
                "end_date": _("The membership cannot end before it began (%(day)s).")
                % {"day": membership.start_date.isoformat()}
            }
        )
    membership.full_clean()
    _save(membership, acting_user)
    events.household_changed.send(
        Household,
        household=membership.household,
        person=membership.person,
        change="left",
        acting_user=acting_user,
    )
    return membership


# The facts of a person that whoever merges two records chooses, field by field (see
# merge_choices). Identity facts are not among them: the document number is the one either
# record carries (two different numbers are two people), and with a resident ID card the sex
# and birth date are the number's.
MERGE_CHOOSABLE = (
    "name",
    "ethnicity",
    "hukou_region",
    "residence_region",
    "address",
    "phone",
    "marital_status",
    "disability_grade",
    "chronic_illness",
    "serious_illness",
)
SURVIVOR, DUPLICATE = "survivor", "duplicate"


def merge_choices(survivor: Person, duplicate: Person) -> dict[str, str]:
    """Which record's value a merge keeps for each choosable field unless told otherwise: the
    survivor's, or the duplicate's where the survivor's is empty."""
    choices = {}
    for field in MERGE_CHOOSABLE:
        attname = Person._meta.get_field(field).attname
        mine, theirs = getattr(survivor, attname), getattr(duplicate, attname)
        empty = mine in ("", None) and theirs not in ("", None)
        choices[field] = DUPLICATE if empty else SURVIVOR
    return choices


@transaction.atomic
def do_merge_persons(
    survivor: Person,
    duplicate: Person,
    *,
    acting_user,
    reason: str,
    keep: dict[str, str] | None = None,
) -> PersonMerge:
    """Fold a duplicate record into the survivor.

    `keep` says, for fields of MERGE_CHOOSABLE, whose value the survivor ends with
    ("survivor" or "duplicate"); a field not named keeps what merge_choices says.

    Every reference to the duplicate (memberships, accounts, cases, any model with a foreign
    key to Person) is re-pointed to the survivor, one row at a time so each change is in that
    row's history. The duplicate row is kept, marked `merged_into`, so its own history and the
    audit trail stay readable; it drops out of every active query.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A record cannot be merged into itself."))
    if not reason.strip():
        raise ValidationError(_("Please give the reason for the merge."))
    keep = dict(keep or {})
    unknown = set(keep) - set(MERGE_CHOOSABLE)
    if unknown or set(keep.values()) - {SURVIVOR, DUPLICATE}:
        raise ValueError(f"not chosen in a merge: {sorted(unknown) or keep}")
    first, second = sorted([survivor.pk, duplicate.pk])
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.merged_into_id or duplicate.merged_into_id:
        raise ValidationError(_("One of these records has already been merged."))
    if survivor.id_number and duplicate.id_number and survivor.id_number != duplicate.id_number:
        raise ValidationError(_("Both records carry different ID numbers; they are two people."))

    # Each domain may refuse (two marriages in force on one person) before anything moves.
    for check in events.merge_checks():
        check(survivor, duplicate)
    # The values chosen, read before anything moves.
    choices = {**merge_choices(survivor, duplicate), **keep}
    chosen = {}
    for field, whose in choices.items():
        attname = Person._meta.get_field(field).attname
        chosen[attname] = getattr(duplicate if whose == DUPLICATE else survivor, attname)
    grade_before = survivor.disability_grade

    moved: dict[str, int] = {}
    # Both current memberships cannot survive: the survivor keeps theirs.
    if survivor.memberships.filter(end_date__isnull=True).exists():
        for m in duplicate.memberships.filter(end_date__isnull=True):
            m.end_date = max(timezone.localdate(), m.start_date)
            _save(m, acting_user)

    # A user account binds one person (accounts.User.person, reverse name "account"); the
    # register asks through that relation rather than importing accounts, which is above it.
    if (
        Person.objects.filter(pk__in=(duplicate.pk, survivor.pk), account__isnull=False).count()
        == 2
    ):
        raise ValidationError(
            _("Both records have a user account; close one of the accounts first.")
        )

    for rel in Person._meta.related_objects:
        if not (rel.one_to_many or rel.one_to_one) or rel.related_model is Person:
            continue
        model = rel.related_model
        if model.__name__.startswith("Historical") or model is PersonMerge:
            continue
        field = rel.field.name
        if rel.one_to_one:
            # One row per person: the owning domain says how two become one; with no rule, a
            # row on both records refuses the merge rather than dropping one.
            rule = events.merge_rule(model._meta.label)
            if rule is not None:
                rule(survivor, duplicate, acting_user)
                continue
            if model._default_manager.filter(**{field: survivor}).exists() and (
                model._default_manager.filter(**{field: duplicate}).exists()
            ):
                raise ValidationError(
                    _("Both records have a %(what)s; it cannot be merged automatically.")
                    % {"what": model._meta.verbose_name}
                )
        rows = list(model._default_manager.select_for_update().filter(**{field: duplicate}))
        for row in rows:
            setattr(row, field, survivor)
            _save(row, acting_user)
        if rows:
            moved[f"{model._meta.label}.{field}"] = len(rows)

    # The document number the survivor lacks is taken from the duplicate, and with it what a
    # resident ID number says (sex, birth date); the duplicate gives it up first, so that the
    # one-number-per-document constraint holds at every statement.
    if not survivor.id_number and duplicate.id_number:
        number, id_type = duplicate.id_number, duplicate.id_type
        sex, birth_date = duplicate.sex, duplicate.birth_date
        duplicate.id_number = None
        duplicate.id_type = Person.IdType.NONE
        duplicate.merged_into = survivor
        duplicate._change_reason = f"merged into {survivor.pk}: {reason}"[:100]
        _save(duplicate, acting_user)
        survivor.id_number, survivor.id_type = number, id_type
        survivor.sex, survivor.birth_date = sex, birth_date
    else:
        duplicate.merged_into = survivor
        duplicate._change_reason = f"merged into {survivor.pk}: {reason}"[:100]
        _save(duplicate, acting_user)
    for attname, value in chosen.items():
        setattr(survivor, attname, value)
    if survivor.date_of_death is None and duplicate.date_of_death is not None:
        survivor.date_of_death = duplicate.date_of_death
    survivor.full_clean(validate_unique=False)
    survivor._change_reason = f"merged {duplicate.pk} into this record: {reason}"[:100]
    _save(survivor, acting_user)
    merge = PersonMerge.objects.create(
        survivor=survivor, merged=duplicate, acting_user=acting_user, reason=reason, moved=moved
    )
    events.persons_merged.send(
        Person, survivor=survivor, duplicate=duplicate, acting_user=acting_user
    )
    if survivor.disability_grade != grade_before:
        events.disability_changed.send(
            Person,
            person=survivor,
            before=grade_before,
            after=survivor.disability_grade,
            acting_user=acting_user,
        )
    return merge
