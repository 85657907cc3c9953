"""Every state change of elder care (house rule 1). Each action is atomic, locks what it reads
and then writes, takes `acting_user` keyword-only (None for the system: beat tasks and the
device API), records history with the acting user, and moves cases only through the platform's
engine (casework.actions.do_transition), which writes the case timeline."""

import datetime as dt
import hashlib
import logging
import secrets
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import grants_for, has_role
from civilaffairs.accounts.models import StaffRole, User
from civilaffairs.benefits.actions import do_grant, do_schedule_due, do_stop_for_case
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_screen_and_route,
    do_submit_case,
    do_transition,
    next_reference,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.casework.notify import notify
from civilaffairs.people.actions import find_person
from civilaffairs.people.models import Person, Region
from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.facts import AgeOn
from civilaffairs.rules.models import Parameter, Program

from . import alerts
from .facts import AGE_PROGRAM
from .models import (
    SLOT_MINUTES,
    AgeAllowance,
    AgeAllowanceInvitation,
    Alert,
    Booking,
    BookingRating,
    CarePlan,
    CarePlanItem,
    Device,
    DevicePlatform,
    DeviceReading,
    FamilyLink,
    HomeVisit,
    Institution,
    Provider,
    ProviderMember,
    ServiceType,
    Worker,
    WorkerSlot,
    covering_codes,
)
from .services import AGE_ALLOWANCE, CAREPLAN, URGENT_VISIT

log = logging.getLogger(__name__)

BOOKING_PREFIX = "YLFW"
# Bookings a care plan keeps ahead of today; the daily task moves the horizon on.
PLAN_HORIZON_DAYS = 14
CW = StaffRole.Role.CASEWORKER


def _save(obj, acting_user, reason=None):
    if acting_user is not None and getattr(acting_user, "pk", None):
        obj._history_user = acting_user
    if reason:
        obj._change_reason = reason[:100]
    obj.save()
    return obj


def _lock(model, pk):
    return model.objects.select_for_update().get(pk=pk)


def _pk(obj_or_pk):
    return getattr(obj_or_pk, "pk", obj_or_pk)


# =========================================================================== who acts for whom


def acts_for(user, elder_id: int) -> bool:
    """The elder themself, or a family member whose link is confirmed."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.person_id and user.person_id == elder_id:
        return True
    return FamilyLink.objects.confirmed().filter(family=user, elder_id=elder_id).exists()


def staff_covers(user, region_code: str, roles=None) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(
        region_code.startswith(g.region_prefix) and (roles is None or g.role in roles)
        for g in grants_for(user)
    )


def provider_of(user) -> Provider | None:
    if not getattr(user, "is_authenticated", False):
        return None
    member = (
        ProviderMember.objects.select_related("provider")
        .filter(user=user, is_active=True, provider__is_active=True)
        .first()
    )
    return member.provider if member else None


def _require_provider(booking: Booking, user):
    provider = provider_of(user)
    if provider is None or provider.pk != booking.provider_id:
        raise PermissionDenied


# =========================================================================== family links


@transaction.atomic
def do_request_family_link(
    *, acting_user, elder_name: str, elder_id_number: str, relation: str
) -> FamilyLink:
    """A family member asks to act for an elder. They must know the elder's name and ID
    number; the link waits for the elder's consent or a member of staff's confirmation."""
    if not acting_user.person_id:
        raise ValidationError(
            _("Only an account verified with your real name can act for a family member.")
        )
    elder = find_person(id_number=elder_id_number)
    # The same answer for a wrong name and an unknown number: nothing to probe with.
    if elder is None or elder.name != elder_name.strip() or not elder.is_alive:
        raise ValidationError(_("The name and ID number do not match our records."))
    if elder.pk == acting_user.person_id:
        raise ValidationError(_("You do not need a link to act for yourself."))
    if FamilyLink.objects.filter(
        elder=elder, family=acting_user, status__in=["pending", "confirmed"]
    ).exists():
        raise ValidationError(_("You have already asked to act for this person."))
    link = _save(FamilyLink(elder=elder, family=acting_user, relation=relation), acting_user)
    notify(
        elder,
        lambda: (
            _("%(name)s asks to act for you in elder-care services")
            % {"name": acting_user.display_name}
        ),
        lambda: _(
            "If you agree, they can book services for you and follow them. Answer on the "
            "elder-care page, or ask your community office."
        ),
    )
    return link


@transaction.atomic
def do_answer_family_link(link: FamilyLink, *, acting_user, accept: bool) -> FamilyLink:
    """The elder's own consent (or refusal), from their account."""
    link = _lock(FamilyLink, link.pk)
    if acting_user.person_id != link.elder_id:
        raise PermissionDenied
    if link.status != FamilyLink.Status.PENDING:
        raise ValidationError(_("This request has already been answered."))
    link.status = FamilyLink.Status.CONFIRMED if accept else FamilyLink.Status.DECLINED
    link.confirmed_by = FamilyLink.ConfirmedBy.ELDER if accept else ""
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "answered by the elder")


