"""The benefit figures: each checked against a direct count of the ledger on known data, seen
only within the viewer's jurisdiction, exported with small cells suppressed, and bad input
answered with a message, never an error page."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from civilaffairs.benefits.actions import do_grant, do_schedule_month, do_stop
from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.benefits.registry import Program, register_program
from civilaffairs.casework.models import Case
from civilaffairs.insight.actions import do_count_month, do_count_recent
from civilaffairs.insight.models import MonthCount
from civilaffairs.insight.queries import Figures
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import StaffRole, staff

from .conftest import OTHER, PROGRAM, THIS_MONTH, on_benefit

URL = "/staff/figures/benefits/"
VILLAGE, VILLAGE_2 = "640104001002", "640104001003"  # two communities of one township
ELSEWHERE = "640105001002"  # a community of another county


@pytest.fixture
def known(world):
    """Thirteen people on benefits: eleven in township 640104001 (eight in one village, three
    in another), two in another county; one stopped last month, so not counted."""
    first, house = on_benefit(VILLAGE, sex="F", age=85, grade=2)
    on_benefit(VILLAGE, sex="F", age=82, household=house)  # the same household
    for age in (5, 12, 30, 45, 61, 75):
        on_benefit(VILLAGE, sex="M", age=age, hukou_type="rural")
    for age in (66, 70):
        on_benefit(VILLAGE_2, sex="F", age=age, program=OTHER, amount="300.00")
    on_benefit(VILLAGE_2, sex="M", age=90, grade=1, amount="800.00")
    on_benefit(ELSEWHERE, sex="M", age=50)
    on_benefit(ELSEWHERE, sex="F", age=51)
    stopped, _h = on_benefit(VILLAGE, sex="M", age=33)
    ent = Entitlement.objects.get(person=stopped)
    ent.start_month = THIS_MONTH.replace(year=THIS_MONTH.year - 1)
    ent.save()
    do_stop(ent, acting_user=None, on=THIS_MONTH.replace(year=THIS_MONTH.year - 1), reason="moved")
    do_schedule_month(THIS_MONTH)
    do_count_month(THIS_MONTH)
    return world


def direct(prefix, **where):
    """The ledger counted directly: people with a benefit in force this month, by the case's
    region."""
    rows = Entitlement.objects.covering(THIS_MONTH).filter(
        Q(stopped_on__isnull=True) | Q(stopped_on__gte=THIS_MONTH),
        case__region_id__startswith=prefix,
        **where,
    )
    return rows.values("person").distinct().count(), rows.aggregate(s=Sum("monthly_amount"))["s"]


def test_every_figure_matches_a_direct_count(known):
    county = Region.objects.get(code="640104")
    figures = Figures(county, THIS_MONTH, max_level=2)
    totals = figures.totals()
    assert (totals.persons, totals.amount) == direct("640104") == (11, Decimal("5400.00"))
    assert totals.households == 10  # the two women of 85 and 82 share one
    # Each cut adds up to the whole, and each part is what a direct count gives.
    sexes = {r.key: r.persons for r in figures.by("sex", {"F": "F", "M": "M"})}
    assert sexes == {"F": 4, "M": 7}
    assert sexes["F"] == direct("640104", person__sex="F")[0]
    bands = {r.key: r.persons for r in figures.by("age_band", {})}
    assert bands == {"0-17": 2, "18-59": 2, "60-69": 2, "70-79": 2, "80+": 3}
    assert {r.key: r.persons for r in figures.by("disabled", {})} == {"False": 9, "True": 2}
    assert {r.key: r.persons for r in figures.by("hukou_type", {})} == {"rural": 6, "urban": 5}
    programs = {r.key: (r.persons, r.households, r.amount) for r in figures.by_program({})}
    assert programs == {
        PROGRAM: (9, 8, Decimal("4800.00")),
        OTHER: (2, 2, Decimal("600.00")),
    }
    # One level down: the township, and within it its villages.
    regions = {r.key: (r.persons, r.households) for r in figures.by_region() if r.persons}
    assert regions == {"640104001": (11, 10)}
    township = Figures(Region.objects.get(code="640104001"), THIS_MONTH, max_level=2)
    villages = {r.key: (r.persons, r.households) for r in township.by_region() if r.persons}
    assert villages == {VILLAGE: (8, 7), VILLAGE_2: (3, 3)}
    # Every level holds its whole subtree: the city and the province also count the other
    # county's two.
    for code, prefix in (("640100", "6401"), ("640000", "64")):
        whole = Figures(Region.objects.get(code=code), THIS_MONTH, max_level=2).totals()
        assert (whole.persons, whole.amount) == direct(prefix) == (13, Decimal("6400.00"))
    # One program only.
    only = Figures(county, THIS_MONTH, OTHER, 2).totals()
    assert (only.persons, only.amount) == direct("640104", program=OTHER) == (2, Decimal("600.00"))
    # The month's payments, by status.
    payments = {r.key: (r.persons, r.amount) for r in figures.payments({"scheduled": "s"})}
    paid = Payment.objects.filter(
        month=THIS_MONTH, status="scheduled", entitlement__case__region_id__startswith="640104"
    )
    assert payments == {"scheduled": (paid.count(), paid.aggregate(s=Sum("amount"))["s"])}
    assert figures.trend()[-1].persons == 11


def test_all_programs_count_a_person_on_two_once(known):
    """Someone on both programs is one person (and one household) under all programs, and
    in each program's row."""
    person, _house = on_benefit(VILLAGE, sex="F", age=40)
    case = Entitlement.objects.get(person=person).case
    do_grant(
        case,
        acting_user=None,
        person=person,
        program=OTHER,
        monthly_amount=Decimal("100.00"),
        start_month=THIS_MONTH,
    )
    do_count_month(THIS_MONTH)
    figures = Figures(Region.objects.get(code="640104001"), THIS_MONTH, max_level=2)
    totals = figures.totals()
    assert (totals.persons, totals.households, totals.amount) == (12, 11, Decimal("6000.00"))
    programs = {r.key: (r.persons, r.households) for r in figures.by_program({})}
    assert programs == {PROGRAM: (10, 9), OTHER: (3, 3)}
    assert sum(r.persons for r in figures.by("sex", {})) == 12


