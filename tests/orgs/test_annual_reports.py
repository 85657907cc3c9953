"""Annual reports: filed by the organization, graded by its registration authority; late filers
flagged and told by the daily task once the deadline for their type has passed; repeated
failure restricts the organization."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.casework.models import Case, Notification
from civilaffairs.rules.actions import do_set_parameter
from civilaffairs.rules.models import Program
from orgs import actions, tasks
from orgs.models import AnnualReport, Grade, LateFiling, Organization

from .conftest import citizen_user, region

pytestmark = pytest.mark.django_db


def at(day: str):
    return time_machine.travel(dt.datetime.fromisoformat(day + "T10:00:00+08:00"), tick=False)


def filed_report(org, user, year=None):
    report = actions.do_start_report(org, acting_user=user, year=year)
    actions.do_save_report(
        report,
        acting_user=user,
        activities="开展社区服务 80 次。",
        income=Decimal("200000"),
        expenses=Decimal("180000"),
        net_assets=Decimal("60000"),
        staff_count=5,
        volunteer_count=20,
        governance="召开理事会 2 次。",
        declaration=True,
    )
    actions.do_submit_report(report, acting_user=user)
    do_screen_and_route(report.case.pk)
    return AnnualReport.objects.select_related("case", "case__office").get(pk=report.pk)


def test_a_report_goes_to_the_registration_authority_and_is_graded(
    world, org_user, county_org, django_capture_on_commit_callbacks
):
    with at("2026-04-10"):
        report = filed_report(county_org, org_user)
        assert report.year == 2025
        assert report.case.office == world.county
        assert report.case.state == "received"
        assert report.late is False
        with django_capture_on_commit_callbacks(execute=True):
            actions.do_grade_report(report, acting_user=world.approver, grade=Grade.PASS)
    report.refresh_from_db()
    assert report.grade == Grade.PASS and report.graded_by == world.approver
    case = Case.objects.get(pk=report.case.pk)
    assert case.state == "graded" and case.closed_at is not None
    # The organization is told (the filer's inbox).
    assert Notification.objects.filter(person=org_user.person, case=case).exists()


def test_a_grade_below_pass_needs_reasons(world, org_user, county_org):
    with at("2026-04-10"):
        report = filed_report(county_org, org_user)
        with pytest.raises(ValidationError):
            actions.do_grade_report(report, acting_user=world.approver, grade=Grade.BASIC_PASS)
        actions.do_grade_report(
            report, acting_user=world.approver, grade=Grade.BASIC_PASS, reason="财务制度不健全。"
        )
    report.refresh_from_db()
    assert report.grade == Grade.BASIC_PASS and report.grade_reason == "财务制度不健全。"


@pytest.mark.parametrize(
    "who", ["caseworker", "other_approver", "other_supervisor", "province_approver"]
)
def test_only_the_registration_authority_grades(world, org_user, county_org, who):
    with at("2026-04-10"):
        report = filed_report(county_org, org_user)
        with pytest.raises(PermissionDenied):
            actions.do_grade_report(report, acting_user=getattr(world, who), grade=Grade.PASS)
    report.refresh_from_db()
    assert report.grade == ""


def test_a_report_is_filed_once_a_year_and_not_for_the_current_year(world, org_user, county_org):
    with at("2026-04-10"):
        filed_report(county_org, org_user)
        with pytest.raises(ValidationError):
            actions.do_start_report(county_org, acting_user=org_user, year=2025)
        with pytest.raises(ValidationError):
            actions.do_start_report(county_org, acting_user=org_user, year=2026)


def test_only_the_organizations_accounts_file(world, county_org):
    with pytest.raises(PermissionDenied):
        actions.do_start_report(county_org, acting_user=citizen_user("王五"))


def test_late_filers_are_flagged_after_the_deadline_and_told_once(
    world, org_user, county_org, django_capture_on_commit_callbacks
):
    from django.core import mail

    org_user.email = "org@example.cn"
    org_user.save()
    with at("2026-05-31"):  # the deadline day itself is still in time
        assert tasks.flag_late_filers_task() == 0
    with at("2026-06-01"), django_capture_on_commit_callbacks(execute=True):
        assert tasks.flag_late_filers_task() == 1
        assert tasks.flag_late_filers_task() == 0  # idempotent
    # Told by e-mail too (orgs' messages never used to leave the inbox).
    assert [m.to for m in mail.outbox] == [["org@example.cn"]]
    flag = LateFiling.objects.get(organization=county_org)
    assert flag.year == 2025 and flag.deadline == dt.date(2026, 5, 31) and flag.filed_at is None
    notes = Notification.objects.filter(person=org_user.person, case__isnull=True)
    assert notes.count() == 1
    assert "2025" in notes.get().title
    # Filing late is still possible; the report is marked late and the flag resolved.
    with at("2026-06-10"):
        report = filed_report(county_org, org_user)
    assert report.late is True
    flag.refresh_from_db()
    assert flag.filed_at is not None


def test_an_organization_that_filed_in_time_is_not_flagged(world, org_user, county_org):
    with at("2026-05-20"):
        filed_report(county_org, org_user)
    with at("2026-06-02"):
        assert tasks.flag_late_filers_task() == 0
    assert not LateFiling.objects.exists()


def test_the_deadline_is_a_parameter_per_type_and_region(world, org_user, county_org):
    program = Program.objects.get(code="orgs")
    do_set_parameter(
        acting_user=None,
        key="report_deadline_service_agency",
        region=region("640104"),
        value=Decimal("630"),
        valid_from=dt.date(2026, 1, 1),
        program=program,
    )
    with at("2026-06-15"):
        assert tasks.flag_late_filers_task() == 0
    with at("2026-07-01"):
        assert tasks.flag_late_filers_task() == 1


def test_a_newly_registered_organization_owes_no_report_for_before_it_existed(world, org_user):
    from .conftest import register_org

    with at("2026-03-01"):
        org = register_org(org_user, world.approver)
    with at("2026-06-02"):
        assert tasks.flag_late_filers_task() == 0
    assert org.established_on.year == 2026


def test_two_failed_years_in_a_row_restrict_the_organization(world, org_user, county_org):
    with at("2025-04-10"):
        report = filed_report(county_org, org_user)  # on 2024
        actions.do_grade_report(
            report, acting_user=world.approver, grade=Grade.FAIL, reason="未开展活动。"
        )
    county_org.refresh_from_db()
    assert county_org.status == Organization.Status.ACTIVE  # one failed year is not enough
    with at("2026-06-02"):  # nothing filed on 2025 by 31 May
        tasks.flag_late_filers_task()
    county_org.refresh_from_db()
    assert county_org.status == Organization.Status.RESTRICTED
    assert "2" in county_org.status_reason
    assert county_org.history.filter(history_change_reason="restricted").exists()
    # A restricted organization cannot publish charity needs.
    assert not county_org.may_publish_needs


def test_a_fail_after_a_fail_restricts_at_grading(world, org_user, county_org):
    with at("2025-04-10"):
        r1 = filed_report(county_org, org_user)
        actions.do_grade_report(
            r1, acting_user=world.approver, grade=Grade.FAIL, reason="未开展活动。"
        )
    with at("2026-04-10"):
        r2 = filed_report(county_org, org_user)
        actions.do_grade_report(
            r2, acting_user=world.approver, grade=Grade.FAIL, reason="仍未开展。"
        )
    county_org.refresh_from_db()
    assert county_org.status == Organization.Status.RESTRICTED


def test_the_authority_lifts_a_restriction_with_reasons(world, org_user, county_org):
    actions.do_set_status(
        county_org, acting_user=world.approver, status="restricted", reason="年检连续不合格。"
    )
    with pytest.raises(ValidationError):
        actions.do_set_status(county_org, acting_user=world.approver, status="active", reason="")
    with pytest.raises(PermissionDenied):
        actions.do_set_status(
            county_org, acting_user=world.other_approver, status="active", reason="整改完成。"
        )
    actions.do_set_status(
        county_org, acting_user=world.approver, status="active", reason="整改完成。"
    )
    county_org.refresh_from_db()
    assert county_org.status == Organization.Status.ACTIVE
    with pytest.raises(ValidationError):  # deregistered and revoked are final
        actions.do_set_status(county_org, acting_user=world.approver, status="revoked", reason="x")
        actions.do_set_status(county_org, acting_user=world.approver, status="active", reason="x")
