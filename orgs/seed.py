"""Parameters and demo data of the social-organization domain.

Parameters (configurable per region in the admin, DOMAIN.md): the annual-report deadline per
type (31 May by default, as MMDD), the minimum registered capital per type, how many failed
years in a row restrict an organization, and how long a matching proposal waits. The capital
figures follow the national regulations for local organizations (社会团体登记管理条例 Art. 10:
30,000 yuan for a local social group; 基金会管理条例 Art. 8: 2 million for a non-public
foundation) and are illustrative for social service agencies, whose minimum is set locally.

Demo: a few organizations in 银川市 registered with the province, the city and 兴庆区, an
organization login `org` (张丽, staff of 兴庆区阳光社会工作服务中心), a donor login `donor`
(刘强), projects with needs and offers, one delivery confirmed so that the public ledger is
not empty, last year's report of 阳光 waiting for 兴庆区's grading, and late-filing flags on the
others once the 31 May deadline has passed. Idempotent.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from civilaffairs.people.models import Region
from civilaffairs.rules.actions import do_create_program
from civilaffairs.rules.models import Program
from civilaffairs.rules.seeding import set_parameters

from .params import PROGRAM

FROM = dt.date(2020, 1, 1)

PARAMETERS = [
    # key, region, value, label, unit
    ("report_deadline_social_group", "640000", "531", "社会团体年报截止日（月日）", "MMDD"),
    ("report_deadline_service_agency", "640000", "531", "社会服务机构年报截止日（月日）", "MMDD"),
    ("report_deadline_foundation", "640000", "531", "基金会年报截止日（月日）", "MMDD"),
    ("min_capital_social_group", "640000", "30000", "社会团体最低活动资金", "元"),
    ("min_capital_service_agency", "640000", "30000", "社会服务机构最低开办资金", "元"),
    ("min_capital_foundation", "640000", "2000000", "基金会最低原始基金", "元"),
    ("restrict_after_failures", "640000", "2", "连续年检不合格（含未报）限制活动的年数", "年"),
    ("match_proposal_days", "640000", "7", "捐赠匹配建议的答复期限", "天"),
]


@transaction.atomic
def seed_parameters(acting_user=None, log=print) -> bool:
    """The program and its parameters. Idempotent."""
    if Program.objects.filter(code=PROGRAM).exists():
        log("orgs parameters: present, unchanged")
        return False
    program = do_create_program(
        acting_user=acting_user,
        code=PROGRAM,
        name="社会组织登记、年报与慈善",
        service_code="orgs.annual_report",
    )
    set_parameters(
        [(key, PROGRAM, *rest) for key, *rest in PARAMETERS],
        programs={PROGRAM: program},
        valid_from=FROM,
        acting_user=acting_user,
    )
    log("orgs parameters: deadlines, capital minimums, restriction, proposal wait")
    return True


# ----------------------------------------------------------------------------- demo

ORGS = [
    # name, type, level, domicile, sponsoring unit, capital, charity, account login
    (
        "银川市慈善总会",
        "social_group",
        2,
        "640104001",
        "银川市民政局",
        "500000",
        True,
        None,
    ),
    (
        "兴庆区阳光社会工作服务中心",
        "service_agency",
        3,
        "640104001",
        "",
        "50000",
        True,
        "org",
    ),
    (
        "兴庆区老年人协会",
        "social_group",
        3,
        "640104002",
        "兴庆区民政局",
        "30000",
        False,
        None,
    ),
    (
        "宁夏塞上公益基金会",
        "foundation",
        1,
        "640104003",
        "",
        "4000000",
        True,
        None,
    ),
]


def _person(name, id_number, log):
    from civilaffairs.people.actions import do_register_person

    person, _created = do_register_person(acting_user=None, name=name, id_number=id_number)
    return person


def _login(username, person, password):
    from civilaffairs.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, person=person, first_name=person.name)
        user.set_password(password)
        user.save()
    return user


def seed_demo(rng, log=print) -> int:
    from civilaffairs.accounts.models import Office, User
    from civilaffairs.lib import idnumber
    from civilaffairs.portal.demo import DEMO_PASSWORD

    from . import actions
    from .models import Organization

    seed_parameters(log=log)
    if Organization.objects.filter(name=ORGS[0][0]).exists():
        log("orgs demo: present, unchanged")
        return 0
    admin = User.objects.filter(username="admin", is_superuser=True).first()
    if admin is None:
        log("orgs demo: no administrator account; skipped")
        return 0
    if not Office.objects.filter(
        region_id="640104", services__contains=["orgs.establish"]
    ).exists():
        log("orgs demo: no offices handle the organization services; skipped")
        return 0
    today = dt.date.today()
    org_person = _person("张丽", idnumber.make("640104", dt.date(1988, 4, 9), 102), log)
    donor_person = _person("刘强", idnumber.make("640105", dt.date(1979, 11, 23), 31), log)
    org_user = _login("org", org_person, DEMO_PASSWORD)
    donor = _login("donor", donor_person, DEMO_PASSWORD)
    made = {}
    with transaction.atomic():
        for i, (name, kind, level, domicile, sponsor, capital, charity, login) in enumerate(ORGS):
            rep = _person(
                ["陈建国", "王芳", "马文华", "杨志强"][i],
                idnumber.make("640104", dt.date(1960 + 3 * i, 3 + i, 10 + i), 201 + 2 * i),
                log,
            )
            region = Region.objects.get(code=domicile)
            authority = actions.authority_for("orgs.establish", domicile, level)
            org = Organization(
                name=name,
                uscc=actions.new_uscc(kind, authority),
                org_type=kind,
                registration_level=level,
                authority=authority,
                sponsoring_unit=sponsor,
                legal_representative=rep,
                registered_capital=Decimal(capital),
                domicile_region=region,
                address=f"{region.name}{rng.randrange(1, 99)}号",
                scope="扶老、助残、救孤、济困等公益服务。",
                phone="0951-" + f"{rng.randrange(10**7):07d}",
                is_charity=charity,
                charity_recognised_on=dt.date(2022, 6, 1) if charity else None,
                established_on=dt.date(2015 + i, 5, 20),
            )
            org.full_clean()
            org._history_user = admin
            org.save()
            made[name] = org
            if login == "org":
                # The administrator (a superuser) links the demo login to its organization.
                actions.do_link_account(org, org_user, acting_user=admin, role="manager")
    log(f"orgs demo: {len(made)} organizations")
    _demo_reports(made, org_user, log)
    _demo_charity(made, org_user, donor, today, log)
    return len(made)


def _demo_reports(made, org_user, log):
    """Last year's report of the organization with a login, sent and waiting for grading."""
    from civilaffairs.casework.actions import do_screen_and_route

    from . import actions

    org = made["兴庆区阳光社会工作服务中心"]
    report = actions.do_start_report(org, acting_user=org_user)
    actions.do_save_report(
        report,
        acting_user=org_user,
        activities="开展社区老人探访 120 次，组织助餐服务 3000 人次。",
        income=Decimal("380000"),
        expenses=Decimal("352000"),
        net_assets=Decimal("96000"),
        staff_count=8,
        volunteer_count=45,
        governance="召开理事会 2 次；财务制度修订一次。",
        declaration=True,
    )
    actions.do_submit_report(report, acting_user=org_user)
    do_screen_and_route(report.case.pk)
    log("orgs demo: one annual report waiting for grading")


