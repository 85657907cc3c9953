"""The working calendar from the Holiday table, for SLA clocks and statutory periods."""

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from civilaffairs.lib.workdays import Calendar

from .models import Holiday


def cache_key() -> str:
    """Per database: two sites (or two parallel test runs) sharing one Redis keep apart."""
    from django.db import connection

    return f"casework:calendar:v2:{connection.settings_dict['NAME']}"


def working_calendar() -> Calendar:
    """Cached for an hour; the admin's holiday edits clear it (casework.admin)."""
    cached = cache.get(cache_key())
    if cached is not None:
        return cached
    rows = list(Holiday.objects.values_list("date", "is_workday"))
    cal = Calendar.of(
        holidays=[d for d, w in rows if not w],
        workdays=[d for d, w in rows if w],
        years={d.year for d, _w in rows},
    )
    cache.set(cache_key(), cal, 3600)
    return cal


def missing_holiday_years(today: dt.date | None = None) -> list[int]:
    """This year and next, where their holidays are not loaded yet: nothing that must avoid a
    holiday (an appointment) is planned in them until an administrator adds them (the holiday
    admin warns)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    calendar = working_calendar()
    return [y for y in (today.year, today.year + 1) if not calendar.covers(dt.date(y, 1, 1))]


def forget_calendar():
    cache.delete(cache_key())


def add_working_days(start: dt.date, days: int) -> dt.date:
    return working_calendar().add(start, days)


def promised_days(service, region_code: str | None, day: dt.date) -> int:
    """The promised time limit in working days: a `promised_days` parameter of the service's
    program for the region when an administrator set one, else the service's default; never
    longer than the statutory limit."""
    days = service.promised_days
    if service.program and region_code:
        from civilaffairs.rules.exceptions import MissingParameter
        from civilaffairs.rules.models import Parameter, Program

        program = Program.objects.filter(code=service.program).first()
        if program is not None:
            with contextlib.suppress(MissingParameter):
                days = int(
                    Parameter.objects.for_program(program).value_for(
                        "promised_days", region_code, day
                    )
                )
    return max(1, min(days, service.statutory_days))


def due_at_for(service, submitted_at: dt.datetime, region_code: str | None = None) -> dt.datetime:
    """End of the last working day of the promised time limit, local time."""
    tz = ZoneInfo(settings.TIME_ZONE)
    local_day = submitted_at.astimezone(tz).date()
    due_day = add_working_days(local_day, promised_days(service, region_code, local_day))
    return dt.datetime.combine(due_day, dt.time(23, 59, 59), tzinfo=tz)
