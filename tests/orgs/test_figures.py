"""The social-organization figures (orgs.figures, /staff/figures/orgs/): each table checked
against a direct count of the register on organizations taken through the real actions
(registered, flagged late, reporting, revoked, deregistered, matching charity), in July 2026
and the month before; read by the registration authority's staff of their own area only,
and written to files with small cells suppressed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db.models import Count
from django.utils import translation

from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.insight.registry import get_figures
from civilaffairs.people.models import Region
from orgs import actions
from orgs.models import (
    AnnualReport,
    Delivery,
    LateFiling,
    Match,
    Need,
    Offer,
    Organization,
    OrgType,
)
from tests.auth import sign_in
from tests.factories import StaffRole, staff

from .conftest import citizen_user, pdf, region, register_org

pytestmark = pytest.mark.django_db

URL = "/staff/figures/orgs/"
JULY, JUNE = dt.date(2026, 7, 1), dt.date(2026, 6, 1)
COUNTY, OTHER = "640104", "640105"
NOW = dt.datetime.fromisoformat("2026-07-15T10:00:00+08:00")


@pytest.fixture(autouse=True)
def july():
    """Mid-July 2026: last year's reports were due by 31 May."""
    with time_machine.travel(NOW, tick=True):
        yield


def backdated(org, day):
    """Registered years ago (a plain save, as tests/orgs/conftest.py does)."""
    org.established_on = day
    org.save()
    return org


def deregister(org, user, approver):
    app = actions.do_start_change(org, acting_user=user, kind="deregister")
    actions.do_save_application(
        app, acting_user=user, reason="清算完毕，申请注销。", declaration=True
    )
    for purpose in ("resolution", "liquidation"):
        actions.do_attach_document(app.case, pdf(), purpose, acting_user=user)
    actions.do_submit_application(app, acting_user=user)
    do_screen_and_route(app.case.pk)
    actions.do_approve_application(app, acting_user=approver)


def file_report(org, user):
    report = actions.do_start_report(org, acting_user=user)
    actions.do_save_report(
        report,
        acting_user=user,
        activities="探访 80 次",
        governance="理事会 2 次",
        declaration=True,
    )
    actions.do_submit_report(report, acting_user=user)
    do_screen_and_route(report.case.pk)
    return report


@pytest.fixture
def known(world, org_user, county_org, donor):
    """At 兴庆区 (county): in force in July, five social service agencies (the charity of
    2020 and four registered now), a social group and a foundation registered now; an old
    foundation revoked and an old social group deregistered in July (both in force at June's
    end). At 西夏区: one agency. Three late flags raised in July (the three old ones), and the
    charity's late report filed. The charity's need, an offer, their match and one delivery
    received."""
    w = world
    for i in range(4):
        register_org(citizen_user(f"申请人{i}"), w.approver, name=f"兴庆区第{i}社工服务中心")
    register_org(citizen_user("会长"), w.approver, kind="social_group", name="兴庆区书法协会")
    big = Decimal("8000000")
    register_org(
        citizen_user("理事长"),
        w.approver,
        kind="foundation",
        name="兴庆区助学基金会",
        registered_capital=big,
    )
    old_foundation = backdated(
        register_org(
            citizen_user("老理事长"),
            w.approver,
            kind="foundation",
            name="兴庆区老年基金会",
            registered_capital=big,
        ),
        dt.date(2021, 5, 1),
    )
    old_group_user = citizen_user("老会长")
    old_group = backdated(
        register_org(old_group_user, w.approver, kind="social_group", name="兴庆区老协会"),
        dt.date(2021, 5, 1),
    )
    register_org(
        citizen_user("西夏申请人", "640105001002"),
        w.other_approver,
        domicile="640105001",
        name="西夏区社工服务中心",
    )
    assert actions.do_flag_late_filers() == 3
    file_report(county_org, org_user)
    actions.do_set_status(
        old_foundation, acting_user=w.approver, status="revoked", reason="长期未开展活动。"
    )
    deregister(old_group, old_group_user, w.approver)
    # Charity: the organization's need, a donor's offer, their match and a delivery received.
    project = actions.do_create_project(
        acting_user=org_user, organization=county_org, name="冬季送温暖", region=region("640104001")
    )
    need = actions.do_create_need(
        project,
        acting_user=org_user,
        category="bedding",
        item="棉被",
        quantity=40,
        unit="piece",
        region=region("640104001002"),
        urgency=2,
        deadline=dt.date(2026, 9, 1),
    )
    actions.do_create_offer(
        acting_user=donor,
        donor_name="刘强",
        category="bedding",
        item="棉被",
        quantity=30,
        unit="piece",
        unit_value=Decimal("100"),
        region=region("640104001"),
    )
    (match,) = actions.do_propose_matches(need)
    actions.do_accept_match(match, acting_user=org_user)
    delivery = actions.do_record_delivery(match, acting_user=donor, quantity=20)
    actions.do_confirm_receipt(delivery, acting_user=org_user)
    actions.do_record_delivery(match, acting_user=donor, quantity=5)  # not yet received
    do_count_month(JUNE)
    do_count_month(JULY)
    return w


def counts(code=COUNTY, month=JULY, level=2):
    return DomainCounts(get_figures("orgs"), Region.objects.get(code=code), month, level)


