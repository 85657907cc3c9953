"""Home-care bookings: the lifecycle, double-booking of a worker, rating after check-out only,
and who may do what."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from eldercare import actions
from eldercare.models import CHECK_IN_EARLY_MINUTES, Booking, BookingRating, FamilyLink, WorkerSlot
from tests.factories import PersonFactory, UserFactory

from .conftest import accepted, at, book, check_in, check_out, setup_eldercare, tomorrow


def test_a_booking_goes_from_request_to_rating_with_every_time_recorded(world):
    booking = book(world)  # the family member books for her mother
    assert booking.status == Booking.Status.REQUESTED
    assert booking.region_id == world.elder.residence_region_id
    assert (booking.price, booking.subsidy, booking.copay) == (
        world.meal.price,
        world.meal.subsidy,
        world.meal.price - world.meal.subsidy,
    )

    actions.do_accept_booking(booking, acting_user=world.provider_user)
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    check_in(world, booking, minutes=-5)
    check_out(world, booking, minutes=50)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.accepted_at <= booking.assigned_at <= booking.checked_in_at
    assert booking.checked_in_at <= booking.checked_out_at
    assert booking.worker == world.workers[0]

    rating = actions.do_rate_booking(booking, acting_user=world.p.citizen, score=5, comment="很好")
    assert rating.score == 5 and rating.rated_by == world.p.citizen
    # Every step is in the history, with who did it.
    users = [h.history_user for h in booking.history.order_by("history_date")]
    assert users[0] == world.family and world.provider_user in users


def test_the_elder_and_the_family_both_see_the_booking(world):
    booking = book(world)
    assert Booking.objects.for_citizen(world.p.citizen).filter(pk=booking.pk).exists()
    assert Booking.objects.for_citizen(world.family).filter(pk=booking.pk).exists()
    assert not Booking.objects.for_citizen(UserFactory()).exists()


def test_a_worker_cannot_be_given_two_overlapping_visits(world):
    other_elder = PersonFactory(birth_date=dt.date(1940, 1, 1))
    first = accepted(world, book(world, starts_at=at(tomorrow(), 9)))  # 09:00-10:00
    second = accepted(
        world,
        book(world, by=world.p.caseworker, elder=other_elder, starts_at=at(tomorrow(), 9, 30)),
    )
    worker = world.workers[0]
    actions.do_assign_worker(first, worker, acting_user=world.provider_user)

    with pytest.raises(ValidationError, match=worker.name):
        actions.do_assign_worker(second, worker, acting_user=world.provider_user)
    second.refresh_from_db()
    assert second.status == Booking.Status.ACCEPTED and second.worker is None
    assert not WorkerSlot.objects.filter(booking=second).exists()

    # Back to back is fine; another worker is fine.
    third = accepted(
        world,
        book(world, by=world.p.caseworker, elder=PersonFactory(), starts_at=at(tomorrow(), 10)),
    )
    actions.do_assign_worker(third, worker, acting_user=world.provider_user)
    actions.do_assign_worker(second, world.workers[1], acting_user=world.provider_user)


def test_the_database_itself_refuses_a_second_visit_in_a_workers_slot(world):
    booking = accepted(world, book(world))
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    other = accepted(
        world,
        book(world, by=world.p.caseworker, elder=PersonFactory(), starts_at=booking.starts_at),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkerSlot.objects.create(
            worker=world.workers[0], booking=other, starts_at=booking.starts_at
        )


def test_cancelling_a_visit_frees_the_worker(world):
    booking = accepted(world, book(world))
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    actions.do_cancel_booking(booking, acting_user=world.p.citizen, reason="住院")
    assert not WorkerSlot.objects.filter(worker=world.workers[0]).exists()
    other = accepted(
        world,
        book(world, by=world.p.caseworker, elder=PersonFactory(), starts_at=booking.starts_at),
    )
    actions.do_assign_worker(other, world.workers[0], acting_user=world.provider_user)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_assigning_one_worker_at_once_cannot_both_succeed(personas_tx):
    world = setup_eldercare(personas_tx)
    a = accepted(world, book(world, starts_at=at(tomorrow(), 14)))
    b = accepted(
        world,
        book(world, by=world.p.caseworker, elder=PersonFactory(), starts_at=at(tomorrow(), 14)),
    )
    worker = world.workers[0]
    barrier = threading.Barrier(2)
    outcomes = []

    def assign(booking):
        try:
            barrier.wait(timeout=10)
            actions.do_assign_worker(booking, worker, acting_user=world.provider_user)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert WorkerSlot.objects.filter(worker=worker).values("booking").distinct().count() == 1


def test_a_visit_is_rated_only_after_check_out(world):
    booking = accepted(world, book(world))
    with pytest.raises(ValidationError):
        actions.do_rate_booking(booking, acting_user=world.p.citizen, score=4)
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    check_in(world, booking)
    with pytest.raises(ValidationError):
        actions.do_rate_booking(booking, acting_user=world.p.citizen, score=4)
    check_out(world, booking)
    actions.do_rate_booking(booking, acting_user=world.family, score=4)
    with pytest.raises(ValidationError):
        actions.do_rate_booking(booking, acting_user=world.p.citizen, score=5)
    assert BookingRating.objects.get(booking=booking).score == 4


def _completed(world):
    booking = accepted(world, book(world))
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    check_in(world, booking)
    return check_out(world, booking)


def test_only_the_elder_or_a_confirmed_family_member_may_rate(world):
    booking = _completed(world)
    stranger = UserFactory(person=PersonFactory())
    pending = UserFactory(person=PersonFactory())
    FamilyLink.objects.create(elder=world.elder, family=pending, relation="20")
    for user in (world.provider_user, world.p.caseworker, stranger, pending):
        with pytest.raises(PermissionDenied):
            actions.do_rate_booking(booking, acting_user=user, score=1)
    assert not BookingRating.objects.exists()
    with pytest.raises(ValidationError):
        actions.do_rate_booking(booking, acting_user=world.p.citizen, score=6)


def test_a_provider_cannot_touch_another_providers_booking(world):
    booking = book(world)
    for step in (actions.do_accept_booking, actions.do_check_in, actions.do_check_out):
        with pytest.raises(PermissionDenied):
            step(booking, acting_user=world.other_provider_user)
    with pytest.raises(PermissionDenied):
        actions.do_accept_booking(booking, acting_user=world.p.caseworker)


def test_a_worker_of_another_provider_cannot_be_assigned(world):
    booking = accepted(world, book(world))
    foreign = world.other_provider.workers.first()
    with pytest.raises(ValidationError):
        actions.do_assign_worker(booking, foreign, acting_user=world.provider_user)


def test_steps_must_come_in_order(world):
    booking = book(world)
    with pytest.raises(ValidationError):
        actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    with pytest.raises(ValidationError):
        actions.do_check_in(booking, acting_user=world.provider_user)
    with pytest.raises(ValidationError):
        actions.do_check_out(booking, acting_user=world.provider_user)


def test_a_declined_booking_tells_the_reason(world):
    booking = book(world)
    with pytest.raises(ValidationError):
        actions.do_decline_booking(booking, acting_user=world.provider_user, reason=" ")
    actions.do_decline_booking(booking, acting_user=world.provider_user, reason="当日人手不足")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DECLINED and booking.reason == "当日人手不足"


def test_only_the_elder_family_or_local_staff_may_book(world):
    stranger = UserFactory(person=PersonFactory())
    with pytest.raises(PermissionDenied):
        book(world, by=stranger)
    with pytest.raises(PermissionDenied):
        book(world, by=world.p.other_caseworker)
    assert book(world, by=world.p.citizen).booked_by == world.p.citizen


def test_a_provider_books_only_where_it_serves_and_while_it_has_room(world):
    with pytest.raises(ValidationError):
        book(world, provider=world.other_provider)  # serves 西夏区 only
    world.provider.daily_capacity = 1
    world.provider.save()
    book(world)
    with pytest.raises(ValidationError, match=world.provider.name):
        book(world, starts_at=at(tomorrow(), 15))


def test_visits_start_on_the_half_hour_and_in_the_future(world):
    with pytest.raises(ValidationError):
        book(world, starts_at=at(tomorrow(), 9, 10))
    with pytest.raises(ValidationError):
        book(world, starts_at=at(dt.date(2020, 1, 1), 9))


def test_an_elder_is_not_booked_twice_at_once(world):
    book(world)
    with pytest.raises(ValidationError):
        book(world, service=world.services["company"], starts_at=at(tomorrow(), 10))


def test_a_death_cancels_the_visits_at_once_and_the_daily_run_changes_nothing(world):
    from civilaffairs.people.actions import do_record_death

    booking = book(world)
    do_record_death(world.elder, acting_user=None, date_of_death=dt.date.today())
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED  # the death's own transaction
    actions.do_extend_plans()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


# ----------------------------------------------------------------------------- issue #16 item 11


def test_a_visit_cannot_start_long_before_its_booked_time(world):
    """Tomorrow's 11:00 visit cannot be checked in today, nor at 10:29; from 10:30 it can
    (CHECK_IN_EARLY_MINUTES), and nothing is written by a refusal."""
    booking = accepted(world, book(world))  # tomorrow 11:00
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    with pytest.raises(ValidationError, match="11:00"):
        actions.do_check_in(booking, acting_user=world.provider_user)
    with pytest.raises(ValidationError):
        check_in(world, booking, minutes=-CHECK_IN_EARLY_MINUTES - 1)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ASSIGNED and booking.checked_in_at is None
    check_in(world, booking, minutes=-CHECK_IN_EARLY_MINUTES)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.IN_PROGRESS
    assert booking.checked_in_at == booking.starts_at - dt.timedelta(minutes=30)


def test_a_visit_is_finished_only_after_check_in_and_lasts_what_it_really_lasted(world):
    booking = accepted(world, book(world))  # a meal visit booked for 60 minutes
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    with pytest.raises(ValidationError):  # not started: cannot be completed
        check_out(world, booking, minutes=10)
    assert booking.minutes_on_site is None
    check_in(world, booking, minutes=5)
    check_out(world, booking, minutes=52)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    assert booking.checked_out_at - booking.checked_in_at == dt.timedelta(minutes=47)
    assert booking.minutes_on_site == 47  # not the 60 booked
    assert (booking.ends_at - booking.starts_at) == dt.timedelta(minutes=60)
