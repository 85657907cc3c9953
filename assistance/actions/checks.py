"""Economic checks with other departments (tax, housing, vehicles, banks): asking for them and
taking their answers into the household's economy."""

from dataclasses import replace
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import has_role
from civilaffairs.accounts.models import CASEWORK_ROLES
from civilaffairs.casework.actions import add_event
from civilaffairs.casework.models import CaseEvent
from civilaffairs.exchange.actions import do_request_economic_check as request_check
from civilaffairs.exchange.models import CheckSource

from ..models import AssistanceApplication, Economy
from .common import CENT, _lock
from .review import _screen_again


def outcome_label(outcome: str) -> str:
    return {
        "pass": _("eligible"),
        "fail": _("not eligible"),
        "refer": _("needs a person to decide"),
    }.get(outcome, outcome or _("not screened"))


def _check_members(app) -> list:
    members = [m.person for m in app.case.household.current_members()] if app.case.household else []
    if app.case.applicant and all(p.pk != app.case.applicant_id for p in members):
        members.insert(0, app.case.applicant)
    return members


@transaction.atomic
def do_request_economic_check(app: AssistanceApplication, *, acting_user):
    """The caseworker asks, in one request, every department that holds deposits, vehicles,
    property, tax or provident-fund records about the household's members (居民家庭经济状况核对,
    Measures for Verifying the Economic Situation of Households, 2015)."""
    app = _lock(app)
    if app.kind not in (AssistanceApplication.Kind.DIBAO, AssistanceApplication.Kind.TEKUN):
        raise ValidationError(
            _(
                "The economic-status check is for minimum living allowance and extreme-poverty "
                "support cases."
            )
        )
    if app.case.closed_at is not None:
        raise ValidationError(_("This case is closed."))
    if not (acting_user.is_superuser or has_role(acting_user, *CASEWORK_ROLES)):
        raise PermissionDenied
    check = request_check(app.case, members=_check_members(app), acting_user=acting_user)
    add_event(
        app.case,
        CaseEvent.Kind.CHANGE,
        actor=acting_user,
        message=lambda: (
            _(
                "The household economic-status check was sent to the departments (%(sources)s); "
                "answers are due by %(due)s."
            )
            % {"sources": ", ".join(_source_label(s) for s in check.sources), "due": check.due_on}
        ),
        data={"economic_check": check.pk},
    )
    return check


def _source_label(source: str) -> str:
    return str(CheckSource(source).label)


def checked_economy(app, check, economy: Economy) -> Economy:
    """The household's economy with what the departments found: deposits, vehicles and homes
    replace what was declared; reported wages (taxable income, or the provident fund's wage
    base, whichever is higher per member) raise the income where they exceed it, never lower
    it."""
    answers = {a.source: a.values for a in check.answers.all()}

    def total(source):
        return sum((Decimal(v) for v in answers[source].values() if v is not None), Decimal(0))

    assets = total("deposits") if "deposits" in answers else economy.financial_assets
    vehicles = int(total("vehicles")) if "vehicles" in answers else economy.vehicles
    homes = int(total("property")) if "property" in answers else None
    extra = max(homes - 1, 0) if homes is not None else economy.extra_housing
    wages = Decimal(0)
    for member in check.members:
        key = str(member["person"])
        found = [
            Decimal(answers[s][key])
            for s in ("tax", "provident_fund")
            if s in answers and answers[s].get(key) is not None
        ]
        wages += max(found, default=Decimal(0))
    income = max(economy.monthly_income, wages)
    return replace(
        economy,
        monthly_income=income.quantize(CENT),
        financial_assets=assets.quantize(CENT),
        vehicles=vehicles,
        extra_housing=extra,
    )


@transaction.atomic
def do_take_economic_check_answer(check, answer, *, acting_user) -> None:
    """A department answered (exchange.events.economic_check_answered): the answer goes on the
    case's timeline for the caseworker; once every source has answered, the case is screened
    again with the current rules on the checked economy and the timeline says what changed."""
    app = AssistanceApplication.objects.filter(case_id=check.case_id).first()
    if app is None:
        return
    app = _lock(app)
    source = _source_label(answer.source)
    add_event(
        app.case,
        CaseEvent.Kind.CHANGE,
        actor=acting_user,
        message=lambda: (
            _("%(department)s answered the economic-status check: %(source)s.")
            % {"department": answer.department, "source": source}
        ),
        data={"economic_check": check.pk, "source": answer.source},
    )
    if check.missing():
        return
    economy = app.economy()
    after = checked_economy(app, check, economy)
    screened = _screen_again(app, after, "economic check", acting_user)
    if screened is None:
        return
    before_outcome, screening = screened
    values = {
        "pc_old": economy.per_capita_income,
        "pc_new": after.per_capita_income,
        "assets": after.financial_assets,
        "vehicles": after.vehicles,
        "homes": after.extra_housing,
    }

    def message(values=values, b=before_outcome, a=screening.outcome):
        return _(
            "Every department has answered the economic-status check. Income per person "
            "%(pc_old)s → %(pc_new)s yuan; financial assets %(assets)s yuan, %(vehicles)s "
            "vehicles, %(homes)s homes besides the one lived in. The current rules now give: "
            "%(before)s → %(after)s."
        ) % {**values, "before": outcome_label(b), "after": outcome_label(a)}

    add_event(
        app.case,
        CaseEvent.Kind.CHANGE,
        actor=acting_user,
        message=message,
        data={
            "economic_check": check.pk,
            "screening": screening.pk,
            "outcome_before": before_outcome,
            "outcome_after": screening.outcome,
        },
    )
