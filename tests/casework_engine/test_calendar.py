import datetime as dt
from decimal import Decimal

import pytest

from civilaffairs.casework.calendar import due_at_for, working_calendar
from civilaffairs.casework.registry import get_service
from civilaffairs.lib.workdays import Calendar
from civilaffairs.people.models import Region

pytestmark = pytest.mark.django_db


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    cal = Calendar.of(
        holidays=[dt.date(2026, 10, d) for d in range(1, 8)], workdays=[dt.date(2026, 10, 10)]
    )
    # Friday 25 September + 1 working day = Monday 28 September.
    assert cal.add(dt.date(2026, 9, 25), 1) == dt.date(2026, 9, 28)
    # 30 September + 1: the National Day week is off, Thursday 8 October is the next working day.
    assert cal.add(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    # Saturday 10 October is a make-up working day.
    assert cal.add(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)
    assert cal.between(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 4


def test_the_shipped_holiday_table_is_used(regions):
    from tests.conftest import ensure_holidays

    ensure_holidays()
    cal = working_calendar()
    assert not cal.is_workday(dt.date(2026, 2, 17))  # Spring Festival
    assert cal.is_workday(dt.date(2026, 2, 14))  # Saturday make-up day


def test_the_promised_time_limit_can_be_set_per_region_but_never_beyond_the_statutory_one(regions):
    from assistance.seed import seed_programs
    from civilaffairs.rules.actions import do_set_parameter
    from civilaffairs.rules.models import Program

    seed_programs(log=lambda *a: None)
    svc = get_service("assistance.dibao")
    submitted = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday
    default_due = due_at_for(svc, submitted, "640104001002")
    do_set_parameter(
        acting_user=None,
        key="promised_days",
        region=Region.objects.get(code="640100"),
        value=Decimal("10"),
        valid_from=dt.date(2026, 1, 1),
        program=Program.objects.get(code="dibao"),
    )
    faster = due_at_for(svc, submitted, "640104001002")
    assert faster.date() == dt.date(2026, 3, 16)
    assert faster < default_due
    do_set_parameter(
        acting_user=None,
        key="promised_days",
        region=Region.objects.get(code="640104"),
        value=Decimal("99"),
        valid_from=dt.date(2026, 1, 1),
        program=Program.objects.get(code="dibao"),
    )
    capped = due_at_for(svc, submitted, "640104001002")
    assert capped.date() == working_calendar().add(dt.date(2026, 3, 2), svc.statutory_days)