def _in_july(field):
    zone = NOW.tzinfo
    return {
        f"{field}__gte": dt.datetime(2026, 7, 1, tzinfo=zone),
        f"{field}__lt": dt.datetime(2026, 8, 1, tzinfo=zone),
    }


def direct_in_force(prefix):
    """The register now (mid-July: nothing happens after now), live organizations by type."""
    live = Organization.objects.filter(authority__region_id__startswith=prefix).exclude(
        status__in=[Organization.Status.REVOKED, Organization.Status.DEREGISTERED]
    )
    return dict(live.values_list("org_type").annotate(n=Count("id")))


def direct_reports(prefix):
    filed = AnnualReport.objects.filter(
        organization__authority__region_id__startswith=prefix, **_in_july("case__submitted_at")
    ).exclude(case__state="withdrawn")
    out = {
        "filed": filed.count(),
        "filed_late": filed.filter(late=True).count(),
        "late": LateFiling.objects.filter(
            organization__authority__region_id__startswith=prefix, **_in_july("flagged_at")
        ).count(),
    }
    return {k: n for k, n in out.items() if n}


def direct_charity(prefix):
    out = {
        "needs": Need.objects.filter(region_id__startswith=prefix, **_in_july("created_at")),
        "offers": Offer.objects.filter(region_id__startswith=prefix, **_in_july("created_at")),
        "matches": Match.objects.filter(
            need__region_id__startswith=prefix, **_in_july("proposed_at")
        ),
        "deliveries": Delivery.objects.filter(
            match__need__region_id__startswith=prefix, **_in_july("confirmed_at")
        ),
    }
    return {k: qs.count() for k, qs in out.items() if qs.exists()}


def test_the_month_matches_the_register(known):
    july = counts()
    assert july.of("organizations") == direct_in_force(COUNTY)
    assert july.of("organizations") == {"service_agency": 5, "social_group": 1, "foundation": 1}
    assert july.of("reports") == direct_reports(COUNTY) == {"filed": 1, "filed_late": 1, "late": 3}
    assert july.of("charity") == direct_charity("640104")
    assert july.of("charity") == {"needs": 1, "offers": 1, "matches": 1, "deliveries": 1}
    # The other county holds its own; the province holds both.
    assert counts(OTHER).of("organizations") == direct_in_force(OTHER) == {"service_agency": 1}
    assert counts("640000").of("organizations") == {
        "service_agency": 6,
        "social_group": 1,
        "foundation": 1,
    }


def test_june_counts_what_was_in_force_at_its_end(known):
    # The charity of 2020 and the two old organizations, revoked and deregistered in July;
    # nothing registered in July.
    assert counts(month=JUNE).of("organizations") == {
        "service_agency": 1,
        "foundation": 1,
        "social_group": 1,
    }
    assert counts(month=JUNE).of("reports") == {}


def test_a_township_holds_the_charity_of_its_area_only(known):
    township = counts("640104001")
    assert township.of("organizations") == {}  # registered with the county's bureau
    assert township.of("charity") == direct_charity("640104001")


def test_a_filed_report_keeps_its_case_level(known):
    # Annual-report cases are internal (1); the register and its late flags are public (0).
    assert counts(level=0).of("reports") == {"late": 3}
    assert counts(level=0).of("organizations") == counts().of("organizations")


def english_types():
    """The types' labels as the English pages write them (the choices, in their order)."""
    with translation.override("en"):
        return [str(label) for _value, label in OrgType.choices]


def page(client, user, **params):
    sign_in(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(URL, {"month": "2026-07", **params})


def test_the_authority_reads_its_own_area_only(client, known):
    response = page(client, known.approver)
    assert response.status_code == 200
    assert response.context["region"].code == COUNTY
    tables = {t.key: t for t in response.context["tables"]}
    group, agency, foundation = english_types()
    assert [(line.label, line.values) for line in tables["organizations"].lines] == [
        (group, [1]),
        (agency, [5]),
        (foundation, [1]),
    ]
    for outside in (OTHER, "640100", "640000"):
        assert page(client, known.approver, region=outside).status_code == 404
    assert page(client, known.other_supervisor, region=COUNTY).status_code == 404
    response = page(client, known.other_supervisor)
    assert response.context["region"].code == OTHER
    # The township's caseworker reads the township: the charity of its area, no register.
    response = page(client, known.caseworker)
    assert response.status_code == 200 and response.context["region"].code == "640104001"
    assert page(client, known.caseworker, region=COUNTY).status_code == 404


def test_staff_of_another_line_of_work_may_not_read_them(client, known):
    registrar = staff("registrar_orgs", COUNTY, StaffRole.Role.REGISTRAR)
    assert page(client, registrar).status_code == 403
    assert page(client, known.citizen).status_code == 403


def test_files_write_small_cells_as_under_five(client, known):
    response = page(client, known.approver, download="organizations", format="csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    group, agency, foundation = english_types()
    assert lines == [
        ["Type", "Organizations"],
        [group, "<5"],
        [agency, "5"],
        [foundation, "<5"],
    ]
    response = page(client, known.approver, download="reports", format="csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [line[1] for line in lines[1:]] == ["<5", "<5", "<5"]
