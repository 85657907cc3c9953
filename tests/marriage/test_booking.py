"""Appointments: slots from opening hours and the working calendar, booking with both parties'
confirmation, change and cancel, capacity never exceeded (also under concurrent booking of the
last place, with real threads on a transactional database), reminders and missed visits."""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from civilaffairs.casework.calendar import forget_calendar
from civilaffairs.casework.models import Case, Holiday, Notification
from marriage import actions
from marriage.models import Appointment, MarriageApplication, Slot
from tests.auth import sign_in
from tests.marriage.conftest import SH, book, citizen, next_slot, setup_registries
from tests.pages import page_text


def taken(slot) -> int:
    return Slot.objects.with_taken().get(pk=slot.pk).taken


@pytest.mark.django_db
class TestSlots:
    def test_slots_are_made_for_working_days_from_the_opening_periods(self, reg):
        days = set(Slot.objects.filter(registry=reg.home).values_list("date", flat=True))
        assert dt.date(2026, 3, 3) in days
        # Weekends are closed.
        assert dt.date(2026, 3, 7) not in days and dt.date(2026, 3, 8) not in days
        per_day = Slot.objects.filter(registry=reg.home, date=dt.date(2026, 3, 3))
        # 9:00-12:00 and 13:30-17:00 in half hours: 6 + 7.
        assert per_day.count() == 13
        assert all(s.capacity == 2 for s in per_day)

    def test_holidays_are_closed_and_a_make_up_saturday_is_open(self, reg):
        made = actions.do_generate_slots(reg.home, today=dt.date(2026, 5, 1))
        assert made > 0
        days = set(Slot.objects.filter(registry=reg.home).values_list("date", flat=True))
        assert dt.date(2026, 5, 4) not in days and dt.date(2026, 5, 5) not in days  # 劳动节
        assert dt.date(2026, 5, 9) in days  # 调休: a Saturday worked
        assert dt.date(2026, 5, 6) in days

    def test_generating_again_changes_nothing(self, reg):
        before = Slot.objects.count()
        assert actions.do_generate_slots() == 0
        assert Slot.objects.count() == before


