"""Elder care's own dashboard figures (issue #18), registered with the platform's
insight.registry from apps.ready() and shown at /staff/figures/eldercare/.

Each table is one SELECT giving (region_code, level, key, n) for the month; the platform sums
the rows under every region above their own and keeps, per row, the confidentiality level a
viewer must hold to count it. The month is %(start)s to %(end)s (its span of time in the
portal's zone; for the current month `end` is now) and %(month)s (its first day):

* bookings    home-care visits booked for a time in the month (in the current month: up to
              now), by their status now (the elder's region when booked; bookings carry no
              confidentiality, as the staff booking list shows them at any level);
* ratings     ratings given in the month, by score (the booking's region);
* careplans   elders with a home-care plan in force at the month's end (decided before it,
              not closed by it), by care level (the case's region and level);
* allowances  elders with the age allowance in force at the month's end (granted before it,
              not stopped by it), by their age on the month's last day (the case's region and
              level);
* alerts      health-device alerts raised in the month, by kind (the elder's residence when
              raised, the alert's own level).

Table names come from _meta and the few constants (age bands) from this module; the month is
only ever a parameter.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.casework.models import Case
from civilaffairs.insight.registry import (
    DomainFigures,
    FigureTable,
    in_force_at_end,
    register_figures,
)
from civilaffairs.people.models import Person

from .models import (
    AgeAllowance,
    Alert,
    Booking,
    BookingRating,
    CareLevel,
    CarePlan,
    ReadingKind,
)
from .queries import STAFF_ROLES

# Age bands of the age allowance's usual tiers (80, 90, 100: eldercare.seed); a region that
# starts it earlier shows its younger elders under the first band. (key, label, from age)
AGE_BANDS = (
    ("under_80", _("Under 80"), 0),
    ("80-89", _("80–89"), 80),
    ("90-99", _("90–99"), 90),
    ("100+", _("100 and over"), 100),
)
NOT_ASSESSED = "none"  # a plan without a care level (its key)


# A plan or an allowance in force at the month's end (insight.registry.in_force_at_end).
_IN_FORCE = in_force_at_end("c")


def bookings_sql() -> str:
    return f"""
        SELECT b.region_id AS region_code, 0 AS level, b.status AS key, count(*) AS n
          FROM {Booking._meta.db_table} b
         WHERE b.starts_at >= %(start)s AND b.starts_at < %(end)s
         GROUP BY 1, 3
    """  # noqa: S608  (table names from _meta; the month only as parameters)


def ratings_sql() -> str:
    return f"""
        SELECT b.region_id AS region_code, 0 AS level, r.score::text AS key, count(*) AS n
          FROM {BookingRating._meta.db_table} r
          JOIN {Booking._meta.db_table} b ON b.id = r.booking_id
         WHERE r.rated_at >= %(start)s AND r.rated_at < %(end)s
         GROUP BY 1, 3
    """  # noqa: S608  (table names from _meta; the month only as parameters)


def careplans_sql() -> str:
    return f"""
        SELECT c.region_id AS region_code, c.confidentiality AS level,
               coalesce(p.care_level::text, '{NOT_ASSESSED}') AS key,
               count(DISTINCT c.beneficiary_id) AS n
          FROM {CarePlan._meta.db_table} p
          JOIN {Case._meta.db_table} c ON c.id = p.case_id
         WHERE {_IN_FORCE}
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta, the key a constant; the month as parameters)


def _age_band(age: str) -> str:
    """SQL: the band of AGE_BANDS an age falls in (constants of this module)."""
    whens = " ".join(
        f"WHEN {age} < {AGE_BANDS[i + 1][2]} THEN '{key}'"
        for i, (key, _label, _low) in enumerate(AGE_BANDS[:-1])
    )
    return f"CASE {whens} ELSE '{AGE_BANDS[-1][0]}' END"


def allowances_sql() -> str:
    # Age on the month's last day: the day before the next month's first (date arithmetic,
    # no time zone involved).
    age = "date_part('year', age((%(next)s::date - 1), pe.birth_date))"
    return f"""
        SELECT c.region_id AS region_code, c.confidentiality AS level,
               {_age_band(age)} AS key, count(DISTINCT a.person_id) AS n
          FROM {AgeAllowance._meta.db_table} a
          JOIN {Case._meta.db_table} c ON c.id = a.case_id
          JOIN {Person._meta.db_table} pe ON pe.id = a.person_id
         WHERE a.paid_from IS NOT NULL AND {_IN_FORCE}
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta, the bands constants; the month as parameters)


def alerts_sql() -> str:
    return f"""
        SELECT a.region_id AS region_code, a.confidentiality AS level, a.kind AS key,
               count(*) AS n
          FROM {Alert._meta.db_table} a
         WHERE a.created_at >= %(start)s AND a.created_at < %(end)s
         GROUP BY 1, 2, 3
    """  # noqa: S608  (table names from _meta; the month only as parameters)


def booking_labels() -> dict:
    return dict(Booking.Status.choices)


def rating_labels() -> dict:
    # The words of the rating form (forms.RateForm), best first.
    return {
        "5": _("5 – Very satisfied"),
        "4": _("4 – Satisfied"),
        "3": _("3 – Acceptable"),
        "2": _("2 – Dissatisfied"),
        "1": _("1 – Very dissatisfied"),
    }


def care_level_labels() -> dict:
    return {
        **{str(value): label for value, label in CareLevel.choices},
        NOT_ASSESSED: _("Care level not recorded"),
    }


def age_band_labels() -> dict:
    return {key: label for key, label, _low in AGE_BANDS}


def alert_labels() -> dict:
    return dict(ReadingKind.choices)


def register() -> DomainFigures:
    """Called from apps.ready(); registering the same figures again changes nothing."""
    return register_figures(FIGURES)


FIGURES = DomainFigures(
    code="eldercare",
    label=_("Figures: elder care"),
    # Who works elder care's cases and staff pages (queries.STAFF_ROLES), of their own area.
    roles=tuple(str(role) for role in STAFF_ROLES),
    note=_(
        "Home-care visits and their ratings, care plans, age allowances and health alerts of "
        "the elders of the area."
    ),
    tables=(
        FigureTable(
            "bookings",
            _("Home-care visits booked for the month, by status"),
            _("Status"),
            _("Visits"),
            bookings_sql,
            booking_labels,
        ),
        FigureTable(
            "ratings",
            _("Visits rated in the month, by rating"),
            _("Rating"),
            _("Ratings"),
            ratings_sql,
            rating_labels,
        ),
        FigureTable(
            "careplans",
            _("Elders with a care plan in force at the month's end, by care level"),
            _("Care level"),
            _("Elders"),
            careplans_sql,
            care_level_labels,
        ),
        FigureTable(
            "allowances",
            _("Elders with the age allowance at the month's end, by age"),
            _("Age"),
            _("Elders"),
            allowances_sql,
            age_band_labels,
        ),
        FigureTable(
            "alerts",
            _("Health alerts raised in the month, by kind"),
            _("Kind"),
            _("Alerts"),
            alerts_sql,
            alert_labels,
        ),
    ),
)
