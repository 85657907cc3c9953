"""The documented facts child-welfare rules may use, read from the person master record.

Category pre-screening asks questions of the master record: are both parents dead (orphan)?
Are both unable to look after the child (事实无人抚养)? Do both work away from home (留守)? The
parents are found through households and relations (GB/T 4761 codes on Membership), their
deaths, disabilities and illnesses come from their Person rows, and what the master record does
not carry (working away, custody, out of contact) from ParentCircumstance.

A parent fact is unknown (None) unless both parents are identified: "unknown is never met", so
the rules refer such a child to a worker rather than guessing.

These facts are about one child, not a household, so they have no SQL form over Household rows
(the registry preview is a household tool); pre-screening reads them per case.
"""

import datetime as dt

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.people.models import Membership, Person
from civilaffairs.rules.facts import Fact, FactContext, register_fact

from .models import Category, ChildProfile, ParentCircumstance

SEVERE_DISABILITY = (Person.Disability.GRADE_1, Person.Disability.GRADE_2)
# A parent is at least this much older than the child (a plausibility check on relations).
MIN_PARENT_AGE_GAP = 14

R = Membership.Relation
# The child's relation to the household head → the relations its parents have to the head.
PARENT_RELATIONS = {
    R.SON: (R.HEAD, R.SPOUSE),
    R.DAUGHTER: (R.HEAD, R.SPOUSE),
    R.GRANDCHILD: (R.SON, R.DAUGHTER),
    R.HEAD: (R.PARENT,),
}

FACTS = [
    Fact(
        "child_age",
        _("Age of the child"),
        _("Completed years on the screening date."),
        "integer",
        unit=_("years"),
    ),
    Fact(
        "child_category",
        _("Protection category"),
        _("The child's confirmed protection category."),
        "choice",
        choices=[c for c in Category.choices if c[0] != Category.PENDING],
    ),
    Fact(
        "child_parents_deceased",
        _("Parents deceased"),
        _(
            "How many of the two parents have died (master record). Unknown unless both parents are identified."
        ),
        "integer",
    ),
    Fact(
        "child_parents_unable",
        _("Living parents unable to look after the child"),
        _(
            "Living parents with a grade 1 or 2 disability or a serious illness (master record), or "
            "in custody or out of contact (recorded by child-welfare staff)."
        ),
        "integer",
    ),
    Fact(
        "child_parents_working_away",
        _("Living parents working away from home"),
        _("Able parents recorded as working away from home."),
        "integer",
    ),
    Fact(
        "child_disability",
        _("Disability grade of the child"),
        _("0 = none; 1 (most severe) to 4 (GB/T 26341-2010)."),
        "integer",
    ),
    Fact(
        "child_serious_illness",
        _("The child is seriously ill"),
        _("Serious illness flag on the master record."),
        "boolean",
    ),
    Fact(
        "child_household_assisted",
        _("The child's household receives social assistance"),
        _("An approved minimum-living-allowance or extreme-poverty case for the household."),
        "boolean",
    ),
]


def register():
    for fact in FACTS:
        register_fact(fact)


# --------------------------------------------------------------------------- the parents


def _latest_membership(child: Person):
    return (
        child.memberships.select_related("household")
        .order_by(F("end_date").desc(nulls_first=True), "-start_date")  # current first
        .first()
    )


def find_parents(child: Person) -> tuple[Person | None, Person | None]:
    """(father, mother) from the child's household and relations, or None where the record
    does not say. A parent who died stays a member up to the death (people.actions ends the
    membership on the date of death), so ended memberships of deceased members count."""
    membership = _latest_membership(child)
    if membership is None:
        return None, None
    relations = PARENT_RELATIONS.get(membership.relation)
    if not relations:
        return None, None
    latest_birth = child.birth_date.replace(year=child.birth_date.year - MIN_PARENT_AGE_GAP)
    candidates = (
        Membership.objects.filter(household_id=membership.household_id, relation__in=relations)
        .filter(Q(end_date__isnull=True) | Q(person__date_of_death__isnull=False))
        .exclude(person=child)
        .filter(person__birth_date__lte=latest_birth, person__merged_into__isnull=True)
        .select_related("person")
        .order_by("person_id")
    )
    fathers = {m.person for m in candidates if m.person.sex == Person.Sex.MALE}
    mothers = {m.person for m in candidates if m.person.sex == Person.Sex.FEMALE}
    # Two sons of a grandparent head, say: which one is the father is not in the record.
    father = fathers.pop() if len(fathers) == 1 else None
    mother = mothers.pop() if len(mothers) == 1 else None
    return father, mother


def household_assisted(child: Person) -> bool:
    """Whether the child's current household has social assistance in payment. Read through
    the platform's Case table by service code; the assistance domain is not imported."""
    from civilaffairs.casework.models import Case

    membership = child.current_membership()
    if membership is None:
        return False
    return (
        Case.objects.filter(
            household_id=membership.household_id,
            service__in=["assistance.dibao", "assistance.tekun"],
            state="approved",
        )
        .open()
        .exists()
    )


def parent_counts(parents: list[Person], as_of: dt.date) -> dict[str, int] | None:
    """Deceased, unable and working-away counts over both parents, or None when the record
    does not identify both."""
    if len(parents) < 2:
        return None
    circumstances = {
        c.person_id: c
        for c in ParentCircumstance.objects.filter(person__in=[p.pk for p in parents])
    }
    deceased = unable = away = 0
    for parent in parents:
        if parent.date_of_death is not None and parent.date_of_death <= as_of:
            deceased += 1
            continue
        circ = circumstances.get(parent.pk)
        if (
            parent.disability_grade in SEVERE_DISABILITY
            or parent.serious_illness
            or (circ is not None and circ.unable_to_care)
        ):
            unable += 1
        elif circ is not None and circ.working_away:
            away += 1
    return {
        "child_parents_deceased": deceased,
        "child_parents_unable": unable,
        "child_parents_working_away": away,
    }


def child_facts(profile: ChildProfile, as_of: dt.date) -> dict:
    """Every fact about one child that the master record (and our own notes) can tell."""
    child = profile.person
    values = {
        "child_age": child.age_on(as_of),
        "child_disability": child.disability_grade,
        "child_serious_illness": child.serious_illness,
        "child_household_assisted": household_assisted(child),
    }
    if profile.category != Category.PENDING:
        values["child_category"] = profile.category
    counts = parent_counts(profile.parents(), as_of)
    if counts is not None:
        values.update(counts)
    return values


def fact_context(case) -> FactContext:
    """The rules' view of one child-welfare case (an intake report or an allowance)."""
    details = case.details()
    profile = ChildProfile.objects.select_related("person", "father", "mother").get(
        pk=details.profile_id
    )
    as_of = timezone.localdate()
    return FactContext(
        region_code=case.region_id,
        as_of=as_of,
        values=child_facts(profile, as_of),
        household=case.household,
        case=case,
    )
