"""The marriage registry's dashboard figures (issue #18), registered with the platform's
insight.registry from MarriageConfig.ready() and counted by insight.actions.do_count_month.

Every row stands under the region of the registry's office (the county bureau): the case's
region too, since a case belongs to the registry the couple chose. A row keeps the
confidentiality level of the case behind it (every marriage service's cases are
confidential); a record or certificate older than the portal, which no case stands behind,
is counted at level 0.

Three tables:

- registrations: what the registries registered in the month, by kind: marriages (the
  records by the day registered), divorces (the records by the day dissolved, under the
  registry that dissolved them) and replacement certificates (补领, by the day issued);
- divorce: divorce by agreement and its cooling-off period (Civil Code Art. 1077):
  applications received in the month (the period started), withdrawn in the period, deemed
  withdrawn (the certificate not collected in time) and registered, each by the day it
  happened;
- appointments: the appointments of the month's days, by status.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.casework.models import Case
from civilaffairs.insight.registry import DomainFigures, FigureTable, sql_literal

from .models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    RegistrationOffice,
    Slot,
)

RECORD, APP = MarriageRecord._meta.db_table, MarriageApplication._meta.db_table
CERT, REGISTRY = Certificate._meta.db_table, RegistrationOffice._meta.db_table
APPOINTMENT, SLOT = Appointment._meta.db_table, Slot._meta.db_table
CASE, OFFICE = Case._meta.db_table, Office._meta.db_table

# The divorce workflow's closing states (marriage.workflow.divorce).
WITHDRAWN, DEEMED_WITHDRAWN, REGISTERED = "withdrawn", "deemed_withdrawn", "registered"

# The month's days: [its first day, the next month's first day). Dates are the portal's local
# dates (registered_on, dissolved_on, issued_on, a slot's date), so the month's first day
# bounds them as start and end bound the moments.
_IN_MONTH = "{col} >= %(month)s AND {col} < %(next)s"


_lit = sql_literal


def _level(record: str, kind, state=None) -> str:
    """The confidentiality level of the case of the `kind` application that stands behind a
    record (0 when none does: records older than the portal)."""
    where = f"a.record_id = {record}.id AND a.kind = {_lit(kind)}"
    if state is not None:
        where += f" AND c.state = {_lit(state)}"
    return f"""
        LEFT JOIN LATERAL (
            SELECT c.confidentiality FROM {APP} a JOIN {CASE} c ON c.id = a.case_id
             WHERE {where} ORDER BY a.id DESC LIMIT 1) k ON true
    """  # noqa: S608 (table names from _meta, constants of the code)


def registrations_sql() -> str:
    kind = MarriageApplication.Kind
    replacements = ", ".join(
        _lit(k)
        for k in (Certificate.Kind.MARRIAGE_REPLACEMENT, Certificate.Kind.DIVORCE_REPLACEMENT)
    )
    return f"""
        SELECT o.region_id AS region_code, coalesce(k.confidentiality, 0) AS level,
               {_lit(kind.REGISTRATION)} AS key, count(*) AS n
          FROM {RECORD} r
          JOIN {REGISTRY} g ON g.id = r.registry_id
          JOIN {OFFICE} o ON o.id = g.office_id
          {_level("r", kind.REGISTRATION)}
         WHERE {_IN_MONTH.format(col="r.registered_on")}
         GROUP BY 1, 2
        UNION ALL
        SELECT o.region_id, coalesce(k.confidentiality, 0), {_lit(kind.DIVORCE)}, count(*)
          FROM {RECORD} r
          JOIN {REGISTRY} g ON g.id = r.dissolved_registry_id
          JOIN {OFFICE} o ON o.id = g.office_id
          {_level("r", kind.DIVORCE, REGISTERED)}
         WHERE r.status = {_lit(MarriageRecord.Status.DIVORCED)}
           AND {_IN_MONTH.format(col="r.dissolved_on")}
         GROUP BY 1, 2
        UNION ALL
        SELECT o.region_id, coalesce(c.confidentiality, 0), ce.kind, count(*)
          FROM {CERT} ce
          JOIN {REGISTRY} g ON g.id = ce.registry_id
          JOIN {OFFICE} o ON o.id = g.office_id
          LEFT JOIN {APP} a ON a.id = ce.application_id
          LEFT JOIN {CASE} c ON c.id = a.case_id
         WHERE ce.kind IN ({replacements}) AND {_IN_MONTH.format(col="ce.issued_on")}
         GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from _meta, constants of the code; values are parameters)


