"""Programs, parameters, services, providers and institutions of elder care, shaped like local
practice in 宁夏 (the demo province). Used by the demo data and the tests; administrators change
them in the admin. Amounts and thresholds are illustrative and configurable per region.

Idempotent: each part is looked up by a natural key before it is made."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from civilaffairs.people.models import Region
from civilaffairs.rules.actions import (
    do_create_program,
)
from civilaffairs.rules.models import Program
from civilaffairs.rules.seeding import activate_ruleset, set_parameters

from .facts import AGE_PROGRAM, ALERT_PROGRAM

FROM = dt.date(2026, 1, 1)

AGE_PARAMETERS = [
    # key, region, value, label, unit
    ("tier1_age", "640000", "80", "高龄津贴起始年龄（第一档）", "周岁"),
    ("tier1_amount", "640000", "100", "高龄津贴标准（80-89 周岁）", "元/人·月"),
    ("tier2_age", "640000", "90", "高龄津贴第二档年龄", "周岁"),
    ("tier2_amount", "640000", "200", "高龄津贴标准（90-99 周岁）", "元/人·月"),
    ("tier3_age", "640000", "100", "高龄津贴第三档年龄", "周岁"),
    ("tier3_amount", "640000", "500", "高龄津贴标准（100 周岁以上）", "元/人·月"),
    # 1: the case is opened for the person (免申即享); 0: the person is invited to confirm.
    ("auto_open", "640000", "1", "自动发放（1 自动办理，0 推送邀请）", ""),
    # An example of a county that invites rather than opening the case itself.
    ("auto_open", "640181", "0", "自动发放（1 自动办理，0 推送邀请）", ""),
]

ALERT_PARAMETERS = [
    ("heart_rate_high_warning", "640000", "110", "心率偏高（提醒）", "次/分"),
    ("heart_rate_high_severe", "640000", "140", "心率过高（紧急）", "次/分"),
    ("heart_rate_low_warning", "640000", "50", "心率偏低（提醒）", "次/分"),
    ("heart_rate_low_severe", "640000", "40", "心率过低（紧急）", "次/分"),
    ("inactivity_warning_hours", "640000", "12", "无活动时长（提醒）", "小时"),
    ("inactivity_severe_hours", "640000", "24", "无活动时长（紧急）", "小时"),
]

AGE_RULES = [
    {
        "name": "达到高龄津贴年龄",
        "condition": {"fact": "elder_age", "op": "gte", "param": "tier1_age"},
        "reason": "年龄 %(elder_age)s 周岁，未达到 %(tier1_age)s 周岁。",
        "reason_en": "Aged %(elder_age)s, below the threshold of %(tier1_age)s.",
    },
    {
        "name": "健在",
        "condition": {"fact": "elder_alive", "op": "is_true"},
        "reason": "户籍信息显示已死亡。",
        "reason_en": "The population record shows a date of death.",
    },
    {
        "name": "户籍在本省",
        "on_fail": "refer",
        "condition": {"fact": "hukou_in_province", "op": "is_true"},
        "reason": "户籍不在本省，需要工作人员核实居住情况。",
        "reason_en": "The hukou is registered in another province; a caseworker checks residence.",
    },
]

AGE_EXAMPLES = [
    (
        "82 周岁本地户籍：通过",
        {"elder_age": 82, "elder_alive": True, "hukou_in_province": True},
        "pass",
    ),
    ("79 周岁：不通过", {"elder_age": 79, "elder_alive": True, "hukou_in_province": True}, "fail"),
    (
        "外省户籍：转人工",
        {"elder_age": 85, "elder_alive": True, "hukou_in_province": False},
        "refer",
    ),
]

SERVICES = [
    # code, name, category, minutes, price, subsidy, description
    ("meal", "助餐服务（送餐上门）", "meal", 60, "15.00", "8.00", "午餐或晚餐送到家，荤素搭配。"),
    ("bathing", "助浴服务", "bathing", 60, "60.00", "30.00", "专业助浴员上门协助洗浴。"),
    ("cleaning", "助洁服务（居家保洁）", "cleaning", 120, "80.00", "40.00", "打扫、整理、清洗。"),
    ("nursing", "上门护理", "nursing", 60, "100.00", "50.00", "测血压血糖、换药、用药指导。"),
    ("rehab", "康复训练", "rehab", 60, "90.00", "40.00", "康复师上门指导肢体训练。"),
    ("company", "陪伴服务", "companionship", 120, "40.00", "20.00", "聊天、读报、陪同散步。"),
]

INSTITUTIONS = [
    # name, kind, region, address, lat, lng, beds, occupied, levels, price from/to, stars
    (
        "银川市社会福利院",
        "public",
        "640104001",
        "兴庆区凤凰北街 88 号",
        "38.489200",
        "106.285300",
        300,
        262,
        [1, 2, 3, 4],
        "1800",
        "4200",
        5,
    ),
    (
        "兴庆区康乐老年公寓",
        "private",
        "640104002",
        "兴庆区文化东街 16 号",
        "38.476100",
        "106.296400",
        120,
        71,
        [0, 1, 2],
        "1500",
        "3200",
        3,
    ),
    (
        "金凤区颐年养护中心",
        "public_private",
        "640106001",
        "金凤区宁安大街 302 号",
        "38.472800",
        "106.229800",
        200,
        188,
        [2, 3, 4],
        "2600",
        "5600",
        4,
    ),
    (
        "西夏区夕阳红养老院",
        "private",
        "640105001",
        "西夏区怀远路 55 号",
        "38.495600",
        "106.131700",
        80,
        40,
        [0, 1, 2, 3],
        "1300",
        "2800",
        2,
    ),
    (
        "永宁县中心敬老院",
        "public",
        "640121",
        "永宁县杨和镇纳家户路 9 号",
        "38.275200",
        "106.253100",
        150,
        96,
        [0, 1, 2],
        "900",
        "2000",
        3,
    ),
    (
        "贺兰县德馨护理院",
        "private",
        "640122",
        "贺兰县习岗镇银河路 101 号",
        "38.554300",
        "106.349800",
        90,
        90,
        [3, 4],
        "3200",
        "6500",
        3,
    ),
]


@transaction.atomic
def seed_programs(acting_user=None, log=print) -> bool:
    """The age-allowance program (parameters, rules, examples, activated) and the alert
    thresholds. Idempotent."""
    if Program.objects.filter(code=AGE_PROGRAM).exists():
        log("eldercare rules: present, unchanged")
        return False
    age = do_create_program(
        acting_user=acting_user,
        code=AGE_PROGRAM,
        name="高龄津贴",
        service_code="eldercare.age_allowance",
        description="80 周岁以上老年人按月发放，免申即享。",
    )
    alerts = do_create_program(
        acting_user=acting_user,
        code=ALERT_PROGRAM,
        name="智能设备健康预警",
        service_code="eldercare.urgent_visit",
        description="设备读数转为预警的阈值。",
    )
    rows = [(key, AGE_PROGRAM, *rest) for key, *rest in AGE_PARAMETERS]
    rows += [(key, ALERT_PROGRAM, *rest) for key, *rest in ALERT_PARAMETERS]
    set_parameters(
        rows,
        programs={AGE_PROGRAM: age, ALERT_PROGRAM: alerts},
        valid_from=FROM,
        acting_user=acting_user,
        examples_elsewhere={"640181"},  # the county that invites (auto_open 0)
    )
    activate_ruleset(
        age, rules=AGE_RULES, examples=AGE_EXAMPLES, valid_from=FROM, acting_user=acting_user
    )
    log("eldercare rules: age allowance and alert thresholds")
    return True


def seed_services(acting_user=None):
    from .models import ServiceType

    out = {}
    for code, name, category, minutes, price, subsidy, desc in SERVICES:
        service = ServiceType.objects.filter(code=code).first()
        if service is None:
            service = ServiceType(
                code=code,
                name=name,
                category=category,
                duration_minutes=minutes,
                price=Decimal(price),
                subsidy=Decimal(subsidy),
                description=desc,
            )
            service.full_clean()
            service.save()
        out[code] = service
    return out


def _credit_code(body: str) -> str:
    from stdnum.cn import uscc

    return body + uscc.calc_check_digit(body)


def seed_providers(acting_user=None, password=None, log=print):
    """Two providers: one serving 兴庆区 and 金凤区 (with the demo login "provider"), one serving
    西夏区 (to show that a provider sees only its own bookings)."""
    from . import actions
    from .models import Provider

    services = list(seed_services(acting_user).values())
    plan = [
        (
            "兴庆区康乐居家养老服务中心",
            "640104",
            ["640104", "640106"],
            "provider",
            [
                ("张桂兰", "养老护理员（四级）"),
                ("李建平", "养老护理员（三级）"),
                ("马秀梅", "康复治疗士"),
            ],
            "91640104MA76Q8K3X",
        ),
        (
            "西夏区颐家居家养老服务站",
            "640105",
            ["640105"],
            "provider_xixia",
            [("杨春花", "养老护理员（四级）")],
            "91640105MA76R2P5W",
        ),
    ]
    made = {}
    for name, region, coverage, login, workers, code_body in plan:
        provider = Provider.objects.filter(name=name).first()
        if provider is None:
            provider = actions.do_create_provider(
                acting_user=acting_user,
                name=name,
                region=Region.objects.get(code=region),
                coverage=list(Region.objects.filter(code__in=coverage)),
                services=services,
                credit_code=_credit_code(code_body),
                daily_capacity=40,
                qualifications="居家养老服务机构备案；从业人员持养老护理员职业技能等级证书。",
                phone="0951-5012345",
                address=f"{Region.objects.get(code=region).name}民族北街 1 号",
            )
            for worker_name, qual in workers:
                actions.do_add_worker(
                    provider,
                    acting_user=None,
                    name=worker_name,
                    phone="13995000000",
                    qualifications=qual,
                    services=services,
                )
            if password:
                actions.do_add_provider_login(
                    provider, acting_user=acting_user, username=login, password=password
                )
        made[login] = provider
    log(f"eldercare providers: {len(made)}")
    return made


def seed_institutions(acting_user=None, operator=None, log=print) -> int:
    from . import actions
    from .models import Institution

    made = 0
    regions = {r.code: r for r in Region.objects.filter(code__in={i[2] for i in INSTITUTIONS})}
    for row in INSTITUTIONS:
        name, kind, region, address, lat, lng, beds, occupied, levels, p_from, p_to, stars = row
        if Institution.objects.filter(name=name).exists() or region not in regions:
            continue
        actions.do_create_institution(
            acting_user=acting_user,
            name=name,
            kind=kind,
            region=regions[region],
            address=address,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
            phone="0951-6012345",
            beds_total=beds,
            beds_occupied=occupied,
            care_levels=levels,
            price_from=Decimal(p_from),
            price_to=Decimal(p_to),
            star_grade=stars,
            operator=operator if name == "兴庆区康乐老年公寓" else None,
        )
        made += 1
    log(f"eldercare institutions: {made} new")
    return made


def seed_family(password: str, log=print):
    """The demo family member 李娟 (login "family"), the daughter of the demo citizen 王秀英,
    linked to her and confirmed by the township caseworker."""
    from civilaffairs.accounts.models import User
    from civilaffairs.lib import idnumber
    from civilaffairs.people.actions import do_register_person
    from civilaffairs.people.models import Person

    from . import actions
    from .models import FamilyLink

    elder = (
        Person.objects.filter(name="王秀英", residence_region_id="640104001002")
        .order_by("pk")
        .first()
    )
    if elder is None:
        return None
    user = User.objects.filter(username="family").first()
    if user is None:
        home = Region.objects.get(code="640104001002")
        person, _created = do_register_person(
            acting_user=None,
            name="李娟",
            id_number=idnumber.make("640104", dt.date(1986, 9, 3), 128),
            hukou_region=home,
            residence_region=home,
            address=elder.address,
            phone="13800000002",
        )
        user = User(username="family", person=person, first_name="李娟", phone="13800000002")
        user.set_password(password)
        user.save()
    if not FamilyLink.objects.filter(elder=elder, family=user).exists():
        link = actions.do_request_family_link(
            acting_user=user,
            elder_name=elder.name,
            elder_id_number=elder.id_number,
            relation="30",
        )
        caseworker = User.objects.filter(username="caseworker").first()
        if caseworker is not None:
            actions.do_confirm_family_link(link, acting_user=caseworker)
    log("eldercare family login: family → 王秀英")
    return user


def seed_devices(log=print):
    from civilaffairs.people.models import Person

    from . import actions
    from .models import DevicePlatform

    if DevicePlatform.objects.exists():
        return None
    platform, token = actions.do_register_platform(
        acting_user=None, name="宁夏智慧养老平台（演示）"
    )
    elder = Person.objects.filter(name="王秀英", residence_region_id="640104001002").first()
    if elder is not None:
        actions.do_register_device(
            platform, acting_user=None, external_id="WATCH-0001", person=elder
        )
    # The token is a secret and this output lands in logs (make run's terminal, CI): it is not
    # printed. An operator issues one when a platform is really connected: Django admin →
    # Device platforms → "Issue a new token" (shown once there), or manage.py issue_device_token.
    log(
        f"eldercare device platform: {platform.name} registered (token not shown; issue one in "
        "the admin: Device platforms → Issue a new token)"
    )
    return token


def seed_demo(rng, log=print):
    from civilaffairs.portal.demo import DEMO_PASSWORD

    from . import actions

    seed_programs(log=log)
    providers = seed_providers(password=DEMO_PASSWORD, log=log)
    seed_institutions(operator=providers.get("provider"), log=log)
    seed_family(DEMO_PASSWORD, log=log)
    seed_devices(log=log)
    result = actions.do_find_newly_eligible(limit=500)
    log(f"eldercare age allowance: {result}")
