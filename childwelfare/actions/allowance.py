"""The basic living allowance of a child: applying, its amount by care setting, ending it (and
at 18)."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.benefits.actions import do_stop_for_case
from civilaffairs.casework.actions import do_create_case, do_submit_case, do_transition
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save

from ..models import ALLOWANCE_PROGRAM, AllowanceGrant, Category, ChildProfile
from .common import ALLOWANCE, _require_worker, lock_profile, program_parameter


def care_setting_for(profile: ChildProfile) -> str:
    carer = (
        profile.guardians.filter(end_date__isnull=True, is_de_facto_carer=True)
        .order_by("start_date", "id")
        .first()
    )
    if carer is not None and carer.is_institution:
        return AllowanceGrant.CareSetting.INSTITUTION
    return AllowanceGrant.CareSetting.DISPERSED


def allowance_amount(grant: AllowanceGrant, as_of: dt.date | None = None) -> Decimal:
    key = f"allowance_{grant.care_setting}"
    return program_parameter(
        ALLOWANCE_PROGRAM, key, grant.case.region_id, as_of or timezone.localdate()
    ).quantize(Decimal("0.01"))


@transaction.atomic
def do_apply_allowance(profile: ChildProfile, *, acting_user) -> Case:
    """The worker applies for the child's basic living allowance; the guardian who looks after
    the child is the applicant (and is told of the decision), the child the beneficiary."""
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if profile.category not in Category.allowance():
        raise ValidationError(
            _("The allowance is for orphans and children without a de-facto carer.")
        )
    if AllowanceGrant.objects.filter(profile=profile, case__closed_at__isnull=True).exists():
        raise ValidationError(_("An allowance case for this child is already open."))
    child = profile.person
    carer = (
        profile.guardians.filter(end_date__isnull=True, person__isnull=False)
        .order_by("-is_de_facto_carer", "start_date", "id")
        .first()
    )
    case = do_create_case(
        acting_user=acting_user,
        service=ALLOWANCE,
        region=child.residence_region,
        applicant=carer.person if carer else None,
        beneficiary=child,
        household=child.current_household(),
        channel=Case.Channel.ASSISTED,
    )
    _save(
        AllowanceGrant(
            case=case,
            profile=profile,
            category=profile.category,
            care_setting=care_setting_for(profile),
        ),
        acting_user,
    )
    return do_submit_case(case, acting_user=acting_user)


def lock_grant(case) -> AllowanceGrant:
    return (
        AllowanceGrant.objects.select_for_update()
        .select_related("case", "profile__person")
        .get(case_id=case.pk if isinstance(case, Case) else case)
    )


def _end_allowance(grant: AllowanceGrant, *, acting_user, reason: str):
    grant = lock_grant(grant.case)
    if grant.case.state != "in_payment":
        return grant
    today = timezone.localdate()
    grant.ended_on, grant.end_reason = today, reason[:200]
    _save(grant, acting_user, "ended")
    do_stop_for_case(grant.case, acting_user=acting_user, on=today, reason=reason)
    do_transition(grant.case, "end", acting_user=acting_user, reason=reason)
    return grant


@transaction.atomic
def do_end_allowance(case: Case, *, acting_user, reason: str) -> AllowanceGrant:
    grant = lock_grant(case)
    if acting_user is not None:
        _require_worker(acting_user, grant.profile)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    return _end_allowance(grant, acting_user=acting_user, reason=reason.strip())


def do_end_allowances_at_18(month: dt.date, *, acting_user=None) -> int:
    """End the allowance case of every child who is 18 on the month's first day (the ledger
    already pays no month past the last one). Idempotent: an ended case is not in payment."""
    month = month.replace(day=1)
    ended = 0
    for grant in AllowanceGrant.objects.filter(case__state="in_payment", last_month__lt=month):
        with transaction.atomic():
            _end_allowance(grant, acting_user=acting_user, reason=_("The child turned 18."))
            ended += 1
    return ended