@transaction.atomic
def do_confirm_family_link(link: FamilyLink, *, acting_user) -> FamilyLink:
    """A caseworker of the elder's area confirms the link (the elder cannot use a computer,
    the household register or a visit shows the relation)."""
    link = (
        FamilyLink.objects.select_for_update(of=("self",)).select_related("elder").get(pk=link.pk)
    )
    if not staff_covers(acting_user, link.elder.residence_region_id, roles={CW}):
        raise PermissionDenied
    if link.status != FamilyLink.Status.PENDING:
        raise ValidationError(_("This request has already been answered."))
    link.status = FamilyLink.Status.CONFIRMED
    link.confirmed_by = FamilyLink.ConfirmedBy.STAFF
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "confirmed by staff")


@transaction.atomic
def do_end_family_link(link: FamilyLink, *, acting_user) -> FamilyLink:
    link = (
        FamilyLink.objects.select_for_update(of=("self",)).select_related("elder").get(pk=link.pk)
    )
    allowed = (
        acting_user.person_id == link.elder_id
        or acting_user.pk == link.family_id
        or staff_covers(acting_user, link.elder.residence_region_id, roles={CW})
    )
    if not allowed:
        raise PermissionDenied
    if link.status not in (FamilyLink.Status.PENDING, FamilyLink.Status.CONFIRMED):
        raise ValidationError(_("This link has already ended."))
    link.status = FamilyLink.Status.REVOKED
    link.decided_by = acting_user
    link.decided_at = timezone.now()
    return _save(link, acting_user, "ended")


# =========================================================================== providers


@transaction.atomic
def do_create_provider(
    *, acting_user, name: str, region: Region, coverage, services, **fields
) -> Provider:
    provider = Provider(name=name, region=region, **fields)
    provider.full_clean()
    _save(provider, acting_user)
    provider.coverage.set(coverage)
    provider.services.set(services)
    return provider


@transaction.atomic
def do_add_provider_login(
    provider: Provider, *, acting_user, username: str, password: str, role="manager"
) -> User:
    """A login for a provider's staff. Such an account has no person binding and no staff
    role: it sees the provider's pages only."""
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, first_name=provider.name)
    user.set_password(password)
    user.save()
    _save(ProviderMember(provider=provider, user=user, role=role), acting_user)
    return user


@transaction.atomic
def do_add_worker(
    provider: Provider, *, acting_user, name: str, phone: str = "", qualifications="", services=()
) -> Worker:
    if acting_user is not None and not acting_user.is_superuser:
        mine = provider_of(acting_user)
        if mine is None or mine.pk != provider.pk:
            raise PermissionDenied
    if not name.strip():
        raise ValidationError({"name": _("Please enter the name.")})
    worker = _save(
        Worker(
            provider=provider, name=name.strip(), phone=phone.strip(), qualifications=qualifications
        ),
        acting_user,
    )
    worker.services.set(services)
    return worker


@transaction.atomic
def do_set_worker_active(worker: Worker, *, acting_user, active: bool) -> Worker:
    worker = _lock(Worker, worker.pk)
    mine = provider_of(acting_user)
    if mine is None or mine.pk != worker.provider_id:
        raise PermissionDenied
    worker.is_active = active
    return _save(worker, acting_user)


def providers_for(elder: Person, service_type: ServiceType):
    """Active providers offering the service whose coverage includes the elder's residence."""
    return (
        Provider.objects.filter(
            is_active=True,
            services=service_type,
            coverage__in=covering_codes(elder.residence_region_id),
        )
        .distinct()
        .order_by("name")
    )


