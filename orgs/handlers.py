"""What the registration authority's case steps write (Transition.handler).

The engine (casework.actions.do_transition) has already locked the case, checked who may take
the step and validated its form; a handler writes the domain's rows from the cleaned data, in
the same transaction as the state change, and returns the timeline's message. Raising
ValidationError refuses the step and undoes what was written.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history as _save

from . import actions
from .models import Grade, OrgApplication


def approve_application(case, data, acting_user):
    """Approval writes the register (a new organization, the changed fields, or the
    deregistration) and records on the application what it did."""
    app = actions._lock_app(case.orgs_application)
    reason = case.reference
    if app.kind == OrgApplication.Kind.ESTABLISH:
        org = actions._establish(app, acting_user, data.get("credit_code") or "", reason)
        code = org.uscc
        message = lambda: _("Registered. Unified social credit code: %(code)s.") % {"code": code}  # noqa: E731
    elif app.kind == OrgApplication.Kind.CHANGE:
        org = actions._apply_change(app, acting_user, reason)
        message = lambda: _("The change is registered.")  # noqa: E731
    else:
        org = actions._deregister(app, acting_user, reason)
        message = lambda: _("The organization is deregistered.")  # noqa: E731
    app.organization = org
    app.applied_at = timezone.now()
    _save(app, acting_user, "approved")
    return {"message": message, "data": {"organization": org.pk}}


def grade_report(case, data, acting_user):
    """The authority's grade; a fail may, with the years before it, restrict the
    organization (actions._restrict_if_repeated)."""
    report = actions._lock_report(case.orgs_report)
    grade = data["grade"]
    report.grade = grade
    report.grade_reason = (data.get("grade_reason") or "").strip()
    report.graded_at = timezone.now()
    report.graded_by = acting_user
    _save(report, acting_user, f"graded {grade}")
    year, reasons = report.year, report.grade_reason

    def message():
        text = _("Annual report on %(year)s graded: %(grade)s.") % {
            "year": year,
            "grade": Grade(grade).label,
        }
        return text + (f"\n{reasons}" if reasons else "")

    if grade == Grade.FAIL:
        actions._restrict_if_repeated(report.organization, report.year, acting_user)
    return {"message": message, "data": {"grade": grade}}