def _demo_charity(made, org_user, donor, today, log):
    from civilaffairs.accounts.models import Office, User

    from . import actions

    sunshine = made["兴庆区阳光社会工作服务中心"]
    project = actions.do_create_project(
        acting_user=org_user,
        organization=sunshine,
        name="冬季送温暖",
        region=Region.objects.get(code="640104001"),
        description="为辖区困难老人和儿童送去冬衣、棉被。",
    )
    deadline = today + dt.timedelta(days=60)
    quilts = actions.do_create_need(
        project,
        acting_user=org_user,
        category="bedding",
        item="棉被",
        quantity=40,
        unit="piece",
        region=Region.objects.get(code="640104001"),
        urgency=2,
        deadline=deadline,
    )
    actions.do_create_need(
        project,
        acting_user=org_user,
        category="clothing",
        item="儿童冬衣",
        quantity=60,
        unit="piece",
        region=Region.objects.get(code="640104001"),
        urgency=1,
        deadline=deadline,
    )
    caseworker = User.objects.filter(username="caseworker").first()
    office = Office.objects.filter(region_id="640104001").first()
    if caseworker is not None and office is not None:
        relief = actions.do_create_project(
            acting_user=caseworker,
            office=office,
            name="困难家庭助学",
            region=office.region,
            description="为街道困难家庭的学生配齐学习用品。",
        )
        actions.do_create_need(
            relief,
            acting_user=caseworker,
            category="school",
            item="书包和文具套装",
            quantity=25,
            unit="set",
            region=office.region,
            urgency=1,
            deadline=deadline,
        )
    yinchuan = Region.objects.get(code="640104001")
    offer = actions.do_create_offer(
        acting_user=donor,
        donor_kind="person",
        donor_name="刘强",
        show_name=True,
        category="bedding",
        item="加厚棉被",
        quantity=30,
        unit="piece",
        unit_value=Decimal("120"),
        region=yinchuan,
        conditions="自行送到街道服务站。",
    )
    actions.do_create_offer(
        acting_user=donor,
        donor_kind="company",
        donor_name="宁夏某商贸有限公司",
        show_name=False,
        category="school",
        item="学生文具套装",
        quantity=50,
        unit="set",
        unit_value=Decimal("45"),
        region=Region.objects.get(code="640105001"),
    )
    matches = actions.do_propose_matches(quilts)
    for match in matches:
        if match.offer_id == offer.pk:
            actions.do_accept_match(match, acting_user=org_user)
            delivery = actions.do_record_delivery(match, acting_user=donor, quantity=20)
            actions.do_confirm_receipt(delivery, acting_user=org_user)
    actions.do_run_matching(today)
    actions.do_flag_late_filers(today)
    log("orgs demo: projects, needs, offers, one confirmed delivery")
