"""Decisions and the periodic review: approving, refusing, re-screening after a parameter
change, repricing on the ledger, the review's cadence and its outcome."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.benefits.actions import do_change_amount
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.actions import add_event, do_record_screening, do_transition
from civilaffairs.casework.models import CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import first_of_next_month
from civilaffairs.rules.models import Program

from ..models import AssistanceApplication, Economy, IncomeKind
from .amounts import benefit_for, parameter
from .common import _lock


def review_screening(app: AssistanceApplication, economy: Economy):
    """The rules in force applied to what a review found (the same engine and rule set that
    screen an application at submission); None when the program has no rules."""
    from civilaffairs.rules.engine import evaluate

    from ..facts import fact_context

    program = Program.objects.filter(code=app.kind, is_active=True).first()
    if program is None:
        return None
    return evaluate(program, fact_context(app.case, economy=economy))


def do_approve(app: AssistanceApplication, *, acting_user) -> AssistanceApplication:
    """County approval (the "approve" step, handlers.approve)."""
    do_transition(app.case, "approve", acting_user=acting_user)
    return AssistanceApplication.objects.get(pk=app.pk)


@transaction.atomic
def do_refuse(app: AssistanceApplication, *, acting_user, reason: str) -> AssistanceApplication:
    app = _lock(app)
    do_transition(app.case, "refuse", acting_user=acting_user, reason=reason)
    return app


@transaction.atomic
def do_rescreen_amounts(
    *,
    acting_user,
    kind: str = AssistanceApplication.Kind.DIBAO,
    region_prefix: str = "",
    apply: bool = True,
):
    """After a parameter change: recompute every approved application's amount under today's
    parameters. Each change is saved on the application (with history), put on the ledger from
    next month and told on the case; a household now above the standard is flagged for review,
    not cut off silently. With apply=False nothing is saved: the report of what would change.
    Returns a rules.registry.Recompute report."""
    from civilaffairs.lib.masking import mask_name
    from civilaffairs.rules.registry import Recompute, RecomputeRow

    report = Recompute()
    qs = AssistanceApplication.objects.select_related("case__applicant", "case__region").filter(
        case__state="approved", kind=kind
    )
    if region_prefix:
        qs = qs.filter(case__region__startswith=region_prefix)
    if apply:
        qs = qs.select_for_update(of=("self",))
    for app in qs.order_by("case__reference"):
        report.checked += 1
        before = app.monthly_amount
        monthly, _one_off, covered = benefit_for(app)
        if monthly == before:
            continue
        applicant = app.case.applicant
        report.rows.append(
            RecomputeRow(
                reference=app.case.reference,
                name=mask_name(applicant.name if applicant else ""),
                region=app.case.region.name,
                before=before,
                after=monthly,
                flagged=monthly <= 0,
            )
        )
        if not apply:
            continue
        app.monthly_amount, app.people_covered = monthly, covered
        if monthly <= 0:
            app.next_review_on = timezone.localdate()
        _save(app, acting_user, "re-screened after a parameter change")
        reprice(app, acting_user, "re-screened after a parameter change")
        add_event(
            app.case,
            CaseEvent.Kind.CHANGE,
            actor=acting_user,
            public=True,
            message=lambda before=before, monthly=monthly: (
                _(
                    "The monthly amount changes from %(old)s to %(new)s yuan after the local "
                    "standard changed."
                )
                % {"old": before, "new": monthly}
            ),
            data={"old": str(before), "new": str(monthly)},
        )
    return report


def reprice(app: AssistanceApplication, acting_user, reason: str):
    """The new monthly amount on the ledger from next month (what is already scheduled for
    this month keeps the amount it was decided with)."""
    next_month = first_of_next_month(timezone.localdate())
    for entitlement in Entitlement.objects.filter(
        case_id=app.case_id, kind=Entitlement.Kind.MONTHLY, stopped_on__isnull=True
    ):
        do_change_amount(
            entitlement,
            app.monthly_amount,
            acting_user=acting_user,
            from_month=next_month,
            reason=reason,
        )


def review_months(app: AssistanceApplication) -> int:
    """Review cadence by household type (DOMAIN.md): households with a member of working age
    who can work are reviewed more often (`review_months_with_workers`), stable ones yearly."""
    today = timezone.localdate()
    if app.case.household_id:
        for m in app.case.household.current_members().select_related("person"):
            age = m.person.age_on(today)
            if 18 <= age < 60 and m.person.disability_grade not in (1, 2):
                try:
                    return int(parameter("review_months_with_workers", app))
                except Exception:  # MissingParameter: fall back to the general cadence
                    break
    return int(parameter("review_months", app))


def do_start_due_reviews(*, today: dt.date | None = None) -> int:
    """Open the periodic review of every application whose review date has come (each in its
    own transaction: one failure does not block the others)."""
    today = today or timezone.localdate()
    started = 0
    due = AssistanceApplication.objects.filter(
        case__state="approved", next_review_on__lte=today
    ).only("pk", "case")
    for app in due:
        with transaction.atomic():
            do_transition(
                app.case,
                "start_review",
                acting_user=None,
                public_message=lambda: _(
                    "Your allowance is due for its periodic review; payments continue."
                ),
            )
            started += 1
    return started


def review_field(person_id, kind: str) -> str:
    """The name of a review form's field for one member's income of one kind."""
    return f"m{person_id}_{kind}"


def review_basis(app: AssistanceApplication) -> dict:
    """What a review starts from (the step's pre-filled values): the last review's incomes and
    assets, else the application's declared ones; countable kinds only."""
    review = app.latest_review
    rows = review.incomes.all() if review is not None else app.declared_incomes
    source = review if review is not None else app
    values = {
        "financial_assets": source.financial_assets,
        "vehicles": source.vehicles,
        "extra_housing": source.extra_housing,
    }
    countable = set(IncomeKind.countable())
    for row in rows:
        if row.kind in countable:
            key = review_field(row.person_id, row.kind)
            values[key] = values.get(key, Decimal(0)) + row.monthly_amount
    return values


def do_complete_review(
    app: AssistanceApplication,
    *,
    acting_user,
    findings: str,
    reviewed_on: dt.date | None = None,
    incomes: dict | None = None,
    assets: dict | None = None,
) -> AssistanceApplication:
    """The periodic review (the "complete_review" step, handlers.complete_review): what it
    found, starting from what was known (`review_basis`): `incomes` {person: {kind: amount}}
    and `assets` {financial_assets, vehicles, extra_housing} replace those values."""
    values = review_basis(app)
    for person, by_kind in (incomes or {}).items():
        for kind, amount in by_kind.items():
            values[review_field(getattr(person, "pk", person), kind)] = amount
    values.update(assets or {})
    values.update(findings=findings, reviewed_on=reviewed_on or timezone.localdate())
    do_transition(app.case, "complete_review", acting_user=acting_user, values=values)
    return AssistanceApplication.objects.get(pk=app.pk)


def _screen_again(app, economy: Economy, reason: str, acting_user):
    """The current rules on `economy`, kept as the case's screening (`reason` says why);
    (the outcome before, the screening) or None when the program has no rules."""
    result = review_screening(app, economy)
    if result is None:
        return None
    before = app.case.screening_outcome or ""
    screening = do_record_screening(
        app.case,
        program=app.kind,
        result=result,
        reason=reason,
        acting_user=acting_user,
        announce=False,
    )
    return before, screening
