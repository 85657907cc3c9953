"""Decision-support scenarios (issue #18, part 3): a proposed change of a program's values,
judged over a small generated register of two counties and checked against a direct count in
Python and sums made by hand; who it reaches; under-coverage; results kept when the register
changes; jurisdiction; bad input; the list, the comparison and their statement counts."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assistance.models import HouseholdEconomy
from assistance.seed import seed_programs
from civilaffairs.insight.actions import do_save_scenario
from civilaffairs.insight.models import Scenario
from civilaffairs.insight.scenarios import Result
from civilaffairs.people.models import Membership, Region
from civilaffairs.rules.models import Program
from tests.auth import sign_in
from tests.factories import PersonFactory, make_household

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CITY, COUNTY_A, COUNTY_B = "640100", "640104", "640105"
VILLAGE_A, VILLAGE_B = "640104001002", "640105001002"
URL = "/staff/figures/scenarios/"


def born(age: int) -> dt.date:
    """Someone who turned `age` a month ago (safe across month ends)."""
    day = TODAY - dt.timedelta(days=31)
    return day.replace(year=day.year - age, day=min(day.day, 28))


def home(village, pci, people, *, assets=0, vehicles=0, economy=True):
    """A household of `people` ((sex, age, disability grade) each) in `village` with a declared
    income per person `pci` and savings per person `assets` (no economy: unknown)."""
    region = Region.objects.get(code=village)
    persons = [
        PersonFactory(
            sex=sex,
            birth_date=born(age),
            disability_grade=grade,
            hukou_region=region,
            residence_region=region,
        )
        for sex, age, grade in people
    ]
    house = make_household(persons[0], *[(p, Membership.Relation.SON) for p in persons[1:]])
    if economy:
        n = len(persons)
        HouseholdEconomy.objects.create(
            household=house,
            members=n,
            monthly_income=Decimal(pci) * n,
            per_capita_income=Decimal(pci),
            financial_assets=Decimal(assets) * n,
            vehicles=vehicles,
        )
    house.spec = {"pci": pci, "n": len(persons), "assets": assets, "vehicles": vehicles}
    house.spec["economy"] = economy
    house.people = people
    return house


@pytest.fixture
def world(personas):
    seed_programs(log=lambda *a: None)  # 低保: 800 in 宁夏, 850 in 银川市; at least 60 a person
    houses = {
        # 兴庆区
        "h1": home(VILLAGE_A, 300, [("F", 70, 0), ("M", 10, 0)]),  # qualifies both ways
        "h2": home(VILLAGE_A, 870, [("M", 45, 0), ("F", 40, 0), ("F", 15, 0)]),  # joins at 900
        "h3": home(VILLAGE_A, 880, [("M", 82, 1)], assets=30000),  # savings: out both ways
        "h4": home(VILLAGE_A, 0, [("M", 50, 0), ("F", 50, 0)], economy=False),  # unknown
        "h5": home(VILLAGE_A, 800, [("F", 35, 0), ("M", 8, 0), ("M", 6, 2), ("F", 62, 0)]),
        # 西夏区
        "h6": home(VILLAGE_B, 500, [("M", 55, 0), ("F", 52, 3)], vehicles=1),  # a vehicle
        "h7": home(VILLAGE_B, 880, [("F", 75, 0)]),  # joins at 900
        "h8": home(VILLAGE_B, 830, [("M", 30, 0), ("F", 29, 0), ("M", 1, 0)]),  # leaves at 820
    }
    personas.houses = houses
    personas.dibao = Program.objects.get(code="dibao")
    return personas


def qualifies(spec, standard) -> bool | None:
    """The 低保 rules in Python: income per person under the standard, savings per person
    under 24 times it, no vehicle (no second home in this register); None when unknown."""
    if not spec["economy"]:
        return None
    return spec["pci"] < standard and spec["assets"] < standard * 24 and spec["vehicles"] == 0


def amount(spec, standard) -> Decimal:
    gap = Decimal(standard) - Decimal(spec["pci"])
    return max(gap, Decimal(60)) * spec["n"] if gap > 0 else Decimal(0)


def direct(houses, prefix, now, then):
    """What the scenario must find in `prefix`, counted here in Python."""
    out = dict.fromkeys(("now_h", "then_h", "join_h", "join_p", "leave_h", "leave_p"), 0)
    cost_now = cost_then = Decimal(0)
    for house in houses.values():
        if not house.region_id.startswith(prefix):
            continue
        a, b = qualifies(house.spec, now), qualifies(house.spec, then)
        n = house.spec["n"]
        out["now_h"] += bool(a)
        out["then_h"] += bool(b)
        if b and not a:
            out["join_h"] += 1
            out["join_p"] += n
        if a and not b:
            out["leave_h"] += 1
            out["leave_p"] += n
        cost_now += amount(house.spec, now) if a else 0
        cost_then += amount(house.spec, then) if b else 0
    return out, cost_now, cost_then


def save(user, *, standard="900", region=CITY, **kw):
    program = kw.pop("program", None) or Program.objects.get(code="dibao")
    return do_save_scenario(
        acting_user=user,
        title=kw.pop("title", f"标准 {standard}"),
        program=program,
        region=Region.objects.get(code=region),
        as_of=kw.pop("as_of", TODAY),
        overrides=kw.pop("overrides", {"dibao_standard": Decimal(standard)}),
        **kw,
    )


def test_joiners_leavers_and_cost_match_a_direct_count_and_the_hand_sums(world):
    scenario = save(world.supervisor)
    result = Result(scenario.results)
    t = result.totals
    counts, cost_now, cost_then = direct(world.houses, "6401", 850, 900)
    assert {k: getattr(t, k) for k in counts} == counts
    # By hand: today h1 (850-300)×2 = 1100, h5 max(50, 60)×4 = 240, h8 max(20, 60)×3 = 180;
    # at 900: h1 1200, h2 max(30, 60)×3 = 180, h5 100×4 = 400, h7 60, h8 70×3 = 210.
    assert (t.now_h, t.then_h, t.join_h, t.leave_h) == (3, 5, 2, 0)
    assert (t.join_p, t.leave_p) == (4, 0)
    assert t.cost_now == cost_now == Decimal("1520.00")
    assert t.cost_then == cost_then == Decimal("2050.00")
    assert t.cost_difference == Decimal("530.00")
    assert t.yearly_difference == Decimal("6360.00")
    assert t.households == 8 and t.people == 18
    # By county: the city's child regions, each against the direct count.
    areas = {a.code: a for a in result.areas}
    assert set(areas) == {COUNTY_A, COUNTY_B}
    for code in (COUNTY_A, COUNTY_B):
        counts, now, then = direct(world.houses, code, 850, 900)
        assert {k: getattr(areas[code], k) for k in counts} == counts
        assert (areas[code].cost_now, areas[code].cost_then) == (now, then)
    assert areas[COUNTY_A].name == "兴庆区"
    # The parameters: today's and the proposal's.
    params = {p["key"]: p for p in result.parameters}
    assert params["dibao_standard"]["now"] == "850" and params["dibao_standard"]["then"] == "900"
    assert params["dibao_min_benefit"]["now"] == params["dibao_min_benefit"]["then"] == "60"


def test_a_proposal_equal_to_today_changes_nothing(world):
    """A scenario that overrides nothing: today and the proposal are the same expressions
    (the rule preview's count of such a pair once failed under psycopg 3's server-side
    binding, rules.engine._outcome_pairs); here every side is still counted, and equal."""
    result = Result(save(world.supervisor, overrides={}).results)
    t = result.totals
    counts, cost_now, cost_then = direct(world.houses, "6401", 850, 850)
    assert {k: getattr(t, k) for k in counts} == counts
    assert (t.now_h, t.then_h, t.join_h, t.leave_h) == (3, 3, 0, 0)
    assert t.cost_now == t.cost_then == cost_now == cost_then == Decimal("1520.00")
    assert t.cost_difference == Decimal("0.00")


def test_a_lower_standard_has_leavers(world):
    result = Result(save(world.approver, standard="820", region=COUNTY_A).results)
    counts, now, then = direct(world.houses, COUNTY_A, 850, 820)
    assert {k: getattr(result.totals, k) for k in counts} == counts
    assert (result.totals.cost_now, result.totals.cost_then) == (now, then)
    # In 西夏区 h8 (830 a person) would leave: a supervisor's scenario of the city says so.
    city = Result(save(world.supervisor, standard="820").results)
    xixia = next(a for a in city.areas if a.code == COUNTY_B)
    assert (xixia.leave_h, xixia.leave_p) == (1, 3)
    # A county's children are its townships.
    assert [a.code for a in result.areas] == ["640104001"]


def test_reach_by_sex_age_band_and_disability(world):
    result = Result(save(world.supervisor).results)
    sexes = {r.key: (r.now, r.then) for r in result.reach_by(2, {"F": "F", "M": "M"})}
    # Today: h1 (F70, M10), h5 (F35, M8, M6, F62), h8 (M30, F29, M1); at 900 also h2 (M45,
    # F40, F15) and h7 (F75).
    assert sexes == {"F": (4, 7), "M": (5, 6)}
    bands = {r.key: (r.now, r.then) for r in result.reach_by(3, {})}
    assert bands == {
        "0-17": (4, 5),
        "18-59": (3, 5),
        "60-69": (1, 1),
        "70-79": (1, 2),
    }
    disabled = {r.key: (r.now, r.then) for r in result.reach_by(4, {True: "y", False: "n"})}
    assert disabled == {True: (1, 1), False: (8, 12)}


def test_under_coverage_counts_people_under_the_standard_left_out(world):
    t = Result(save(world.supervisor).results).totals
    # Under 850 today: h1, h5, h8 (qualify) and h6 (a vehicle: 2 people left out).
    assert (t.gap_now_h, t.gap_now_p) == (1, 2)
    # Under 900: also h2, h7 (qualify) and h3 (880 a person, savings over the limit: 1 more).
    assert (t.gap_then_h, t.gap_then_p) == (2, 3)
    assert t.need_then_p == 2 + 3 + 1 + 4 + 2 + 1 + 3  # h1 h2 h3 h5 h6 h7 h8


def test_saved_results_do_not_change_when_the_register_does(client, world):
    scenario = save(world.supervisor)
    kept = scenario.results
    economy = HouseholdEconomy.objects.get(household=world.houses["h3"])
    economy.financial_assets = 0
    economy.save()
    scenario.refresh_from_db()
    assert scenario.results == kept
    sign_in(client, world.supervisor)
    page = client.get(f"{URL}{scenario.pk}/").content.decode()
    assert re.search(r'id="then-h">5<', page)
    assert 'id="scenario-computed"' in page
    # A new scenario sees the change.
    again = Result(save(world.supervisor).results).totals
    assert again.then_h == 6 and again.gap_then_p == 2


def test_a_program_without_a_cost_says_so(client, world):
    linshi = Program.objects.get(code="linshi")
    scenario = save(world.supervisor, program=linshi)
    result = Result(scenario.results)
    assert not result.costed and not result.need_known
    assert result.not_in_registry == ["emergency_type"]
    sign_in(client, world.supervisor)
    client.cookies["django_language"] = "en"
    page = client.get(f"{URL}{scenario.pk}/").content.decode()
    assert 'id="scenario-no-cost"' in page and 'id="scenario-cost"' not in page
    assert "no registered way of working out" in page


# ----------------------------------------------------------------------------- through the pages


def post(client, **data):
    form = {
        "title": "City standard 900",
        "program": Program.objects.get(code="dibao").pk,
        "region": CITY,
        "as_of": TODAY.isoformat(),
        "overrides": "dibao_standard=900",
        **data,
    }
    return client.post(f"{URL}new/", form)


def test_a_supervisor_saves_one_and_reads_it(client, world):
    sign_in(client, world.supervisor)
    assert client.get(f"{URL}new/").status_code == 200
    response = post(client)
    assert response.status_code == 302
    scenario = Scenario.objects.get()
    assert response["Location"] == f"{URL}{scenario.pk}/"
    assert scenario.created_by == world.supervisor and scenario.overrides == {
        "dibao_standard": "900"
    }
    page = client.get(response["Location"]).content.decode()
    assert re.search(r'id="join-h">2<', page) and re.search(r'id="cost-diff">530.00<', page)
    assert re.search(r'id="year-diff">6360.00<', page)
    assert 'id="area-640104"' in page and 'id="area-640105"' in page
    printed = client.get(f"{URL}{scenario.pk}/print/")
    assert printed.status_code == 200 and "insight/print.css" in printed.content.decode()
    # The region may be named too.
    assert post(client, region="银川市", title="by name").status_code == 302


def test_jurisdiction(client, world):
    here = save(world.approver, region=COUNTY_A)
    there = save(world.other_approver, region=COUNTY_B)
    sign_in(client, world.other_approver)
    assert client.get(f"{URL}{here.pk}/").status_code == 404
    assert client.get(f"{URL}{here.pk}/print/").status_code == 404
    assert client.get(f"{URL}{there.pk}/").status_code == 200
    listed = client.get(URL).content.decode()
    assert there.title in listed and f'value="{here.pk}"' not in listed
    client.cookies["django_language"] = "en"
    refused = post(client, region=COUNTY_A)
    assert refused.status_code == 400
    assert "outside your area" in refused.content.decode()
    with pytest.raises(PermissionDenied):  # the action refuses on its own too
        save(world.other_approver, region=COUNTY_A)
    assert Scenario.objects.count() == 2
    # The city's supervisor reads both; a caseworker none (403).
    sign_in(client, world.supervisor)
    assert client.get(f"{URL}{here.pk}/").status_code == 200
    sign_in(client, world.caseworker)
    for path in (URL, f"{URL}new/", f"{URL}{here.pk}/", f"{URL}compare/?ids={here.pk}"):
        assert client.get(path).status_code == 403, path
    assert post(client).status_code == 403


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"region": ""}, "Give a region: its code or its name."),
        ({"region": "999999"}, "No region has the code or name “999999”."),
        ({"region": "没有这个地方"}, "No region has the code or name “没有这个地方”."),
        ({"program": "99999"}, "Choose one of the programs listed."),
        (
            {"overrides": "linshi_township_limit=5000"},
            "The program “最低生活保障” has no parameter “linshi_township_limit” (it has: "
            "dibao_min_benefit, dibao_standard).",
        ),
        (
            {"overrides": "dibao_standard=eight hundred"},
            "Line 1: write key=value with a number, e.g. dibao_standard=850.",
        ),
        ({"overrides": "dibao_standard=-5"}, "Line 1: “dibao_standard” cannot be negative."),
        ({"overrides": "dibao_standard=NaN"}, "Line 1: write key=value with a number"),
        (
            {"overrides": "dibao_standard=850.00001"},
            "Line 1: “dibao_standard” may have at most 4 decimal places.",
        ),
        (
            {"overrides": "dibao_standard=900\ndibao_standard=950"},
            "Line 2: “dibao_standard” is given twice.",
        ),
        ({"overrides": "dibao_standard=1e12"}, "Line 1: “dibao_standard” is too large."),
        ({"overrides": ""}, "Give at least one proposed value, or choose a draft rule set."),
        ({"as_of": "2025-06-01"}, "No rule set of “最低生活保障” is in force on 2025-06-01."),
        ({"as_of": "1999-01-01"}, "Choose a date from 2000-01-01"),
        ({"ruleset": "12345678"}, "Choose one of the drafts listed."),
    ],
)
def test_bad_input_is_said_in_the_users_language(client, world, data, message):
    sign_in(client, world.supervisor)
    client.cookies["django_language"] = "en"
    response = post(client, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Scenario.objects.exists()


def test_a_parameter_missing_for_the_region_is_named(client, world):
    sign_in(client, world.admin)
    client.cookies["django_language"] = "en"
    response = post(client, region="110101", overrides="dibao_min_benefit=50")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The parameter “dibao_standard” has no value for region 110101" in page
    assert "“dibao_min_benefit”" not in page.split("no value for region")[0][-200:]
    with pytest.raises(ValidationError):
        save(world.admin, region="110101", overrides={"dibao_min_benefit": Decimal(50)})


def test_the_list_is_paged_and_compare_takes_two_to_four(
    client, world, django_assert_max_num_queries
):
    first = save(world.supervisor, standard="900")
    second = save(world.supervisor, standard="820")
    for n in range(30):
        Scenario.objects.create(
            title=f"copy {n}",
            program=first.program,
            region=first.region,
            as_of=first.as_of,
            overrides=first.overrides,
            results=first.results,
            created_by=world.supervisor,
            created_at=first.created_at,
            computed_at=first.computed_at,
        )
    sign_in(client, world.supervisor)
    client.cookies["django_language"] = "en"
    client.get(URL)  # the menu's fragments in the cache
    with django_assert_max_num_queries(3):  # the session, the user, the page's rows
        page = client.get(URL)
    text = page.content.decode()
    assert text.count('name="ids"') == 25
    cursor = re.search(r"after=([A-Za-z0-9_-]+)", text).group(1)
    rest = client.get(f"{URL}?after={cursor}").content.decode()
    assert rest.count('name="ids"') == 7 and "after=" not in rest.split("</table>")[1]
    seen = re.findall(r'name="ids" value="(\d+)"', text + rest)
    assert len(set(seen)) == 32
    # Garbage cursors start at the beginning.
    assert client.get(f"{URL}?after=!!!").status_code == 200
    with django_assert_max_num_queries(3):  # the session, the user, the scenario
        detail = client.get(f"{URL}{first.pk}/")
    assert detail.status_code == 200
    with django_assert_max_num_queries(3):  # the session, the user, the scenarios
        both = client.get(f"{URL}compare/?ids={first.pk}&ids={second.pk}")
    page = both.content.decode()
    assert first.title in page and second.title in page
    assert 'id="scenario-compare"' in page
    # Bad ids are said, never a 500.
    lone = client.get(f"{URL}compare/?ids={first.pk}&ids=abc&ids=99999999999999999999")
    text = lone.content.decode()
    assert lone.status_code == 200
    assert "“abc” is not a scenario number" in text
    assert "Choose two to four scenarios to compare" in text
    assert 'id="scenario-compare"' not in text
    other = save(world.other_approver, region=COUNTY_B)
    hidden = client.get(f"{URL}compare/?ids={first.pk}&ids={other.pk}")
    assert hidden.status_code == 200  # the supervisor's area holds 西夏区
    sign_in(client, world.approver)
    outside = client.get(f"{URL}compare/?ids={first.pk}&ids={other.pk}").content.decode()
    assert f"There is no scenario number {other.pk} in your area" in outside
    many = "&".join(f"ids={s.pk}" for s in Scenario.objects.all()[:6])
    sign_in(client, world.supervisor)
    assert "At most 4 scenarios" in client.get(f"{URL}compare/?{many}").content.decode()
    assert client.get(f"{URL}compare/").status_code == 200
