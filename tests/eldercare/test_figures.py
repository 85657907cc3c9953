"""Elder care's dashboard figures (/staff/figures/eldercare/, insight.registry): each table
checked against a direct count of elder care's own rows, made through its real actions in the
month before this one; the page seen only in the viewer's area and by the roles that work
elder care; the files with small cells suppressed; the confidential rows (care plans,
allowances, alerts) counted only for a viewer whose level reaches them."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from civilaffairs.casework.actions import do_transition
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.insight.registry import get_figures
from civilaffairs.lib.months import add_months, first_of_month
from civilaffairs.people.actions import do_record_death
from civilaffairs.people.models import Region
from eldercare import actions
from eldercare.figures import AGE_BANDS
from eldercare.models import AgeAllowance, Alert, Booking, BookingRating, CarePlan
from tests.auth import sign_in
from tests.factories import PersonFactory, StaffRole, staff

from .conftest import URLS, accepted, book

pytestmark = pytest.mark.urls(URLS)

URL = "/staff/figures/eldercare/"
HOME = "640104001002"  # where the personas' citizen 王秀英 lives
ELSEWHERE = "640105001002"  # a community of another county
# The month counted: last month, so that every visit of it lies in the past whatever today is.
MONTH = add_months(first_of_month(timezone.localdate()), -1)
START = timezone.make_aware(dt.datetime.combine(MONTH, dt.time.min))
END = timezone.make_aware(dt.datetime.combine(add_months(MONTH, 1), dt.time.min))
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
}  # 55: care level 2


def at(day: int, hour: int, month: dt.date = MONTH) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month.replace(day=day), dt.time(hour)))


def elder_aged(age: int, region: str = HOME):
    """Someone `age` years old on every day of MONTH after New Year's Day."""
    return PersonFactory(
        birth_date=dt.date(MONTH.year - age, 1, 1),
        hukou_region=Region.objects.get(code=region),
    )


def finished(world, booking, *, score=None):
    """Worker assigned, visit made (checked in at the start, out 55 minutes later), and
    rated by the family that evening."""
    actions.do_assign_worker(booking, world.workers[0], acting_user=world.provider_user)
    with time_machine.travel(booking.starts_at, tick=False):
        actions.do_check_in(booking, acting_user=world.provider_user)
    with time_machine.travel(booking.starts_at + dt.timedelta(minutes=55), tick=False):
        actions.do_check_out(booking, acting_user=world.provider_user)
    if score is not None:
        with time_machine.travel(booking.starts_at + dt.timedelta(hours=6), tick=False):
            actions.do_rate_booking(booking, acting_user=world.family, score=score)
    return booking


def care_plan(world):
    """王秀英's care plan, assessed at level 2 and approved by the county: in force."""
    p = world.p
    plan = actions.do_request_care_plan(acting_user=world.family, elder=world.elder)
    values = {
        "assessed_on": timezone.localdate(),
        "cognition": "normal",
        "living_situation": "alone",
    }
    values.update({f"adl_{key}": score for key, score in ADL_MODERATE.items()})
    do_transition(plan.case, "record_assessment", acting_user=p.caseworker, values=values)
    plan = CarePlan.objects.get(pk=plan.pk)
    actions.do_save_plan(plan, acting_user=p.caseworker, provider=world.provider)
    actions.do_add_plan_item(
        plan,
        acting_user=p.caseworker,
        service_type=world.meal,
        weekday=0,
        start_time=dt.time(11),
    )
    do_transition(plan.case, "propose_plan", acting_user=p.caseworker)
    values = {"starts_on": timezone.localdate() + dt.timedelta(days=1)}
    do_transition(plan.case, "approve_plan", acting_user=p.approver, values=values)
    return plan


def device_alerts(world, readings):
    """Readings (kind, value) of a watch 王秀英 wears, posted by its platform now."""
    platform, _token = actions.do_register_platform(acting_user=None, name="测试平台")
    device = actions.do_register_device(
        platform, acting_user=None, external_id="W-1", person=world.elder
    )
    actions.do_receive_readings(
        platform,
        [
            {
                "event_id": f"e-{i}",
                "device": device,
                "kind": kind,
                "value": value,
                "recorded_at": timezone.now() - dt.timedelta(minutes=5),
            }
            for i, (kind, value) in enumerate(readings)
        ],
    )


