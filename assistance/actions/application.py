"""The citizen's application: starting it, the draft, the household's incomes, what is still
missing and submitting it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import do_create_case, do_submit_case
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save

from ..models import AssistanceApplication, MemberIncome
from .common import _lock, _refuse_a_second, _require_draft_access
from .notice import record_economy


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
    app: AssistanceApplication, rows: list[tuple], *, acting_user, reached_step: int = 0
) -> list[MemberIncome]:
    """Replace the declared incomes: rows of (person, kind, monthly amount). Members must be in
    the applicant's household. `reached_step`: the form step the applicant goes on to, kept
    with the incomes (never lowered) so "continue later" opens there."""
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
    if reached_step > app.step:
        app.step = reached_step
        _save(app, acting_user)
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
def do_submit_application(
    app: AssistanceApplication, *, acting_user, declaration: bool = False
) -> Case:
    """Submit the draft; `declaration`: the applicant signs the declaration as they submit
    (the last step's tick), kept only if the submission goes through."""
    app = _lock(app)
    _require_draft_access(app, acting_user)
    if declaration and not app.declaration:
        app.declaration = True
        _save(app, acting_user)
    missing = missing_for_submission(app)
    if missing:
        raise ValidationError(
            _("Please complete: %(items)s.") % {"items": "; ".join(str(m) for m in missing)}
        )
    # Checked again at submission: a household member may have applied since the draft began.
    _refuse_a_second(app.kind, app.case.applicant, household=app.case.household, excluding=app.case)
    record_economy(app, acting_user, verified=False)
    return do_submit_case(app.case, acting_user=acting_user)
