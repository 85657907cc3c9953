"""Annual reports: filing, grading (the step is orgs.handlers.grade_report), late filers and
restriction after repeated failures.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import do_create_case, do_submit_case, do_transition
from civilaffairs.casework.notify import notify_all
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.rules.exceptions import MissingParameter

from .. import params
from ..models import (
    AnnualReport,
    Grade,
    LateFiling,
    Organization,
    reporting_year,
)
from ..services import ANNUAL_REPORT
from .common import (
    EDITABLE_STATES,
    _lock_org,
    _now,
    _org_users,
    _people,
    _require_account,
    _require_person,
    _today,
)
from .registration import _require_applicant_edit

log = logging.getLogger(__name__)


def report_deadline(org: Organization, year: int, as_of: dt.date | None = None) -> dt.date | None:
    try:
        return params.report_deadline(
            org.org_type, org.authority.region_id, year, as_of or _today()
        )
    except MissingParameter:
        return None


def _live_report(org, year) -> AnnualReport | None:
    return (
        AnnualReport.objects.select_related("case")
        .filter(organization=org, year=year)
        .exclude(case__state="withdrawn")
        .first()
    )


@transaction.atomic
def do_start_report(org: Organization, *, acting_user, year: int | None = None) -> AnnualReport:
    """The draft report of one year, or the one already started."""
    _require_person(acting_user)
    org = _lock_org(org)
    _require_account(org, acting_user)
    if not Organization.objects.filing().filter(pk=org.pk).exists():
        raise ValidationError(_("This organization no longer files annual reports."))
    year = year or reporting_year(_today())
    if year > reporting_year(_today()) or year < org.established_on.year:
        raise ValidationError({"year": _("Reports are filed for a past year since registration.")})
    existing = _live_report(org, year)
    if existing is not None:
        if existing.case.state in EDITABLE_STATES:
            return existing
        raise ValidationError(
            _("The report on %(year)s has already been sent (%(ref)s).")
            % {"year": year, "ref": existing.case.reference}
        )
    case = do_create_case(
        acting_user=acting_user,
        service=ANNUAL_REPORT,
        region=org.authority.region,
        applicant=acting_user.person,
    )
    return _save(AnnualReport(case=case, organization=org, year=year), acting_user)


REPORT_FIELDS = {
    "activities",
    "income",
    "expenses",
    "net_assets",
    "staff_count",
    "volunteer_count",
    "governance",
    "declaration",
}


def _lock_report(report) -> AnnualReport:
    return (
        AnnualReport.objects.select_for_update(of=("self",))
        .select_related("case", "case__office", "organization", "organization__authority")
        .get(pk=report.pk)
    )


@transaction.atomic
def do_save_report(report: AnnualReport, *, acting_user, **fields) -> AnnualReport:
    unknown = set(fields) - REPORT_FIELDS
    if unknown:
        raise ValueError(f"not part of the report: {sorted(unknown)}")
    report = _lock_report(report)
    _require_applicant_edit(report.case, acting_user)
    for k, v in fields.items():
        if isinstance(v, Decimal) and k != "net_assets" and v < 0:
            raise ValidationError({k: _("This cannot be negative.")})
        setattr(report, k, v.strip() if isinstance(v, str) else v)
    return _save(report, acting_user)


def missing_for_report(report: AnnualReport) -> list[str]:
    missing = []
    if not report.activities:
        missing.append(_("the activities during the year"))
    if not report.governance:
        missing.append(_("the governance section"))
    if not report.declaration:
        missing.append(_("the signed declaration"))
    return [str(m) for m in missing]


@transaction.atomic
def do_submit_report(report: AnnualReport, *, acting_user) -> AnnualReport:
    report = _lock_report(report)
    _require_applicant_edit(report.case, acting_user)
    missing = missing_for_report(report)
    if missing:
        raise ValidationError(_("Please complete: %(items)s.") % {"items": "; ".join(missing)})
    now = _now()
    if report.case.state == "returned":
        do_transition(
            report.case,
            "resubmit",
            acting_user=acting_user,
            public_message=lambda: _("The corrected report was sent."),
        )
        return report
    deadline = report_deadline(report.organization, report.year)
    report.late = deadline is not None and timezone.localdate(now) > deadline
    _save(report, acting_user, "submitted")
    for flag in LateFiling.objects.select_for_update().filter(
        organization=report.organization, year=report.year, filed_at__isnull=True
    ):
        flag.filed_at = now
        _save(flag, acting_user)
    do_submit_case(report.case, acting_user=acting_user)
    return report


def do_grade_report(
    report: AnnualReport, *, acting_user, grade: str, reason: str = ""
) -> AnnualReport:
    """Grade from code (seed, tests): the "grade" step (orgs.handlers.grade_report)."""
    do_transition(
        report.case,
        "grade",
        acting_user=acting_user,
        values={"grade": grade, "grade_reason": reason},
    )
    report.refresh_from_db()
    return report


def failed_years_in_a_row(org: Organization, last_year: int) -> int:
    """Years ending with `last_year` in which the organization failed its annual inspection:
    a report graded fail, or no report at all after the deadline passed."""
    graded = dict(
        AnnualReport.objects.filter(organization=org, year__lte=last_year)
        .exclude(grade="")
        .values_list("year", "grade")
    )
    filed = set(
        AnnualReport.objects.filter(
            organization=org, year__lte=last_year, case__submitted_at__isnull=False
        )
        .exclude(case__state="withdrawn")
        .values_list("year", flat=True)
    )
    unfiled_late = set(
        LateFiling.objects.filter(
            organization=org, year__lte=last_year, filed_at__isnull=True
        ).values_list("year", flat=True)
    )
    n = 0
    year = last_year
    while year >= org.established_on.year:
        failed = graded.get(year) == Grade.FAIL or (year in unfiled_late and year not in filed)
        if not failed:
            break
        n += 1
        year -= 1
    return n


def _restrict_if_repeated(org: Organization, last_year: int, acting_user) -> bool:
    org = _lock_org(org)
    if org.status != Organization.Status.ACTIVE:
        return False
    limit = params.failures_before_restriction(org.authority.region_id, _today())
    failures = failed_years_in_a_row(org, last_year)
    if failures < limit:
        return False
    org.status = Organization.Status.RESTRICTED
    with translation.override(settings.LANGUAGE_CODE):
        org.status_reason = _(
            "Failed the annual inspection %(n)d years in a row (up to %(year)s)."
        ) % {"n": failures, "year": last_year}
    _save(org, acting_user, "restricted")
    notify_all(
        _people(_org_users(org)),
        lambda: (
            _("%(org)s is restricted after repeated annual-report failures") % {"org": org.name}
        ),
        lambda: _(
            "The registration authority has listed the organization as restricted. It cannot "
            "publish charity needs until the authority lifts the restriction."
        ),
    )
    return True


def do_flag_late_filers(today: dt.date | None = None) -> int:
    """Flag every organization whose report on last year has not arrived by its deadline, tell
    its accounts, and restrict it when that makes too many failed years in a row. Idempotent:
    one flag per organization and year (a unique constraint), one notice per flag."""
    today = today or _today()
    year = reporting_year(today)
    candidates = (
        Organization.objects.filing()
        .filter(established_on__year__lte=year)
        .exclude(late_filings__year=year)
        .exclude(
            pk__in=AnnualReport.objects.filter(year=year, case__submitted_at__isnull=False)
            .exclude(case__state="withdrawn")
            .values("organization_id")
        )
        .select_related("authority")
        .order_by("pk")
    )
    deadlines: dict[tuple[str, str], dt.date | None] = {}
    flagged = 0
    for org in candidates.iterator():
        key = (org.org_type, org.authority.region_id)
        if key not in deadlines:
            deadlines[key] = report_deadline(org, year, today)
            if deadlines[key] is None:
                log.warning("no annual-report deadline for %s in %s", *key)
        deadline = deadlines[key]
        if deadline is None or today <= deadline:
            continue
        if _flag_one(org, year, deadline):
            flagged += 1
    return flagged


@transaction.atomic
def _flag_one(org, year, deadline) -> bool:
    org = _lock_org(org)
    flag, created = LateFiling.objects.get_or_create(
        organization=org, year=year, defaults={"deadline": deadline, "flagged_at": _now()}
    )
    if not created:
        return False
    notify_all(
        _people(_org_users(org)),
        lambda: (
            _("%(org)s: the annual report on %(year)s is overdue") % {"org": org.name, "year": year}
        ),
        lambda: (
            _(
                "The report was due by %(deadline)s. Please file it now; repeated failures lead to "
                "restrictions."
            )
            % {"deadline": deadline}
        ),
    )
    _restrict_if_repeated(org, year, None)
    return True