@pytest.mark.django_db
class TestBooking:
    def test_a_booking_waits_for_the_partner_then_both_have_confirmed(self, reg, couple):
        a, b = couple
        slot = next_slot(reg.home)
        ap = actions.do_book_registration(
            acting_user=a,
            registry=reg.home,
            slot=slot,
            partner_name=b.person.name,
            partner_id_number=b.person.id_number,
            declaration=True,
        )
        assert ap.status == Appointment.Status.PENDING
        assert ap.confirmed_a_at is not None and ap.confirmed_b_at is None
        case = ap.application.case
        assert (case.applicant, case.beneficiary) == (a.person, b.person)
        assert case.state == "booked" and case.office == reg.home.office
        assert case.region_id == reg.home.office.region_id
        assert taken(slot) == 1  # the place is held while waiting
        with pytest.raises(ValidationError):
            actions.do_confirm_appointment(ap, acting_user=b, declaration=False)
        ap = actions.do_confirm_appointment(ap, acting_user=b, declaration=True)
        assert ap.status == Appointment.Status.CONFIRMED
        app = MarriageApplication.objects.get(pk=ap.application_id)
        assert app.declared_a_at and app.declared_b_at
        # Both see it among their applications.
        for user in (a, b):
            assert Case.objects.of_citizen(user).filter(pk=case.pk).exists()

    def test_the_partner_is_told_to_confirm(self, reg, couple, django_capture_on_commit_callbacks):
        a, b = couple
        with django_capture_on_commit_callbacks(execute=True):
            book(reg, a, b)
        titles = list(Notification.objects.filter(person=b.person).values_list("title", flat=True))
        assert any("张伟" in t for t in titles)
        assert Notification.objects.filter(person=a.person).exists()

    def test_a_wrong_partner_name_is_refused_without_saying_which_part_is_wrong(self, reg, couple):
        a, b = couple
        for name, number in (("王五", b.person.id_number), (b.person.name, "110105194912310021")):
            with pytest.raises(ValidationError) as exc:
                actions.do_book_registration(
                    acting_user=a,
                    registry=reg.home,
                    slot=next_slot(reg.home),
                    partner_name=name,
                    partner_id_number=number,
                    declaration=True,
                )
            assert exc.value.code == "partner"
        assert not MarriageApplication.objects.exists()

    def test_the_declaration_is_required(self, reg, couple):
        a, b = couple
        with pytest.raises(ValidationError):
            actions.do_book_registration(
                acting_user=a,
                registry=reg.home,
                slot=next_slot(reg.home),
                partner_name=b.person.name,
                partner_id_number=b.person.id_number,
                declaration=False,
            )

    def test_one_open_application_per_person(self, reg, couple):
        a, b = couple
        book(reg, a, b)
        c = citizen("孙丽", "F", dt.date(1996, 5, 5))
        with pytest.raises(ValidationError, match="already an open application"):
            book(reg, a, c, slot=next_slot(reg.home, skip=3))

    def test_a_slot_must_be_in_the_future_and_of_the_registry(self, reg, couple):
        a, b = couple
        today = Slot.objects.create(
            registry=reg.home,
            date=dt.date(2026, 3, 2),
            start=dt.time(15, 0),
            end=dt.time(15, 30),
            capacity=2,
        )
        for slot in (today, next_slot(reg.other)):
            with pytest.raises(ValidationError):
                book(reg, a, b, slot=slot)

    def test_capacity_is_never_exceeded(self, reg, couple):
        slot = next_slot(reg.home)
        book(reg, *couple, slot=slot)
        book(
            reg,
            citizen("王强", "M", dt.date(1990, 2, 2)),
            citizen("赵敏", "F", dt.date(1992, 3, 3)),
            slot=slot,
        )
        assert taken(slot) == 2 == slot.capacity
        with pytest.raises(ValidationError) as exc:
            book(
                reg,
                citizen("钱七", "M", dt.date(1990, 2, 2)),
                citizen("孙八", "F", dt.date(1992, 3, 3)),
                slot=slot,
            )
        assert exc.value.code == "full"
        assert taken(slot) == 2

    def test_changing_the_time_frees_the_old_place_and_asks_the_partner_again(self, reg, couple):
        a, b = couple
        ap = book(reg, a, b)
        old_slot, new_slot = ap.slot, next_slot(reg.home, skip=5)
        new = actions.do_change_appointment(ap, acting_user=b, slot=new_slot)
        ap.refresh_from_db()
        assert ap.status == Appointment.Status.CANCELLED
        assert new.status == Appointment.Status.PENDING
        assert new.confirmed_b_at is not None and new.confirmed_a_at is None
        assert taken(old_slot) == 0 and taken(new_slot) == 1
        with pytest.raises(ValidationError):  # b already confirmed the new time
            actions.do_confirm_appointment(new, acting_user=b, declaration=True)
        assert (
            actions.do_confirm_appointment(new, acting_user=a, declaration=True).status
            == "confirmed"
        )

    def test_cancelling_the_appointment_closes_the_application_and_frees_the_place(
        self, reg, couple
    ):
        a, b = couple
        ap = book(reg, a, b)
        actions.do_cancel_appointment(ap, acting_user=b)
        ap.refresh_from_db()
        assert ap.status == Appointment.Status.CANCELLED
        case = Case.objects.get(pk=ap.application.case_id)
        assert case.state == "withdrawn" and case.closed_at is not None
        assert taken(ap.slot) == 0
        # And they may book again.
        book(reg, a, b)

    def test_a_stranger_cannot_confirm_change_or_cancel(self, reg, couple):
        a, b = couple
        ap = actions.do_book_registration(
            acting_user=a,
            registry=reg.home,
            slot=next_slot(reg.home),
            partner_name=b.person.name,
            partner_id_number=b.person.id_number,
            declaration=True,
        )
        stranger = citizen("路人", "M", dt.date(1980, 1, 1))
        with pytest.raises(PermissionDenied):
            actions.do_confirm_appointment(ap, acting_user=stranger, declaration=True)
        with pytest.raises(PermissionDenied):
            actions.do_change_appointment(
                ap, acting_user=stranger, slot=next_slot(reg.home, skip=2)
            )
        with pytest.raises(PermissionDenied):
            actions.do_cancel_appointment(ap, acting_user=stranger)


