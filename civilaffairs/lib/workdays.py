"""Working-day arithmetic for SLA clocks and statutory periods (e.g. the 7-working-day public
notice). Weekends are rest days unless listed as make-up working days (调休); public holidays
are rest days. The caller passes the calendar (casework.calendar reads the Holiday table).

A calendar knows the holidays of the years whose State Council notice is loaded (`years`); in
any other year a weekday may well be a holiday nobody has entered yet, so what must not fall on
a holiday (an appointment) is not planned there (`covers`)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # weekend days worked
    years: frozenset[int] = field(default_factory=frozenset)  # whose holidays are loaded

    @classmethod
    def of(
        cls,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        years: Iterable[int] = (),
    ) -> "Calendar":
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years))

    @property
    def last_year(self) -> int | None:
        """The last year whose holidays are loaded (None: none are)."""
        return max(self.years, default=None)

    def covers(self, day: dt.date) -> bool:
        """Whether the holidays of `day`'s year are loaded."""
        return day.year in self.years

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (start itself not counted): a case
        received on Friday with 1 working day is due on Monday."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        remaining = days
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count
