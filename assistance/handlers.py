"""What the assistance steps write besides the case's state (Transition.handler)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.benefits.actions import (
    do_grant,
    do_resume_for_case,
    do_stop_for_case,
    do_suspend_for_case,
)
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.calendar import add_working_days
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import add_months, first_of_next_month

from . import actions
from .models import AssistanceApplication, Objection


def hold_payments(case, data, acting_user):
    """Suspending a grant holds its payments until it resumes."""
    do_suspend_for_case(
        case, acting_user=acting_user, on=timezone.localdate(), reason=data.get("reason", "")
    )


def resume_payments(case, data, acting_user):
    do_resume_for_case(case, acting_user=acting_user)


def stop_payments(case, data, acting_user):
    """Terminating a grant stops its payments after this month."""
    do_stop_for_case(
        case, acting_user=acting_user, on=timezone.localdate(), reason=data.get("reason", "")
    )


# --------------------------------------------------------------------------- the case's steps


def _application(case) -> AssistanceApplication:
    """The case's application, locked with it (the engine holds the case's lock)."""
    return AssistanceApplication.objects.select_for_update().get(case=case)


def record_investigation(case, data, acting_user):
    """The township's home visit: date, findings, interviews, and the income it verified."""
    app = _application(case)
    if data["visit_date"] > timezone.localdate():
        raise ValidationError({"visit_date": _("The visit date cannot be in the future.")})
    app.visit_date = data["visit_date"]
    app.findings = data["findings"].strip()
    app.neighbour_interviews = (data.get("neighbour_interviews") or "").strip()
    app.verified_income = data.get("verified_income")
    _save(app, acting_user, "investigation")
    if app.verified_income is not None:
        actions.record_economy(app, acting_user, verified=True)
    return {"message": lambda: _("The home visit is recorded.")}


def start_notice(case, data, acting_user):
    """Seven working days of public notice from today (DOMAIN.md), at the amount calculated now."""
    app = _application(case)
    actions.calculate(app)
    today = timezone.localdate()
    app.notice_start = today
    app.notice_end = add_working_days(today, actions.NOTICE_WORKING_DAYS)
    _save(app, acting_user, "notice")
    end = app.notice_end
    return {
        "message": lambda: _("Your application is on public notice until %(end)s.") % {"end": end}
    }


def resolve_objection(case, data, acting_user):
    """The township's answer to an objection: its new investigation replaces the findings
    (the history keeps the earlier ones), the finding and its reasons are kept on the
    objection, the objector is answered (by e-mail from the portal, after the commit, when that
    is how), and the earlier notice is cleared: the household needs a new one before the county
    can decide (DOMAIN.md)."""
    app = _application(case)
    objection = app.objections.select_for_update().filter(resolved_at__isnull=True).first()
    if objection is None:
        raise ValidationError(_("There is no open objection on this case."))
    if data["visit_date"] > timezone.localdate():
        raise ValidationError({"visit_date": _("The visit date cannot be in the future.")})
    if data["visit_date"] < objection.lodged_at.date():
        raise ValidationError(
            {"visit_date": _("The new investigation cannot be before the objection was lodged.")}
        )
    now = timezone.now()
    objection.finding = data["finding"]
    objection.reasons = data["reasons"].strip()
    objection.answer = (data.get("answer") or "").strip()
    objection.answered_by = data.get("answered_by") or ""
    objection.resolved_at, objection.resolved_by = now, acting_user
    # Answered by telephone, by letter or in person: the caseworker did it as they record it.
    # By e-mail: when the portal has sent it (actions.send_objection_answer, after the commit).
    if objection.answered_by and objection.answered_by != objection.AnsweredBy.EMAIL:
        objection.answered_at = now
    objection.save()
    if objection.answered_by == objection.AnsweredBy.EMAIL:
        # Sent after the commit, like every notification (casework.notify); the beat sweep
        # (tasks.send_objection_answers_task) sends what a failed or lost try left.
        transaction.on_commit(lambda pk=objection.pk: actions.send_objection_answer(pk))
    app.visit_date = data["visit_date"]
    app.findings = data["findings"].strip()
    if data.get("verified_income") is not None:
        app.verified_income = data["verified_income"]
    app.notice_start = app.notice_end = None
    _save(app, acting_user, "objection")
    if data.get("verified_income") is not None:
        actions.record_economy(app, acting_user, verified=True)
    finding = objection.finding
    return {
        "message": lambda: (
            _("Objection investigated. Finding: %(finding)s. %(reasons)s")
            % {"finding": Objection.Finding(finding).label, "reasons": objection.reasons}
        ),
        "data": {"objection": objection.pk, "finding": finding},
    }


def approve(case, data, acting_user):
    """County approval: the amount is fixed from today's parameters, payment starts the
    following month (the same month for one-off temporary assistance), the entitlement is put
    on the benefits ledger with its first payment, and the first review date is set."""
    app = _application(case)
    actions.calculate(app)
    amount = app.one_off_amount or app.monthly_amount
    if amount <= 0:
        raise ValidationError(_("The benefit amount has not been calculated."))
    today = timezone.localdate()
    linshi = app.kind == AssistanceApplication.Kind.LINSHI
    app.benefit_from = today.replace(day=1) if linshi else first_of_next_month(today)
    months = 0 if linshi else actions.review_months(app)
    app.next_review_on = add_months(today, months) if months else None
    _save(app, acting_user, "approved")
    do_grant(
        case,
        acting_user=acting_user,
        person=case.beneficiary or case.applicant,
        program=case.service,
        monthly_amount=amount,
        start_month=app.benefit_from,
        kind=Entitlement.Kind.ONE_OFF if app.one_off_amount else Entitlement.Kind.MONTHLY,
        reason="approved",
        pay_through=app.benefit_from,  # the first payment now; the monthly run does the rest
        bank_name=app.bank_name,
        bank_account=app.bank_account,
    )
    start = app.benefit_from
    return {
        "message": lambda: (
            _("Approved: %(amount)s yuan, paid from %(month)s.")
            % {"amount": amount, "month": start.strftime("%Y-%m")}
        )
    }


def complete_review(case, data, acting_user):
    """The periodic review found the household still eligible: the amount is recomputed and
    put on the ledger from next month, the next review date set."""
    app = _application(case)
    before = app.monthly_amount
    actions.calculate(app)
    if app.monthly_amount <= 0 and app.kind == AssistanceApplication.Kind.DIBAO:
        raise ValidationError(
            _("The household's income is now above the standard: suspend or terminate instead.")
        )
    app.findings = data["findings"].strip()
    app.next_review_on = add_months(timezone.localdate(), actions.review_months(app))
    _save(app, acting_user, "review")
    actions.reprice(app, acting_user, "review")
    amount, following = app.monthly_amount, app.next_review_on
    return {
        "message": lambda: (
            _(
                "Review done. Monthly amount: %(amount)s yuan (before: %(before)s). Next review: %(next)s."
            )
            % {"amount": amount, "before": before, "next": following}
        )
    }