@pytest.fixture
def known(world):
    """In MONTH, for 王秀英 of HOME: five visits made (rated 5, 5, 5, 4 and 1), two cancelled,
    one still waiting for the provider; her care plan approved; four elders of 85, 85, 92 and
    101 granted the age allowance and one of 88 whose allowance stopped at death; three alerts
    from her watch (two falls, one SOS; a normal heart rate raises none). Elsewhere: a visit
    of the month before, and an elder of 86 in another county with a visit and an allowance."""
    p = world.p
    with time_machine.travel(at(1, 9) - dt.timedelta(days=1), tick=False):
        book(world, starts_at=at(1, 15) - dt.timedelta(days=1))  # the month before
    with time_machine.travel(at(2, 9), tick=False):
        done = [accepted(world, book(world, starts_at=at(3, hour))) for hour in (8, 10, 12, 14)]
        done.append(accepted(world, book(world, starts_at=at(5, 8))))
        for booking, score in zip(done, (5, 5, 5, 4, 1), strict=True):
            finished(world, booking, score=score)
        for hour in (10, 14):
            actions.do_cancel_booking(
                book(world, starts_at=at(6, hour)), acting_user=world.family, reason="不需要了"
            )
        book(world, starts_at=at(7, 10))  # never accepted

        elsewhere = elder_aged(86, ELSEWHERE)
        book(
            world,
            by=p.other_caseworker,
            elder=elsewhere,
            provider=world.other_provider,
            starts_at=at(3, 10),
        )
        for age in (85, 85, 92, 101):
            actions.do_open_age_allowance(elder_aged(age))
        actions.do_open_age_allowance(elsewhere)
        died = elder_aged(88)
        actions.do_open_age_allowance(died)
        do_record_death(died, acting_user=None, date_of_death=timezone.localdate())
        actions.do_stop_allowances_of_deceased(today=timezone.localdate())

        care_plan(world)
        device_alerts(world, [("fall", None), ("fall", None), ("sos", None), ("heart_rate", 72)])
    do_count_month(MONTH)
    return world


def counts(code: str, level: int = 2) -> DomainCounts:
    return DomainCounts(get_figures("eldercare"), Region.objects.get(code=code), MONTH, level)


def _band(age: int) -> str:
    return next(key for key, _label, low in reversed(AGE_BANDS) if age >= low)


def direct(code: str) -> dict[str, dict[str, int]]:
    """Each table counted straight from elder care's rows, as its SQL means it."""
    prefix = Region.prefix_of(code)
    in_month = {"__gte": START, "__lt": END}
    bookings = Booking.objects.filter(
        region_id__startswith=prefix, **{f"starts_at{k}": v for k, v in in_month.items()}
    )
    ratings = BookingRating.objects.filter(
        booking__region_id__startswith=prefix,
        **{f"rated_at{k}": v for k, v in in_month.items()},
    )
    in_force = Q(case__decided_at__lt=END) & (
        Q(case__closed_at__isnull=True) | Q(case__closed_at__gte=END)
    )
    plans = CarePlan.objects.filter(in_force, case__region_id__startswith=prefix)
    allowances = AgeAllowance.objects.filter(
        in_force, paid_from__isnull=False, case__region_id__startswith=prefix
    ).select_related("person")
    last_day = add_months(MONTH, 1) - dt.timedelta(days=1)
    alerts = Alert.objects.filter(
        region_id__startswith=prefix, **{f"created_at{k}": v for k, v in in_month.items()}
    )
    tables = {
        "bookings": dict(Counter(b.status for b in bookings)),
        "ratings": dict(Counter(str(r.score) for r in ratings)),
        "careplans": dict(Counter(str(p.care_level) for p in plans)),
        "allowances": dict(Counter(_band(a.person.age_on(last_day)) for a in allowances)),
        "alerts": dict(Counter(a.kind for a in alerts)),
    }
    return {key: got for key, got in tables.items() if got}


