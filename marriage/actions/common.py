"""What the marriage registry's actions share: locks in the house order, the checks of who
acts, messages and events to the parties, the legal periods and the certificate numbers."""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied
from django.db import connection

from civilaffairs.casework.actions import (
    add_event,
    do_transition,
)
from civilaffairs.casework.calendar import working_calendar
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.casework.notify import notify
from civilaffairs.people.models import Person

from ..models import (
    MarriageApplication,
    RegistrationOffice,
)
from ..queries import is_registrar

log = logging.getLogger(__name__)

SERVICE = {
    MarriageApplication.Kind.REGISTRATION: "marriage.registration",
    MarriageApplication.Kind.DIVORCE: "marriage.divorce",
    MarriageApplication.Kind.REPLACEMENT: "marriage.replacement",
}
SERVICES = tuple(SERVICE.values())


def lock_app(app) -> MarriageApplication:
    return (
        MarriageApplication.objects.select_for_update(of=("self",))
        .select_related("case", "registry", "case__applicant", "case__beneficiary")
        .get(pk=app.pk)
    )


def lock_people(*people) -> list[Person]:
    ids = sorted({p.pk for p in people})
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[p.pk] for p in people]


def _require_registrar(user, registry_id):
    if user is None or not is_registrar(user, registry_id):
        raise PermissionDenied


def _require_party(app: MarriageApplication, user) -> Person:
    if user is None or not app.is_party(user.person_id):
        raise PermissionDenied
    return user.person


def _notify(person, case, title, body):
    """A message in one person's inbox, with its e-mail copy (casework.notify): title and body
    are callables, written in the recipient's language and kept in every language."""
    return notify(person, title, body, case=case)


def _public_event(case: Case, acting_user, message, data=None):
    """A public event on the case: both parties hear of it (the workflow's parties)."""
    add_event(
        case, CaseEvent.Kind.CHANGE, actor=acting_user, public=True, message=message, data=data
    )


def _fire(case: Case, name: str, *, acting_user, reason: str = "", public_message: str = ""):
    """A transition of the engine; a public one is told to both parties by the engine."""
    return do_transition(
        case, name, acting_user=acting_user, reason=reason, public_message=public_message
    )


def period_end(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` calendar days from `start` (the start day itself not
    counted, Civil Code Art. 201); when that day is a rest day, the next working day
    (Art. 203), as the Ministry of Civil Affairs' notice on the cooling-off period says."""
    end = start + dt.timedelta(days=days)
    calendar = working_calendar()
    while not calendar.is_workday(end):
        end += dt.timedelta(days=1)
    return end


def next_certificate_number(registry: RegistrationOffice, kind: str, day: dt.date) -> str:
    """J640104-2026-000123: kind, registry code, year, a sequence per registry, kind and year
    from one atomic upsert. Inside the registration's transaction: a refusal rolls the number
    back, so numbers have no gaps."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO marriage_certificatecounter (registry_id, kind, year, last)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (registry_id, kind, year)
            DO UPDATE SET last = marriage_certificatecounter.last + 1
            RETURNING last
            """,
            [registry.pk, kind, day.year],
        )
        (seq,) = cur.fetchone()
    return f"{kind}{registry.code}-{day.year}-{seq:06d}"