# =========================================================================== bookings


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@transaction.atomic
def do_book_service(
    *,
    acting_user,
    elder: Person,
    service_type: ServiceType,
    provider: Provider,
    starts_at: dt.datetime,
    note: str = "",
    address: str | None = None,
    plan_item: CarePlanItem | None = None,
) -> Booking:
    """Book a visit for an elder: by the elder, a confirmed family member, staff of the
    elder's area, or the system (a care plan). The provider must serve the area and the
    service and have room that day."""
    elder = Person.objects.get(pk=elder.pk)
    if acting_user is not None and not (
        acts_for(acting_user, elder.pk) or staff_covers(acting_user, elder.residence_region_id)
    ):
        raise PermissionDenied
    if not elder.is_alive:
        raise ValidationError(_("This person has died; no service can be booked."))
    if not service_type.is_active:
        raise ValidationError(_("This service is not offered at the moment."))
    starts_at = _aware(starts_at)
    local = timezone.localtime(starts_at)
    if local.minute % SLOT_MINUTES or local.second or local.microsecond:
        raise ValidationError(
            _("Visits start on the hour or half hour."),
        )
    if starts_at <= timezone.now():
        raise ValidationError(_("Please choose a time in the future."))
    # Lock the provider: the daily capacity check and the insert must not interleave.
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if not provider.is_active or not providers_for(elder, service_type).filter(pk=provider.pk):
        raise ValidationError(
            _("%(provider)s does not offer this service where you live.")
            % {"provider": provider.name}
        )
    day_start = timezone.make_aware(dt.datetime.combine(local.date(), dt.time.min))
    day_end = day_start + dt.timedelta(days=1)
    taken = (
        Booking.objects.live()
        .filter(provider=provider, starts_at__gte=day_start, starts_at__lt=day_end)
        .count()
    )
    if taken >= provider.daily_capacity:
        raise ValidationError(
            _("%(provider)s is fully booked on %(day)s. Please choose another day.")
            % {"provider": provider.name, "day": local.date().isoformat()}
        )
    ends_at = starts_at + dt.timedelta(minutes=service_type.duration_minutes)
    overlapping = (
        Booking.objects.filter(elder=elder, status__in=Booking.OPEN)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exists()
    )
    if overlapping:
        raise ValidationError(_("Another visit is already booked at this time."))
    booking = Booking(
        reference=next_reference(BOOKING_PREFIX, local.date()),
        elder=elder,
        region_id=elder.residence_region_id,
        booked_by=acting_user,
        service_type=service_type,
        provider=provider,
        starts_at=starts_at,
        ends_at=ends_at,
        address=elder.address if address is None else address,
        note=note.strip()[:300],
        price=service_type.price,
        subsidy=service_type.subsidy,
        copay=service_type.copay,
        plan_item=plan_item,
    )
    return _save(booking, acting_user, "booked")


def _lock_booking(booking) -> Booking:
    return Booking.objects.select_for_update().get(pk=_pk(booking))


def _release_slots(booking: Booking):
    booking.slots.all().delete()


@transaction.atomic
def do_accept_booking(booking: Booking, *, acting_user) -> Booking:
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status != Booking.Status.REQUESTED:
        raise ValidationError(_("Only a new booking can be accepted."))
    booking.status = Booking.Status.ACCEPTED
    booking.accepted_at = timezone.now()
    return _save(booking, acting_user, "accepted")


@transaction.atomic
def do_decline_booking(booking: Booking, *, acting_user, reason: str) -> Booking:
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status not in (Booking.Status.REQUESTED, Booking.Status.ACCEPTED):
        raise ValidationError(_("This booking can no longer be declined."))
    if not reason.strip():
        raise ValidationError({"reason": _("Please write the reason; the elder will read it.")})
    booking.status = Booking.Status.DECLINED
    booking.reason = reason.strip()[:300]
    booking.closed_at = timezone.now()
    _release_slots(booking)
    return _save(booking, acting_user, "declined")


@transaction.atomic
def do_assign_worker(booking: Booking, worker: Worker, *, acting_user) -> Booking:
    """Give the visit to a worker (or to another one). The worker's slots are taken in the
    same transaction; a slot already held by another visit is refused by the database's
    unique constraint even when two dispatchers assign at the same instant."""
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status not in (Booking.Status.ACCEPTED, Booking.Status.ASSIGNED):
        raise ValidationError(_("Accept the booking before assigning a worker."))
    worker = Worker.objects.get(pk=worker.pk)
    if worker.provider_id != booking.provider_id or not worker.is_active:
        raise ValidationError(_("This worker does not work for your organisation."))
    if not worker.services.filter(pk=booking.service_type_id).exists():
        raise ValidationError(
            _("%(name)s is not qualified for this service.") % {"name": worker.name}
        )
    _release_slots(booking)
    try:
        with transaction.atomic():
            WorkerSlot.objects.bulk_create(
                [
                    WorkerSlot(worker=worker, booking=booking, starts_at=t)
                    for t in booking.slot_starts()
                ]
            )
    except IntegrityError:
        raise ValidationError(
            _("%(name)s already has a visit at this time. Please choose another worker.")
            % {"name": worker.name}
        ) from None
    booking.worker = worker
    booking.status = Booking.Status.ASSIGNED
    booking.assigned_at = timezone.now()
    return _save(booking, acting_user, "worker assigned")