def test_the_amount_is_the_months_payment_where_one_is_scheduled(world):
    """A program priced month by month (an elder's allowance by age) stores a nominal amount
    on the entitlement; the figures say what the month pays."""
    register_program(
        Program("test.priced", "Priced", amount_for=lambda ent, month: (Decimal("123.00"), {}))
    )
    on_benefit(VILLAGE, program="test.priced", amount="0.01")
    do_schedule_month(THIS_MONTH)
    do_count_month(THIS_MONTH)
    figures = Figures(Region.objects.get(code="640104001"), THIS_MONTH, "test.priced", 2)
    assert figures.totals().amount == Decimal("123.00")


def test_a_viewer_sums_only_the_levels_their_grant_allows(client, known):
    """A case more confidential than a caseworker's grant (a minor's, say) is not in their
    figures; the administrator's include it."""
    person, _house = on_benefit(VILLAGE, age=9)
    Case.objects.filter(pk=Entitlement.objects.get(person=person).case_id).update(
        confidentiality=Confidentiality.SENSITIVE
    )
    do_count_month(THIS_MONTH)
    assert page(client, known.caseworker).context["totals"].persons == 11
    assert page(client, known.admin, region="640104001").context["totals"].persons == 12


def test_money_month_by_month_is_what_was_paid_and_what_failed(client, known):
    ours = Payment.objects.filter(month=THIS_MONTH, entitlement__case__region_id__startswith="6401")
    ids = list(ours.order_by("pk").values_list("pk", flat=True))
    Payment.objects.filter(pk__in=ids[:5]).update(status="paid")
    Payment.objects.filter(pk__in=ids[5:6]).update(status="failed")
    Payment.objects.filter(pk__in=ids[6:7]).update(status="returned")
    do_count_month(THIS_MONTH)
    response = page(client, known.supervisor)
    tables = {t.key: t.lines for t in response.context["tables"]}
    month = f"{THIS_MONTH:%Y-%m}"
    for key, statuses in (("paid", ["paid"]), ("failed", ["failed", "returned"])):
        direct_rows = ours.filter(status__in=statuses)
        line = next(line for line in tables[key] if line.label == month)
        assert line.values == [
            direct_rows.count(),
            direct_rows.aggregate(s=Sum("amount"))["s"],
        ]
    assert [line.values[0] for line in tables["paid"] if line.label == month] == [5]


