"""The documented facts the age-allowance rules use. Each reads itself from one case (through
the FactContext built here) and expresses itself in SQL over a Household row (its head), so a
rule change can be previewed over the registry like any other program."""

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from civilaffairs.rules.facts import AgeOn, Fact, FactContext, register_fact

AGE_PROGRAM = "age_allowance"
ALERT_PROGRAM = "health_alerts"

FACTS = [
    Fact(
        "elder_age",
        _("Age of the elder"),
        _("Completed years on the screening date (for a household: its head)."),
        "integer",
        unit=_("years"),
        annotation=lambda as_of: AgeOn("head__birth_date", as_of),
    ),
    Fact(
        "elder_alive",
        _("Alive"),
        _("No date of death in the population record."),
        "boolean",
        annotation=lambda as_of: Case(
            When(Q(head__date_of_death__isnull=True), then=Value(True)), default=Value(False)
        ),
    ),
    Fact(
        "hukou_in_province",
        _("Household registration in the province"),
        _("The hukou is registered in the same province as the place of residence."),
        "boolean",
        annotation=lambda as_of: Exact(
            Substr("head__hukou_region_id", 1, 2), Substr("head__residence_region_id", 1, 2)
        ),
    ),
]


def register():
    for fact in FACTS:
        register_fact(fact)


def person_facts(person, as_of) -> dict:
    return {
        "elder_age": person.age_on(as_of),
        "elder_alive": person.date_of_death is None,
        "hukou_in_province": person.hukou_region_id[:2] == person.residence_region_id[:2],
    }


def fact_context(case) -> FactContext:
    from django.utils import timezone

    person = case.beneficiary
    as_of = timezone.localdate()
    return FactContext(
        region_code=case.region_id,
        as_of=as_of,
        values=person_facts(person, as_of) if person is not None else {},
        household=case.household,
        case=case,
    )
