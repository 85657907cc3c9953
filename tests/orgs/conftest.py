"""Fixtures of the social-organization tests.

The personas' offices (and 西夏区's bureau and the 宁夏 department) handle every service; the
domain's parameters are seeded (31 May deadlines, capital minimums, two failed years restrict).
An organization is registered through the real actions: start, fill in, attach documents,
submit, screen and route, approve.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civilaffairs.accounts.actions import do_update_office
from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.casework.registry import all_services
from civilaffairs.people.models import Region
from orgs import actions
from orgs.models import FiledDocument, Organization, OrgApplication, required_documents
from orgs.seed import seed_parameters
from tests.factories import PersonFactory, UserFactory, office_for, staff

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name="charter.pdf"):
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def region(code):
    return Region.objects.get(code=code)


def setup_orgs(p):
    codes = [s.code for s in all_services()]
    offices = [p.township, p.county, p.city, p.other_township, office_for("640105")]
    offices.append(office_for("640000"))
    for office in offices:
        do_update_office(office, acting_user=None, services=codes)
    seed_parameters(log=lambda *a: None)
    return p


def citizen_user(name="张丽", code="640104001002", **kwargs):
    person = PersonFactory(name=name, hukou_region=region(code))
    return UserFactory(person=person, **kwargs)


def fill_establishment(app, user, **overrides):
    rep = PersonFactory(name="陈建国", hukou_region=region("640104001002"))
    fields = {
        "name": "兴庆区阳光社会工作服务中心",
        "sponsoring_unit": "",
        "legal_representative": rep,
        "registered_capital": Decimal("50000"),
        "address": "凤凰北街 18 号",
        "scope": "为老年人和困境儿童提供社会工作服务。",
        "declaration": True,
    }
    fields.update(overrides)
    actions.do_save_application(app, acting_user=user, **fields)
    for purpose in required_documents(app.kind, app.org_type):
        actions.do_attach_document(app.case, pdf(f"{purpose}.pdf"), purpose, acting_user=user)
    return app


def submitted_establishment(user, *, level=3, domicile="640104001", kind="service_agency", **kw):
    app = actions.do_start_establishment(
        acting_user=user,
        org_type=kind,
        registration_level=level,
        domicile_region=region(domicile),
    )
    fill_establishment(app, user, **kw)
    actions.do_submit_application(app, acting_user=user)
    do_screen_and_route(app.case.pk)
    return OrgApplication.objects.select_related("case", "case__office").get(pk=app.pk)


def register_org(user, approver, **kw) -> Organization:
    app = submitted_establishment(user, **kw)
    actions.do_approve_application(app, acting_user=approver)
    app.refresh_from_db()
    return app.organization


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    # Submissions queue screening after commit; the tests screen synchronously instead.
    monkeypatch.setattr("civilaffairs.casework.actions.enqueue_screening", lambda pk: False)


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English, so assertions on messages hold whatever the zh catalogue says."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def private_media(settings, tmp_path):
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def world(personas, private_media):
    """The personas, plus a registration clerk at 兴庆区 and a supervisor at 西夏区."""
    p = setup_orgs(personas)
    p.county_clerk = staff("county_clerk", "640104", StaffRole.Role.CASEWORKER)
    p.other_supervisor = staff("other_supervisor", "640105", StaffRole.Role.SUPERVISOR)
    p.province = office_for("640000")
    p.province_approver = staff("province_approver", "640000", StaffRole.Role.APPROVER)
    return p


@pytest.fixture
def org_user(world):
    return citizen_user()


@pytest.fixture
def county_org(world, org_user):
    """兴庆区阳光社会工作服务中心, registered with 兴庆区 (county level), a recognised charity,
    established in 2020; org_user is its account."""
    org = register_org(org_user, world.approver)
    org = actions.do_set_charity(org, acting_user=world.approver, recognised=True)
    # Registered years ago (a plain save in the fixture: the register's history notes it).
    org.established_on = dt.date(2020, 3, 1)
    org.save()
    return org


@pytest.fixture
def donor(world):
    return citizen_user("刘强", "640104002001")


def purposes(case):
    return set(FiledDocument.objects.filter(document__case=case).values_list("purpose", flat=True))


@pytest.fixture
def scene(world, org_user, county_org, donor):
    """Everything the pages show: a change application and a report waiting at 兴庆区, a late
    flag, a project with a need from the charity and one raised by the township for a
    household, offers, an accepted match with a confirmed and a pending delivery."""
    import time_machine

    from civilaffairs.casework.actions import do_screen_and_route
    from tests.factories import make_household

    s = world
    s.org_user, s.org, s.donor = org_user, county_org, donor
    # A report on last year, waiting for grading.
    s.report = actions.do_start_report(county_org, acting_user=org_user)
    actions.do_save_report(
        s.report,
        acting_user=org_user,
        activities="探访 80 次",
        governance="理事会 2 次",
        declaration=True,
    )
    actions.do_submit_report(s.report, acting_user=org_user)
    do_screen_and_route(s.report.case.pk)
    s.report.refresh_from_db()
    # A change application, waiting for a decision.
    s.change = actions.do_start_change(county_org, acting_user=org_user, kind="change")
    actions.do_save_application(
        s.change,
        acting_user=org_user,
        scope="新的业务范围。",
        reason="理事会决议。",
        declaration=True,
    )
    actions.do_attach_document(s.change.case, pdf(), "resolution", acting_user=org_user)
    actions.do_submit_application(s.change, acting_user=org_user)
    do_screen_and_route(s.change.case.pk)
    s.change.refresh_from_db()
    # A late flag on an earlier year (filed on nothing since 2019 would be silly: use 2024).
    with time_machine.travel(dt.datetime(2025, 6, 5, 10, tzinfo=dt.UTC)):
        actions.do_flag_late_filers()
    # Charity: the organization's project and need.
    s.project = actions.do_create_project(
        acting_user=org_user, organization=county_org, name="冬季送温暖", region=region("640104001")
    )
    soon = dt.date.today() + dt.timedelta(days=30)
    s.need = actions.do_create_need(
        s.project,
        acting_user=org_user,
        category="bedding",
        item="棉被",
        quantity=40,
        unit="piece",
        region=region("640104001002"),
        urgency=2,
        deadline=soon,
    )
    # The township raises a need for a household: its head's data must never be public.
    s.head = PersonFactory(
        name="赵秘密",
        hukou_region=region("640104001002"),
        phone="13912345678",
        address="崇安社区 9 号楼",
    )
    s.household = make_household(s.head)
    s.relief = actions.do_create_project(
        acting_user=s.caseworker, office=s.township, name="困难家庭助学", region=region("640104001")
    )
    s.household_need = actions.do_create_need(
        s.relief,
        acting_user=s.caseworker,
        category="school",
        item="书包",
        quantity=5,
        unit="set",
        region=region("640104001002"),
        urgency=3,
        deadline=soon,
        household=s.household,
        internal_note="赵秘密家两个孩子上小学",
    )
    # Offers: the donor consents to be named for quilts; a company gives school sets anonymously.
    s.quilts = actions.do_create_offer(
        acting_user=donor,
        donor_name="刘强",
        show_name=True,
        category="bedding",
        item="棉被",
        quantity=30,
        unit="piece",
        unit_value=Decimal("100"),
        region=region("640104001"),
    )
    s.company = citizen_user("孙经理", "640104002001")
    s.sets = actions.do_create_offer(
        acting_user=s.company,
        donor_kind="company",
        donor_name="隐名商贸有限公司",
        show_name=False,
        category="school",
        item="文具套装",
        quantity=5,
        unit="set",
        unit_value=Decimal("40"),
        region=region("640104001"),
    )
    (s.match,) = actions.do_propose_matches(s.need)
    actions.do_accept_match(s.match, acting_user=org_user)
    d = actions.do_record_delivery(s.match, acting_user=donor, quantity=20)
    actions.do_confirm_receipt(d, acting_user=org_user)
    s.pending = actions.do_record_delivery(s.match, acting_user=donor, quantity=5)
    (s.household_match,) = actions.do_propose_matches(s.household_need)
    actions.do_accept_match(s.household_match, acting_user=s.caseworker)
    actions.do_record_delivery(
        s.household_match, acting_user=s.caseworker, quantity=5, received=True
    )
    for obj in (s.match, s.household_match, s.need, s.household_need):
        obj.refresh_from_db()
    return s