def test_counting_again_replaces_the_months_figures(known):
    on_benefit(VILLAGE, age=20)
    county = Region.objects.get(code="640104")
    assert Figures(county, THIS_MONTH, max_level=2).totals().persons == 11  # not yet counted
    count = do_count_month(THIS_MONTH)
    assert Figures(county, THIS_MONTH, max_level=2).totals().persons == 12
    assert MonthCount.objects.get(month=THIS_MONTH).counted_at == count.counted_at
    do_count_month(THIS_MONTH)
    assert Figures(county, THIS_MONTH, max_level=2).totals().persons == 12


def test_beat_counts_last_month_only_until_the_first_week_of_this_one_is_over(world):
    last = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)
    assert [c.month for c in do_count_recent(THIS_MONTH.replace(day=3))] == [THIS_MONTH, last]
    settled = dt.datetime.combine(THIS_MONTH.replace(day=8), dt.time(12), tzinfo=dt.UTC)
    later = THIS_MONTH.replace(day=20)
    MonthCount.objects.filter(month=last).update(counted_at=settled - dt.timedelta(days=2))
    assert [c.month for c in do_count_recent(later)] == [THIS_MONTH, last]
    MonthCount.objects.filter(month=last).update(counted_at=settled)
    assert [c.month for c in do_count_recent(later)] == [THIS_MONTH]


def page(client, user, **params):
    sign_in(client, user)
    return client.get(URL, params)