@pytest.mark.django_db
class TestReminders:
    def test_both_are_reminded_the_day_before_once(self, reg, couple):
        a, b = couple
        ap = book(reg, a, b)
        assert ap.slot.date == dt.date(2026, 3, 3)
        assert actions.do_send_reminders(today=dt.date(2026, 3, 1)) == 0
        assert actions.do_send_reminders(today=dt.date(2026, 3, 2)) == 1
        for user in (a, b):
            assert Notification.objects.filter(person=user.person, title__contains="09:00").exists()
        assert actions.do_send_reminders(today=dt.date(2026, 3, 2)) == 0  # idempotent

    def test_a_missed_appointment_closes_the_booked_application(self, reg, couple):
        ap = book(reg, *couple)
        assert actions.do_mark_missed_appointments(today=dt.date(2026, 3, 3)) == 0
        assert actions.do_mark_missed_appointments(today=dt.date(2026, 3, 4)) == 1
        ap.refresh_from_db()
        assert ap.status == Appointment.Status.MISSED
        assert Case.objects.get(pk=ap.application.case_id).state == "lapsed"
        assert actions.do_mark_missed_appointments(today=dt.date(2026, 3, 4)) == 0

    def test_the_tasks_run_the_actions(self, reg, couple):
        from marriage import tasks

        book(reg, *couple)
        assert tasks.appointment_reminders_task.apply().get() == 1
        assert tasks.appointment_reminders_task.apply().get() == 0
        assert tasks.generate_slots_task.apply().get() == 0
        assert tasks.missed_appointments_task.apply().get() == 0
        assert tasks.divorce_deadlines_task.apply().get() == {
            "opened": 0,
            "deemed_withdrawn": 0,
            "reminded": 0,
        }


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_the_last_place_only_one_succeeds(
    personas_tx, fast_passwords, monkeypatch
):
    """Five couples press "book" for the last place at the same moment, each in its own thread
    and database connection: exactly one gets it."""
    reg = setup_registries(personas_tx)
    # Widen the window between "a place is free" and "the appointment is saved", so that
    # without the row lock every thread would see the place free.
    original = actions.bookings._lock_slot_with_room

    def slow(*args, **kwargs):
        slot = original(*args, **kwargs)
        time.sleep(0.3)
        return slot

    monkeypatch.setattr(actions.bookings, "_lock_slot_with_room", slow)
    slot = next_slot(reg.home)
    book(
        reg,
        citizen("先到", "M", dt.date(1990, 1, 1)),
        citizen("先来", "F", dt.date(1990, 1, 1)),
        slot=slot,
    )
    assert taken(slot) == slot.capacity - 1
    couples = [
        (
            citizen(f"男{i}", "M", dt.date(1990, 1, 1 + i)),
            citizen(f"女{i}", "F", dt.date(1991, 1, 1 + i)),
        )
        for i in range(5)
    ]
    barrier = threading.Barrier(len(couples))
    results: list[str] = []
    lock = threading.Lock()

    def attempt(a, b):
        try:
            barrier.wait(timeout=10)
            actions.do_book_registration(
                acting_user=a,
                registry=reg.home,
                slot=slot,
                partner_name=b.person.name,
                partner_id_number=b.person.id_number,
                declaration=True,
            )
            outcome = "booked"
        except ValidationError as exc:
            outcome = exc.code or "refused"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=c) for c in couples]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["booked", "full", "full", "full", "full"]
    assert taken(slot) == slot.capacity
    assert Appointment.objects.filter(slot=slot).count() == slot.capacity


