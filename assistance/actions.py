"""State changes of social-assistance applications. The case moves through the platform's
workflow engine (casework.actions.do_transition); these actions set the domain's own data and
then fire the transition, all in one transaction."""

import datetime as dt
import logging
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import has_role
from civilaffairs.accounts.models import CASEWORK_ROLES
from civilaffairs.benefits.actions import do_change_amount
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_record_screening,
    do_submit_case,
    do_transition,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.exchange.actions import do_request_economic_check as request_check
from civilaffairs.exchange.models import CheckSource
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import first_of_next_month
from civilaffairs.rules.models import Parameter, Program

from . import queries
from .models import (
    AssistanceApplication,
    Economy,
    HouseholdEconomy,
    IncomeKind,
    MemberIncome,
    Objection,
)

CENT = Decimal("0.01")
NOTICE_WORKING_DAYS = 7


log = logging.getLogger(__name__)


def _lock(app) -> AssistanceApplication:
    return AssistanceApplication.objects.select_for_update().select_related("case").get(pk=app.pk)


def _require_draft_access(app, user):
    case = app.case
    if case.state != case.workflow.initial:
        raise ValidationError(
            _("This application has been submitted and can no longer be changed.")
        )
    if user.person_id and user.person_id == case.applicant_id:
        return
    if case.created_by_id == user.pk:
        return
    raise PermissionDenied


def _refuse_a_second(kind: str, person, *, household=None, excluding=None):
    """One open case of a program per household, whatever the channel (online, assisted, at
    the counter): a second application would be pre-screened as eligible and paid twice."""
    other = queries.open_case_of_program(kind, person, household=household, excluding=excluding)
    if other is None:
        return
    if other.is_in_force:
        message = _(
            "The household already receives %(program)s (case %(ref)s). Ask the township office "
            "for a change or a review of that case instead of applying again."
        )
    else:
        message = _(
            "The household already has an application for %(program)s being handled (case "
            "%(ref)s). It can be followed on its page; a second one is not needed."
        )
    raise ValidationError(
        message % {"program": AssistanceApplication.Kind(kind).label, "ref": other.reference}
    )


@transaction.atomic
def do_start_application(
    kind: str, *, acting_user, person, channel=Case.Channel.ONLINE
) -> AssistanceApplication:
    """A draft application for a person; a citizen's unfinished draft of the same kind is
    resumed rather than duplicated."""
    if kind not in AssistanceApplication.Kind.values:
        raise ValidationError(_("Unknown kind of assistance."))
    existing = (
        AssistanceApplication.objects.select_related("case")
        .filter(kind=kind, case__applicant=person, case__state="draft")
        .order_by("-case__created_at")
        .first()
    )
    if existing is not None:
        return existing
    _refuse_a_second(kind, person)
    case = do_create_case(
        acting_user=acting_user,
        service=f"assistance.{kind}",
        region=person.residence_region,
        applicant=person,
        household=person.current_household(),
        channel=channel,
    )
    app = AssistanceApplication(case=case, kind=kind)
    return _save(app, acting_user)


APPLICATION_FIELDS = {
    "hardship_cause",
    "situation",
    "emergency_type",
    "expense_amount",
    "financial_assets",
    "vehicles",
    "extra_housing",
    "has_income_source",
    "has_able_supporter",
    "bank_name",
    "bank_account",
    "declaration",
    "step",
}


@transaction.atomic
def do_save_draft(app: AssistanceApplication, *, acting_user, **fields) -> AssistanceApplication:
    unknown = set(fields) - APPLICATION_FIELDS
    if unknown:
        raise ValueError(f"not part of the application: {sorted(unknown)}")
    app = _lock(app)
    _require_draft_access(app, acting_user)
    for k, v in fields.items():
        setattr(app, k, v)
    return _save(app, acting_user)


@transaction.atomic
def do_set_incomes(
    app: AssistanceApplication, rows: list[tuple], *, acting_user
) -> list[MemberIncome]:
    """Replace the declared incomes: rows of (person, kind, monthly amount). Members must be in
    the applicant's household."""
    app = _lock(app)
    _require_draft_access(app, acting_user)
    allowed = _household_member_ids(app)
    for person, _kind, amount in rows:
        if person.pk not in allowed:
            raise ValidationError(
                _("%(name)s is not a member of this household.") % {"name": person.name}
            )
        if amount < 0:
            raise ValidationError(_("An income cannot be negative."))
    for old in app.incomes.all():
        old._history_user = acting_user
        old.delete()
    created = []
    for person, kind, amount in rows:
        created.append(
            _save(
                MemberIncome(application=app, person=person, kind=kind, monthly_amount=amount),
                acting_user,
            )
        )
    return created


def _household_member_ids(app) -> set[int]:
    if app.case.household_id is None:
        return {app.case.applicant_id}
    return set(app.case.household.current_members().values_list("person_id", flat=True)) | {
        app.case.applicant_id
    }


