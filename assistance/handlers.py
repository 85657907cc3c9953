"""What the assistance steps write besides the case's state (Transition.handler)."""

from decimal import Decimal

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
from .models import (
    CENT,
    AssistanceApplication,
    Economy,
    IncomeKind,
    Objection,
    Review,
    ReviewIncome,
)


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
    """The periodic review: what it found (each member's income, the assets) is kept in a
    review of its own beside the investigation, which it never overwrites. The rules in force
    are applied to it and the amount recalculated; the new amount goes on the ledger from next
    month. A household that no longer qualifies is refused here, nothing saved: the caseworker
    suspends or terminates instead."""
    from civilaffairs.casework.actions import do_record_screening

    app = _application(case)
    incomes = data["incomes"]
    countable = set(IncomeKind.countable())
    members = max(len({person.pk for person, _kind, _amount in incomes}), 1)
    found = Economy(
        members=members,
        monthly_income=sum(
            (amount for _person, kind, amount in incomes if kind in countable), Decimal(0)
        ).quantize(CENT),
        financial_assets=data["financial_assets"],
        vehicles=data["vehicles"],
        extra_housing=data["extra_housing"],
        verified=True,
    )
    screening = actions.review_screening(app, found)
    monthly, _one_off, covered = actions.benefit_for(app, economy=found)
    failed = screening is not None and screening.outcome == "fail"
    if failed or (app.kind == AssistanceApplication.Kind.DIBAO and monthly <= 0):
        reasons = screening.reasons() if screening is not None else []
        raise ValidationError(
            _(
                "The household no longer qualifies under the rules in force: %(reasons)s "
                "Nothing was saved. Suspend or terminate the allowance instead."
            )
            % {"reasons": " ".join(reasons) or _("its income is not below the standard.")}
        )
    before = app.monthly_amount
    review = _save(
        Review(
            application=app,
            reviewed_on=data["reviewed_on"],
            findings=data["findings"].strip(),
            members=found.members,
            monthly_income=found.monthly_income,
            financial_assets=found.financial_assets,
            vehicles=found.vehicles,
            extra_housing=found.extra_housing,
            amount_before=before,
            amount_after=monthly,
            screening_outcome=screening.outcome if screening is not None else "",
            screening_reasons=screening.reasons_in_languages() if screening is not None else [],
            ruleset_version=screening.ruleset_version if screening is not None else None,
            reviewed_by=acting_user,
        ),
        acting_user,
        "review",
    )
    with_income = {person.pk for person, _kind, amount in incomes if amount > 0}
    for person, kind, amount in incomes:
        # Each income found; a member without any keeps one row at 0 (counted as a member).
        if amount > 0 or (kind == IncomeKind.WAGES and person.pk not in with_income):
            _save(
                ReviewIncome(review=review, person=person, kind=kind, monthly_amount=amount),
                acting_user,
            )
    app.monthly_amount, app.people_covered = monthly, covered
    app.next_review_on = add_months(timezone.localdate(), actions.review_months(app))
    _save(app, acting_user, "review")
    app.__dict__.pop("latest_review", None)
    actions.record_economy(app, acting_user, verified=True, economy=found)
    if screening is not None:
        do_record_screening(
            case,
            program=app.kind,
            result=screening,
            reason="review",
            acting_user=acting_user,
            announce=False,
        )
        case.screening_outcome = screening.outcome  # the engine saves this instance next
    if monthly != before:
        actions.reprice(app, acting_user, "review")
    following = app.next_review_on
    outcome = review.screening_outcome
    return {
        "message": lambda: (
            _(
                "Periodic review done. Monthly amount: %(before)s → %(amount)s yuan, from "
                "%(month)s. Rules in force: %(outcome)s. Next review: %(next)s."
            )
            % {
                "amount": monthly,
                "before": before,
                "month": first_of_next_month(timezone.localdate()).strftime("%Y-%m"),
                "outcome": Review(screening_outcome=outcome).screening_label,
                "next": following,
            }
        ),
        "data": {"review": review.pk, "before": str(before), "after": str(monthly)},
    }


# --------------------------------------------------------------------------- 临时救助


def _set_linshi_amount(app, data):
    """The amount the caseworker set, checked against the range configured for the area today,
    with what was checked and why (kept on the application)."""
    from civilaffairs.rules.exceptions import MissingParameter

    try:
        allowed = actions.linshi_range(app)
    except MissingParameter:
        raise ValidationError(
            _("No range for temporary assistance is set for this area: ask the administrator.")
        ) from None
    problem = allowed.check(data["amount"])
    if problem:
        raise ValidationError({"amount": problem})
    app.findings = data["findings"].strip()
    app.justification = data["justification"].strip()
    app.one_off_amount = data["amount"]
    app.monthly_amount = Decimal(0)
    app.people_covered = app.members_count()
    return allowed