def test_each_table_matches_a_direct_count(known):
    township = counts("640104001")
    assert township.tables == direct("640104001")
    assert township.of("bookings") == {"completed": 5, "cancelled": 2, "requested": 1}
    assert township.of("ratings") == {"5": 3, "4": 1, "1": 1}
    assert township.of("careplans") == {"2": 1}
    assert township.of("allowances") == {"80-89": 2, "90-99": 1, "100+": 1}
    assert township.of("alerts") == {"fall": 2, "sos": 1}
    # Under every region above: the county holds the township, the city both counties.
    assert counts("640104").tables == township.tables
    assert counts(HOME).tables == township.tables
    city = counts("640100")
    assert city.tables == direct("640100")
    assert city.of("bookings")["requested"] == 2
    assert city.of("allowances")["80-89"] == 3
    assert counts("640105").tables == {"bookings": {"requested": 1}, "allowances": {"80-89": 1}}
    # The first table by region one level down.
    by_region = {r.code if r else None: n for r, n in counts("640104001").by_region("bookings")}
    assert by_region[HOME] == 8


def test_the_month_before_and_after_keep_their_own(known):
    before = add_months(MONTH, -1)
    do_count_month(before)
    assert DomainCounts(
        get_figures("eldercare"), Region.objects.get(code="640104"), before, 2
    ).tables == {"bookings": {"requested": 1}}
    # This month: nothing was booked for it, nothing rated or raised; what is in force at
    # its end (the plan, the allowances) still is.
    this = add_months(MONTH, 1)
    do_count_month(this)
    now = DomainCounts(get_figures("eldercare"), Region.objects.get(code="640104"), this, 2)
    assert set(now.tables) == {"careplans", "allowances"}


def test_a_viewer_below_the_cases_level_counts_only_the_visits(known):
    public = counts("640104", level=1).tables
    assert public == {
        "bookings": {"completed": 5, "cancelled": 2, "requested": 1},
        "ratings": {"5": 3, "4": 1, "1": 1},
    }


def page(client, user, **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, user)
    return client.get(URL, {"month": f"{MONTH:%Y-%m}", **params})


def test_a_county_approver_sees_its_county_only(client, known):
    response = page(client, known.p.approver, region="640104")
    assert response.status_code == 200
    tables = {t.key: t for t in response.context["tables"]}
    assert [(line.label, line.values) for line in tables["ratings"].lines] == [
        ("5 – Very satisfied", [3]),
        ("4 – Satisfied", [1]),
        ("1 – Very dissatisfied", [1]),
    ]
    assert [line.label for line in tables["bookings"].lines] == [
        "Waiting for the provider to accept",
        "Completed",
        "Cancelled",
    ]
    assert tables["allowances"].title == "Elders with the age allowance at the month's end, by age"
    assert "Figures: elder care" in response.content.decode()
    assert page(client, known.p.approver, region="640104001").status_code == 200
    assert page(client, known.p.approver, region="640105").status_code == 404
    assert page(client, known.p.other_approver, region="640104").status_code == 404
    assert page(client, known.p.other_approver, region="640105").status_code == 200


def test_who_does_not_work_elder_care_is_refused(client, known):
    for user in (
        staff("registrar_elder", "640104", StaffRole.Role.REGISTRAR),
        staff("childworker_elder", "640104", StaffRole.Role.CHILD_WELFARE),
        known.p.citizen,
        known.provider_user,
    ):
        assert page(client, user).status_code == 403
        client.logout()


def test_the_files_write_small_cells_as_under_five(client, known):
    response = page(client, known.p.approver, region="640104", download="bookings", format="csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Status", "Visits"]
    assert dict(lines[1:]) == {
        "Waiting for the provider to accept": "<5",
        "Completed": "5",
        "Cancelled": "<5",
    }
    response = page(client, known.p.approver, region="640104", download="ratings", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Rating", "Ratings"]
    assert [line[1] for line in lines[1:]] == ["<5", "<5", "<5"]
