"""Social assistance's own figures for the dashboards (insight.registry, issue #18): what
only this domain knows of its cases — the main cause of hardship and the household size of
the households on 低保 and 特困, the one-off help of 临时救助, and how many grants began,
stopped and were reviewed in the month. The platform counts them with its own figures each
month, under every region above the case's, and shows them at /staff/figures/assistance/.

Each SELECT gives region_code, level, key, n (and amount) for the month: %(start)s and
%(end)s bound it in time (for the current month `end` is now), %(month)s is its first day.
Table names come from _meta and the codes below are constants of this module; the only
values are those parameters.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import CASEWORK_ROLES
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.casework.models import Case
from civilaffairs.insight.registry import (
    DomainFigures,
    FigureTable,
    in_force_at_end,
    register_figures,
)
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Membership

from .models import AssistanceApplication, Relief, ReliefItem, Review

CASE, APP = Case._meta.db_table, AssistanceApplication._meta.db_table
ENT, PAY = Entitlement._meta.db_table, Payment._meta.db_table
MEMBER, REVIEW = Membership._meta.db_table, Review._meta.db_table
RELIEF = Relief._meta.db_table
MONTHLY = "('assistance.dibao', 'assistance.tekun')"  # the services paid month by month

# A 低保 or 特困 household in force at the month's end (insight.registry.in_force_at_end).
_IN_FORCE = f"""
    SELECT c.region_id AS region_code, c.confidentiality AS level, c.household_id,
           a.hardship_cause
      FROM {CASE} c
      JOIN {APP} a ON a.case_id = c.id
     WHERE c.service IN {MONTHLY} AND {in_force_at_end("c")}
"""  # noqa: S608


def _by_cause() -> str:
    return f"""
        SELECT region_code, level, hardship_cause AS key, count(*) AS n
          FROM ({_IN_FORCE}) f
         GROUP BY 1, 2, 3
    """  # noqa: S608


# Household size in bands: the members on the register now (end_date open).
SIZES = ("1", "2", "3", "4", "5+")


def _by_size() -> str:
    return f"""
        SELECT region_code, level,
               CASE WHEN members >= 5 THEN '5+' ELSE members::text END AS key, count(*) AS n
          FROM (SELECT f.region_code, f.level,
                       (SELECT count(*) FROM {MEMBER} m
                         WHERE m.household_id = f.household_id AND m.end_date IS NULL)
                         AS members
                  FROM ({_IN_FORCE}) f) s
         WHERE members > 0
         GROUP BY 1, 2, 3
    """  # noqa: S608


def _one_off() -> str:
    # 临时救助 scheduled or paid for the month (not cancelled), by the kind of hardship.
    return f"""
        SELECT c.region_id AS region_code, c.confidentiality AS level,
               a.emergency_type AS key, count(DISTINCT e.person_id) AS n,
               sum(pay.amount) AS amount
          FROM {PAY} pay
          JOIN {ENT} e ON e.id = pay.entitlement_id
          JOIN {CASE} c ON c.id = e.case_id
          JOIN {APP} a ON a.case_id = c.id
         WHERE pay.month = %(month)s AND e.program = 'assistance.linshi'
           AND pay.status <> 'stopped'
         GROUP BY 1, 2, 3
    """  # noqa: S608


def _flow() -> str:
    # Households whose 低保 or 特困 began to be paid in the month, whose payments stopped in
    # it, and whose grant was reviewed (复核) in it.
    return f"""
        SELECT c.region_id AS region_code, c.confidentiality AS level, 'new' AS key,
               count(DISTINCT c.id) AS n
          FROM {ENT} e JOIN {CASE} c ON c.id = e.case_id
         WHERE e.program IN {MONTHLY} AND e.start_month = %(month)s
         GROUP BY 1, 2
        UNION ALL
        SELECT c.region_id, c.confidentiality, 'stopped', count(DISTINCT c.id)
          FROM {ENT} e JOIN {CASE} c ON c.id = e.case_id
         WHERE e.program IN {MONTHLY} AND e.stopped_on >= %(month)s
           AND e.stopped_on < %(next)s
         GROUP BY 1, 2
        UNION ALL
        SELECT c.region_id, c.confidentiality, 'reviewed', count(DISTINCT c.id)
          FROM {REVIEW} r
          JOIN {APP} a ON a.id = r.application_id
          JOIN {CASE} c ON c.id = a.case_id
         WHERE r.reviewed_on >= %(month)s
           AND r.reviewed_on < %(next)s
         GROUP BY 1, 2
    """  # noqa: S608


def _relief() -> str:
    # Disaster relief handed out in the month (by the day it was given), by item: households
    # and the quantity (each item in its own unit). Read at the level of an assistance case.
    return f"""
        SELECT r.region_id AS region_code, {int(Confidentiality.CONFIDENTIAL)} AS level,
               r.item AS key, count(DISTINCT r.household_id) AS n, sum(r.quantity) AS amount
          FROM {RELIEF} r
         WHERE r.given_on >= %(month)s AND r.given_on < %(next)s
         GROUP BY 1, 2, 3
    """  # noqa: S608


def _items():
    return dict(ReliefItem.choices)


def _causes():
    return dict(AssistanceApplication.HardshipCause.choices)


def _sizes():
    return {
        "1": _("1 person"),
        "2": _("2 people"),
        "3": _("3 people"),
        "4": _("4 people"),
        "5+": _("5 people or more"),
    }


def _kinds():
    return {
        "emergency": _("Emergency (sudden event)"),
        "expenditure": _("Large necessary expense"),
        "": _("Not recorded"),
    }


def _flows():
    return {
        "new": _("Began to be paid"),
        "stopped": _("Stopped"),
        "reviewed": _("Reviewed"),
    }


def register():
    register_figures(
        DomainFigures(
            "assistance",
            _("Figures: social assistance"),
            tuple(str(r) for r in CASEWORK_ROLES),
            (
                FigureTable(
                    "cause",
                    _("Dibao and tekun households by main cause of hardship"),
                    _("Cause of hardship"),
                    _("Households"),
                    _by_cause,
                    _causes,
                ),
                FigureTable(
                    "size",
                    _("Dibao and tekun households by size"),
                    _("Household size"),
                    _("Households"),
                    _by_size,
                    _sizes,
                ),
                FigureTable(
                    "one_off",
                    _("Temporary assistance (linshi) of the month"),
                    _("Kind of hardship"),
                    _("People helped"),
                    _one_off,
                    _kinds,
                    amount=_("Amount (yuan)"),
                ),
                FigureTable(
                    "relief",
                    _("Disaster relief handed out in the month"),
                    _("Item"),
                    _("Households"),
                    _relief,
                    _items,
                    amount=_("Quantity"),
                    note=_(
                        "Each item in its own unit. What each disaster needs against what was "
                        "given, region by region, is on the disaster's page (Disaster relief)."
                    ),
                ),
                FigureTable(
                    "flow",
                    _("Dibao and tekun households that began, stopped or were reviewed"),
                    _("What happened"),
                    _("Households"),
                    _flow,
                    _flows,
                ),
            ),
            note=_(
                "What only social assistance records of its cases: the households on dibao and "
                "tekun at the month's end by cause of hardship and by size, the one-off help "
                "of the month, and the grants that began, stopped or were reviewed in it."
            ),
        )
    )
