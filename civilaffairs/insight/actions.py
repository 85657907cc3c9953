"""Counting a month's figures: the one writer of the figure tables.

Each count replaces the month's rows in one transaction (a page reads the old figures or the
new, never half of each) with three `INSERT … SELECT`s that PostgreSQL runs over the ledger,
the cases and the register; nothing is read into Python. A count of the whole province is a
few seconds (make bench: "aggregate refresh"), so the current month is simply counted again
every few minutes rather than kept up by each change.
"""

import datetime as dt
import logging
import time

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import Office
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.casework.models import Case
from civilaffairs.lib.months import add_months, first_of_month
from civilaffairs.people.models import Household, Membership, Person

from .models import (
    AGE_BANDS,
    BenefitFigure,
    CaseFigure,
    DomainFigure,
    HouseholdFigure,
    MonthCount,
    PaymentFigure,
    WorkloadFigure,
)
from .registry import all_figures

log = logging.getLogger(__name__)

ENT, PAY, CASE = Entitlement._meta.db_table, Payment._meta.db_table, Case._meta.db_table
PERSON, MEMBER = Person._meta.db_table, Membership._meta.db_table
HOUSE, OFFICE = Household._meta.db_table, Office._meta.db_table

# The person's household now (one open membership; the latest if a record has two).
_HOUSEHOLD = f"""
    LEFT JOIN LATERAL (
        SELECT m.household_id, h.hukou_type FROM {MEMBER} m
          JOIN {HOUSE} h ON h.id = m.household_id
         WHERE m.person_id = e.person_id AND m.end_date IS NULL
         ORDER BY m.id DESC LIMIT 1) hh ON true
"""  # noqa: S608
_BAND = (
    "CASE "
    + " ".join(
        f"WHEN age < {low} THEN '{AGE_BANDS[i - 1][0]}'"
        for i, (_c, _l, low, _h) in enumerate(AGE_BANDS)
        if i
    )
    + f" ELSE '{AGE_BANDS[-1][0]}' END"
)

# Each figure row of a case's region is counted again under every region above it (the
# province, prefecture, county, township and village whose subtree holds it), so that a page
# reads the rows of one region code, a few hundred, instead of summing a subtree's thousands.
# An area's code from the case region's: the first n digits (padded to six with zeros above
# the county, as the province's and prefecture's codes are), for each level the code reaches;
# once each (a township directly under a prefecture, 441900003, pads to the prefecture's
# code at two levels).
_AREAS = """
    CROSS JOIN LATERAL (
        SELECT DISTINCT CASE WHEN d.n < 6 THEN rpad(left(g.region_code, d.n), 6, '0')
                    ELSE left(g.region_code, d.n) END AS area
          FROM (VALUES (2), (4), (6), (9), (12)) d(n)
         WHERE d.n <= CASE WHEN length(g.region_code) > 6 THEN length(g.region_code)
                           WHEN g.region_code LIKE '%%0000' THEN 2
                           WHEN g.region_code LIKE '%%00' THEN 4
                           ELSE 6 END) a
"""

