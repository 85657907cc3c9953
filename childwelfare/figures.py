"""Child welfare's own dashboard figures (issue #18), registered with the platform's
insight.registry from apps.ready() and shown at /staff/figures/childwelfare/.

Each table is one SELECT giving (region_code, level, key, n) for the month; the platform sums
the rows under every region above their own. The month is %(start)s to %(end)s (its span of
time in the portal's zone; for the current month `end` is now) and %(month)s (its first day).

Every row is about a child, and a child's record is confidential: its level is the strictest
of the record's own and that of every case about the child (intake reports, allowances), so a
viewer counts a child only where their grant may open such cases. Its region is the child's
residence (what the record's scope keys on; the latest case's region where none is known).

* children  children whose record was open at the month's end, by their protection category
            then (read back from the category changes; those found to need no protection
            left out);
* visits    visits made in the month, by where they were made;
* alerts    alerts raised in the month (a visit overdue, a serious safety concern), by kind.

Table names come from _meta and the category left out from the models; the month is only
ever a parameter.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.models import Case
from civilaffairs.insight.registry import DomainFigures, FigureTable, register_figures
from civilaffairs.people.models import Person

from .models import (
    Alert,
    AllowanceGrant,
    Category,
    CategoryChange,
    ChildProfile,
    IntakeReport,
    Visit,
)

# The first day of the next month (the platform's %(next)s, a date).
_NEXT_MONTH = "%(next)s"


def _child() -> str:
    """The joins that give a child's record `p` its region (`region_code`) and level."""
    return f"""
          JOIN {Person._meta.db_table} pe ON pe.id = p.person_id
          CROSS JOIN LATERAL (
              SELECT max(c.confidentiality) AS level,
                     (array_agg(c.region_id ORDER BY c.created_at DESC, c.id DESC))[1] AS region
                FROM {Case._meta.db_table} c
               WHERE c.id IN (SELECT i.case_id FROM {IntakeReport._meta.db_table} i
                               WHERE i.profile_id = p.id
                              UNION ALL
                              SELECT g.case_id FROM {AllowanceGrant._meta.db_table} g
                               WHERE g.profile_id = p.id)) k
          CROSS JOIN LATERAL (
              SELECT coalesce(pe.residence_region_id, k.region) AS region_code,
                     greatest(p.confidentiality, coalesce(k.level, 0)) AS level) w
    """  # noqa: S608  (table names from _meta)


def children_sql() -> str:
    changes = CategoryChange._meta.db_table
    # The category at the month's end: the last change made before the next month, else
    # what the record held before its first change, else (never changed) what it holds now.
    return f"""
        SELECT w.region_code, w.level, cat.category AS key, count(*) AS n
          FROM {ChildProfile._meta.db_table} p
          {_child()}
          CROSS JOIN LATERAL (
              SELECT coalesce(
                  (SELECT ch.to_category FROM {changes} ch
                    WHERE ch.profile_id = p.id AND ch.changed_on < {_NEXT_MONTH}
                    ORDER BY ch.changed_on DESC, ch.at DESC, ch.id DESC LIMIT 1),
                  (SELECT ch.from_category FROM {changes} ch
                    WHERE ch.profile_id = p.id
                    ORDER BY ch.changed_on, ch.at, ch.id LIMIT 1),
                  p.category) AS category) cat
         WHERE p.created_at < %(end)s
           AND (p.closed_on IS NULL OR p.closed_on >= {_NEXT_MONTH})
           AND cat.category <> '{Category.NONE.value}'
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta, the category a constant; the month as parameters)


def visits_sql() -> str:
    return f"""
        SELECT w.region_code, w.level, v.place AS key, count(*) AS n
          FROM {Visit._meta.db_table} v
          JOIN {ChildProfile._meta.db_table} p ON p.id = v.profile_id
          {_child()}
         WHERE v.visited_on >= %(month)s AND v.visited_on < {_NEXT_MONTH}
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta; the month only as parameters)


def alerts_sql() -> str:
    return f"""
        SELECT w.region_code, w.level, a.kind AS key, count(*) AS n
          FROM {Alert._meta.db_table} a
          JOIN {ChildProfile._meta.db_table} p ON p.id = a.profile_id
          {_child()}
         WHERE a.raised_at >= %(start)s AND a.raised_at < %(end)s
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta; the month only as parameters)


def category_labels() -> dict:
    return {k: label for k, label in Category.choices if k != Category.NONE}


def place_labels() -> dict:
    return dict(Visit.Place.choices)


def alert_labels() -> dict:
    return dict(Alert.Kind.choices)


def register() -> DomainFigures:
    """Called from apps.ready(); registering the same figures again changes nothing."""
    return register_figures(FIGURES)


FIGURES = DomainFigures(
    code="childwelfare",
    label=_("Figures: child welfare"),
    # The child-welfare workers of the civil-affairs offices, of their own area and at the
    # confidentiality level their grant gives. Not the children's directors: a director works
    # only the children given to them (the services' staff_scope), and a village's counts by
    # category would tell them of the others.
    roles=(str(StaffRole.Role.CHILD_WELFARE),),
    note=_(
        "Children under protection or being identified, their visits and alerts, counted at "
        "the confidentiality level of their cases."
    ),
    tables=(
        FigureTable(
            "children",
            _("Children with an open record at the month's end, by category"),
            _("Category"),
            _("Children"),
            children_sql,
            category_labels,
        ),
        FigureTable(
            "visits",
            _("Visits made in the month, by place"),
            _("Place"),
            _("Visits"),
            visits_sql,
            place_labels,
        ),
        FigureTable(
            "alerts",
            _("Alerts raised in the month, by kind"),
            _("Kind"),
            _("Alerts"),
            alerts_sql,
            alert_labels,
        ),
    ),
)
