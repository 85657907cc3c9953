"""The child's record: opening it, parents and their circumstances, the profile, the director,
the category and guardians."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import has_role
from civilaffairs.accounts.models import StaffRole
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from .. import queries
from ..facts import find_parents
from ..models import (
    AllowanceGrant,
    Category,
    CategoryChange,
    ChildProfile,
    Guardian,
    ParentCircumstance,
)
from .allowance import _end_allowance
from .closing import _end_support
from .common import _require_visitor, _require_worker, _schedule_next_visit, lock_profile


def _new_profile(child: Person, acting_user) -> ChildProfile:
    father, mother = find_parents(child)
    director = None
    if acting_user is not None and has_role(acting_user, StaffRole.Role.CHILDREN_DIRECTOR):
        director = (
            queries.directors_for(child.residence_region_id).filter(pk=acting_user.pk).first()
        )
    profile = ChildProfile(
        person=child,
        father=father,
        mother=mother,
        director=director,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    return _save(profile, acting_user, "record opened")


def _set_circumstances(profile: ChildProfile, circumstances: dict, acting_user):
    """circumstances: {person pk: {field: value}} for the child's identified parents only."""
    allowed = {p.pk for p in profile.parents()}
    fields = {
        "working_away",
        "working_away_since",
        "working_in",
        "restricted_liberty",
        "missing",
        "note",
    }
    for person_pk, values in (circumstances or {}).items():
        if int(person_pk) not in allowed:
            raise ValidationError(_("Circumstances can be recorded for the child's parents only."))
        unknown = set(values) - fields
        if unknown:
            raise ValueError(f"not a parent circumstance: {sorted(unknown)}")
        row = ParentCircumstance.objects.select_for_update().filter(
            person_id=person_pk
        ).first() or ParentCircumstance(person_id=person_pk)
        for k, v in values.items():
            setattr(row, k, v)
        _save(row, acting_user)


@transaction.atomic
def do_set_parent_circumstances(
    profile: ChildProfile, circumstances: dict, *, acting_user
) -> ChildProfile:
    """What staff know of the child's parents, all of them or none: {parent pk: {field:
    value}}, for the parents the record identifies."""
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    _set_circumstances(profile, circumstances, acting_user)
    return profile


@transaction.atomic
def do_set_parents(profile: ChildProfile, *, acting_user, **parents) -> ChildProfile:
    """Correct the parents the master record gave (or add one it did not know): `father`
    and/or `mother`, a person, or None to take off one the record has wrongly. A parent not
    named is kept (correcting the mother does not lose the father)."""
    unknown = set(parents) - {"father", "mother"}
    if unknown:
        raise ValueError(f"not a parent: {sorted(unknown)}")
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    for key, sex in (("father", Person.Sex.MALE), ("mother", Person.Sex.FEMALE)):
        if key not in parents:
            continue
        parent = parents[key]
        if parent is not None and (parent.pk == profile.person_id or parent.sex != sex):
            raise ValidationError(_("%(name)s cannot be this parent.") % {"name": parent.name})
        setattr(profile, key, parent)
    return _save(profile, acting_user, "parents set")


PROFILE_EDITABLE = {
    "school",
    "school_grade",
    "school_notes",
    "health_notes",
    "guardian_consent_on",
}


@transaction.atomic
def do_update_profile(profile: ChildProfile, *, acting_user, **changes) -> ChildProfile:
    unknown = set(changes) - PROFILE_EDITABLE
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    for k, v in changes.items():
        setattr(profile, k, v)
    profile.full_clean(exclude=["person", "father", "mother", "director", "created_by"])
    return _save(profile, acting_user, "profile updated")


@transaction.atomic
def do_assign_director(profile: ChildProfile, *, acting_user, director) -> ChildProfile:
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if (
        director is not None
        and not queries.directors_for(profile.person.residence_region_id)
        .filter(pk=director.pk)
        .exists()
    ):
        raise ValidationError(
            _("%(name)s is not a children's director for the child's area.")
            % {"name": director.display_name}
        )
    profile.director = director
    return _save(profile, acting_user, "director assigned")


def change_category(profile: ChildProfile, category: str, *, acting_user, reason: str):
    """Record a category change on a locked profile, reschedule visits, and end an allowance
    the new category no longer gives."""
    if category not in Category.values or category == Category.PENDING:
        raise ValidationError(_("Choose a category."))
    if category == profile.category:
        return profile
    today = timezone.localdate()
    before = profile.category
    CategoryChange.objects.create(
        profile=profile,
        from_category=before,
        to_category=category,
        changed_on=today,
        reason=reason[:300],
        changed_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    profile.category = category
    profile.category_since = today
    was_scheduled = profile.next_visit_due
    _schedule_next_visit(profile, today)
    if was_scheduled and profile.next_visit_due and was_scheduled < profile.next_visit_due:
        # A stricter schedule starts now; a looser one never postpones a visit already due.
        profile.next_visit_due = was_scheduled
    if category == Category.NONE and before != Category.PENDING:
        _end_support(profile, acting_user=acting_user, reason=reason)
    _save(profile, acting_user, f"category {before} → {category}")
    if category not in Category.allowance():
        for grant in AllowanceGrant.objects.filter(
            profile=profile, case__state="in_payment"
        ).select_related("case"):
            _end_allowance(
                grant,
                acting_user=acting_user,
                reason=_("The child's category changed to “%(category)s”.")
                % {"category": Category(category).label},
            )
    return profile


@transaction.atomic
def do_change_category(profile: ChildProfile, *, acting_user, category: str, reason: str):
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for the change.")})
    return change_category(profile, category, acting_user=acting_user, reason=reason.strip())


@transaction.atomic
def do_add_guardian(
    profile: ChildProfile,
    *,
    acting_user,
    relation: str,
    person: Person | None = None,
    institution_name: str = "",
    phone: str = "",
    is_de_facto_carer: bool = True,
    start_date: dt.date | None = None,
) -> Guardian:
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    institution_name = institution_name.strip()
    if (person is None) == (not institution_name):
        raise ValidationError(_("A guardian is either a person or an institution."))
    if person is not None and person.pk == profile.person_id:
        raise ValidationError(_("A child cannot be their own guardian."))
    if person is not None and not person.is_alive:
        raise ValidationError(_("%(name)s has died.") % {"name": person.name})
    if (
        person is not None
        and profile.guardians.filter(person=person, end_date__isnull=True).exists()
    ):
        raise ValidationError(_("%(name)s is already a guardian.") % {"name": person.name})
    guardian = Guardian(
        profile=profile,
        person=person,
        institution_name=institution_name if person is None else "",
        relation=Guardian.Relation.INSTITUTION if person is None else relation,
        phone=phone.strip(),
        is_de_facto_carer=is_de_facto_carer,
        start_date=start_date or timezone.localdate(),
    )
    guardian.full_clean(exclude=["profile", "person"])
    return _save(guardian, acting_user)


@transaction.atomic
def do_end_guardian(guardian: Guardian, *, acting_user, end_date: dt.date | None = None):
    guardian = Guardian.objects.select_for_update().select_related("profile").get(pk=guardian.pk)
    _require_worker(acting_user, guardian.profile)
    if guardian.end_date is None:
        guardian.end_date = max(end_date or timezone.localdate(), guardian.start_date)
        _save(guardian, acting_user)
    return guardian
