"""What marriage registration does on a life event (civilaffairs.people.events)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history
from civilaffairs.people.actions import do_update_person
from civilaffairs.people.models import Person

from .models import MarriageApplication, MarriageRecord, PremaritalCheck


def end_marriage_at_death(sender, *, person, date_of_death, acting_user, **kwargs):
    """A death ends the marriage in force (Civil Code art. 1042 and 1079 do not need a
    divorce for it): the record says so, and the surviving spouse is widowed on the master
    record."""
    for record in MarriageRecord.objects.in_force().of_person(person).select_for_update():
        record.status = MarriageRecord.Status.ENDED_BY_DEATH
        record.dissolved_on = date_of_death
        save_with_history(record, acting_user, "ended by death")
        spouse = record.spouse_of(person)
        if spouse.date_of_death is None:
            do_update_person(
                spouse,
                acting_user=acting_user,
                reason="spouse died",
                marital_status=Person.MaritalStatus.WIDOWED,
            )


def refuse_two_marriages_in_force(survivor, duplicate):
    """Merging two records that each have a marriage in force would make one person married
    twice: the records are not the same person, or one marriage is void, and a registrar must
    look first."""
    both = [MarriageRecord.objects.in_force().of_person(p).exists() for p in (survivor, duplicate)]
    if all(both):
        raise ValidationError(
            _("Both records have a marriage in force: they cannot be merged automatically.")
        )


def marriage_in_force(person):
    """The registry's own check (the records adapter the registrar's counter uses), lent to
    the inter-agency API: a marriage in force, or None."""
    from .adapters import get_adapter

    found = get_adapter().current_marriage_of(person)
    if found is None:
        return None
    return {"registered_on": found.registered_on, "registry": found.registry_name}


def attach_premarital_check(
    sender, *, person, advice, checked_on, institution, department, acting_user, **kwargs
):
    """Health's report of a premarital check goes onto each open marriage application of the
    person (kept nowhere else: without an application there is no purpose to keep it)."""
    for app in (
        MarriageApplication.objects.of_person(person)
        .open()
        .filter(kind=MarriageApplication.Kind.REGISTRATION)
    ):
        save_with_history(
            PremaritalCheck(
                application=app,
                person=person,
                advice=advice,
                checked_on=checked_on,
                institution=institution[:100],
                department=department[:100],
            ),
            acting_user,
            "reported by health",
        )
