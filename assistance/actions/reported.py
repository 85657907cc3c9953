"""Income reported by another department or the citizen: the open cases it touches are
screened again and their review brought forward."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import add_event
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save

from ..models import AssistanceApplication, IncomeKind
from .checks import outcome_label
from .common import CENT, _lock
from .review import _screen_again


def _reported_cases(person):
    """Open 低保 and 特困 cases (being decided, or granted and paying) of the person's
    household, or where the person applied."""
    from django.db.models import Q

    household = person.current_household()
    where = Q(case__applicant=person)
    if household is not None:
        where |= Q(case__household=household)
    return (
        AssistanceApplication.objects.filter(where)
        .filter(
            kind__in=[AssistanceApplication.Kind.DIBAO, AssistanceApplication.Kind.TEKUN],
            case__closed_at__isnull=True,
            case__submitted_at__isnull=False,
        )
        .select_related("case")
        .order_by("pk")
    )


def _recorded_amount(app, person, kind) -> Decimal:
    """What the economy the rules read holds for this member and kind of income: the last
    review's rows when there is one, else the declared rows."""
    review = app.latest_review
    rows = review.incomes.all() if review is not None else app.declared_incomes
    return sum(
        (r.monthly_amount for r in rows if r.person_id == person.pk and r.kind == kind), Decimal(0)
    )


@transaction.atomic
def do_take_reported_income(
    person, *, kind: str, monthly_amount: Decimal, month: dt.date, department: str, acting_user
) -> list:
    """Another department reported a member's income (exchange.events.income_reported): each
    open or granted 低保/特困 case of the household is screened again with the current rules on
    the household's economy with that income in place of the one on record, and its timeline
    says what changed for the caseworker. A granted case that would no longer qualify has its
    review brought forward to today; the amount is never changed without a person's review."""
    if kind not in set(IncomeKind.countable()):
        return []
    done = []
    for app in _reported_cases(person):
        app = _lock(app)
        economy = app.economy()
        before_amount = _recorded_amount(app, person, kind)
        income = max(economy.monthly_income - before_amount + monthly_amount, Decimal(0))
        after = replace(economy, monthly_income=income.quantize(CENT))
        screened = _screen_again(app, after, "reported income", acting_user)
        if screened is None:
            continue
        before_outcome, screening = screened
        kind_label = IncomeKind(kind).label
        values = {
            "department": department,
            "name": person.name,
            "month": f"{month:%Y-%m}",
            "new": monthly_amount,
            "old": before_amount,
            "pc_old": economy.per_capita_income,
            "pc_new": after.per_capita_income,
        }

        def message(values=values, kind_label=kind_label, b=before_outcome, a=screening.outcome):
            return _(
                "%(department)s reported %(name)s's %(kind)s for %(month)s: %(new)s yuan a "
                "month (on record: %(old)s). Income per person %(pc_old)s → %(pc_new)s yuan; "
                "the current rules now give: %(before)s → %(after)s. Check the household's "
                "situation."
            ) % {
                **values,
                "kind": str(kind_label),
                "before": outcome_label(b),
                "after": outcome_label(a),
            }

        add_event(
            app.case,
            CaseEvent.Kind.CHANGE,
            actor=acting_user,
            message=message,
            data={
                "external": "income",
                "person": person.pk,
                "kind": kind,
                "month": f"{month:%Y-%m}",
                "old": str(before_amount),
                "new": str(monthly_amount),
                "screening": screening.pk,
                "outcome_before": before_outcome,
                "outcome_after": screening.outcome,
            },
        )
        if screening.outcome != "pass" and app.case.outcome == Case.Outcome.APPROVED:
            app.next_review_on = timezone.localdate()
            _save(app, acting_user, "review brought forward: reported income")
        done.append(screening)
    return done
