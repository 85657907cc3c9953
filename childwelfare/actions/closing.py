"""Closing a record: when the child comes of age, or dies."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save

from ..models import Alert, AllowanceGrant, ChildProfile, SupportPlan
from .allowance import _end_allowance
from .common import ADULT_AGE, lock_profile


def _end_support(profile: ChildProfile, *, acting_user, reason: str):
    """The child no longer needs protection (18, or no category any more): the allowance
    ends, open intake cases close, the plan ends, open alerts are resolved, visits stop."""
    today = timezone.localdate()
    for grant in AllowanceGrant.objects.filter(profile=profile, case__state="in_payment"):
        _end_allowance(grant, acting_user=acting_user, reason=reason)
    for case_id, state in Case.objects.filter(
        child_intake__profile=profile, closed_at__isnull=True
    ).values_list("pk", "state"):
        name = "close_no_need" if state in ("screened", "assessing") else "close"
        if state != "submitted":
            do_transition(Case(pk=case_id), name, acting_user=acting_user, reason=reason)
    for plan in SupportPlan.objects.select_for_update().filter(
        profile=profile, status=SupportPlan.Status.ACTIVE
    ):
        plan.status, plan.ended_on = SupportPlan.Status.ENDED, today
        _save(plan, acting_user, "support ended")
    now = timezone.now()
    for alert in Alert.objects.select_for_update().filter(
        profile=profile, resolved_at__isnull=True
    ):
        alert.resolved_at, alert.resolution = now, reason
        alert.resolved_by = acting_user if getattr(acting_user, "pk", None) else None
        _save(alert, acting_user, "support ended")
    profile.next_visit_due = None


def do_close_adult_records(*, today: dt.date | None = None) -> int:
    """Close the record of every child who has turned 18: open intake cases are closed, the
    plan ends, the allowance ends, open alerts are resolved. Each child in its own transaction."""
    today = today or timezone.localdate()
    # Born on or before this day: 18 today or older (as eighteenth_birthday counts).
    try:
        cutoff = today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # today is 29 February
        cutoff = dt.date(today.year - ADULT_AGE, 2, 28)
    closed = 0
    for pk in list(
        ChildProfile.objects.open()
        .filter(person__birth_date__lte=cutoff)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            profile = lock_profile(pk)
            if profile.closed_on is not None:
                continue
            reason = _("The child turned 18.")
            _end_support(profile, acting_user=None, reason=reason)
            profile.closed_on, profile.closed_reason = today, reason
            _save(profile, None, "turned 18")
            closed += 1
    return closed


def do_close_record_after_death(sender=None, *, person, date_of_death, acting_user, **kwargs):
    """A child's death (people.events.person_died) closes the child's record in the death's own
    transaction: open cases close, the plan ends, alerts are resolved (the ledger has already
    stopped the allowance)."""
    profile = ChildProfile.objects.open().filter(person=person).first()
    if profile is None:
        return
    profile = lock_profile(profile.pk)
    reason = _("The child died on %(date)s.") % {"date": date_of_death.isoformat()}
    _end_support(profile, acting_user=acting_user, reason=reason)
    profile.closed_on, profile.closed_reason = date_of_death, reason
    _save(profile, acting_user, "died")