def registrations_labels() -> dict:
    kind, cert = MarriageApplication.Kind, Certificate.Kind
    return {
        kind.REGISTRATION.value: kind.REGISTRATION.label,
        kind.DIVORCE.value: kind.DIVORCE.label,
        cert.MARRIAGE_REPLACEMENT.value: cert.MARRIAGE_REPLACEMENT.label,
        cert.DIVORCE_REPLACEMENT.value: cert.DIVORCE_REPLACEMENT.label,
    }


def divorce_sql() -> str:
    """A divorce application counts where each of its moments falls in the month: received
    (the cooling-off period starts), and closed as withdrawn after receipt (only possible in
    the cooling-off period: marriage.workflow), deemed withdrawn or registered."""
    closed = "c.closed_at >= %(start)s AND c.closed_at < %(end)s"
    received = "a.received_at >= %(start)s AND a.received_at < %(end)s"
    return f"""
        SELECT o.region_id AS region_code, c.confidentiality AS level, x.key, count(*) AS n
          FROM {APP} a
          JOIN {CASE} c ON c.id = a.case_id
          JOIN {REGISTRY} g ON g.id = a.registry_id
          JOIN {OFFICE} o ON o.id = g.office_id
         CROSS JOIN LATERAL (VALUES
               (CASE WHEN {received} THEN 'received' END),
               (CASE WHEN {closed} THEN
                    CASE WHEN c.state = {_lit(WITHDRAWN)} AND a.received_at IS NOT NULL
                              THEN 'withdrawn'
                         WHEN c.state = {_lit(DEEMED_WITHDRAWN)} THEN 'deemed_withdrawn'
                         WHEN c.state = {_lit(REGISTERED)} THEN 'registered' END END)) x(key)
         WHERE a.kind = {_lit(MarriageApplication.Kind.DIVORCE)}
           AND (({received}) OR ({closed}))
           AND x.key IS NOT NULL
         GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from _meta, constants of the code; values are parameters)


def divorce_labels() -> dict:
    return {
        "received": _("Received: the 30-day cooling-off period started"),
        "withdrawn": _("Withdrawn during the cooling-off period"),
        "deemed_withdrawn": _("Deemed withdrawn (certificate not collected in time)"),
        "registered": _("Divorce registered"),
    }


def appointments_sql() -> str:
    return f"""
        SELECT o.region_id AS region_code, c.confidentiality AS level, ap.status AS key,
               count(*) AS n
          FROM {APPOINTMENT} ap
          JOIN {SLOT} s ON s.id = ap.slot_id
          JOIN {REGISTRY} g ON g.id = s.registry_id
          JOIN {OFFICE} o ON o.id = g.office_id
          JOIN {APP} a ON a.id = ap.application_id
          JOIN {CASE} c ON c.id = a.case_id
         WHERE {_IN_MONTH.format(col="s.date")}
         GROUP BY 1, 2, 3
    """  # noqa: S608 (table names from _meta; values are parameters)


def appointments_labels() -> dict:
    return dict(Appointment.Status.choices)


def figures() -> DomainFigures:
    return DomainFigures(
        code="marriage",
        label=_("Figures: marriage registration"),
        # Who works the registry's cases (the services' staff_roles): registrars, and the
        # supervisors who oversee them.
        roles=(StaffRole.Role.REGISTRAR, StaffRole.Role.SUPERVISOR),
        note=_(
            "What the marriage registries of this area registered in the month, the divorce "
            "applications and their cooling-off period, and the appointments of the month's "
            "days."
        ),
        tables=(
            FigureTable(
                key="registrations",
                title=_("Registrations of the month by kind"),
                first=_("Kind"),
                column=_("Registrations"),
                sql=registrations_sql,
                labels=registrations_labels,
            ),
            FigureTable(
                key="divorce",
                title=_("Divorce by agreement: the cooling-off period (Civil Code Art. 1077)"),
                first=_("Step"),
                column=_("Applications"),
                sql=divorce_sql,
                labels=divorce_labels,
            ),
            FigureTable(
                key="appointments",
                title=_("Appointments on the month's days, by status"),
                first=_("Status"),
                column=_("Appointments"),
                sql=appointments_sql,
                labels=appointments_labels,
            ),
        ),
    )
