"""Care plans: requested, their bookings generated and cancelled, ended."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import has_role
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_screen_and_route,
    do_submit_case,
    do_transition,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from ..models import (
    SLOT_MINUTES,
    Booking,
    CarePlan,
    CarePlanItem,
    Provider,
    ServiceType,
    covering_codes,
)
from ..services import CAREPLAN
from .bookings import _lock_booking, _release_slots, do_book_service, do_cancel_booking
from .common import CW, PLAN_HORIZON_DAYS, _pk, acts_for, staff_covers

# =========================================================================== care plans


def _open_plan_case(elder: Person):
    return Case.objects.open().filter(service=CAREPLAN, beneficiary=elder).first()


@transaction.atomic
def do_request_care_plan(
    *, acting_user, elder: Person, request_note: str = "", channel=Case.Channel.ONLINE
) -> CarePlan:
    """Ask for an assessment and a care plan (the elder, a family member, or staff on their
    behalf). The request is submitted at once; the township office is asked to assess."""
    elder = Person.objects.get(pk=elder.pk)
    for_family = acts_for(acting_user, elder.pk)
    if not (for_family or staff_covers(acting_user, elder.residence_region_id)):
        raise PermissionDenied
    if not elder.is_alive:
        raise ValidationError(_("This person has died."))
    existing = _open_plan_case(elder)
    if existing is not None:
        raise ValidationError(
            _("A care-plan request is already open (%(ref)s).") % {"ref": existing.reference}
        )
    case = do_create_case(
        acting_user=acting_user,
        service=CAREPLAN,
        region=elder.residence_region,
        # The elder, or the family member who asked for them; staff apply in the elder's name.
        applicant=acting_user.person if for_family else elder,
        beneficiary=elder,
        household=elder.current_household(),
        channel=channel,
    )
    plan = _save(CarePlan(case=case, request_note=request_note.strip()), acting_user)
    do_submit_case(
        case,
        acting_user=acting_user,
        message=lambda: (
            _(
                "Your request for a care assessment was received (%(ref)s). The township office "
                "will contact you to arrange a visit."
            )
            % {"ref": case.reference}
        ),
    )
    # Routing needs no screening: do it now rather than wait for the queue.
    do_screen_and_route(case.pk)
    return plan


def _require_plan_staff(plan: CarePlan, user, roles=(CW,)):
    if not Case.objects.visible_to(user).filter(pk=plan.case_id).exists():
        raise PermissionDenied
    if not (getattr(user, "is_superuser", False) or has_role(user, *roles)):
        raise PermissionDenied


def _lock_plan(plan) -> CarePlan:
    return CarePlan.objects.select_for_update(of=("self",)).select_related("case").get(pk=_pk(plan))


def _require_plan_draft(plan: CarePlan):
    if not plan.is_draft:
        raise ValidationError(
            _("The plan can be changed only after the assessment, before it is sent.")
        )


@transaction.atomic
def do_save_plan(
    plan: CarePlan, *, acting_user, provider: Provider, goals: str = "", ends_on=None
) -> CarePlan:
    plan = _lock_plan(plan)
    _require_plan_staff(plan, acting_user)
    _require_plan_draft(plan)
    elder = plan.case.beneficiary
    if not Provider.objects.filter(
        pk=provider.pk, is_active=True, coverage__in=covering_codes(elder.residence_region_id)
    ).exists():
        raise ValidationError({"provider": _("This provider does not serve the elder's area.")})
    plan.provider = provider
    plan.goals = goals.strip()
    plan.ends_on = ends_on
    return _save(plan, acting_user, "plan edited")


@transaction.atomic
def do_add_plan_item(
    plan: CarePlan, *, acting_user, service_type: ServiceType, weekday: int, start_time: dt.time
) -> CarePlanItem:
    plan = _lock_plan(plan)
    _require_plan_staff(plan, acting_user)
    _require_plan_draft(plan)
    if start_time.minute % SLOT_MINUTES or start_time.second:
        raise ValidationError({"start_time": _("Visits start on the hour or half hour.")})
    if plan.provider_id and not plan.provider.services.filter(pk=service_type.pk).exists():
        raise ValidationError(
            {"service_type": _("The plan's provider does not offer this service.")}
        )
    if plan.items.filter(weekday=weekday, start_time=start_time).exists():
        raise ValidationError(_("There is already a visit on that day at that time."))
    return _save(
        CarePlanItem(plan=plan, service_type=service_type, weekday=weekday, start_time=start_time),
        acting_user,
    )


@transaction.atomic
def do_remove_plan_item(item: CarePlanItem, *, acting_user) -> None:
    item = CarePlanItem.objects.select_related("plan__case").get(pk=item.pk)
    plan = _lock_plan(item.plan)
    _require_plan_staff(plan, acting_user)
    _require_plan_draft(plan)
    item._history_user = acting_user
    item.delete()


@transaction.atomic
def do_generate_plan_bookings(case_id: int, *, today: dt.date | None = None) -> int:
    """Book every visit of an approved plan from tomorrow (or its start) to the horizon.
    Idempotent: a visit already booked (plan item + time) is not booked again. A visit the
    provider has no room for is noted on the case for the caseworker, not silently lost."""
    plan = (
        CarePlan.objects.select_for_update(of=("self",))
        .select_related("case", "provider")
        .get(case_id=case_id)
    )
    if not plan.case.is_in_force or plan.provider is None:
        return 0
    today = today or timezone.localdate()
    first = max(plan.starts_on or today, today + dt.timedelta(days=1))
    last = today + dt.timedelta(days=PLAN_HORIZON_DAYS)
    if plan.ends_on:
        last = min(last, plan.ends_on)
    elder = plan.case.beneficiary
    items = list(plan.items.select_related("service_type"))
    made, missed = 0, []
    day = first
    while day <= last:
        for item in items:
            if item.weekday != day.weekday():
                continue
            starts_at = timezone.make_aware(dt.datetime.combine(day, item.start_time))
            if Booking.objects.filter(plan_item=item, starts_at=starts_at).exists():
                continue
            try:
                with transaction.atomic():
                    do_book_service(
                        acting_user=None,
                        elder=elder,
                        service_type=item.service_type,
                        provider=plan.provider,
                        starts_at=starts_at,
                        plan_item=item,
                    )
                made += 1
            except ValidationError as exc:
                missed.append(
                    f"{day.isoformat()} {item.start_time:%H:%M}: {'; '.join(exc.messages)}"
                )
        day += dt.timedelta(days=1)
    if missed:
        add_event(
            plan.case,
            CaseEvent.Kind.NOTE,
            message=lambda: (
                _("Some visits of the plan could not be booked:") + "\n" + "\n".join(missed)
            ),
        )
    plan.generated_until = max(plan.generated_until or last, last)
    _save(plan, None)
    return made


def _cancel_open_visits(visits, *, acting_user, reason, history_reason: str) -> int:
    """Cancel each open visit of `visits` (locked one by one, each in its own savepoint) and
    give its places back. Idempotent: a visit that is no longer open is left alone."""
    cancelled = 0
    now = timezone.now()
    for pk in list(visits.filter(status__in=Booking.OPEN).values_list("pk", flat=True)):
        with transaction.atomic():
            booking = _lock_booking(pk)
            if booking.status not in Booking.OPEN:
                continue
            booking.status = Booking.Status.CANCELLED
            booking.reason = str(reason)
            booking.closed_at = now
            _release_slots(booking)
            _save(booking, acting_user, history_reason)
            cancelled += 1
    return cancelled


def do_cancel_plan_bookings(case_id: int, *, acting_user=None) -> int:
    """Cancel the plan's visits that have not started (the plan ended). Idempotent."""
    return _cancel_open_visits(
        Booking.objects.filter(plan_item__plan__case_id=case_id, starts_at__gt=timezone.now()),
        acting_user=acting_user,
        reason=_("The care plan ended."),
        history_reason="plan ended",
    )


