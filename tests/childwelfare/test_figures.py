"""Child welfare's dashboard figures (/staff/figures/childwelfare/, insight.registry): each
table checked against a direct count of the children's records, visits and alerts made through
the domain's real actions; every row at the confidentiality of the child's cases, so a viewer
whose grant stops below it counts nothing; the page only in the viewer's area and for the roles
that work child welfare; the files with small cells suppressed; a past month counted with the
categories the children had then."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from childwelfare import actions
from childwelfare.models import Alert, ChildProfile, Visit
from civilaffairs.accounts.actions import do_grant_role
from civilaffairs.casework.models import Case
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.insight.registry import get_figures
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.months import add_months, first_of_month
from civilaffairs.people.actions import do_record_death
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import UserFactory, office_for

from .conftest import (
    CW,
    HOME,
    confirm,
    confirmed,
    family,
    orphan_family,
    report,
    reported_and_screened,
    screen,
    set_working_away,
)

URL = "/staff/figures/childwelfare/"
ELSEWHERE = "640105001002"  # a community of another county
SENSITIVE = Confidentiality.SENSITIVE


def this_month() -> dt.date:
    return first_of_month(timezone.localdate())


def start_of(month: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month, dt.time.min))


def profile_of(child) -> ChildProfile:
    return ChildProfile.objects.get(person=child)


@pytest.fixture
def known(world):
    """Of 兴庆区 (HOME): an orphan and two left-behind children under protection, one child
    being identified and one found to need no protection; three visits this month (two at
    home, one at school) and one on the last day of last month; two serious safety concerns.
    Of 西夏区: one child being identified."""
    w = world
    _granny, orphan = orphan_family()
    confirmed(w, orphan, "orphan")
    left_behind = []
    for _n in range(2):
        father, mother, child = family()
        set_working_away(father, mother)
        confirmed(w, child, "left_behind")
        left_behind.append(child)
    _f, _m, pending = family()
    reported_and_screened(w, pending)
    _f, _m, no_need = family()
    case = reported_and_screened(w, no_need)
    confirm(case, acting_user=w.childworker, category="none", reason="家庭照料良好。")

    today = timezone.localdate()
    actions.do_record_visit(profile_of(orphan), acting_user=w.director, visited_on=today)
    actions.do_record_visit(
        profile_of(orphan), acting_user=w.director, visited_on=this_month() - dt.timedelta(days=1)
    )
    actions.do_record_visit(
        profile_of(left_behind[0]),
        acting_user=w.director,
        visited_on=today,
        place=Visit.Place.SCHOOL,
        concerns="孩子说晚上独自在家。",
        safety_concern=True,
    )
    actions.do_record_visit(profile_of(left_behind[1]), acting_user=w.childworker, visited_on=today)
    actions.do_report_safety_concern(
        profile_of(orphan), acting_user=w.director, message="奶奶住院，孩子无人照看。"
    )

    _f, _m, far = family(region=ELSEWHERE)
    screen(report(far, w.other_childworker, reporter_kind="school"))
    do_count_month(this_month())
    return w


def counts(code: str, level: int = SENSITIVE, month: dt.date | None = None) -> DomainCounts:
    return DomainCounts(
        get_figures("childwelfare"), Region.objects.get(code=code), month or this_month(), level
    )


def direct(code: str) -> dict[str, dict[str, int]]:
    """Each table counted straight from the domain's rows (this month: what is open now)."""
    prefix = Region.prefix_of(code)
    here = {"person__residence_region_id__startswith": prefix}
    children = ChildProfile.objects.open().exclude(category="none").filter(**here)
    visits = Visit.objects.filter(
        visited_on__gte=this_month(), **{f"profile__{k}": v for k, v in here.items()}
    )
    alerts = Alert.objects.filter(
        raised_at__gte=start_of(this_month()), **{f"profile__{k}": v for k, v in here.items()}
    )
    tables = {
        "children": dict(Counter(p.category for p in children)),
        "visits": dict(Counter(v.place for v in visits)),
        "alerts": dict(Counter(a.kind for a in alerts)),
    }
    return {key: got for key, got in tables.items() if got}