def missing_for_submission(
    app: AssistanceApplication, *, include_declaration: bool = True
) -> list[str]:
    """What still has to be filled in before the application can be submitted."""
    missing = []
    if not app.incomes.exists():
        missing.append(_("the income of each household member (enter 0 where there is none)"))
    if (
        app.kind in (AssistanceApplication.Kind.DIBAO, AssistanceApplication.Kind.TEKUN)
        and not app.bank_account
    ):
        missing.append(_("the bank account for payments"))
    if app.kind == AssistanceApplication.Kind.LINSHI and not app.emergency_type:
        missing.append(_("the type of temporary hardship"))
    if include_declaration and not app.declaration:
        missing.append(_("the signed declaration"))
    return missing


@transaction.atomic
def do_submit_application(app: AssistanceApplication, *, acting_user) -> Case:
    app = _lock(app)
    _require_draft_access(app, acting_user)
    missing = missing_for_submission(app)
    if missing:
        raise ValidationError(
            _("Please complete: %(items)s.") % {"items": "; ".join(str(m) for m in missing)}
        )
    # Checked again at submission: a household member may have applied since the draft began.
    _refuse_a_second(app.kind, app.case.applicant, household=app.case.household, excluding=app.case)
    record_economy(app, acting_user, verified=False)
    return do_submit_case(app.case, acting_user=acting_user)


def record_economy(app, acting_user, *, verified: bool, economy=None):
    """Keep the household's economic situation current for whole-registry rules: what was
    declared (at submission), verified (at the home visit) or found at a review (`economy`)."""
    household = app.case.household
    if household is None:
        return None
    found = economy if economy is not None else app.economy()
    row = HouseholdEconomy.objects.select_for_update().filter(
        household=household
    ).first() or HouseholdEconomy(household=household)
    row.members = found.members
    row.monthly_income = found.monthly_income
    row.per_capita_income = found.per_capita_income
    row.financial_assets = found.financial_assets
    row.vehicles = found.vehicles
    row.extra_housing = found.extra_housing
    row.verified = verified and found.verified
    row.as_of = timezone.localdate()
    row.source_case = app.case
    return _save(row, acting_user)


def do_record_investigation(
    app: AssistanceApplication, *, acting_user, **values
) -> AssistanceApplication:
    """The township's home visit (the "record_investigation" step, handlers.record_investigation):
    visit_date, findings, neighbour_interviews, verified_income."""
    do_transition(app.case, "record_investigation", acting_user=acting_user, values=values)
    return AssistanceApplication.objects.get(pk=app.pk)


def do_start_notice(app: AssistanceApplication, *, acting_user) -> AssistanceApplication:
    """Seven working days of public notice from today (the "start_notice" step)."""
    do_transition(app.case, "start_notice", acting_user=acting_user)
    return AssistanceApplication.objects.get(pk=app.pk)


@transaction.atomic
def do_lodge_objection(
    app: AssistanceApplication, *, text: str, contact: str = "", language: str = ""
) -> Objection:
    """Anyone may object during the notice; the case goes back to the township, which
    investigates and answers (the "resolve_objection" step)."""
    app = _lock(app)
    if app.case.state != "notice":
        raise ValidationError(
            _("This notice has ended; objections are no longer taken here. Please call 12345.")
        )
    if not text.strip():
        raise ValidationError({"text": _("Please write what the objection is about.")})
    objection = Objection.objects.create(
        application=app,
        text=text.strip()[:2000],
        contact=contact.strip()[:60],
        language=language[:10],
    )
    do_transition(
        app.case,
        "reinvestigate",
        acting_user=None,
        reason=_(
            "An objection was lodged during the public notice; the household is checked again."
        ),
    )
    return objection


def send_objection_answer(objection_id: int) -> bool:
    """E-mail the township's answer to an objector who left an address, once, in the language
    they objected in; noted on the case's timeline (staff only: the objector stays unnamed).
    Called after the commit that recorded the answer and again by the beat sweep until it went
    out; a failed send is logged without the address and tried again later."""
    from django.core.mail import send_mail
    from django.utils import translation

    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(skip_locked=True)
            .select_related("application__case")
            .filter(pk=objection_id, answered_by=Objection.AnsweredBy.EMAIL, answered_at=None)
            .first()
        )
        if objection is None:
            return False
        case = objection.application.case
        with translation.override(objection.language or settings.LANGUAGE_CODE):
            subject = _("Your objection to the public notice of case %(ref)s") % {
                "ref": case.reference
            }
            body = _(
                "The township office has looked into your objection of %(date)s.\n\n"
                "Finding: %(finding)s\n\n%(answer)s"
            ) % {
                "date": timezone.localdate(objection.lodged_at).isoformat(),
                "finding": objection.get_finding_display(),
                "answer": objection.answer,
            }
        try:
            send_mail(subject, body, None, [objection.contact])
        except Exception:  # any transport error: the sweep tries again
            log.warning("answer to objection %s not sent", objection.pk, exc_info=True)
            return False
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answered_at"])
        add_event(
            case,
            CaseEvent.Kind.NOTE,
            message=lambda: _("The objector was answered by e-mail."),
            data={"objection": objection.pk},
        )
    return True


