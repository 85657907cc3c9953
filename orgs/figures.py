"""The social-organization dashboard figures (issue #18), registered with the platform's
insight.registry from OrgsConfig.ready() and counted by insight.actions.do_count_month.

An organization's rows stand under its registration region: the region of its registration
authority (the bureau it is registered with, which its cases carry too), so that a bureau
reads what it registered and a higher one what it and the bureaus below registered, as the
register's staff pages scope it (orgs.queries). The register is public: an organization and
its late flag are counted at level 0; a filed report keeps its case's level.

Three tables:

- organizations: the organizations in force at the month's end, by type: established by
  then and neither deregistered nor revoked by then (a revocation's moment is the register's
  history: revoking is final, and the row keeps only its status);
- reports: annual reports filed in the month (their case first submitted then, not
  withdrawn since), those of them filed after the deadline, and the late flags raised in
  the month;
- charity: the charity matching of the month: needs published, offers made, matches proposed
  and deliveries whose receipt was confirmed, under the area of the need (of the goods, for
  an offer).
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import Office
from civilaffairs.casework.models import Case
from civilaffairs.insight.registry import DomainFigures, FigureTable, sql_literal

from .models import AnnualReport, Delivery, LateFiling, Match, Need, Offer, Organization, OrgType
from .queries import AUTHORITY_ROLES

ORG, HISTORY = Organization._meta.db_table, Organization.history.model._meta.db_table
REPORT, LATE = AnnualReport._meta.db_table, LateFiling._meta.db_table
NEED, OFFER = Need._meta.db_table, Offer._meta.db_table
MATCH, DELIVERY = Match._meta.db_table, Delivery._meta.db_table
CASE, OFFICE = Case._meta.db_table, Office._meta.db_table

# The first day after the month (the platform's %(next)s): established_on and
# deregistered_on are the portal's dates.
_NEXT = "%(next)s"
_lit = sql_literal


def organizations_sql() -> str:
    status = Organization.Status
    return f"""
        SELECT au.region_id AS region_code, 0 AS level, o.org_type AS key, count(*) AS n
          FROM {ORG} o
          JOIN {OFFICE} au ON au.id = o.authority_id
         WHERE o.established_on < {_NEXT}
           AND (o.deregistered_on >= {_NEXT}
                OR o.deregistered_on IS NULL AND o.status <> {_lit(status.DEREGISTERED)})
           AND (o.status <> {_lit(status.REVOKED)}
                OR coalesce((SELECT min(h.history_date) FROM {HISTORY} h
                              WHERE h.id = o.id AND h.status = {_lit(status.REVOKED)}),
                            '-infinity') >= %(end)s)
         GROUP BY 1, 3
    """  # noqa: S608 (table names from _meta, constants of the code; values are parameters)


def organizations_labels() -> dict:
    return dict(OrgType.choices)


def reports_sql() -> str:
    filed = f"""
          FROM {REPORT} r
          JOIN {CASE} c ON c.id = r.case_id
          JOIN {ORG} o ON o.id = r.organization_id
          JOIN {OFFICE} au ON au.id = o.authority_id
         WHERE c.submitted_at >= %(start)s AND c.submitted_at < %(end)s
           AND c.state <> 'withdrawn'
    """
    return f"""
        SELECT au.region_id AS region_code, c.confidentiality AS level, 'filed' AS key,
               count(*) AS n
        {filed}
         GROUP BY 1, 2
        UNION ALL
        SELECT au.region_id, c.confidentiality, 'filed_late', count(*)
        {filed} AND r.late
         GROUP BY 1, 2
        UNION ALL
        SELECT au.region_id, 0, 'late', count(*)
          FROM {LATE} lf
          JOIN {ORG} o ON o.id = lf.organization_id
          JOIN {OFFICE} au ON au.id = o.authority_id
         WHERE lf.flagged_at >= %(start)s AND lf.flagged_at < %(end)s
         GROUP BY 1
    """  # noqa: S608 (table names from _meta; values are parameters)


def reports_labels() -> dict:
    return {
        "filed": _("Annual reports filed"),
        "filed_late": _("of which filed after the deadline"),
        "late": _("Organizations flagged late (report not filed by the deadline)"),
    }


def charity_sql() -> str:
    return f"""
        SELECT n.region_id AS region_code, 0 AS level, 'needs' AS key, count(*) AS n
          FROM {NEED} n
         WHERE n.created_at >= %(start)s AND n.created_at < %(end)s
         GROUP BY 1
        UNION ALL
        SELECT f.region_id, 0, 'offers', count(*)
          FROM {OFFER} f
         WHERE f.created_at >= %(start)s AND f.created_at < %(end)s
         GROUP BY 1
        UNION ALL
        SELECT n.region_id, 0, 'matches', count(*)
          FROM {MATCH} m
          JOIN {NEED} n ON n.id = m.need_id
         WHERE m.proposed_at >= %(start)s AND m.proposed_at < %(end)s
         GROUP BY 1
        UNION ALL
        SELECT n.region_id, 0, 'deliveries', count(*)
          FROM {DELIVERY} d
          JOIN {MATCH} m ON m.id = d.match_id
          JOIN {NEED} n ON n.id = m.need_id
         WHERE d.confirmed_at >= %(start)s AND d.confirmed_at < %(end)s
         GROUP BY 1
    """  # noqa: S608 (table names from _meta; values are parameters)


def charity_labels() -> dict:
    return {
        "needs": _("Needs published"),
        "offers": _("Donations offered"),
        "matches": _("Matches proposed"),
        "deliveries": _("Deliveries received (confirmed)"),
    }


def figures() -> DomainFigures:
    return DomainFigures(
        code="orgs",
        label=_("Figures: social organizations"),
        # Who works the register's staff pages and cases: the registration authority's staff.
        roles=AUTHORITY_ROLES,
        note=_(
            "The social organizations registered with the bureaus of this area, their annual "
            "reports, and the charity matching of the area."
        ),
        tables=(
            FigureTable(
                key="organizations",
                title=_("Organizations registered at the month's end, by type"),
                first=_("Type"),
                column=_("Organizations"),
                sql=organizations_sql,
                labels=organizations_labels,
            ),
            FigureTable(
                key="reports",
                title=_("Annual reports of the month"),
                first=_("Annual reports"),
                column=_("Number"),
                sql=reports_sql,
                labels=reports_labels,
            ),
            FigureTable(
                key="charity",
                title=_("Charity matching of the month"),
                first=_("Step"),
                column=_("Number"),
                sql=charity_sql,
                labels=charity_labels,
            ),
        ),
    )
