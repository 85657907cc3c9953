"""The domain's configurable numbers, read from the platform's rule parameters (per region,
dated, nearest ancestor wins): annual-report deadlines per type, the minimum registered capital
per type, how many failed years in a row restrict an organization, and how long a matching
proposal waits for an answer. Seeded by orgs.seed.seed_parameters; changed in the admin."""

import datetime as dt
from decimal import Decimal

from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.models import Parameter, Program

PROGRAM = "orgs"


def _program():
    return Program.objects.filter(code=PROGRAM).first()


def value(key: str, region_code: str, as_of: dt.date) -> Decimal:
    """The value in force for the region on the date; MissingParameter when none is set."""
    return Parameter.objects.for_program(_program()).value_for(key, region_code, as_of)


def value_or(key: str, region_code: str, as_of: dt.date, default: Decimal | None) -> Decimal | None:
    try:
        return value(key, region_code, as_of)
    except MissingParameter:
        return default


def report_deadline(org_type: str, region_code: str, year: int, as_of: dt.date) -> dt.date:
    """The day by which the report on `year` must reach the registration authority: the
    parameter `report_deadline_<type>` holds the month and day as MMDD (531 = 31 May) of the
    following year. Raises MissingParameter when the region has none."""
    mmdd = int(value(f"report_deadline_{org_type}", region_code, as_of))
    month, day = divmod(mmdd, 100)
    return dt.date(year + 1, month, day)


def minimum_capital(org_type: str, region_code: str, as_of: dt.date) -> Decimal:
    return value_or(f"min_capital_{org_type}", region_code, as_of, Decimal(0))


def failures_before_restriction(region_code: str, as_of: dt.date) -> int:
    return int(value_or("restrict_after_failures", region_code, as_of, Decimal(2)))


def proposal_days(region_code: str, as_of: dt.date) -> int:
    return int(value_or("match_proposal_days", region_code, as_of, Decimal(7)))
