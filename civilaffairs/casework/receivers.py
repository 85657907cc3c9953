"""What casework does on a life event (people.events): every domain's open cases hear of it."""

from django.utils.translation import gettext as _

from .models import Case, CaseEvent


def flag_open_cases(sender, *, person, date_of_death, acting_user, **kwargs):
    """A death flags every open case where the person is the applicant or the beneficiary, in
    every domain: staff see it on the case's timeline and the case page says so. What follows
    (ending an allowance, a marriage) is each domain's rule, through its own receiver."""
    from django.db.models import Q

    from .actions import add_event

    cases = Case.objects.filter(
        Q(applicant=person) | Q(beneficiary=person), closed_at__isnull=True
    ).select_for_update()
    for case in cases:
        add_event(
            case,
            CaseEvent.Kind.CHANGE,
            actor=acting_user,
            message=lambda: (
                _("Death recorded for %(name)s on %(date)s: check this case.")
                % {"name": person.name, "date": date_of_death.isoformat()}
            ),
            data={"life_event": "died", "person": person.pk, "date": date_of_death.isoformat()},
        )
