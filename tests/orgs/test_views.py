"""The pages: public register, needs and ledger (no personal data of recipients), the
organization's filing pages, the donor's pages, the needing side, and the authority's pages;
list pages keep a fixed number of queries however many rows they show."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civilaffairs.casework.models import Case
from orgs import actions, ledger
from orgs.models import AnnualReport, Delivery, Need, Offer, Organization, OrgApplication
from tests.auth import sign_in

from .conftest import citizen_user, pdf, region, register_org

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orgs.urls_for_tests")]


def text(response) -> str:
    return response.content.decode()


def login(client, user):
    sign_in(client, user)
    return client


# ----------------------------------------------------------------------------- public


def test_the_public_register_lists_organizations_with_status_and_latest_grade(client, scene):
    actions.do_grade_report(
        scene.report, acting_user=scene.approver, grade="basic_pass", reason="整改"
    )
    page = text(client.get(reverse("orgs:register")))
    assert scene.org.name in page and scene.org.uscc in page
    assert "Basic pass" in page and str(scene.report.year) in page
    assert "Active" in page
    detail = text(client.get(reverse("orgs:register-detail", args=[scene.org.pk])))
    assert scene.org.scope in detail
    # The legal representative's name is a registration fact; the ID number never is.
    assert scene.org.legal_representative.id_number not in detail
    assert scene.org.legal_representative.id_number[-4:] + "<" not in detail


def test_the_register_searches_by_name_and_by_code(client, scene):
    assert scene.org.name in text(client.get(reverse("orgs:register"), {"q": "阳光"}))
    assert scene.org.name in text(
        client.get(reverse("orgs:register"), {"q": scene.org.uscc.lower()})
    )
    assert scene.org.name not in text(client.get(reverse("orgs:register"), {"q": "不存在"}))


def personal_data(scene) -> list[str]:
    head = scene.head
    return [
        head.name,
        head.id_number,
        head.id_number[-4:],
        head.phone,
        head.address,
        "赵秘密家两个孩子上小学",
        scene.org_user.person.name,  # the organization's staff who confirmed receipt
        scene.org_user.person.id_number,
        scene.caseworker.username,
        "孙经理",  # the company donor's contact person
        "隐名商贸有限公司",  # no consent to be named
    ]


@pytest.mark.parametrize("name", ["orgs:register", "orgs:needs-public", "orgs:ledger"])
def test_no_personal_data_of_recipients_on_public_pages(client, scene, name):
    page = text(client.get(reverse(name)))
    for secret in personal_data(scene):
        assert secret not in page, secret
    # No village-level area either: the township at most.
    assert "崇安社区" not in page


def test_the_public_detail_page_shows_nothing_of_recipients(client, scene):
    page = text(client.get(reverse("orgs:register-detail", args=[scene.org.pk])))
    for secret in personal_data(scene):
        assert secret not in page, secret


def test_the_public_ledger_totals_equal_the_sum_of_recorded_deliveries(client, scene):
    page = text(client.get(reverse("orgs:ledger")))
    confirmed = Delivery.objects.filter(confirmed_at__isnull=False)
    assert confirmed.count() == 2  # the pending delivery is not in the ledger
    total_qty = sum(d.received_quantity for d in confirmed)
    total_value = sum(d.value for d in confirmed)
    assert total_qty == 25 and total_value == Decimal("2200.00")
    assert f"{total_qty} items" in page or f"共 {total_qty}" in page
    assert str(total_value) in page
    by_project = {t.project: t for t in ledger.project_totals()}
    assert by_project["冬季送温暖"].value == Decimal("2000.00")
    assert by_project["困难家庭助学"].value == Decimal("200.00")
    assert "刘强" in page
    assert "Anonymous donor" in page


def test_the_public_needs_page_shows_what_is_still_needed(client, scene):
    page = text(client.get(reverse("orgs:needs-public")))
    assert "棉被" in page and "凤凰北街街道" in page
    need = Need.objects.get(pk=scene.need.pk)
    assert f"{need.open_quantity} / 40" in page


def _same_queries(client, url, add_rows, django_assert_num_queries):
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_rows()
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def more_orgs(approver, n=3):
    for i in range(n):
        register_org(citizen_user(f"申请人{i}"), approver, name=f"兴庆区第{i}社工中心")


def more_deliveries(scene, n=3):
    for i in range(n):
        offer = actions.do_create_offer(
            acting_user=scene.donor,
            donor_name="刘强",
            show_name=bool(i % 2),
            category="clothing",
            item=f"冬衣{i}",
            quantity=2,
            unit="piece",
            unit_value=Decimal("30"),
            region=region("640104002"),
        )
        need = actions.do_create_need(
            scene.project,
            acting_user=scene.org_user,
            category="clothing",
            item=f"冬衣{i}",
            quantity=2,
            unit="piece",
            region=region("640104002"),
            urgency=1,
            deadline=dt.date.today() + dt.timedelta(days=9),
        )
        (m,) = actions.do_propose_matches(need)
        assert m.offer_id == offer.pk
        actions.do_accept_match(m, acting_user=scene.org_user)
        actions.do_record_delivery(m, acting_user=scene.org_user, quantity=2, received=True)


def test_public_lists_have_no_n_plus_one(client, scene, django_assert_num_queries):
    _same_queries(
        client,
        reverse("orgs:register"),
        lambda: more_orgs(scene.approver),
        django_assert_num_queries,
    )
    _same_queries(
        client, reverse("orgs:ledger"), lambda: more_deliveries(scene), django_assert_num_queries
    )


def test_the_needs_page_has_no_n_plus_one(client, scene, django_assert_num_queries):
    def more():
        for i in range(3):
            actions.do_create_need(
                scene.project,
                acting_user=scene.org_user,
                category="food",
                item=f"米面油{i}",
                quantity=5,
                unit="bag",
                region=region("640104001003"),
                urgency=1,
                deadline=dt.date.today() + dt.timedelta(days=9),
            )

    _same_queries(client, reverse("orgs:needs-public"), more, django_assert_num_queries)


# ----------------------------------------------------------------------------- organizations


def test_an_applicant_registers_an_organization_through_the_pages(client, world, private_media):
    user = citizen_user("周明")
    login(client, user)
    r = client.post(
        reverse("orgs:establish-start"),
        {"org_type": "social_group", "registration_level": "3", "domicile_region": "640104001"},
    )
    app = OrgApplication.objects.get()
    assert r.status_code == 302 and r.url == reverse("orgs:application-edit", args=[app.pk])
    assert "Still missing" in text(client.get(r.url))
    from tests.factories import valid_id

    rep_id = valid_id("640104")
    r = client.post(
        reverse("orgs:application-edit", args=[app.pk]),
        {
            "name": "兴庆区书画协会",
            "registered_capital": "30000",
            "domicile_region": "640104001",
            "address": "文化街 1 号",
            "scope": "书画交流。",
            "representative_name": "钱文",
            "representative_id_number": rep_id,
            "declaration": "on",
        },
    )
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.legal_representative.name == "钱文"
    for purpose in ("charter", "capital_proof", "member_list"):
        client.post(
            reverse("orgs:application-document", args=[app.pk]),
            {"purpose": purpose, "file": pdf(f"{purpose}.pdf")},
        )
    page = text(client.get(reverse("orgs:application-edit", args=[app.pk])))
    assert "Still missing" not in page
    assert rep_id not in page  # masked
    r = client.post(reverse("orgs:application-submit", args=[app.pk]))
    assert r.status_code == 302 and r.url == reverse("cases:case-detail", args=[app.case.pk])
    assert Case.objects.get(pk=app.case.pk).state == "submitted"
    # The citizen's progress page shows the domain's block.
    assert "See the application" in text(client.get(r.url))


def test_a_wrong_representative_is_refused_next_to_the_field(client, world, private_media):
    user = citizen_user("周明")
    app = actions.do_start_establishment(
        acting_user=user,
        org_type="social_group",
        registration_level=3,
        domicile_region=region("640104001"),
    )
    known = citizen_user("吴某").person
    login(client, user)
    r = client.post(
        reverse("orgs:application-edit", args=[app.pk]),
        {"representative_name": "冒名", "representative_id_number": known.id_number},
    )
    assert r.status_code == 200
    assert "do not match" in text(r)
    app.refresh_from_db()
    assert app.legal_representative is None


def test_the_organization_files_its_annual_report_through_the_pages(
    client, world, org_user, county_org
):
    login(client, org_user)
    page = text(client.get(reverse("orgs:my-org", args=[county_org.pk])))
    assert "File the annual report" in page
    r = client.post(reverse("orgs:report-start", args=[county_org.pk]))
    report = AnnualReport.objects.get()
    assert r.url == reverse("orgs:report-edit", args=[report.pk])
    r = client.post(
        reverse("orgs:report-edit", args=[report.pk]),
        {
            "activities": "开展活动 50 次",
            "income": "100000",
            "expenses": "90000",
            "net_assets": "30000",
            "staff_count": "3",
            "volunteer_count": "10",
            "governance": "理事会 2 次",
            "declaration": "on",
        },
    )
    assert r.status_code == 302
    r = client.post(reverse("orgs:report-submit", args=[report.pk]))
    assert r.url == reverse("cases:case-detail", args=[report.case.pk])
    assert Case.objects.get(pk=report.case.pk).state == "submitted"


def test_other_people_cannot_open_an_organizations_pages(client, scene):
    stranger = citizen_user("王五")
    login(client, stranger)
    for url in (
        reverse("orgs:my-org", args=[scene.org.pk]),
        reverse("orgs:report-edit", args=[scene.report.pk]),
        reverse("orgs:application-edit", args=[scene.change.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("orgs:report-start", args=[scene.org.pk])).status_code == 404
    assert (
        client.post(reverse("orgs:change-start", args=[scene.org.pk, "change"])).status_code == 404
    )


# ----------------------------------------------------------------------------- the authority


def step_url(case, name):
    return reverse("casework:case-transition", args=[case.pk, name])


def test_the_authority_approves_a_change_on_the_case_page(client, scene):
    login(client, scene.approver)
    case = scene.change.case
    case_page = text(client.get(reverse("casework:case-detail", args=[case.pk])))
    # The step's form is on the case page, beside what the application changes.
    assert step_url(case, "approve") in case_page
    assert 'name="t-approve-credit_code"' in case_page
    assert "新的业务范围" in case_page
    r = client.post(step_url(case, "approve"), {"t-approve-credit_code": ""})
    assert r.status_code == 302
    org = Organization.objects.get(pk=scene.org.pk)
    assert org.scope == "新的业务范围。"
    assert Case.objects.get(pk=case.pk).state == "approved"
    history = text(client.get(reverse("orgs:staff-org", args=[org.pk])))
    assert case.reference in history and "scope" in history


def test_a_bad_credit_code_is_shown_on_the_approval_form(client, scene):
    login(client, scene.approver)
    case = scene.change.case
    r = client.post(step_url(case, "approve"), {"t-approve-credit_code": "not a code"})
    assert r.status_code == 400
    assert 'name="t-approve-credit_code"' in text(r)
    assert Case.objects.get(pk=case.pk).state == "received"


def test_the_authority_grades_on_the_case_page(client, scene):
    login(client, scene.approver)
    url = step_url(scene.report.case, "grade")
    r = client.post(url, {"t-grade-grade": "fail", "t-grade-grade_reason": ""})
    assert r.status_code == 400 and "reasons" in text(r).lower()
    assert AnnualReport.objects.get(pk=scene.report.pk).grade == ""
    r = client.post(url, {"t-grade-grade": "fail", "t-grade-grade_reason": "财务混乱"})
    assert r.status_code == 302
    report = AnnualReport.objects.get(pk=scene.report.pk)
    assert report.grade == "fail" and report.grade_reason == "财务混乱"
    assert report.graded_by == scene.approver
    assert Case.objects.get(pk=scene.report.case.pk).state == "graded"


def test_a_colleague_who_sees_the_case_but_is_not_the_authority_cannot_decide(client, scene):
    """The city supervisor sees 兴庆区's cases but does not decide for 兴庆区: the steps are
    not offered to them, and posting one changes nothing."""
    login(client, scene.supervisor)
    case_page = text(client.get(reverse("casework:case-detail", args=[scene.change.case.pk])))
    assert step_url(scene.change.case, "approve") not in case_page
    r = client.post(step_url(scene.change.case, "approve"), {"t-approve-credit_code": ""})
    assert r.status_code == 302
    assert "You may not do this on this case." in text(client.get(r.url))
    r = client.post(step_url(scene.report.case, "grade"), {"t-grade-grade": "pass"})
    assert r.status_code == 302
    assert Case.objects.get(pk=scene.change.case.pk).state == "received"
    assert AnnualReport.objects.get(pk=scene.report.pk).grade == ""


def test_status_charity_and_accounts_on_the_staff_page(client, scene):
    login(client, scene.approver)
    url = reverse("orgs:staff-org", args=[scene.org.pk])
    assert "Late" in text(client.get(reverse("orgs:staff-late"))) or scene.org.name in text(
        client.get(reverse("orgs:staff-late"))
    )
    client.post(
        reverse("orgs:staff-org-status", args=[scene.org.pk]),
        {"status": "suspended", "reason": "整顿"},
    )
    assert Organization.objects.get(pk=scene.org.pk).status == "suspended"
    # Suspension closes the organization's open needs.
    assert Need.objects.get(pk=scene.need.pk).status == "closed"
    other = citizen_user("新同事", phone="13700000009")
    client.post(reverse("orgs:staff-org-account", args=[scene.org.pk]), {"login": "13700000009"})
    assert other.org_accounts.filter(organization=scene.org).exists()
    assert "13700000009" not in text(client.get(url))  # masked


def test_staff_lists_have_no_n_plus_one(client, scene, django_assert_num_queries):
    login(client, scene.approver)
    _same_queries(
        client,
        reverse("orgs:staff-orgs"),
        lambda: more_orgs(scene.approver),
        django_assert_num_queries,
    )


# ----------------------------------------------------------------------------- donors and the needing side


def test_a_donor_offers_sees_the_match_delivers_and_finds_it_in_the_ledger(client, scene):
    donor = citizen_user("钱多多", "640104002001")
    login(client, donor)
    r = client.post(
        reverse("orgs:offer-new"),
        {
            "donor_kind": "person",
            "donor_name": "钱多多",
            "show_name": "on",
            "category": "bedding",
            "item": "羽绒被",
            "quantity": "10",
            "unit": "piece",
            "unit_value": "200",
            "region": "640104001",
            "conditions": "",
            "available_until": "",
        },
    )
    offer = Offer.objects.get(donor=donor)
    assert r.url == reverse("orgs:offer-detail", args=[offer.pk])
    # The needing side looks for offers, accepts, the donor delivers, the side confirms.
    login(client, scene.org_user)
    client.post(reverse("orgs:need-propose", args=[scene.need.pk]))
    match = offer.matches.get()
    assert match.quantity == 10  # 40 needed, 30 already promised by 刘强: 10 open
    client.post(reverse("orgs:match-accept", args=[match.pk]))
    login(client, donor)
    page = text(client.get(reverse("orgs:offer-detail", args=[offer.pk])))
    assert "冬季送温暖" in page and scene.org.name in page
    client.post(
        reverse("orgs:match-delivery", args=[match.pk]),
        {"quantity": "10", "sent_on": dt.date.today().isoformat(), "note": ""},
    )
    delivery = match.deliveries.get()
    login(client, scene.org_user)
    client.post(reverse("orgs:delivery-confirm", args=[delivery.pk]), {"received_quantity": "10"})
    assert "钱多多" in text(client.get(reverse("orgs:ledger")))
    login(client, donor)
    assert "Fulfilled" in text(client.get(reverse("orgs:my-donations")))


def test_the_donations_page_has_no_n_plus_one(client, scene, django_assert_num_queries):
    login(client, scene.donor)
    _same_queries(
        client,
        reverse("orgs:my-donations"),
        lambda: more_deliveries(scene),
        django_assert_num_queries,
    )


def test_the_township_raises_a_need_for_a_household_by_id_number(client, scene):
    login(client, scene.caseworker)
    r = client.post(
        reverse("orgs:need-new"),
        {
            "project": scene.relief.pk,
            "category": "clothing",
            "item": "儿童冬衣",
            "quantity": "2",
            "unit": "piece",
            "region": "640104001",
            "urgency": "2",
            "deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            "household_id_number": scene.head.id_number,
            "internal_note": "",
        },
    )
    need = Need.objects.get(item="儿童冬衣")
    assert r.url == reverse("orgs:need-detail", args=[need.pk])
    assert need.household == scene.household
    # Another county's caseworker cannot attach a household of 兴庆区.
    theirs = actions.do_create_project(
        acting_user=scene.other_caseworker,
        office=scene.other_township,
        name="西夏助学",
        region=region("640105001"),
    )
    login(client, scene.other_caseworker)
    r = client.post(
        reverse("orgs:need-new"),
        {
            "project": theirs.pk,
            "category": "clothing",
            "item": "冬衣",
            "quantity": "2",
            "unit": "piece",
            "region": "640105001",
            "urgency": "2",
            "deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            "household_id_number": scene.head.id_number,
        },
    )
    assert r.status_code == 200 and "No household in your area" in text(r)
    assert not Need.objects.filter(item="冬衣").exists()


def test_the_needing_side_pages_render(client, scene):
    login(client, scene.org_user)
    page = text(client.get(reverse("orgs:need-detail", args=[scene.need.pk])))
    assert "Confirm receipt" in page  # the pending delivery
    assert "棉被" in text(client.get(reverse("orgs:charity-home")))
    login(client, scene.caseworker)
    page = text(client.get(reverse("orgs:need-detail", args=[scene.household_need.pk])))
    assert scene.head.masked_id_number in page and scene.head.id_number not in page


def test_every_page_has_one_h1(client, scene):
    pages = [
        (None, reverse("orgs:register")),
        (None, reverse("orgs:register-detail", args=[scene.org.pk])),
        (None, reverse("orgs:needs-public")),
        (None, reverse("orgs:ledger")),
        (scene.org_user, reverse("orgs:my-orgs")),
        (scene.org_user, reverse("orgs:my-org", args=[scene.org.pk])),
        (scene.org_user, reverse("orgs:establish-start")),
        (scene.org_user, reverse("orgs:application-edit", args=[scene.change.pk])),
        (scene.org_user, reverse("orgs:report-edit", args=[scene.report.pk])),
        (scene.org_user, reverse("orgs:charity-home")),
        (scene.org_user, reverse("orgs:project-new")),
        (scene.org_user, reverse("orgs:need-new")),
        (scene.org_user, reverse("orgs:need-detail", args=[scene.need.pk])),
        (scene.donor, reverse("orgs:offer-new")),
        (scene.donor, reverse("orgs:my-donations")),
        (scene.donor, reverse("orgs:offer-detail", args=[scene.quilts.pk])),
        (scene.approver, reverse("orgs:staff-orgs")),
        (scene.approver, reverse("orgs:staff-late")),
        (scene.approver, reverse("orgs:staff-org", args=[scene.org.pk])),
        (scene.approver, reverse("casework:case-detail", args=[scene.change.case.pk])),
        (scene.approver, reverse("casework:case-detail", args=[scene.report.case.pk])),
    ]
    for user, url in pages:
        client.logout()
        if user:
            login(client, user)
        r = client.get(url)
        assert r.status_code == 200, url
        assert len(re.findall(r"<h1[\s>]", text(r))) == 1, url
