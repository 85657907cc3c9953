"""Bookings of home services: booked, accepted or declined, assigned, checked in
and out, cancelled, rated."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import (
    next_reference,
)
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from ..models import (
    CHECK_IN_EARLY_MINUTES,
    SLOT_MINUTES,
    Booking,
    BookingRating,
    CarePlanItem,
    Provider,
    ServiceType,
    Worker,
    WorkerSlot,
)
from .common import BOOKING_PREFIX, _pk, _require_provider, acts_for, staff_covers
from .providers import providers_for

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
    now = timezone.now()
    if now < booking.check_in_from:
        start = timezone.localtime(booking.starts_at)
        raise ValidationError(
            _(
                "This visit is booked for %(day)s %(time)s: the worker can check in from "
                "%(minutes)s minutes before."
            )
            % {
                "day": start.date().isoformat(),
                "time": f"{start:%H:%M}",
                "minutes": CHECK_IN_EARLY_MINUTES,
            }
        )
    booking.status = Booking.Status.IN_PROGRESS
    booking.checked_in_at = now
    return _save(booking, acting_user, "checked in")


@transaction.atomic
def do_check_out(booking: Booking, *, acting_user) -> Booking:
    booking = _lock_booking(booking)
    _require_provider(booking, acting_user)
    if booking.status != Booking.Status.IN_PROGRESS or booking.checked_in_at is None:
        raise ValidationError(_("Check in first: a visit is finished only after it has started."))
    now = timezone.now()
    if now < booking.checked_in_at:
        raise ValidationError(_("A visit cannot finish before the worker checked in."))
    booking.status = Booking.Status.COMPLETED
    # The real times: what the worker was on site is check-out minus check-in
    # (Booking.minutes_on_site), whatever length was booked.
    booking.checked_out_at = now
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