def _pay_once(case, app, acting_user, reason: str):
    """The one-off payment on the one benefits ledger, scheduled now for this month."""
    app.benefit_from = timezone.localdate().replace(day=1)
    app.next_review_on = None
    do_grant(
        case,
        acting_user=acting_user,
        person=case.beneficiary or case.applicant,
        program=case.service,
        monthly_amount=app.one_off_amount,
        start_month=app.benefit_from,
        kind=Entitlement.Kind.ONE_OFF,
        reason=reason,
        bank_name=app.bank_name,
        bank_account=app.bank_account,
    )


def _level_name(level) -> str:
    from civilaffairs.accounts.models import Office

    return _("the township") if level == Office.Level.TOWNSHIP else _("the county")


def propose_linshi(case, data, acting_user):
    """The township sets the amount of temporary assistance and says why; the township
    approves it up to its limit, the county above (workflow: route_to_level)."""
    app = _application(case)
    allowed = _set_linshi_amount(app, data)
    _save(app, acting_user, "amount proposed")
    amount, level = app.one_off_amount, allowed.level_for(app.one_off_amount)
    return {
        "message": lambda: (
            _(
                "The township office proposes %(amount)s yuan of temporary assistance; %(who)s decides."
            )
            % {"amount": amount, "who": _level_name(level)}
        ),
        "data": {"amount": str(amount), "level": int(level)},
    }


def pay_first(case, data, acting_user):
    """先行救助: in a sudden emergency the township grants and pays at once, up to the amount it
    may approve; the case stays open until the papers are in and a reviewer confirms."""
    app = _application(case)
    if app.emergency_type != AssistanceApplication.EmergencyType.EMERGENCY:
        raise ValidationError(
            _(
                "Only a sudden emergency is paid first. Set the amount and send it for approval "
                "instead."
            )
        )
    allowed = _set_linshi_amount(app, data)
    if app.one_off_amount > allowed.township_limit:
        raise ValidationError(
            {
                "amount": _(
                    "The township may pay first up to %(limit)s yuan; a larger amount needs the "
                    "county's approval: propose it instead."
                )
                % {"limit": allowed.township_limit}
            }
        )
    app.paid_first_on, app.paid_first_by = timezone.localdate(), acting_user
    _pay_once(case, app, acting_user, "paid first")
    _save(app, acting_user, "paid first")
    amount, has_account = app.one_off_amount, bool(app.bank_account)

    def message():
        if not has_account:
            # The payment waits on the held list until staff enter an account: the applicant
            # is told what holds it rather than that it was paid.
            return _(
                "Because of the emergency, %(amount)s yuan is granted at once. It is paid as soon "
                "as the township office has a bank account to pay it into: please give one when "
                "you hand in the papers it asks for."
            ) % {"amount": amount}
        return _(
            "Because of the emergency, %(amount)s yuan is paid at once. Please hand in the "
            "papers the township office asks for."
        ) % {"amount": amount}

    return {"message": message, "data": {"amount": str(amount)}}


def approve_linshi(case, data, acting_user):
    """Approval of the amount set (who may approve follows from the amount: workflow); paid
    once, this month, through the ledger."""
    from civilaffairs.rules.exceptions import MissingParameter

    app = _application(case)
    if app.one_off_amount <= 0:
        raise ValidationError(_("No amount has been set: send the case back to the township."))
    try:
        problem = actions.linshi_range(app).check(app.one_off_amount)
    except MissingParameter:
        problem = _(
            "No range for temporary assistance is set for this area: ask the administrator."
        )
    if problem:
        raise ValidationError(
            _("%(problem)s Send the case back to the township to change the amount.")
            % {"problem": problem}
        )
    _pay_once(case, app, acting_user, "approved")
    _save(app, acting_user, "approved")
    amount = app.one_off_amount
    return {
        "message": lambda: (
            _("Approved: %(amount)s yuan of temporary assistance, paid once.") % {"amount": amount}
        ),
        "data": {"amount": str(amount)},
    }


def papers_in(case, data, acting_user):
    papers = data["papers"].strip()
    return {
        "message": lambda: _("The papers are in: %(papers)s") % {"papers": papers},
        "data": {"papers": papers},
    }


def confirm_paid_first(case, data, acting_user):
    return {
        "message": lambda: _(
            "The papers are checked: the help paid because of the emergency is confirmed."
        )
    }
