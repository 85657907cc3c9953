"""What the exchange tells subscribers when the platform announces something. Each body holds
what the event's read endpoint would show the subscriber (ID numbers masked unless its grant
shows them)."""

from civilaffairs.lib.confidentiality import Confidentiality

from .models import EventKind
from .publishing import publish
from .serializers import mask_for_api


def _id(principal, number):
    return number if principal.may_see_id_number else mask_for_api(number)


def _region(person) -> str:
    return person.residence_region_id or person.hukou_region_id or ""


def person_died(sender, *, person, date_of_death, acting_user, **kwargs):
    publish(
        EventKind.PERSON_DIED,
        region_code=_region(person),
        level=Confidentiality.INTERNAL,
        data_for=lambda p: {
            "id_number": _id(p, person.id_number),
            "date_of_death": date_of_death.isoformat(),
        },
    )


def _benefit(kind, entitlement, extra):
    person = entitlement.person
    publish(
        kind,
        region_code=_region(person),
        level=Confidentiality.CONFIDENTIAL,
        data_for=lambda p: {
            "id_number": _id(p, person.id_number),
            "program": entitlement.program,
            "monthly_amount": str(entitlement.monthly_amount),
            **extra,
        },
    )


def entitlement_started(sender, *, entitlement, acting_user, **kwargs):
    _benefit(
        EventKind.BENEFIT_STARTED,
        entitlement,
        {"since": f"{entitlement.start_month:%Y-%m}"},
    )


def entitlement_stopped(sender, *, entitlement, acting_user, **kwargs):
    _benefit(
        EventKind.BENEFIT_STOPPED,
        entitlement,
        {"stopped_on": entitlement.stopped_on.isoformat() if entitlement.stopped_on else None},
    )


def case_decided(sender, *, case, acting_user, **kwargs):
    publish(
        EventKind.CASE_DECIDED,
        region_code=case.region_id,
        level=case.confidentiality,
        data_for=lambda p: {
            "reference": case.reference,
            "service": case.service,
            "state": case.state,
            "outcome": case.outcome,
        },
    )