def test_a_township_caseworker_sees_its_township_and_nothing_else(client, known):
    caseworker = known.caseworker
    response = page(client, caseworker)
    assert response.status_code == 200
    assert response.context["region"].code == "640104001"
    assert response.context["totals"].persons == 11
    for outside in ("640104", "640105001", "640105", "640000", ELSEWHERE):
        assert page(client, caseworker, region=outside).status_code == 404
    # Its exports hold its villages only.
    response = page(client, caseworker, download="region", format="csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {r.name for r in Region.objects.filter(parent_id="640104001")}
    assert {line[0] for line in lines[1:]} <= names
    assert len(lines) - 1 == len(names)


def test_a_county_approver_drills_down_its_county_but_not_into_another(client, known):
    approver = known.approver
    assert page(client, approver).context["region"].code == "640104"
    assert page(client, approver, region="640104001").status_code == 200
    assert page(client, approver, region=VILLAGE).context["totals"].persons == 8
    assert page(client, approver, region="640105").status_code == 404
    assert page(client, approver, region="640105001").status_code == 404
    # A city supervisor goes down to the village and back up by the breadcrumbs.
    supervisor = known.supervisor
    response = page(client, supervisor, region=VILLAGE)
    assert [r.code for r in response.context["ancestors"]] == ["640100", "640104", "640104001"]
    assert page(client, supervisor, region="640000").status_code == 404


def test_who_may_not_see_the_figures(client, known):
    registrar = staff("registrar_fig", "640104", StaffRole.Role.REGISTRAR)
    assert page(client, registrar).status_code == 403
    assert page(client, known.citizen).status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _cells(response, fmt):
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    book = load_workbook(io.BytesIO(response.content))
    return [
        [("" if c is None else c) for c in row] for row in book.active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_write_cells_of_fewer_than_five_as_such(client, known, fmt):
    response = page(client, known.approver, region="640104001", download="sex", format=fmt)
    assert response.status_code == 200
    lines = _cells(response, fmt)
    assert lines[0] == ["Sex", "People", "Monthly amount (yuan)"]
    by_sex = {line[0]: line[1:] for line in lines[1:]}
    assert by_sex["Female"] == ["<5", ""]  # four women: no count, no amount
    # …and the men's cell with it: eleven in all (the county's file says so) less seven
    # would give the women's four.
    assert by_sex["Male"] == ["×", ""]
    response = page(client, known.approver, download="region", format=fmt)
    lines = _cells(response, fmt)
    assert lines[0] == ["Region", "People", "Households", "Monthly amount (yuan)"]
    row = next(line for line in lines if line[0] == "凤凰北街街道")
    assert [str(v) for v in row[1:]] == ["11", "10", "5400.00"]
    assert all(str(line[1]) in ("0", "<5") or int(line[1]) >= 5 for line in lines[1:])


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2026-13"},
        {"month": "abc"},
        {"month": "1999-01"},
        {"program": "nope"},
        {"download": "nope"},
        {"download": "sex", "format": "pdf"},
        {"month": "２０２６-０１"},
        {"region": "6401040010029999"},
    ],
)
def test_bad_input_is_said_and_ignored(client, known, params):
    response = page(client, known.approver, **params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    shown = " ".join(str(m) for m in response.context["messages"])
    assert "could not be used; it was ignored" in shown


@pytest.mark.parametrize("region", ["abc", "640104001", "64010400100２", "6401050"])
def test_a_region_that_is_none_is_not_found(client, known, region):
    # (640104001 is a township of the approver's county: the caseworker of another county
    # asks for it.)
    assert page(client, known.other_approver, region=region).status_code == 404


def test_a_month_not_counted_says_so(client, known):
    response = page(client, known.approver, month="2020-01")
    assert response.status_code == 200
    assert "have not been counted" in response.content.decode()
    assert THIS_MONTH.strftime("%Y-%m") in response.content.decode()  # a month that was


def test_the_page_reads_a_fixed_number_of_statements(client, known):
    """As many statements for a county of one township with people as for one of several:
    no statement per region or per row."""
    sign_in(client, known.supervisor)
    client.get(URL, {"region": "640104"})
    do_count_month(THIS_MONTH)  # a new count: the page's figures are built again (views._kept)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, {"region": "640104"}).status_code == 200
    for code in ("640104002001", "640104003001"):
        on_benefit(code)
    do_count_month(THIS_MONTH)
    with CaptureQueriesContext(connection) as more:
        assert client.get(URL, {"region": "640104"}).status_code == 200
    assert len(more) == len(few)
    # The session and the user with grants, the region and its ancestors, the months counted,
    # the counts' version (the key the figures are kept under), and one GROUP BY per table
    # and total.
    assert len(few) <= 25
    # Read again before the next count: the kept figures, the frame's statements only.
    with CaptureQueriesContext(connection) as kept:
        assert client.get(URL, {"region": "640104"}).status_code == 200
    assert len(kept) <= 10


def test_the_forecast_is_a_least_squares_line_through_the_months_counted(known):
    from civilaffairs.insight.queries import Row, forecast_from
    from civilaffairs.lib.months import add_months

    month = dt.date(2026, 6, 1)
    trend = [
        Row(f"{add_months(month, -i):%Y-%m}", "", persons, Decimal(amount))
        for i, (persons, amount) in enumerate([(130, "1300"), (120, "1200"), (100, "1000")])
    ][::-1]
    got = forecast_from(trend, month, 3)
    # Through 100, 120, 130: slope 15, intercept 101.67 → 146.67, 161.67, 176.67.
    assert [r.key for r in got.rows] == ["2026-07", "2026-08", "2026-09"]
    assert [r.persons for r in got.rows] == [147, 162, 177]
    assert [r.amount for r in got.rows] == [
        Decimal("1466.67"),
        Decimal("1616.67"),
        Decimal("1766.67"),
    ]
    assert (got.months, got.people_per_month) == (3, 15.0)
    # Two months, or a gap, give none; a falling line stops at zero.
    assert forecast_from(trend[1:], month, 3) is None
    assert forecast_from([trend[0], trend[2]], month, 3) is None
    falling = [Row(r.key, "", p, Decimal(0)) for r, p in zip(trend, (30, 10, 0), strict=True)]
    assert [r.persons for r in forecast_from(falling, month, 3).rows] == [0, 0, 0]


def test_the_page_says_when_there_is_no_forecast(client, known):
    response = page(client, known.approver)
    forecast = next(t for t in response.context["tables"] if t.key == "forecast")
    assert forecast.lines == []
    assert "there is no forecast yet" in response.content.decode()
