"""The age allowance (高龄津贴), granted proactively: found in the master record when a person
reaches the age, opened (or invited, by region), granted by the rules, paid monthly by tier,
stopped at death."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from civilaffairs.benefits.actions import do_schedule_month
from civilaffairs.benefits.models import Payment
from civilaffairs.casework.models import Notification
from civilaffairs.people.actions import do_record_death
from civilaffairs.people.models import Region
from eldercare import actions
from eldercare.models import AgeAllowance, AgeAllowanceInvitation
from tests.factories import PersonFactory


def shanghai(y, m, d, h=9):
    return dt.datetime(y, m, d, h, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def monthly_run(month: dt.date) -> int:
    """What beat does each day: elder care stops the allowances of people who died or moved
    away, then the benefits ledger schedules the month."""
    actions.do_stop_allowances_of_deceased(today=month)
    return do_schedule_month(month)


def _elder(birth, **kwargs):
    return PersonFactory(name="赵德明", birth_date=birth, **kwargs)


def test_a_person_turning_80_is_found_and_granted_without_applying(
    world, django_capture_on_commit_callbacks
):
    person = _elder(dt.date(1946, 12, 10))
    with time_machine.travel(shanghai(2026, 12, 9), tick=False):
        assert person not in actions.newly_eligible()
        assert actions.do_find_newly_eligible()["opened"] == 0

    with time_machine.travel(shanghai(2026, 12, 10), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert actions.do_find_newly_eligible() == {"opened": 1, "invited": 0, "failed": 0}
        allowance = AgeAllowance.objects.get(person=person)
        case = allowance.case
        assert case.service == "eldercare.age_allowance" and case.channel == "proactive"
        assert case.screening_outcome == "pass"
        assert case.state == "granted"
        assert allowance.mode == AgeAllowance.Mode.AUTOMATIC and allowance.threshold == 80
        # 79 on 1 December: paid from January.
        assert allowance.paid_from == dt.date(2027, 1, 1)
        assert not allowance.payments.exists()
        # The person is told, without having asked.
        assert Notification.objects.filter(person=person, case=case).exists()
        # The next day's run finds nobody new.
        assert actions.do_find_newly_eligible()["opened"] == 0

    with time_machine.travel(shanghai(2027, 1, 1, 3), tick=False):
        assert monthly_run(dt.date(2027, 1, 1)) == 1
        assert monthly_run(dt.date(2027, 1, 1)) == 0  # idempotent
    payment = allowance.payments.get()
    assert (payment.month, payment.details["age"], payment.amount) == (
        dt.date(2027, 1, 1),
        80,
        Decimal("100.00"),
    )


@time_machine.travel(shanghai(2026, 12, 10), tick=False)
def test_the_deceased_are_never_enrolled(world):
    person = _elder(dt.date(1930, 2, 1))
    do_record_death(person, acting_user=None, date_of_death=dt.date(2026, 11, 30))
    assert person not in actions.newly_eligible()
    assert actions.do_find_newly_eligible()["opened"] == 0
    with pytest.raises(ValidationError):
        actions.do_open_age_allowance(person)
    assert not AgeAllowance.objects.filter(person=person).exists()


@time_machine.travel(shanghai(2026, 12, 10), tick=False)
def test_a_region_set_to_invite_sends_an_invitation_instead(world):
    village = Region.objects.filter(code__startswith="640181", level=5).order_by("code").first()
    person = _elder(dt.date(1940, 3, 3), hukou_region=village)
    relative = world.family  # not linked to this person: gets nothing

    assert actions.do_find_newly_eligible() == {"opened": 0, "invited": 1, "failed": 0}
    invitation = AgeAllowanceInvitation.objects.get(person=person)
    assert invitation.status == "pending" and invitation.threshold == 80
    assert Notification.objects.filter(person=person, case__isnull=True).exists()
    assert not Notification.objects.filter(person=relative.person).exists()
    assert actions.do_find_newly_eligible()["invited"] == 0  # not invited twice

    from tests.factories import UserFactory

    account = UserFactory(person=person)
    actions.do_answer_invitation(invitation, acting_user=account, accept=True)
    allowance = AgeAllowance.objects.get(person=person)
    assert allowance.mode == AgeAllowance.Mode.INVITED and allowance.case.state == "granted"


@time_machine.travel(shanghai(2026, 12, 10), tick=False)
def test_a_declined_invitation_is_not_repeated(world):
    village = Region.objects.filter(code__startswith="640181", level=5).order_by("code").first()
    person = _elder(dt.date(1940, 3, 3), hukou_region=village)
    actions.do_find_newly_eligible()
    from tests.factories import UserFactory

    account = UserFactory(person=person)
    invitation = AgeAllowanceInvitation.objects.get(person=person)
    actions.do_answer_invitation(invitation, acting_user=account, accept=False)
    assert actions.do_find_newly_eligible() == {"opened": 0, "invited": 0, "failed": 0}


@time_machine.travel(shanghai(2026, 12, 10), tick=False)
def test_a_hukou_in_another_province_is_referred_to_a_caseworker(world):
    beijing = Region.objects.get(code="110105")
    home = Region.objects.get(code="640104001002")
    person = _elder(dt.date(1940, 3, 3), hukou_region=beijing, residence_region=home)
    actions.do_find_newly_eligible()
    allowance = AgeAllowance.objects.get(person=person)
    allowance.case.refresh_from_db()
    assert allowance.case.screening_outcome == "refer"
    assert allowance.case.state == "screened"
    assert allowance.case.office == world.p.township
    # The caseworker grants it from the case page (the generic transition).
    from civilaffairs.casework.actions import do_transition

    do_transition(allowance.case, "grant", acting_user=world.p.caseworker)
    actions.do_start_allowance_payments(allowance.case_id)  # the transition's follow-up
    allowance.refresh_from_db()
    assert allowance.paid_from == dt.date(2026, 12, 1)
    assert allowance.payments.get().amount == Decimal("100.00")


def test_payments_follow_the_tier_and_stop_at_death(world):
    person = _elder(dt.date(1937, 1, 15))  # 89 in December 2026, 90 on 15 January 2027
    with time_machine.travel(shanghai(2026, 12, 1), tick=False):
        actions.do_find_newly_eligible()
        allowance = AgeAllowance.objects.get(person=person)
        assert allowance.paid_from == dt.date(2026, 12, 1)
    for month in (dt.date(2027, 1, 1), dt.date(2027, 2, 1), dt.date(2027, 3, 1)):
        with time_machine.travel(shanghai(month.year, month.month, 1, 3), tick=False):
            monthly_run(month)
    amounts = {p.month: (p.details["age"], p.amount) for p in allowance.payments.all()}
    assert amounts == {
        dt.date(2026, 12, 1): (89, Decimal("100.00")),
        dt.date(2027, 1, 1): (89, Decimal("100.00")),
        dt.date(2027, 2, 1): (90, Decimal("200.00")),  # 90 on 1 February: the second tier
        dt.date(2027, 3, 1): (90, Decimal("200.00")),
    }

    with time_machine.travel(shanghai(2027, 3, 5), tick=False):
        # Death on 25 February is registered in March, after March was scheduled.
        do_record_death(person, acting_user=None, date_of_death=dt.date(2027, 2, 25))
        monthly_run(dt.date(2027, 3, 1))
    allowance.refresh_from_db()
    assert allowance.case.state == "stopped" and allowance.stopped_on == dt.date(2027, 2, 25)
    march = allowance.payments.get(month=dt.date(2027, 3, 1))
    assert march.status == Payment.Status.STOPPED
    assert allowance.payments.get(month=dt.date(2027, 2, 1)).status == "scheduled"  # was alive

    with time_machine.travel(shanghai(2027, 4, 1, 3), tick=False):
        assert monthly_run(dt.date(2027, 4, 1)) == 0
    assert not allowance.payments.filter(month=dt.date(2027, 4, 1)).exists()
    # Dead people are not found again either.
    with time_machine.travel(shanghai(2027, 4, 2), tick=False):
        assert person not in actions.newly_eligible()


def test_moving_out_of_the_paying_area_stops_the_allowance(world):
    from civilaffairs.people.actions import do_update_person

    person = _elder(dt.date(1940, 6, 6))
    with time_machine.travel(shanghai(2026, 12, 1), tick=False):
        actions.do_find_newly_eligible()
    allowance = AgeAllowance.objects.get(person=person)
    with time_machine.travel(shanghai(2027, 1, 20), tick=False):
        do_update_person(
            person, acting_user=None, residence_region=Region.objects.get(code="110105")
        )
    with time_machine.travel(shanghai(2027, 2, 1, 3), tick=False):
        assert monthly_run(dt.date(2027, 2, 1)) == 0
    allowance.refresh_from_db()
    assert allowance.case.state == "stopped" and allowance.stop_reason == "moved"
    assert not allowance.payments.filter(month=dt.date(2027, 2, 1)).exists()
