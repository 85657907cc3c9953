"""A domain's own figures through insight.registry: a test domain registers one table (its
cases by state), and the platform counts it under every region above, shows it in the
viewer's area only and writes it with small cells suppressed."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civilaffairs.accounts.models import CASEWORK_ROLES
from civilaffairs.casework import registry as casework_registry
from civilaffairs.casework.models import Case
from civilaffairs.insight import registry
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.models import DomainFigure
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.casework.conftest import SERVICE, make_case
from tests.factories import StaffRole, staff

from .conftest import THIS_MONTH

URL = "/staff/figures/testdomain/"
VILLAGE, VILLAGE_2 = "640104001002", "640104001003"


def _by_state_sql():
    # The test service's cases submitted in the month, by state.
    return f"""
        SELECT c.region_id AS region_code, c.confidentiality AS level, c.state AS key,
               count(*) AS n
          FROM {Case._meta.db_table} c
         WHERE c.service = 'test.simple'
           AND c.submitted_at >= %(start)s AND c.submitted_at < %(end)s
         GROUP BY 1, 2, 3
    """  # noqa: S608  (names from _meta, the service a constant of the test)


def _states():
    return {"screened": "Screened", "submitted": "Submitted"}


FIGURES = registry.DomainFigures(
    "testdomain",
    "Figures: test domain",
    tuple(str(r) for r in CASEWORK_ROLES),
    (registry.FigureTable("state", "By state", "State", "Cases", _by_state_sql, _states),),
)


@pytest.fixture
def known(world):
    registry.register_figures(FIGURES)
    for _n in range(6):
        make_case(code=VILLAGE)
    make_case(code=VILLAGE_2)
    make_case(code="640105001002")
    do_count_month(THIS_MONTH)
    yield world
    registry._figures.pop("testdomain")
    casework_registry._links["staff"] = [
        e for e in casework_registry._links["staff"] if e[3] != ("testdomain",)
    ]


def counts(code):
    return DomainCounts(FIGURES, Region.objects.get(code=code), THIS_MONTH, max_level=2)


def test_the_domain_table_is_counted_under_every_region_above(known):
    direct = Case.objects.filter(service=SERVICE, region_id__startswith="640104001")
    assert counts("640104001").of("state") == {"screened": direct.count()} == {"screened": 7}
    assert counts(VILLAGE).of("state") == {"screened": 6}
    assert counts("640104").of("state") == {"screened": 7}
    assert counts("640100").of("state") == {"screened": 8}
    assert {r.code if r else None: n for r, n in counts("640104001").by_region("state")}[
        VILLAGE_2
    ] == 1
    # Counting again replaces the month's rows.
    before = DomainFigure.objects.filter(domain="testdomain").count()
    do_count_month(THIS_MONTH)
    assert DomainFigure.objects.filter(domain="testdomain").count() == before


def page(client, user, **params):
    sign_in(client, user)
    return client.get(URL, params)


def test_the_page_follows_the_viewers_area(client, known):
    response = page(client, known.approver)
    assert response.status_code == 200
    assert response.context["region"].code == "640104"
    lines = {t.key: t.lines for t in response.context["tables"]}
    assert [(line.label, line.values) for line in lines["state"]] == [("Screened", [7])]
    assert page(client, known.approver, region="640105").status_code == 404
    assert page(client, known.other_approver, region="640104001").status_code == 404
    # The staff menu names it, for those who may read it.
    assert "Figures: test domain" in response.content.decode()


def test_who_may_not_see_it_and_an_unknown_domain(client, known):
    registrar = staff("registrar_dom", "640104", StaffRole.Role.REGISTRAR)
    assert page(client, registrar).status_code == 403
    assert page(client, known.citizen).status_code == 403
    sign_in(client, known.approver)
    assert client.get("/staff/figures/nosuchdomain/").status_code == 404


def test_the_files_suppress_small_cells(client, known):
    response = page(client, known.approver, region="640104001", download="region")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Region", "Cases"]
    by_region = {line[0]: line[1] for line in lines[1:]}
    assert by_region[Region.objects.get(code=VILLAGE_2).name] == "<5"
    # …and the only other village with cases with it: the township's 7 less 6 would give it.
    assert by_region[Region.objects.get(code=VILLAGE).name] == "×"


def test_bad_input_is_said_and_ignored(client, known):
    for params in ({"month": "2026-13"}, {"download": "nope"}):
        response = page(client, known.approver, **params)
        assert response.status_code == 200
        shown = " ".join(map(str, response.context["messages"]))
        assert "could not be used; it was ignored" in shown


def test_the_page_reads_a_fixed_number_of_statements(client, known):
    sign_in(client, known.supervisor)
    client.get(URL, {"region": "640104001"})
    do_count_month(THIS_MONTH)  # a new count: the page's figures are built again (views._kept)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"region": "640104001"})
    make_case(code=VILLAGE_2)
    do_count_month(THIS_MONTH)
    with CaptureQueriesContext(connection) as more:
        client.get(URL, {"region": "640104001"})
    assert len(more) == len(few)


def test_a_domain_table_that_fails_leaves_the_other_figures_counted(known, caplog):
    broken = registry.DomainFigures(
        "testbroken",
        "Broken",
        ("caseworker",),
        (
            registry.FigureTable(
                "bad", "Bad", "Key", "Count", lambda: "SELECT no_such_column FROM no_table", dict
            ),
        ),
    )
    registry.register_figures(broken)
    try:
        do_count_month(THIS_MONTH)
    finally:
        registry._figures.pop("testbroken")
        casework_registry._links["staff"] = [
            e for e in casework_registry._links["staff"] if e[3] != ("testbroken",)
        ]
    assert "figures testbroken.bad" in caplog.text
    assert counts("640104001").of("state") == {"screened": 7}
    assert Case.objects.exists()  # the count's transaction went on after the failure


def test_the_level_a_viewer_reads_is_their_grant_in_the_figures_roles(known):
    from civilaffairs.accounts.access import max_level_for

    registrar = staff("registrar_lv", "640104", StaffRole.Role.REGISTRAR)
    assert max_level_for(registrar, "640104001") >= 0
    assert max_level_for(registrar, "640104001", CASEWORK_ROLES) == -1