@transaction.atomic
def do_check_in(booking: Booking, *, acting_user) -> Booking:
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status != Booking.Status.ASSIGNED:
        raise ValidationError(_("Only a visit with an assigned worker can start."))
    booking.status = Booking.Status.IN_PROGRESS
    booking.checked_in_at = timezone.now()
    return _save(booking, acting_user, "checked in")


@transaction.atomic
def do_check_out(booking: Booking, *, acting_user) -> Booking:
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status != Booking.Status.IN_PROGRESS:
        raise ValidationError(_("Only a visit in progress can be finished."))
    booking.status = Booking.Status.COMPLETED
    booking.checked_out_at = max(timezone.now(), booking.checked_in_at)
    booking.closed_at = booking.checked_out_at
    return _save(booking, acting_user, "checked out")


@transaction.atomic
def do_cancel_booking(booking: Booking, *, acting_user, reason: str = "") -> Booking:
    """The elder, their family or staff of the area cancel a visit that has not started."""
    booking = _lock_booking(booking)
    if acting_user is not None and not (
        acts_for(acting_user, booking.elder_id) or staff_covers(acting_user, booking.region_id)
    ):
        raise PermissionDenied
    if booking.status not in Booking.OPEN:
        raise ValidationError(_("This visit can no longer be cancelled."))
    booking.status = Booking.Status.CANCELLED
    booking.reason = reason.strip()[:300]
    booking.closed_at = timezone.now()
    _release_slots(booking)
    return _save(booking, acting_user, "cancelled")


@transaction.atomic
def do_rate_booking(
    booking: Booking, *, acting_user, score: int, comment: str = ""
) -> BookingRating:
    """The elder or a confirmed family member rates a finished visit, once (1-5)."""
    booking = _lock_booking(booking)
    if not acts_for(acting_user, booking.elder_id):
        raise PermissionDenied
    if booking.status != Booking.Status.COMPLETED or booking.checked_out_at is None:
        raise ValidationError(_("A visit can be rated once the worker has checked out."))
    if BookingRating.objects.filter(booking=booking).exists():
        raise ValidationError(_("This visit has already been rated."))
    if score not in range(1, 6):
        raise ValidationError({"score": _("Choose from 1 to 5.")})
    return _save(
        BookingRating(booking=booking, score=score, comment=comment.strip(), rated_by=acting_user),
        acting_user,
    )


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
    membership = elder.current_membership()
    case = do_create_case(
        acting_user=acting_user,
        service=CAREPLAN,
        region=elder.residence_region,
        # The elder, or the family member who asked for them; staff apply in the elder's name.
        applicant=acting_user.person if for_family else elder,
        beneficiary=elder,
        household=membership.household if membership else None,
        channel=channel,
    )
    plan = _save(CarePlan(case=case, request_note=request_note.strip()), acting_user)
    do_submit_case(
        case,
        acting_user=acting_user,
        message=_(
            "Your request for a care assessment was received (%(ref)s). The township office "
            "will contact you to arrange a visit."
        )
        % {"ref": case.reference},
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
            message=_("Some visits of the plan could not be booked:") + "\n" + "\n".join(missed),
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
                reason=_("The person died on %(day)s.")
                % {"day": plan.case.beneficiary.date_of_death.isoformat()},
            )
            ended += 1
            continue
        made += do_generate_plan_bookings(plan.case_id, today=today)
    for booking in Booking.objects.filter(
        status__in=Booking.OPEN, elder__date_of_death__isnull=False
    ).only("pk"):
        do_cancel_booking(booking, acting_user=None, reason=_("The person has died."))
    return {"ended": ended, "booked": made}


# =========================================================================== age allowance


def age_program() -> Program | None:
    return Program.objects.filter(code=AGE_PROGRAM).first()


def age_param(key: str, region_code: str, on: dt.date, program=None) -> Decimal:
    program = program or age_program()
    return Parameter.objects.for_program(program).value_for(key, region_code, on)


def monthly_amount(age: int, region_code: str, on: dt.date, program=None) -> Decimal:
    """The tier amount for an age: tier 3 (e.g. 100+), tier 2 (90-99), tier 1 (80-89), or 0."""
    program = program or age_program()
    rows = Parameter.objects.for_program(program).resolve(
        [f"tier{n}_{k}" for n in (1, 2, 3) for k in ("age", "amount")], region_code, on
    )
    for n in (3, 2, 1):
        age_row, amount_row = rows.get(f"tier{n}_age"), rows.get(f"tier{n}_amount")
        if age_row is not None and amount_row is not None and age >= age_row.value:
            return amount_row.value.quantize(Decimal("0.01"))
    return Decimal("0.00")


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _threshold_case(rows, field: str = "residence_region_id"):
    """The tier-1 age for each person's residence, nearest region first (SQL CASE); NULL where
    no area above the residence pays the allowance."""
    ordered = sorted(rows, key=lambda r: r.rank, reverse=True)
    return SqlCase(
        *[
            When(**{f"{field}__startswith": r.region_prefix}, then=Value(int(r.value)))
            for r in ordered
        ],
        default=Value(None),
        output_field=IntegerField(),
    )