# Table names come from _meta, the bands from AGE_BANDS and the entitlements in force from
# the ledger's own rule (Entitlement.objects.covering, as the monthly run pays them), all
# constants of the code; every value is a parameter. Each statement's parameters, in order:
# the month as many times as it says %s, then the covering rule's own.
#
# A person is counted once per program, and once more under program '' (all programs: the
# second grouping set), so that "all programs" counts someone on two programs once. Each row
# keeps its cases' confidentiality level: a viewer sums only the levels they may see.
_BENEFITS = f"""
    INSERT INTO {BenefitFigure._meta.db_table} (month, region_code, level, program, sex,
           age_band, disabled, hukou_type, persons, amount)
    SELECT %s, a.area, level, program, sex, age_band, disabled, hukou_type, sum(persons),
           sum(amount)
      FROM (SELECT region_code, level, coalesce(program, '') AS program, sex, age_band,
                   disabled, hukou_type, count(DISTINCT person_id) AS persons,
                   sum(amount) AS amount
              FROM (SELECT *, {_BAND} AS age_band
                      FROM (SELECT c.region_id AS region_code, c.confidentiality AS level,
                                   e.program, p.sex, e.person_id,
                                   coalesce(pay.amount, e.monthly_amount) AS amount,
                                   date_part('year', age(%s::date, p.birth_date)) AS age,
                                   coalesce(p.disability_grade, 0) > 0 AS disabled,
                                   coalesce(hh.hukou_type, '') AS hukou_type
                              FROM {ENT} e
                              JOIN {CASE} c ON c.id = e.case_id
                              JOIN {PERSON} p ON p.id = e.person_id
                              {_HOUSEHOLD}
                              LEFT JOIN {PAY} pay ON pay.entitlement_id = e.id
                                   AND pay.month = %s AND pay.status <> 'stopped'
                             WHERE e.id IN ({{covering}})) x) y
             GROUP BY GROUPING SETS (
                 (region_code, level, program, sex, age_band, disabled, hukou_type),
                 (region_code, level, sex, age_band, disabled, hukou_type))) g
      {_AREAS}
     GROUP BY a.area, level, program, sex, age_band, disabled, hukou_type
"""  # noqa: S608
_BENEFITS_MONTHS = 3
_HOUSEHOLDS = f"""
    INSERT INTO {HouseholdFigure._meta.db_table} (month, region_code, level, program, households)
    SELECT %s, a.area, level, program, sum(households)
      FROM (SELECT c.region_id AS region_code, c.confidentiality AS level,
                   coalesce(e.program, '') AS program,
                   count(DISTINCT hh.household_id) AS households
              FROM {ENT} e
              JOIN {CASE} c ON c.id = e.case_id
              {_HOUSEHOLD}
             WHERE e.id IN ({{covering}}) AND hh.household_id IS NOT NULL
             GROUP BY GROUPING SETS ((c.region_id, c.confidentiality, e.program),
                                     (c.region_id, c.confidentiality))) g
      {_AREAS}
     GROUP BY a.area, level, program
"""  # noqa: S608
_HOUSEHOLDS_MONTHS = 1
_PAYMENTS = f"""
    INSERT INTO {PaymentFigure._meta.db_table}
           (month, region_code, level, program, status, payments, amount)
    SELECT %s, a.area, level, program, status, sum(payments), sum(amount)
      FROM (SELECT c.region_id AS region_code, c.confidentiality AS level, e.program,
                   pay.status, count(*) AS payments, sum(pay.amount) AS amount
              FROM {PAY} pay
              JOIN {ENT} e ON e.id = pay.entitlement_id
              JOIN {CASE} c ON c.id = e.case_id
             WHERE pay.month = %s
             GROUP BY c.region_id, c.confidentiality, e.program, pay.status) g
      {_AREAS}
     GROUP BY a.area, level, program, status
"""  # noqa: S608

# Applications of the month: submitted and decided in [start, end), and open and overdue at
# `end` (the month's end, or now for the current month). Only cases that touch the month are
# read: submitted before its end and not closed before its start. Days are calendar days in
# the portal's time zone, from submitting to the decision.
_CASES = f"""
    INSERT INTO {CaseFigure._meta.db_table} (month, region_code, level, service, channel,
           submitted, decided, approved, in_time, days, open, overdue)
    SELECT %(month)s, a.area, level, service, channel, sum(submitted), sum(decided),
           sum(approved), sum(in_time), sum(days), sum(open), sum(overdue)
      FROM (SELECT c.region_id AS region_code, c.confidentiality AS level, c.service,
                   c.channel,
                   count(*) FILTER (WHERE c.submitted_at >= %(start)s) AS submitted,
                   count(*) FILTER (WHERE decided) AS decided,
                   count(*) FILTER (WHERE decided
                                    AND c.outcome IN ('approved', 'terminated', 'completed'))
                     AS approved,
                   count(*) FILTER (WHERE decided AND (c.decided_due_at IS NULL
                                    OR c.decided_at <= c.decided_due_at)) AS in_time,
                   coalesce(sum((c.decided_at AT TIME ZONE %(zone)s)::date
                                - (c.submitted_at AT TIME ZONE %(zone)s)::date)
                            FILTER (WHERE decided), 0) AS days,
                   count(*) FILTER (WHERE still_open) AS open,
                   count(*) FILTER (WHERE still_open
                                    AND coalesce(c.due_at, c.decided_due_at) < %(end)s)
                     AS overdue
              FROM (SELECT c.*,
                           coalesce(c.decided_at >= %(start)s AND c.decided_at < %(end)s,
                                    false) AS decided,
                           (c.decided_at >= %(end)s
                            OR c.decided_at IS NULL AND c.outcome IN ('', 'withdrawn'))
                             AND (c.closed_at IS NULL OR c.closed_at >= %(end)s) AS still_open
                      FROM {CASE} c
                     WHERE c.submitted_at < %(end)s
                       AND (c.closed_at IS NULL OR c.closed_at >= %(start)s)) c
             GROUP BY 1, 2, 3, 4) g
      {_AREAS}
     GROUP BY a.area, level, service, channel
"""  # noqa: S608

