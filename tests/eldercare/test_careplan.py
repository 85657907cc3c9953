"""Care assessment → care level → care plan (a case in the engine) → bookings generated."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civilaffairs.casework.actions import StepInvalid, do_transition
from civilaffairs.casework.models import Case
from civilaffairs.people.actions import do_record_death
from eldercare import actions
from eldercare.models import Booking, CareLevel, care_level_for

# A Monday; the plan's visits are on Mondays and Thursdays.
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
ADL_MODERATE = {
    "feeding": 5,
    "bathing": 0,
    "grooming": 5,
    "dressing": 5,
    "bowels": 10,
    "bladder": 10,
    "toilet": 5,
    "transfers": 10,
    "mobility": 5,
    "stairs": 0,
}  # 55: moderately impaired


def test_care_level_follows_the_barthel_bands_and_cognition():
    assert care_level_for(100, "normal") == CareLevel.INTACT
    assert care_level_for(85, "normal") == CareLevel.MILD
    assert care_level_for(55, "normal") == CareLevel.MODERATE
    assert care_level_for(30, "normal") == CareLevel.SEVERE
    assert care_level_for(10, "normal") == CareLevel.TOTAL
    assert care_level_for(100, "moderate") == CareLevel.MODERATE  # walks well, gets lost
    assert care_level_for(10, "mild") == CareLevel.TOTAL


def assess(plan, user, adl=ADL_MODERATE, on=dt.date(2026, 11, 20)):
    """The "record_assessment" step, as the case page would send it."""
    values = {"assessed_on": on, "cognition": "normal", "living_situation": "alone"}
    values.update({f"adl_{key}": score for key, score in adl.items()})
    return do_transition(plan.case, "record_assessment", acting_user=user, values=values)


def approve(plan, user, starts_on=dt.date(2026, 11, 23)):
    """The county's approval; the plan's visits are booked once it commits."""
    do_transition(plan.case, "approve_plan", acting_user=user, values={"starts_on": starts_on})


def _requested(world):
    plan = actions.do_request_care_plan(
        acting_user=world.family, elder=world.elder, request_note="母亲腿脚不便，需要送餐和助浴"
    )
    assert plan.case.service == "eldercare.careplan"
    plan.case.refresh_from_db()
    return plan


def _planned(world, plan):
    assess(plan, world.p.caseworker)
    actions.do_save_plan(plan, acting_user=world.p.caseworker, provider=world.provider, goals="")
    for weekday, service in ((0, "meal"), (3, "meal"), (3, "bathing")):
        actions.do_add_plan_item(
            plan,
            acting_user=world.p.caseworker,
            service_type=world.services[service],
            weekday=weekday,
            start_time=dt.time(11, 0) if service == "meal" else dt.time(15, 0),
        )
    do_transition(plan.case, "propose_plan", acting_user=world.p.caseworker)
    return plan


@time_machine.travel(MONDAY, tick=False)
def test_assessment_then_plan_then_approval_books_the_visits(
    world, django_capture_on_commit_callbacks
):
    plan = _requested(world)
    case = plan.case
    assert case.state == "screened" and case.office == world.p.township  # routed to the township
    assert case.applicant == world.family.person and case.beneficiary == world.elder

    _planned(world, plan)
    plan.refresh_from_db()
    case.refresh_from_db()
    assert plan.care_level == CareLevel.MODERATE and plan.assessment.adl_score == 55
    assert case.state == "proposed" and case.office == world.p.county  # the county approves

    with django_capture_on_commit_callbacks(execute=True):
        approve(plan, world.p.approver)
    case.refresh_from_db()
    assert case.state == "active" and case.outcome == Case.Outcome.APPROVED
    assert case.events.filter(transition="approve_plan", public=True).exists()

    visits = list(Booking.objects.filter(plan_item__plan=plan).order_by("starts_at"))
    # From tomorrow (Tue 24th) to the horizon, 14 days on (Mon 7 December).
    days = sorted({timezone.localtime(b.starts_at).date() for b in visits})
    assert days == [
        dt.date(2026, 11, 26),
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 3),
        dt.date(2026, 12, 7),
    ]
    assert len(visits) == 6  # a meal each day, a bath on both Thursdays
    assert {b.status for b in visits} == {Booking.Status.REQUESTED}
    assert {b.provider for b in visits} == {world.provider}

    # Idempotent: running the generator again books nothing twice.
    assert actions.do_generate_plan_bookings(case.pk) == 0
    # A week later the horizon has moved on.
    with time_machine.travel(MONDAY + dt.timedelta(days=7), tick=False):
        assert actions.do_extend_plans() == {"ended": 0, "booked": 3}


@time_machine.travel(MONDAY, tick=False)
def test_a_plan_cannot_be_sent_without_provider_and_visits(world):
    plan = _requested(world)
    assess(plan, world.p.caseworker)
    with pytest.raises(StepInvalid) as refused:
        do_transition(plan.case, "propose_plan", acting_user=world.p.caseworker)
    assert refused.value.form.non_field_errors() == ["请选择照护计划的服务商。"]
    plan.case.refresh_from_db()
    assert plan.case.state == "assessed"


@time_machine.travel(MONDAY, tick=False)
def test_a_second_assessment_before_the_plan_is_sent_replaces_the_first(world):
    plan = _requested(world)
    assess(plan, world.p.caseworker)
    assess(plan, world.p.caseworker, adl={**ADL_MODERATE, "bathing": 5, "stairs": 5})
    plan.refresh_from_db()
    assert plan.assessment.adl_score == 65 and plan.case.state == "assessed"
    assert plan.case.care_assessments.count() == 2  # the first stays in the record


@time_machine.travel(MONDAY, tick=False)
def test_an_assessment_dated_tomorrow_is_refused_on_its_field(world):
    plan = _requested(world)
    with pytest.raises(StepInvalid) as refused:
        assess(plan, world.p.caseworker, on=dt.date(2026, 11, 24))
    assert refused.value.form.errors["assessed_on"] == ["日期不能晚于今天。"]


def test_a_caseworker_of_another_county_cannot_assess(world):
    plan = _requested(world)
    with pytest.raises(PermissionDenied):
        assess(plan, world.p.other_caseworker, on=dt.date(2026, 1, 1))


def test_assessment_scores_must_be_the_listed_ones(world):
    plan = _requested(world)
    with pytest.raises(StepInvalid) as refused:
        assess(plan, world.p.caseworker, adl={**ADL_MODERATE, "feeding": 7}, on=dt.date(2026, 1, 1))
    assert "adl_feeding" in refused.value.form.errors


@time_machine.travel(MONDAY, tick=False)
def test_ending_a_plan_cancels_its_future_visits(world, django_capture_on_commit_callbacks):
    plan = _planned(world, _requested(world))
    with django_capture_on_commit_callbacks(execute=True):
        approve(plan, world.p.approver)
    assert Booking.objects.filter(plan_item__plan=plan, status__in=Booking.OPEN).exists()
    actions.do_end_plan(plan, acting_user=world.p.approver, reason="入住养老机构")
    assert not Booking.objects.filter(plan_item__plan=plan, status__in=Booking.OPEN).exists()
    plan.case.refresh_from_db()
    assert plan.case.state == "ended"


@time_machine.travel(MONDAY, tick=False)
def test_the_daily_run_ends_the_plan_of_someone_who_died(world):
    plan = _planned(world, _requested(world))
    approve(plan, world.p.approver)
    do_record_death(world.elder, acting_user=None, date_of_death=dt.date(2026, 11, 23))
    assert actions.do_extend_plans() == {"ended": 1, "booked": 0}
    assert not Booking.objects.filter(plan_item__plan=plan, status__in=Booking.OPEN).exists()


def test_a_second_open_request_for_the_same_elder_is_refused(world):
    _requested(world)
    with pytest.raises(ValidationError):
        actions.do_request_care_plan(acting_user=world.p.citizen, elder=world.elder)