def newly_eligible(today: dt.date | None = None):
    """Living people, in one query over the master record, who have reached their area's
    first age threshold and have no allowance open or decided and no invitation waiting. A
    stopped allowance (moved away, then back) does not block a new one; a refusal or a
    declined invitation does."""
    today = today or timezone.localdate()
    program = age_program()
    if program is None:
        return Person.objects.none()
    rows = list(Parameter.objects.filter(program=program, key="tier1_age").valid_on(today))
    if not rows:
        return Person.objects.none()
    youngest = min(int(r.value) for r in rows)
    try:
        latest_birth = today.replace(year=today.year - youngest)
    except ValueError:  # 29 February
        latest_birth = dt.date(today.year - youngest, 2, 28)
    blocked_cases = AgeAllowance.objects.filter(
        Q(case__closed_at__isnull=True) | Q(case__outcome__in=["refused", "withdrawn"])
    ).values("person_id")
    blocked_invites = AgeAllowanceInvitation.objects.filter(
        status__in=[AgeAllowanceInvitation.Status.PENDING, AgeAllowanceInvitation.Status.DECLINED]
    ).values("person_id")
    return (
        Person.objects.living()
        .filter(birth_date__lte=latest_birth)
        .annotate(threshold=_threshold_case(rows), age_now=AgeOn("birth_date", today))
        .filter(threshold__isnull=False, age_now__gte=F("threshold"))
        .exclude(pk__in=blocked_cases)
        .exclude(pk__in=blocked_invites)
        .order_by("pk")
    )


def auto_open_for(region_code: str, on: dt.date, program=None) -> bool:
    """Whether the region opens the allowance case itself (1) or invites the person (0).
    A rule parameter rather than a field on some model: it is set per region subtree with the
    nearest ancestor winning, dated (a county can switch from a given day), kept with history
    and edited where the program's other numbers are — exactly what Parameter already is."""
    try:
        return age_param("auto_open", region_code, on, program) >= 1
    except MissingParameter:
        return True  # 免申即享 is the default practice