def test_slot_times_are_shanghai_time():
    slot = Slot(date=dt.date(2026, 3, 3), start=dt.time(9, 0), end=dt.time(9, 30), capacity=1)
    assert slot.starts_at.tzinfo == SH and slot.starts_at.hour == 9


def test_opening_hours_read_as_grouped_days():
    from marriage.models import OpeningPeriod, RegistrationOffice

    periods = [
        OpeningPeriod(weekday=d, start=dt.time(9, 0), end=dt.time(12, 0)) for d in range(5)
    ] + [OpeningPeriod(weekday=5, start=dt.time(9, 0), end=dt.time(11, 0))]
    from django.utils import translation

    with translation.override("en"):
        text = RegistrationOffice().hours_text(periods)
    assert text == "Monday–Friday 09:00-12:00; Saturday 09:00-11:00"


@pytest.fixture
def next_year_not_loaded(fixed_clock):
    """20 December 2026, and the holidays of 2027 not loaded yet."""
    Holiday.objects.filter(date__year=2027).delete()
    forget_calendar()
    fixed_clock.move_to(dt.datetime(2026, 12, 20, 9, 0, tzinfo=SH))


@pytest.mark.django_db
class TestHolidaysNotLoaded:
    """A weekday of a year whose holidays nobody has entered may be a holiday: no appointment
    is offered in it until they are."""

    def test_no_slot_opens_in_that_year_until_its_holidays_are_loaded(
        self, reg, next_year_not_loaded
    ):
        actions.do_generate_slots(reg.home)  # the daily task: its horizon reaches 10 January
        days = set(
            Slot.objects.filter(registry=reg.home, date__gt=dt.date(2026, 12, 20)).values_list(
                "date", flat=True
            )
        )
        assert max(days) == dt.date(2026, 12, 31)
        Holiday.objects.create(date=dt.date(2027, 1, 1), name="元旦")
        forget_calendar()
        assert actions.do_generate_slots(reg.home) > 0  # the next run opens them
        days = set(Slot.objects.filter(registry=reg.home).values_list("date", flat=True))
        assert dt.date(2027, 1, 4) in days and dt.date(2027, 1, 1) not in days

    def test_a_slot_in_that_year_is_not_booked_even_when_added_by_hand(
        self, reg, couple, next_year_not_loaded
    ):
        a, b = couple
        extra = Slot.objects.create(
            registry=reg.home,
            date=dt.date(2027, 1, 5),
            start=dt.time(9, 0),
            end=dt.time(9, 30),
            capacity=2,
        )
        with pytest.raises(ValidationError) as exc:
            actions.do_book_registration(
                acting_user=a,
                registry=reg.home,
                slot=extra,
                partner_name=b.person.name,
                partner_id_number=b.person.id_number,
                declaration=True,
            )
        assert exc.value.messages == [
            "Appointments in 2027 cannot be booked yet: the public holidays of 2027 are not in "
            "the calendar. Please choose an earlier day or come back later."
        ]
        assert not Appointment.objects.exists() and not MarriageApplication.objects.exists()

    def test_the_booking_page_offers_no_day_of_that_year_and_says_why(
        self, client, reg, couple, next_year_not_loaded
    ):
        Slot.objects.create(
            registry=reg.home,
            date=dt.date(2027, 1, 5),
            start=dt.time(9, 0),
            end=dt.time(9, 30),
            capacity=2,
        )
        actions.do_generate_slots(reg.home)
        sign_in(client, couple[0])
        url = reverse("marriage:book-registration")
        response = client.get(url, {"registry": reg.home.pk})
        html = response.content.decode()
        assert response.status_code == 200
        assert "date=2026-12-21" in html and "date=2027-" not in html
        assert "2027年的法定节假日" in html
        response = client.get(url, {"registry": reg.home.pk, "date": "2027-01-05"})
        assert 'name="slot"' not in page_text(response)
