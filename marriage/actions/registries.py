"""Registries and their appointment slots: set up from a civil-affairs office, slots generated
from the opening periods and the working calendar."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from civilaffairs.accounts.actions import do_update_office
from civilaffairs.casework.calendar import working_calendar
from civilaffairs.lib.history import save_with_history as _save

from ..models import (
    OpeningPeriod,
    RegistrationOffice,
    Slot,
)
from .common import (
    SERVICES,
)


@transaction.atomic
def do_setup_registry(
    office,
    *,
    acting_user,
    name: str,
    code: str | None = None,
    address: str = "",
    phone: str = "",
    periods=(),
    slot_minutes: int = 30,
    slot_capacity: int = 3,
    booking_days: int = 28,
) -> RegistrationOffice:
    """Make an office a marriage registry (or update it): it handles the marriage services, has
    its opening periods `[(weekday, start, end)]`, slot length and capacity."""
    missing = [s for s in SERVICES if s not in office.services]
    if missing:
        office = do_update_office(
            office, acting_user=acting_user, services=sorted({*office.services, *SERVICES})
        )
    registry = RegistrationOffice.objects.select_for_update().filter(
        office=office
    ).first() or RegistrationOffice(office=office)
    registry.name = name
    registry.code = code or registry.code or office.region_id
    registry.address = address or registry.address or office.address
    registry.phone = phone or registry.phone or office.phone
    registry.slot_minutes = slot_minutes
    registry.slot_capacity = slot_capacity
    registry.booking_days = booking_days
    registry.full_clean()
    _save(registry, acting_user)
    if periods:
        registry.periods.all().delete()
        OpeningPeriod.objects.bulk_create(
            [OpeningPeriod(registry=registry, weekday=w, start=s, end=e) for w, s, e in periods]
        )
    return registry


def do_generate_slots(registry=None, *, today: dt.date | None = None, acting_user=None) -> int:
    """Slots for every working day from tomorrow up to each registry's booking horizon, from
    its opening periods (a make-up working day on a weekend opens like a Monday). Idempotent:
    existing slots are left as they are, so a capacity changed in the admin stays. No slot is
    opened in a year whose holidays are not loaded (its holidays would look like working days):
    they open once an administrator adds them, the next time this runs."""
    today = today or timezone.localdate()
    calendar = working_calendar()
    registries = RegistrationOffice.objects.bookable().prefetch_related("periods")
    if registry is not None:
        registries = registries.filter(pk=registry.pk)
    made = 0
    for reg in registries:
        by_day: dict[int, list[OpeningPeriod]] = {}
        for p in reg.periods.all():
            by_day.setdefault(p.weekday, []).append(p)
        step = dt.timedelta(minutes=reg.slot_minutes)
        rows = []
        for offset in range(1, reg.booking_days + 1):
            day = today + dt.timedelta(days=offset)
            if not calendar.covers(day) or not calendar.is_workday(day):
                continue
            weekday = day.weekday() if day.weekday() < 5 else 0
            for period in by_day.get(weekday, []):
                start = dt.datetime.combine(day, period.start)
                end = dt.datetime.combine(day, period.end)
                while start + step <= end:
                    rows.append(
                        Slot(
                            registry=reg,
                            date=day,
                            start=start.time(),
                            end=(start + step).time(),
                            capacity=reg.slot_capacity,
                        )
                    )
                    start += step
        with transaction.atomic():
            before = Slot.objects.filter(registry=reg).count()
            Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
            made += Slot.objects.filter(registry=reg).count() - before
    return made