@transaction.atomic
def do_open_age_allowance(
    person: Person, *, acting_user=None, mode=AgeAllowance.Mode.AUTOMATIC, channel=None
) -> AgeAllowance:
    """Open the allowance case for a person, submit it, pre-screen it with the program's
    rules and grant it at once when they pass; a referral waits for a caseworker."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.is_alive:
        raise ValidationError(_("This person has died."))
    if AgeAllowance.objects.filter(person=person, case__closed_at__isnull=True).exists():
        raise ValidationError(_("An age allowance is already open for this person."))
    today = timezone.localdate()
    try:
        threshold = int(age_param("tier1_age", person.residence_region_id, today))
    except MissingParameter:
        raise ValidationError(_("No age allowance is set for this area.")) from None
    channel = channel or (
        Case.Channel.PROACTIVE if mode == AgeAllowance.Mode.AUTOMATIC else Case.Channel.ONLINE
    )
    case = do_create_case(
        acting_user=acting_user,
        service=AGE_ALLOWANCE,
        region=person.residence_region,
        applicant=person,
        beneficiary=person,
        channel=channel,
    )
    allowance = _save(
        AgeAllowance(case=case, person=person, mode=mode, threshold=threshold), acting_user
    )
    message = (
        _(
            "You have reached the age for the age allowance. It was opened for you; you do not "
            "need to do anything. Reference number: %(ref)s."
        )
        if mode == AgeAllowance.Mode.AUTOMATIC
        else _("Your age allowance was opened. Reference number: %(ref)s.")
    ) % {"ref": case.reference}
    do_submit_case(case, acting_user=None, message=message)
    do_screen_and_route(case.pk)
    case.refresh_from_db()
    if case.screening_outcome == "pass":
        do_grant_age_allowance(allowance, acting_user=None)
    return allowance


@transaction.atomic
def do_grant_age_allowance(allowance: AgeAllowance, *, acting_user) -> AgeAllowance:
    allowance = (
        AgeAllowance.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=allowance.pk)
    )
    allowance.paid_from = _paid_from(allowance)
    _save(allowance, acting_user, "granted")
    do_transition(
        allowance.case,
        "grant",
        acting_user=acting_user,
        public_message=_("Your age allowance is granted and paid every month from %(month)s.")
        % {"month": allowance.paid_from.strftime("%Y-%m")},
    )
    do_start_allowance_payments(allowance.case_id)
    return allowance


def _paid_from(allowance: AgeAllowance) -> dt.date:
    """The first month the person is of age on its first day, from this month on (there is no
    back pay for months before the case opened)."""
    month = _first_of_month(timezone.localdate())
    person = allowance.person
    if person.age_on(month) >= allowance.threshold:
        return month
    return _next_month(month)


@transaction.atomic
def do_start_allowance_payments(case_id: int) -> int:
    """Set the first month (if the case was granted from the generic case page), put the
    allowance on the benefits ledger and schedule what is due up to this month. Idempotent."""
    allowance = (
        AgeAllowance.objects.select_for_update()
        .select_related("case", "person")
        .get(case_id=case_id)
    )
    if not allowance.case.is_in_force:
        return 0
    if allowance.paid_from is None:
        allowance.paid_from = _paid_from(allowance)
        _save(allowance, None, "granted")
    entitlement = Entitlement.objects.filter(case_id=case_id, program=AGE_ALLOWANCE).first()
    if entitlement is not None:
        return do_schedule_due(entitlement, acting_user=None)
    do_grant(
        allowance.case,
        acting_user=None,
        person=allowance.person,
        program=AGE_ALLOWANCE,
        # The amount follows the age month by month (price_month); this is today's, which also
        # tells the monthly run the entitlement pays.
        monthly_amount=_amount_for(allowance.person, allowance.case.region_id, allowance.paid_from)
        or Decimal("0.01"),
        start_month=allowance.paid_from,
        reason="granted",
    )
    return Entitlement.objects.get(case_id=case_id, program=AGE_ALLOWANCE).payments.count()


def _amount_for(person, region_code: str, month: dt.date, program=None) -> Decimal:
    try:
        return monthly_amount(person.age_on(month), region_code, month, program)
    except MissingParameter:
        return Decimal(0)


def price_month(entitlement, month: dt.date):
    """The benefits ledger's price of one month of an age allowance: the amount for the age the
    person has on the month's first day, in the area of the case; nothing for a month the person
    did not live to begin."""
    person = entitlement.person
    if person.date_of_death is not None and person.date_of_death < month:
        return None
    amount = _amount_for(person, entitlement.case.region_id, month)
    if amount <= 0:
        log.warning("no age-allowance amount for entitlement %s", entitlement.pk)
        return None
    return amount, {"age": person.age_on(month)}


def do_stop_allowances_of_deceased(*, today: dt.date | None = None) -> int:
    """Stop every granted allowance whose person has died, or has moved to where no area pays
    it (deaths and moves are checked against the master record before each month's run).
    Each in its own transaction."""
    today = today or timezone.localdate()
    program = age_program()
    rows = list(Parameter.objects.filter(program=program, key="tier1_age").valid_on(today))
    granted = AgeAllowance.objects.filter(
        case__in=Case.objects.filter(service=AGE_ALLOWANCE).in_force()
    ).select_related("person")
    died = granted.filter(person__date_of_death__isnull=False)
    moved = (
        granted.filter(person__date_of_death__isnull=True)
        .annotate(paying_age=_threshold_case(rows, "person__residence_region_id"))
        .filter(paying_age__isnull=True)
        if rows
        else granted.none()
    )
    stopped = 0
    for allowance, why in [(a, "death") for a in died] + [(a, "moved") for a in moved]:
        person = allowance.person
        with transaction.atomic():
            a = AgeAllowance.objects.select_for_update().get(pk=allowance.pk)
            if why == "death":
                a.stopped_on = person.date_of_death
                reason = _("The person died on %(day)s.") % {
                    "day": person.date_of_death.isoformat()
                }
            else:
                a.stopped_on = today
                reason = _("The person has moved out of the area that pays the allowance.")
            a.stop_reason = why
            _save(a, None, why)
            do_transition(a.case, "stop", acting_user=None, reason=reason)
            do_stop_future_payments(a.case_id)
            stopped += 1
    return stopped


def do_stop_future_payments(case_id: int) -> int:
    """Scheduled payments for months after the person died (or after the stop) are stopped."""
    allowance = AgeAllowance.objects.select_related("person", "case").get(case_id=case_id)
    # Paid for a month the person began alive (a death) or still entitled (any other stop:
    # the day before the stop is the last day of entitlement, so a stop on the 1st of a month
    # pays nothing for that month).
    last_day = allowance.person.date_of_death or (
        (allowance.stopped_on or timezone.localdate()) - dt.timedelta(days=1)
    )
    return do_stop_for_case(
        allowance.case, acting_user=None, on=last_day, reason=allowance.stop_reason or "stopped"
    )


@transaction.atomic
def do_invite_to_age_allowance(person: Person, *, threshold: int) -> AgeAllowanceInvitation:
    invitation = _save(
        AgeAllowanceInvitation(
            person=person, region_id=person.residence_region_id, threshold=threshold
        ),
        None,
    )

    def body():
        return _(
            "You have reached %(age)s. Confirm on the elder-care page that you want the monthly "
            "age allowance, or ask your community office to do it for you."
        ) % {"age": threshold}

    notify(person, lambda: _("You may receive the age allowance (高龄津贴)"), body)
    for link in FamilyLink.objects.confirmed().filter(elder=person).select_related("family"):
        if link.family.person_id:
            notify(
                link.family.person,
                lambda: _("%(name)s may receive the age allowance") % {"name": person.name},
                body,
            )
    return invitation


def do_find_newly_eligible(*, today: dt.date | None = None, limit: int = 5000) -> dict:
    """The daily proactive run (免申即享): every living person who has newly reached the age
    either gets the case opened for them or an invitation, as their area is configured. Each
    person in their own transaction, so one problem does not block the rest."""
    today = today or timezone.localdate()
    program = age_program()
    opened = invited = failed = 0
    for person in newly_eligible(today)[:limit]:
        try:
            if auto_open_for(person.residence_region_id, today, program):
                do_open_age_allowance(person)
                opened += 1
            else:
                do_invite_to_age_allowance(person, threshold=person.threshold)
                invited += 1
        except (ValidationError, IntegrityError):
            log.warning("age allowance for person %s not opened", person.pk, exc_info=True)
            failed += 1
    return {"opened": opened, "invited": invited, "failed": failed}


@transaction.atomic
def do_answer_invitation(
    invitation: AgeAllowanceInvitation, *, acting_user, accept: bool
) -> AgeAllowanceInvitation:
    invitation = _lock(AgeAllowanceInvitation, invitation.pk)
    if not acts_for(acting_user, invitation.person_id):
        raise PermissionDenied
    if invitation.status != AgeAllowanceInvitation.Status.PENDING:
        raise ValidationError(_("This invitation has already been answered."))
    invitation.status = (
        AgeAllowanceInvitation.Status.ACCEPTED if accept else AgeAllowanceInvitation.Status.DECLINED
    )
    invitation.answered_at = timezone.now()
    invitation.answered_by = acting_user
    if accept:
        allowance = do_open_age_allowance(
            invitation.person, acting_user=acting_user, mode=AgeAllowance.Mode.INVITED
        )
        invitation.case = allowance.case
    return _save(invitation, acting_user, "answered")


# =========================================================================== institutions


@transaction.atomic
def do_create_institution(*, acting_user, **fields) -> Institution:
    inst = Institution(**fields)
    inst.full_clean()
    return _save(inst, acting_user)


def may_update_institution(user, inst: Institution) -> bool:
    provider = provider_of(user)
    if provider is not None and inst.operator_id == provider.pk:
        return True
    return staff_covers(user, inst.region_id)


@transaction.atomic
def do_update_occupancy(
    inst: Institution, *, acting_user, beds_occupied: int, beds_total: int | None = None
) -> Institution:
    inst = _lock(Institution, inst.pk)
    if not may_update_institution(acting_user, inst):
        raise PermissionDenied
    total = inst.beds_total if beds_total is None else beds_total
    if beds_occupied < 0 or total < 0:
        raise ValidationError(_("Numbers of beds cannot be negative."))
    if beds_occupied > total:
        raise ValidationError({"beds_occupied": _("More beds occupied than the institution has.")})
    inst.beds_total = total
    inst.beds_occupied = beds_occupied
    inst.occupancy_updated_at = timezone.now()
    return _save(inst, acting_user, "occupancy")


# =========================================================================== devices and alerts


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_register_platform(*, acting_user, name: str) -> tuple[DevicePlatform, str]:
    """A new platform and its token, returned once; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    platform = _save(
        DevicePlatform(name=name, token_hash=hash_token(token), token_hint=token[:6]), acting_user
    )
    return platform, token


@transaction.atomic
def do_rotate_platform_token(platform: DevicePlatform, *, acting_user) -> str:
    platform = _lock(DevicePlatform, platform.pk)
    token = secrets.token_urlsafe(32)
    platform.token_hash = hash_token(token)
    platform.token_hint = token[:6]
    _save(platform, acting_user, "token rotated")
    return token


def platform_for_token(token: str) -> DevicePlatform | None:
    if not token:
        return None
    return DevicePlatform.objects.filter(token_hash=hash_token(token), is_active=True).first()


@transaction.atomic
def do_register_device(
    platform: DevicePlatform, *, acting_user, external_id: str, person: Person, kind="watch"
) -> Device:
    return _save(
        Device(platform=platform, external_id=external_id, person=person, kind=kind), acting_user
    )


@transaction.atomic
def do_receive_readings(platform: DevicePlatform, readings: list[dict]) -> dict:
    """Store validated readings (see api.parse_readings) and raise their alerts, all in one
    transaction: either everything of a post is stored or nothing is. A reading whose event id
    the platform already sent is skipped (a retry), which makes posting idempotent even when
    two copies arrive at once (the second waits on the unique index, then is skipped)."""
    accepted, duplicates, raised = 0, 0, []
    for r in readings:
        try:
            with transaction.atomic():
                reading = DeviceReading.objects.create(
                    platform=platform,
                    event_id=r["event_id"],
                    device=r["device"],
                    person_id=r["device"].person_id,
                    kind=r["kind"],
                    value=r["value"],
                    recorded_at=r["recorded_at"],
                )
        except IntegrityError:
            duplicates += 1
            continue
        accepted += 1
        alert = _raise_alert(reading)
        if alert is not None:
            raised.append(alert)
    DevicePlatform.objects.filter(pk=platform.pk).update(last_used_at=timezone.now())
    return {
        "accepted": accepted,
        "duplicates": duplicates,
        "alerts": [{"id": a.pk, "severity": a.get_severity_display()} for a in raised],
    }


def _raise_alert(reading: DeviceReading) -> Alert | None:
    person = Person.objects.get(pk=reading.person_id)
    verdict = alerts.classify(
        reading.kind, reading.value, person.residence_region_id, timezone.localdate()
    )
    if verdict is None:
        return None
    severity, message = verdict
    alert = _save(
        Alert(
            reading=reading,
            person=person,
            region_id=person.residence_region_id,
            kind=reading.kind,
            severity=severity,
            message=message,
        ),
        None,
    )
    if severity == Alert.Severity.SEVERE:
        case = _open_or_join_visit(alert, person)
        alert.visit_case = case
        _save(alert, None)
        _notify_family(alert, person, case)
    return alert


def _open_or_join_visit(alert: Alert, person: Person) -> Case:
    """An urgent home-visit case routed to the office of the elder's residence: the community
    office when there is one, else the township's. A second severe alert while a visit is
    still open joins that case instead of opening another."""
    existing = (
        Case.objects.select_for_update()
        .filter(service=URGENT_VISIT, beneficiary=person, closed_at__isnull=True)
        .first()
    )
    if existing is not None:
        add_event(
            existing,
            CaseEvent.Kind.NOTE,
            message=_("Another alert: %(message)s") % {"message": alert.message},
            data={"alert": alert.pk},
        )
        return existing
    case = do_create_case(
        acting_user=None,
        service=URGENT_VISIT,
        region=person.residence_region,
        beneficiary=person,
        channel=Case.Channel.PROACTIVE,
        priority=Case.Priority.URGENT,
    )
    _save(HomeVisit(case=case, alert=alert), None)
    do_submit_case(
        case,
        acting_user=None,
        message=_("Your health device raised an alert (%(message)s). Someone will visit you.")
        % {"message": alert.message},
    )
    do_screen_and_route(case.pk)
    return case


def _notify_family(alert: Alert, person: Person, case: Case):
    links = FamilyLink.objects.confirmed().filter(elder=person).select_related("family__person")
    local = timezone.localtime(alert.reading.recorded_at)

    def body():
        return _(
            "%(message)s (%(time)s). The community office has been asked to visit (%(ref)s)."
        ) % {"message": alert.message, "time": f"{local:%Y-%m-%d %H:%M}", "ref": case.reference}

    for link in links:
        if link.family.person_id:
            notify(
                link.family.person,
                lambda: _("Urgent: alert for %(name)s") % {"name": person.name},
                body,
            )


@transaction.atomic
def do_handle_alert(alert: Alert, *, acting_user) -> Alert:
    """A warning looked into by staff (a phone call): marked handled."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not Alert.objects.visible_to(acting_user).filter(pk=alert.pk).exists():
        raise PermissionDenied
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("This alert has already been handled."))
    alert.status = Alert.Status.HANDLED
    return _save(alert, acting_user, "handled")
