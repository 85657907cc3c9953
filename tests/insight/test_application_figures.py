"""The application figures: each checked against a direct count of the case table on known
cases taken through the real workflow, seen only within the viewer's jurisdiction and for
the services their roles work, exported with small cells suppressed (the staff workloads
whole), and bad input answered with a message, never an error page."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civilaffairs.casework.actions import do_claim_next, do_transition
from civilaffairs.casework.models import Case
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.models import CaseFigure, WorkloadFigure
from civilaffairs.insight.queries import Applications, services_for
from civilaffairs.lib.months import add_months
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.casework.conftest import SERVICE, make_case
from tests.factories import StaffRole, staff

from .conftest import THIS_MONTH

URL = "/staff/figures/applications/"
VILLAGE = "640104001002"  # a community of the caseworker's township
ELSEWHERE = "640105001002"  # a community of another county
LAST_MONTH = add_months(THIS_MONTH, -1)


def _at(month: dt.date, day: int) -> dt.datetime:
    return dt.datetime.combine(
        month.replace(day=day), dt.time(10), tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def known(world):
    """In township 640104001: three cases waiting (two in the office's queue, one of them
    past its promised date; one taken by the caseworker), one refused in time this month, one
    refused after its promised date (from the counter); one submitted and decided last month
    in four days; and one case in another county."""
    cw = world.caseworker
    waiting = [make_case(code=VILLAGE) for _ in range(3)]
    taken = do_claim_next(acting_user=cw)
    do_transition(taken, "accept", acting_user=cw)
    late_waiting = next(c for c in waiting if c.pk != taken.pk)
    Case.objects.filter(pk=late_waiting.pk).update(due_at=timezone.now() - dt.timedelta(days=2))

    in_time = make_case(code=VILLAGE)
    do_transition(in_time, "refuse", acting_user=cw, values={"reason": "not eligible"})
    late = make_case(code=VILLAGE)
    Case.objects.filter(pk=late.pk).update(
        due_at=timezone.now() - dt.timedelta(days=1), channel=Case.Channel.COUNTER
    )
    do_transition(Case.objects.get(pk=late.pk), "refuse", acting_user=cw, values={"reason": "late"})

    before = make_case(code=VILLAGE)
    do_transition(before, "refuse", acting_user=cw, values={"reason": "not eligible"})
    Case.objects.filter(pk=before.pk).update(
        submitted_at=_at(LAST_MONTH, 3),
        decided_at=_at(LAST_MONTH, 7),
        decided_due_at=_at(LAST_MONTH, 10),
        closed_at=_at(LAST_MONTH, 7),
    )
    make_case(code=ELSEWHERE)
    do_count_month(LAST_MONTH)
    do_count_month(THIS_MONTH)
    return world


def figures(region="640104001", month=THIS_MONTH, level=2):
    return Applications(Region.objects.get(code=region), month, [SERVICE], max_level=level)


def test_the_month_counts_match_the_case_table(known):
    start = _at(THIS_MONTH, 1).replace(hour=0)
    here = Case.objects.filter(region_id__startswith="640104001", service=SERVICE)
    total = figures().totals()
    assert total.submitted == here.filter(submitted_at__gte=start).count() == 5
    assert total.decided == here.filter(decided_at__gte=start).count() == 2
    assert total.approved == 0
    assert total.in_time == 1 and total.in_time_percent == 50.0
    assert total.days == 0  # both decided the day they came in
    assert total.open == here.filter(closed_at__isnull=True).count() == 3
    assert total.overdue == 1
    # The county holds the township; the city holds both counties.
    assert figures("640104").totals() == total
    assert figures("640100").totals().submitted == 6
    # By channel: one from the counter.
    channels = dict(figures().by("channel", {c: c for c in Case.Channel.values}))
    assert channels["counter"].submitted == 1
    assert channels["online"].submitted == 4


def test_a_past_month_keeps_its_own_figures(known):
    last = figures(month=LAST_MONTH).totals()
    assert (last.submitted, last.decided, last.in_time, last.days, last.open) == (1, 1, 1, 4, 0)
    assert last.average_days == 4.0
    trend = dict(figures().trend())
    assert trend[LAST_MONTH].decided == 1 and trend[THIS_MONTH].decided == 2


def test_the_work_waiting_by_state_office_and_caseworker(known):
    f = figures()
    states = f.by_state()
    assert states[(SERVICE, "screened")].open == 2
    assert states[(SERVICE, "screened")].overdue == 1
    assert states[(SERVICE, "accepted")].open == 1
    offices = {o.pk if o else None: w for o, w in f.by_office()}
    assert offices[known.township.pk].open == 3
    assert offices[known.township.pk].unassigned == 2
    people = {(o.pk, u.pk if u else None): w.open for o, u, w in f.by_assignee()}
    assert people == {(known.township.pk, known.caseworker.pk): 1, (known.township.pk, None): 2}
    # The county sees the township office one level down, not its caseworkers.
    county = figures("640104")
    assert known.township.pk in {o.pk for o, _w in county.by_office() if o}
    assert county.by_assignee() == []
    # Only the work still open: what was decided is in nobody's pile.
    assert set(WorkloadFigure.objects.values_list("state", flat=True)) == {"screened", "accepted"}
    assert sum(w.open for w in states.values()) == 3


def test_counting_again_gives_the_same_rows(known):
    before = sorted(
        CaseFigure.objects.filter(month=THIS_MONTH).values_list("region_code", "submitted")
    )
    do_count_month(THIS_MONTH)
    after = sorted(
        CaseFigure.objects.filter(month=THIS_MONTH).values_list("region_code", "submitted")
    )
    assert before == after


def test_a_decision_keeps_its_time_and_promised_date(known):
    case = Case.objects.filter(region_id=VILLAGE, channel=Case.Channel.COUNTER).get()
    assert case.decided_at is not None
    assert case.decided_due_at < case.decided_at


def page(client, user, **params):
    sign_in(client, user)
    return client.get(URL, params)


def test_a_township_caseworker_sees_its_township_only(client, known):
    response = page(client, known.caseworker)
    assert response.status_code == 200
    assert response.context["region"].code == "640104001"
    assert response.context["totals"][0][1] == 5
    for outside in ("640104", "640105001", "640105", "640000"):
        assert page(client, known.caseworker, region=outside).status_code == 404
    response = page(client, known.caseworker, download="region", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {r.name for r in Region.objects.filter(parent_id="640104001")}
    assert {line[0] for line in lines[1:]} <= names


def test_a_county_approver_cannot_drill_into_another_county(client, known):
    assert page(client, known.approver).context["region"].code == "640104"
    assert page(client, known.approver, region="640104001").status_code == 200
    assert page(client, known.approver, region="640105").status_code == 404
    assert page(client, known.other_approver, region="640104001").status_code == 404
    # The other county's own figures hold its one case.
    response = page(client, known.other_approver)
    assert response.context["totals"][0][1] == 1


def test_a_registrar_reads_only_the_services_a_registrar_works(client, known):
    registrar = staff("registrar_apps", "640104", StaffRole.Role.REGISTRAR)
    region = Region.objects.get(code="640104")
    assert SERVICE not in services_for(registrar, region)
    assert services_for(registrar, region)  # the registry's
    response = page(client, registrar)
    assert response.status_code == 200
    assert SERVICE not in response.context["services"]
    assert response.context["totals"][0][1] == 0
    # …and may not ask for a service it does not work.
    response = page(client, registrar, service=SERVICE)
    assert "could not be used; it was ignored" in " ".join(map(str, response.context["messages"]))


def test_who_may_not_see_the_figures(client, known):
    assert page(client, known.citizen).status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_exports_suppress_small_counts_but_not_the_staff_workload(client, known):
    response = page(client, known.approver, region="640104001", download="service", format="csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Service", "Submitted", "Decided"]
    assert lines[1] == ["Test service", "5", "<5", "0", "", "", "<5", "<5"]
    response = page(client, known.approver, region="640104001", download="caseworker")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Caseworker", "Open", "Overdue", "Due within 3 days", "Not yet taken"]
    assert [line[1] for line in lines[1:]] == ["1", "2"]


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2026-13"},
        {"service": "nope"},
        {"download": "nope"},
        {"download": "service", "format": "pdf"},
    ],
)
def test_bad_input_is_said_and_ignored(client, known, params):
    response = page(client, known.approver, **params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "could not be used; it was ignored" in " ".join(map(str, response.context["messages"]))


def test_a_month_not_counted_says_so(client, known):
    response = page(client, known.approver, month="2020-01")
    assert "have not been counted" in response.content.decode()


def test_the_page_reads_a_fixed_number_of_statements(client, known):
    """Built after a count, the page runs as many statements however many cases there are;
    until the next count its figures are kept (views._kept) and a read runs only the frame's
    statements, showing the same figures."""
    sign_in(client, known.supervisor)
    client.get(URL, {"region": "640104001"})
    do_count_month(THIS_MONTH)  # a new count: the figures are built again
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"region": "640104001"}).status_code == 200
    for code in ("640104001003", "640104001002"):
        make_case(code=code)
    do_claim_next(acting_user=known.caseworker)
    do_count_month(THIS_MONTH)
    with CaptureQueriesContext(connection) as more:
        built = client.get(URL, {"region": "640104001"})
    assert len(more) == len(few)
    with CaptureQueriesContext(connection) as kept:
        again = client.get(URL, {"region": "640104001"})
    assert len(kept) <= len(more) - 10
    assert again.context["tables"] == built.context["tables"]
    assert again.context["totals"] == built.context["totals"]
    # The other language is another page.
    other = "zh-hans" if built.context["tables"][0].title == "By service" else "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = other
    assert (
        client.get(URL, {"region": "640104001"}).context["tables"][0].title
        != built.context["tables"][0].title
    )


def test_a_period_sums_what_came_in_and_keeps_what_was_open_at_its_end(client, known):
    year = (
        figures()
        .__class__(
            Region.objects.get(code="640104001"),
            THIS_MONTH,
            [SERVICE],
            max_level=2,
            first=THIS_MONTH.replace(month=1),
        )
        .totals()
    )
    this, last = figures().totals(), figures(month=LAST_MONTH).totals()
    if LAST_MONTH.year == THIS_MONTH.year:
        assert year.submitted == this.submitted + last.submitted
        assert year.decided == this.decided + last.decided
        assert year.days == this.days + last.days
    assert (year.open, year.overdue) == (this.open, this.overdue)
    # The page says how many of the period's months were counted.
    response = page(client, known.approver, region="640104001", period="year")
    assert response.status_code == 200
    assert response.context["months_counted"] == (2 if LAST_MONTH.year == THIS_MONTH.year else 1)
    assert response.context["period_months"] == THIS_MONTH.month
    response = page(client, known.approver, period="decade")
    assert "could not be used; it was ignored" in " ".join(map(str, response.context["messages"]))


def test_a_township_directly_under_a_prefecture_is_counted_once_there(world):
    """东城街道 (441900003) lies directly under 东莞市 (441900, no county): its code pads to
    the prefecture's at two levels, and is counted there once."""
    make_case(code="441900003", until="submitted")
    do_count_month(THIS_MONTH)
    assert figures("441900003").totals().submitted == 1
    assert figures("441900").totals().submitted == 1
    assert figures("440000").totals().submitted == 1


def test_a_withdrawal_is_not_a_decision(world):
    case = make_case(world.citizen.person, code=VILLAGE, until="submitted")
    do_transition(case, "withdraw", acting_user=world.citizen)
    case.refresh_from_db()
    assert case.closed_at is not None and case.decided_at is None
    do_count_month(THIS_MONTH)
    total = figures().totals()
    assert (total.submitted, total.decided, total.open) == (1, 0, 0)