def test_each_table_matches_a_direct_count(known):
    county = counts("640104")
    assert county.tables == direct("640104")
    assert county.of("children") == {"orphan": 1, "left_behind": 2, "pending": 1}
    assert county.of("visits") == {"home": 2, "school": 1}
    assert county.of("alerts") == {"safety": 2}
    assert counts("640104001").tables == county.tables == counts(HOME).tables
    assert counts("640105").tables == direct("640105") == {"children": {"pending": 1}}
    assert counts("640100").of("children")["pending"] == 2
    # Every row stands at the level of the children's cases: sensitive.
    cases = Case.objects.filter(service__startswith="childwelfare.")
    assert set(cases.values_list("confidentiality", flat=True)) == {SENSITIVE}
    assert counts("640104", level=Confidentiality.CONFIDENTIAL).tables == {}


def test_a_past_month_counts_the_category_a_child_had_then(world):
    last = add_months(this_month(), -1)
    _granny, child = orphan_family()
    with time_machine.travel(start_of(last) + dt.timedelta(days=9, hours=10), tick=False):
        case = reported_and_screened(world, child)
    confirm(case, acting_user=world.childworker, category="orphan", director=world.director)
    do_count_month(last)
    do_count_month(this_month())
    assert counts("640104", month=last).of("children") == {"pending": 1}
    assert counts("640104").of("children") == {"orphan": 1}
    # A record closed this month (the child died) was still open at last month's end.
    do_record_death(child, acting_user=world.childworker, date_of_death=timezone.localdate())
    assert profile_of(child).closed_on == timezone.localdate()
    do_count_month(last)
    do_count_month(this_month())
    assert counts("640104", month=last).of("children") == {"pending": 1}
    assert counts("640104").of("children") == {}


def page(client, user, **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, user)
    return client.get(URL, params)


def test_a_county_worker_sees_its_county_only(client, known):
    response = page(client, known.childworker, region="640104")
    assert response.status_code == 200
    tables = {t.key: t for t in response.context["tables"]}
    assert [(line.label, line.values) for line in tables["children"].lines] == [
        ("Being identified", [1]),
        ("Orphan", [1]),
        ("Left-behind child", [2]),
    ]
    assert [line.label for line in tables["visits"].lines] == ["At home", "At school"]
    assert "Figures: child welfare" in response.content.decode()
    assert page(client, known.childworker, region="640104001").status_code == 200
    assert page(client, known.childworker, region="640105").status_code == 404
    assert page(client, known.other_childworker, region="640104").status_code == 404
    response = page(client, known.other_childworker, region="640105")
    assert response.status_code == 200
    assert [line.values for line in response.context["tables"][0].lines] == [[1]]


def test_a_worker_whose_grant_stops_below_the_cases_level_counts_nothing(client, known):
    low = UserFactory(username="childworker_low")
    do_grant_role(
        low,
        office_for("640104"),
        CW,
        acting_user=None,
        max_confidentiality=Confidentiality.CONFIDENTIAL,
    )
    response = page(client, low, region="640104")
    assert response.status_code == 200
    assert response.context["empty"]
    tables = {t.key: t for t in response.context["tables"]}
    assert [tables[key].lines for key in ("children", "visits", "alerts")] == [[], [], []]
    assert {v for line in tables["region"].lines for v in line.values} == {0}


def test_who_does_not_work_child_welfare_is_refused(client, known):
    p = known.p
    # A children's director works only the children given to them: not the area's figures.
    for user in (p.caseworker, p.approver, p.supervisor, p.citizen, known.director):
        assert page(client, user).status_code == 403
        client.logout()


def test_the_files_write_small_cells_as_under_five(client, known):
    response = page(client, known.childworker, region="640104", download="children", format="csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Category", "Children"]
    assert dict(lines[1:]) == {
        "Being identified": "<5",
        "Orphan": "<5",
        "Left-behind child": "<5",
    }
    response = page(client, known.childworker, region="640104", download="region", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    township = Region.objects.get(code="640104001").name
    assert [township, "<5"] in lines