def unsent_objection_answers():
    return Objection.objects.filter(
        answered_by=Objection.AnsweredBy.EMAIL, answered_at=None, resolved_at__isnull=False
    ).values_list("pk", flat=True)


@transaction.atomic
def do_end_notice(app: AssistanceApplication, *, acting_user) -> AssistanceApplication:
    app = _lock(app)
    do_transition(app.case, "end_notice", acting_user=acting_user)
    return app


def parameter(key: str, app: AssistanceApplication, as_of: dt.date | None = None) -> Decimal:
    program = Program.objects.filter(code=app.kind).first()
    return Parameter.objects.for_program(program).value_for(
        key, app.case.region_id, as_of or timezone.localdate()
    )


def benefit_for(
    app: AssistanceApplication, as_of: dt.date | None = None, economy: Economy | None = None
) -> tuple[Decimal, Decimal, int]:
    """(monthly amount, one-off amount, people covered) under the parameters in force, from
    the household's economy (`economy`, or the application's: see AssistanceApplication.economy).

    低保: (local standard − income per person) × people covered, at least the local floor per
    person. 特困: the local basic-living standard per month. 临时救助: the amount the
    caseworker set within the configured range (linshi_range), none before."""
    economy = economy or app.economy()
    members = economy.members
    if app.kind == AssistanceApplication.Kind.DIBAO:
        standard = parameter("dibao_standard", app, as_of)
        floor = parameter("dibao_min_benefit", app, as_of)
        gap = standard - economy.per_capita_income
        if gap <= 0:
            return Decimal(0), Decimal(0), members
        per_person = max(gap, floor)
        return (per_person * members).quantize(CENT, rounding=ROUND_HALF_UP), Decimal(0), members
    if app.kind == AssistanceApplication.Kind.TEKUN:
        return parameter("tekun_standard", app, as_of).quantize(CENT), Decimal(0), 1
    return Decimal(0), app.one_off_amount, members


def calculate(app):
    app.monthly_amount, app.one_off_amount, app.people_covered = benefit_for(app)


# --------------------------------------------------------------------------- 临时救助


@dataclass(frozen=True)
class LinshiRange:
    """What the rules allow for one temporary-assistance case today: the amount between
    `low` and `high` (multiples of the monthly 低保 standard, DOMAIN.md), and the amount up to
    which the township decides (`township_limit`); above it the county does."""

    standard: Decimal
    low: Decimal
    high: Decimal
    township_limit: Decimal

    def check(self, amount: Decimal) -> str | None:
        if amount < self.low or amount > self.high:
            return _(
                "The amount must be between %(low)s and %(high)s yuan (%(lo)s to %(hi)s times "
                "the monthly standard of %(standard)s yuan)."
            ) % {
                "low": self.low,
                "high": self.high,
                "lo": _multiple(self.low, self.standard),
                "hi": _multiple(self.high, self.standard),
                "standard": self.standard,
            }
        return None

    def level_for(self, amount: Decimal) -> int:
        from civilaffairs.accounts.models import Office

        return Office.Level.TOWNSHIP if amount <= self.township_limit else Office.Level.COUNTY


def _multiple(amount: Decimal, standard: Decimal) -> str:
    return f"{(amount / standard).normalize():f}" if standard else "—"


def linshi_range(app: AssistanceApplication, as_of: dt.date | None = None) -> LinshiRange:
    """The configured range (parameters linshi_min_multiple, linshi_max_multiple of
    dibao_standard, and linshi_township_limit in yuan); MissingParameter when one is not set
    for the case's area."""
    standard = parameter("dibao_standard", app, as_of)
    low = (standard * parameter("linshi_min_multiple", app, as_of)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    high = (standard * parameter("linshi_max_multiple", app, as_of)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    limit = parameter("linshi_township_limit", app, as_of).quantize(CENT)
    return LinshiRange(standard=standard.quantize(CENT), low=low, high=high, township_limit=limit)


def approval_level(case, *, fresh: bool = False) -> int | None:
    """The office level that approves this temporary-assistance case's amount (township up to
    the limit, county above), or None while no amount is set or no limit configured. `fresh`
    reads the application again (after a step wrote it)."""
    from civilaffairs.rules.exceptions import MissingParameter

    app = AssistanceApplication.objects.get(case=case) if fresh else case.assistance
    if app.one_off_amount <= 0:
        return None
    try:
        return linshi_range(app).level_for(app.one_off_amount)
    except MissingParameter:
        return None


# --------------------------------------------------------------------------- periodic review


def review_screening(app: AssistanceApplication, economy: Economy):
    """The rules in force applied to what a review found (the same engine and rule set that
    screen an application at submission); None when the program has no rules."""
    from civilaffairs.rules.engine import evaluate

    from .facts import fact_context

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
                public_message=_(
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