# The work waiting now: open cases in a state their workflow queues (what the queues show,
# Case.objects.queued). Kept twice from one reading (a CTE): per office and assignee under
# the office's own region only (a page lists the offices of a region and the one below, and
# a region's own caseworkers: a few rows by region code), and per service and state under
# every region above the office's (whole = true), as the other figures are. A case no office
# holds yet stands under its own region.
_WORKLOAD = f"""
    WITH g AS MATERIALIZED (
        SELECT coalesce(o.region_id, c.region_id) AS region_code,
               c.confidentiality AS level, c.office_id, c.assignee_id, c.service, c.state,
               count(*) AS open,
               count(*) FILTER (WHERE c.due_at < %s) AS overdue,
               count(*) FILTER (WHERE c.due_at >= %s AND c.due_at < %s) AS due_soon
          FROM {CASE} c
          LEFT JOIN {OFFICE} o ON o.id = c.office_id
         WHERE c.id IN ({{queued}})
         GROUP BY 1, 2, 3, 4, 5, 6),
    offices AS (
        INSERT INTO {WorkloadFigure._meta.db_table} (region_code, level, office_id,
               assignee_id, service, state, open, overdue, due_soon, counted_at, whole)
        SELECT region_code, level, office_id, assignee_id, service, state, open, overdue,
               due_soon, %s, false
          FROM g)
    INSERT INTO {WorkloadFigure._meta.db_table} (region_code, level, office_id, assignee_id,
           service, state, open, overdue, due_soon, counted_at, whole)
    SELECT a.area, level, NULL, NULL, service, state, sum(open), sum(overdue), sum(due_soon),
           %s, true
      FROM g
      {_AREAS}
     GROUP BY a.area, level, service, state
"""  # noqa: S608


# A domain's table (insight.registry): its SELECT's rows summed under every region above.
_DOMAIN = f"""
    INSERT INTO {DomainFigure._meta.db_table} (month, region_code, level, domain, figure,
           key, n, amount)
    SELECT %(month)s, a.area, level, %(domain)s, %(figure)s, key, sum(n), sum(amount)
      FROM (SELECT region_code, level, key::text AS key, n, {{amount}} AS amount
              FROM ({{select}}) d
             WHERE n > 0 AND region_code IS NOT NULL) g
      {_AREAS}
     GROUP BY a.area, level, key
"""  # noqa: S608