def do_cancel_visits_after_death(sender=None, *, person, date_of_death, acting_user, **kwargs):
    """A death (people.events.person_died) cancels every visit booked for the person that has
    not started, and gives the providers' places back, in the death's transaction."""
    return _cancel_open_visits(
        Booking.objects.filter(elder=person),
        acting_user=acting_user,
        reason=_("The person has died."),
        history_reason="death recorded",
    )


@transaction.atomic
def do_end_plan(plan: CarePlan, *, acting_user, reason: str) -> CarePlan:
    plan = _lock_plan(plan)
    do_transition(plan.case, "end_plan", acting_user=acting_user, reason=reason)
    do_cancel_plan_bookings(plan.case_id, acting_user=acting_user)
    return plan


def do_extend_plans(*, today: dt.date | None = None) -> dict:
    """The daily run: end the plans of people who have died, and book the next days of every
    plan in force. Each plan in its own transaction."""
    ended = made = 0
    active = CarePlan.objects.filter(
        case__in=Case.objects.filter(service=CAREPLAN).in_force()
    ).select_related("case__beneficiary")
    for plan in active:
        if plan.case.beneficiary and plan.case.beneficiary.date_of_death:
            do_end_plan(
                plan,
                acting_user=None,
                reason=lambda plan=plan: (
                    _("The person died on %(day)s.")
                    % {"day": plan.case.beneficiary.date_of_death.isoformat()}
                ),
            )
            ended += 1
            continue
        made += do_generate_plan_bookings(plan.case_id, today=today)
    for booking in Booking.objects.filter(
        status__in=Booking.OPEN, elder__date_of_death__isnull=False
    ).only("pk"):
        do_cancel_booking(booking, acting_user=None, reason=_("The person has died."))
    return {"ended": ended, "booked": made}
