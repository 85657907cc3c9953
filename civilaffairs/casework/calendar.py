"""The working calendar from the Holiday table, for SLA clocks and statutory periods."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

from civilaffairs.lib.workdays import Calendar

from .models import Holiday

CACHE_KEY = "casework:calendar:v1"


def working_calendar() -> Calendar:
    """Cached for an hour; the admin's holiday edits clear it (casework.admin)."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    rows = list(Holiday.objects.values_list("date", "is_workday"))
    cal = Calendar.of(holidays=[d for d, w in rows if not w], workdays=[d for d, w in rows if w])
    cache.set(CACHE_KEY, cal, 3600)
    return cal


def forget_calendar():
    cache.delete(CACHE_KEY)


def add_working_days(start: dt.date, days: int) -> dt.date:
    return working_calendar().add(start, days)


def due_at_for(service, submitted_at: dt.datetime) -> dt.datetime:
    """End of the last working day of the promised time limit, local time."""
    tz = ZoneInfo(settings.TIME_ZONE)
    local_day = submitted_at.astimezone(tz).date()
    due_day = add_working_days(local_day, service.promised_days)
    return dt.datetime.combine(due_day, dt.time(23, 59, 59), tzinfo=tz)