def _bounds(month: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The month as a span of time in the portal's zone; the current month ends now."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(add_months(month, 1), dt.time.min, tzinfo=zone)
    return start, min(end, now)


@transaction.atomic
def do_count_month(month: dt.date, *, acting_user=None) -> MonthCount:
    """Count `month`'s figures again (any day of it names it). Idempotent; two counts of the
    same month wait for each other (the month's MonthCount row is locked first). Counting is
    the system's (beat's); `acting_user` is taken as every action takes it, and not stored."""
    month = first_of_month(month)
    started = time.perf_counter()
    count, _created = MonthCount.objects.select_for_update().get_or_create(
        month=month, defaults={"counted_at": timezone.now()}
    )
    covering, covering_params = (
        Entitlement.objects.covering(month).values("id").query.sql_with_params()
    )
    rows = 0
    with connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem TO '128MB'")
        cur.execute("SET LOCAL jit TO off")  # its compile time is more than it saves here
        for model, insert, months, rule in (
            (BenefitFigure, _BENEFITS, _BENEFITS_MONTHS, covering_params),
            (HouseholdFigure, _HOUSEHOLDS, _HOUSEHOLDS_MONTHS, covering_params),
            (PaymentFigure, _PAYMENTS, 2, ()),
        ):
            model.objects.filter(month=month).delete()
            cur.execute(insert.format(covering=covering), [month] * months + list(rule))
            rows += cur.rowcount
        start, end = _bounds(month, timezone.now())
        CaseFigure.objects.filter(month=month).delete()
        zone = str(timezone.get_current_timezone())
        cur.execute(_CASES, {"month": month, "start": start, "end": end, "zone": zone})
        rows += cur.rowcount
        if month == first_of_month(timezone.localdate()):
            rows += _count_workload(cur)
        DomainFigure.objects.filter(month=month).delete()
        for domain in all_figures():
            for table in domain.tables:
                rows += _count_domain_table(cur, domain, table, month, start, end, zone)
    count.counted_at = timezone.now()
    count.seconds = round(time.perf_counter() - started, 3)
    count.rows = rows
    count.save()
    return count


def _count_domain_table(cur, domain, table, month, start, end, zone) -> int:
    """One domain's table for the month, in a savepoint of its own: a domain's SELECT that
    fails (a column renamed, say) is logged and leaves its table uncounted, not the month's
    other figures."""
    try:
        with transaction.atomic():
            cur.execute(
                _DOMAIN.format(
                    select=table.sql(), amount="d.amount" if table.amount else "NULL::numeric"
                ),
                {
                    "month": month,
                    "next": add_months(month, 1),
                    "start": start,
                    "end": end,
                    "zone": zone,
                    "domain": domain.code,
                    "figure": table.key,
                },
            )
            return cur.rowcount
    except DatabaseError:
        log.exception("figures %s.%s of %s could not be counted", domain.code, table.key, month)
        return 0


def _count_workload(cur) -> int:
    """The open cases as they are now (what the current month's count leaves behind)."""
    now = timezone.now()
    WorkloadFigure.objects.all().delete()
    soon = now + dt.timedelta(days=Case.DUE_SOON_DAYS)
    queued, params = (
        Case.objects.open().queued().filter(submitted_at__isnull=False).values("id")
    ).query.sql_with_params()
    cur.execute(_WORKLOAD.format(queued=queued), [now, now, soon, *params, now, now])
    return cur.rowcount


def do_count_recent(today: dt.date | None = None) -> list[MonthCount]:
    """What beat runs: this month, and last month until it has been counted on or after the
    8th of this one (a month's payments are still being made and returned in the first days
    of the next); after that, last month's figures stay as they are."""
    today = today or timezone.localdate()
    this = first_of_month(today)
    last = first_of_month(this - dt.timedelta(days=1))
    done = [do_count_month(this, acting_user=None)]
    last_count = MonthCount.objects.filter(month=last).first()
    settled = this + dt.timedelta(days=7)
    if last_count is None or timezone.localtime(last_count.counted_at).date() < settled:
        done.append(do_count_month(last, acting_user=None))
    return done


# --------------------------------------------------------------------------- scenarios


@transaction.atomic
def do_save_scenario(
    *, acting_user, title: str, program, region, as_of: dt.date, overrides: dict, ruleset=None
):
    """Save a decision-support scenario with its results, computed now and kept (a later
    change of the register or of the parameters does not change it). Only an approver or a
    supervisor whose area holds `region` may; the proposal's own problems (no rule set in
    force, a parameter without a value for the region, a key the program does not have, a
    negative value, a draft of another program) are refused with a ValidationError."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from . import scenarios
    from .models import Scenario
    from .queries import may_make_scenario

    if not may_make_scenario(acting_user, region):
        raise PermissionDenied("region outside the user's scenario area")
    if ruleset is not None and (ruleset.program_id != program.pk or not ruleset.is_editable):
        raise ValidationError(_("Choose a draft rule set of the same program, or none."))
    keys = scenarios.program_keys(program, as_of, ruleset)
    errors = scenarios.override_errors(program, keys, overrides)
    if errors:
        raise ValidationError(errors)
    results = scenarios.compute(program, region, as_of, overrides, ruleset)
    now = timezone.now()
    return Scenario.objects.create(
        title=title,
        program=program,
        region=region,
        as_of=as_of,
        overrides={k: format(v, "f") for k, v in overrides.items()},
        ruleset=ruleset,
        results=results,
        created_by=acting_user,
        created_at=now,
        computed_at=now,
    )
