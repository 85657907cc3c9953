"""Programs, rules, parameters and a resource catalogue for child welfare, and the demo's
staff and children. Used by the demo data and the tests; administrators change the rules and
parameters in the admin.

Category definitions follow national policy: orphans (父母双亡), children without a de-facto
carer (民发〔2019〕62号: both parents severely disabled, seriously ill, in custody or out of
contact, or one dead or missing and the other so), left-behind children (under 16, both parents
working away, or one away and the other unable). Parameter values (visit intervals, review
cadence, allowance standards) are illustrative for 宁夏 and configurable per region.
"""

import datetime as dt

from django.db import transaction

from civilaffairs.people.models import Region
from civilaffairs.rules.actions import (
    do_create_program,
)
from civilaffairs.rules.models import Program
from civilaffairs.rules.seeding import activate_ruleset, set_parameters

FROM = dt.date(2026, 1, 1)
UNDER_18 = {
    "name": "未满 18 周岁",
    "condition": {"fact": "child_age", "op": "lt", "value": 18},
    "reason": "儿童福利保障适用于未满 18 周岁的儿童（现年 %(child_age)s 周岁）。",
    "reason_en": "Child welfare applies to children under 18 (now %(child_age)s).",
}

PROGRAMS = {
    "child_orphan": ("孤儿认定", "childwelfare.intake"),
    "child_no_carer": ("事实无人抚养儿童认定", "childwelfare.intake"),
    "child_left_behind": ("留守儿童认定", "childwelfare.intake"),
    "child_difficulty": ("困境儿童认定", "childwelfare.intake"),
    "child_allowance": ("孤儿和事实无人抚养儿童基本生活保障", "childwelfare.allowance"),
}

RULES = {
    "child_orphan": [
        UNDER_18,
        {
            "name": "父母双亡",
            "condition": {"fact": "child_parents_deceased", "op": "eq", "value": 2},
            "reason": "人口信息显示父母并非均已死亡（已死亡 %(child_parents_deceased)s 人）。",
            "reason_en": "The register does not show both parents deceased (%(child_parents_deceased)s).",
        },
    ],
    "child_no_carer": [
        UNDER_18,
        {
            "name": "父母均无法履行抚养义务",
            "condition": {
                "any": [
                    {"fact": "child_parents_unable", "op": "eq", "value": 2},
                    {
                        "all": [
                            {"fact": "child_parents_deceased", "op": "eq", "value": 1},
                            {"fact": "child_parents_unable", "op": "eq", "value": 1},
                        ]
                    },
                ]
            },
            "reason": "父母双方并非均因重残、重病、服刑在押、失联等无法履行抚养义务，或一方死亡另一方无法履行。",
            "reason_en": "Neither both parents unable to care (severe disability, serious illness, custody, "
            "out of contact), nor one deceased and the other unable.",
        },
    ],
    "child_left_behind": [
        {
            "name": "未满 16 周岁",
            "condition": {"fact": "child_age", "op": "lt", "value": 16},
            "reason": "留守儿童指未满 16 周岁的儿童（现年 %(child_age)s 周岁）。",
            "reason_en": "Left-behind children are under 16 (now %(child_age)s).",
        },
        {
            "name": "父母均外出务工或一方外出另一方无监护能力",
            "condition": {
                "any": [
                    {"fact": "child_parents_working_away", "op": "eq", "value": 2},
                    {
                        "all": [
                            {"fact": "child_parents_working_away", "op": "eq", "value": 1},
                            {
                                "any": [
                                    {"fact": "child_parents_unable", "op": "eq", "value": 1},
                                    {"fact": "child_parents_deceased", "op": "eq", "value": 1},
                                ]
                            },
                        ]
                    },
                ]
            },
            "reason": "父母并非均外出务工（外出 %(child_parents_working_away)s 人），且不属于一方外出另一方无监护能力。",
            "reason_en": "Not both parents working away (%(child_parents_working_away)s away), nor one away "
            "and the other unable.",
        },
    ],
    "child_difficulty": [
        UNDER_18,
        {
            "name": "家庭贫困、残疾或重病",
            "condition": {
                "any": [
                    {"fact": "child_household_assisted", "op": "is_true"},
                    {"fact": "child_disability", "op": "gt", "value": 0},
                    {"fact": "child_serious_illness", "op": "is_true"},
                ]
            },
            "reason": "家庭未享受低保或特困供养，儿童也无残疾或重病记录。",
            "reason_en": "No social assistance for the household, and no disability or serious illness on record.",
        },
    ],
    "child_allowance": [
        {
            "name": "孤儿或事实无人抚养儿童",
            "condition": {"fact": "child_category", "op": "in", "value": ["orphan", "no_carer"]},
            "reason": "基本生活保障金发给孤儿和事实无人抚养儿童（该儿童为：%(child_category)s）。",
            "reason_en": "The allowance is for orphans and children without a de-facto carer (this child: "
            "%(child_category)s).",
        },
        UNDER_18,
    ],
}

ALL_PARENTS = {
    "child_parents_deceased": 0,
    "child_parents_unable": 0,
    "child_parents_working_away": 0,
}
EXAMPLES = {
    "child_orphan": [
        ("父母双亡：通过", {"child_age": 9, **ALL_PARENTS, "child_parents_deceased": 2}, "pass"),
        (
            "父亲去世、母亲健在：不通过",
            {"child_age": 9, **ALL_PARENTS, "child_parents_deceased": 1},
            "fail",
        ),
        ("父母信息不全：转人工", {"child_age": 9}, "refer"),
    ],
    "child_no_carer": [
        ("父母均服刑：通过", {"child_age": 7, **ALL_PARENTS, "child_parents_unable": 2}, "pass"),
        (
            "父亲去世、母亲失联：通过",
            {"child_age": 7, **ALL_PARENTS, "child_parents_deceased": 1, "child_parents_unable": 1},
            "pass",
        ),
        ("仅一方重病：不通过", {"child_age": 7, **ALL_PARENTS, "child_parents_unable": 1}, "fail"),
    ],
    "child_left_behind": [
        (
            "父母均外出务工：通过",
            {"child_age": 9, **ALL_PARENTS, "child_parents_working_away": 2},
            "pass",
        ),
        (
            "父亲外出、母亲重残：通过",
            {
                "child_age": 9,
                **ALL_PARENTS,
                "child_parents_working_away": 1,
                "child_parents_unable": 1,
            },
            "pass",
        ),
        (
            "仅父亲外出：不通过",
            {"child_age": 9, **ALL_PARENTS, "child_parents_working_away": 1},
            "fail",
        ),
        (
            "已满 16 周岁：不通过",
            {"child_age": 16, **ALL_PARENTS, "child_parents_working_away": 2},
            "fail",
        ),
    ],
    "child_difficulty": [
        (
            "低保家庭：通过",
            {
                "child_age": 12,
                "child_household_assisted": True,
                "child_disability": 0,
                "child_serious_illness": False,
            },
            "pass",
        ),
        (
            "二级残疾：通过",
            {
                "child_age": 12,
                "child_household_assisted": False,
                "child_disability": 2,
                "child_serious_illness": False,
            },
            "pass",
        ),
        (
            "无困境情形：不通过",
            {
                "child_age": 12,
                "child_household_assisted": False,
                "child_disability": 0,
                "child_serious_illness": False,
            },
            "fail",
        ),
    ],
    "child_allowance": [
        ("孤儿：通过", {"child_category": "orphan", "child_age": 10}, "pass"),
        ("事实无人抚养：通过", {"child_category": "no_carer", "child_age": 17}, "pass"),
        ("留守儿童：不通过", {"child_category": "left_behind", "child_age": 10}, "fail"),
        ("已满 18 周岁：不通过", {"child_category": "orphan", "child_age": 18}, "fail"),
    ],
}

# key, program, region, value, label, unit
PARAMETERS = [
    ("visit_interval_days", "child_orphan", "640000", "30", "儿童主任走访间隔（孤儿）", "天"),
    (
        "visit_interval_days",
        "child_no_carer",
        "640000",
        "30",
        "儿童主任走访间隔（事实无人抚养儿童）",
        "天",
    ),
    (
        "visit_interval_days",
        "child_left_behind",
        "640000",
        "90",
        "儿童主任走访间隔（留守儿童）",
        "天",
    ),
    (
        "visit_interval_days",
        "child_difficulty",
        "640000",
        "90",
        "儿童主任走访间隔（困境儿童）",
        "天",
    ),
    ("plan_review_months", "child_orphan", "640000", "3", "帮扶计划复查周期（孤儿）", "月"),
    (
        "plan_review_months",
        "child_no_carer",
        "640000",
        "3",
        "帮扶计划复查周期（事实无人抚养儿童）",
        "月",
    ),
    (
        "plan_review_months",
        "child_left_behind",
        "640000",
        "6",
        "帮扶计划复查周期（留守儿童）",
        "月",
    ),
    ("plan_review_months", "child_difficulty", "640000", "6", "帮扶计划复查周期（困境儿童）", "月"),
    (
        "allowance_institution",
        "child_allowance",
        "640000",
        "1800",
        "集中养育孤儿基本生活保障标准",
        "元/人·月",
    ),
    (
        "allowance_dispersed",
        "child_allowance",
        "640000",
        "1400",
        "社会散居孤儿和事实无人抚养儿童基本生活保障标准",
        "元/人·月",
    ),
    (
        "allowance_dispersed",
        "child_allowance",
        "640100",
        "1450",
        "社会散居孤儿和事实无人抚养儿童基本生活保障标准",
        "元/人·月",
    ),
]

RESOURCES = [
    # name, kind, needs, region, capacity, contact, phone
    (
        "凤凰北街街道儿童之家",
        "community",
        ["guardianship_support", "education_aid", "counselling"],
        "640104001",
        20,
        "马老师",
        "0951-6011001",
    ),
    (
        "兴庆区未成年人保护工作站",
        "provider",
        ["guardianship_support", "living_assistance"],
        "640104",
        30,
        "杨主任",
        "0951-6011002",
    ),
    ("兴庆区第二小学课后托管", "school", ["education_aid"], "640104", 10, "李校长", "0951-6011003"),
    ("兴庆区社区卫生服务中心", "medical", ["medical_aid"], "640104", 10, "张医生", "0951-6011004"),
    (
        "银川市阳光青少年心理咨询中心",
        "counsellor",
        ["counselling"],
        "640100",
        15,
        "王咨询师",
        "0951-6011005",
    ),
    (
        "银川市第一人民医院儿科",
        "medical",
        ["medical_aid"],
        "640100",
        20,
        "刘护士长",
        "0951-6011006",
    ),
    (
        "宁夏儿童少年福利基金会",
        "charity",
        ["education_aid", "living_assistance"],
        "640000",
        100,
        "海秘书长",
        "0951-6011007",
    ),
    (
        "西夏区青少年心理辅导站",
        "counsellor",
        ["counselling"],
        "640105",
        10,
        "丁老师",
        "0951-6011008",
    ),
]


@transaction.atomic
def seed_programs(acting_user=None, log=print) -> bool:
    """The five programs with their parameters and an active rule set each. Idempotent."""
    if Program.objects.filter(code="child_orphan").exists():
        log("child-welfare rules: present, unchanged")
        return False
    programs = {
        code: do_create_program(acting_user=acting_user, code=code, name=name, service_code=svc)
        for code, (name, svc) in PROGRAMS.items()
    }
    set_parameters(PARAMETERS, programs=programs, valid_from=FROM, acting_user=acting_user)
    for code, rules in RULES.items():
        activate_ruleset(
            programs[code],
            rules=rules,
            examples=EXAMPLES[code],
            valid_from=FROM,
            acting_user=acting_user,
        )
    log("child-welfare rules: 5 programs with parameters and active rule sets")
    return True


def seed_resources(acting_user=None, log=print) -> int:
    from .actions import do_save_resource
    from .models import Resource

    if Resource.objects.exists():
        log("child-welfare resources: present, unchanged")
        return 0
    regions = {r.code: r for r in Region.objects.filter(code__in={r[3] for r in RESOURCES})}
    for name, kind, needs, region, capacity, contact, phone in RESOURCES:
        do_save_resource(
            acting_user=acting_user,
            name=name,
            kind=kind,
            needs=needs,
            region=regions[region],
            capacity=capacity,
            contact_name=contact,
            phone=phone,
        )
    log(f"child-welfare resources: {len(RESOURCES)}")
    return len(RESOURCES)


# --------------------------------------------------------------------------- demo


def seed_staff(log=print):
    """`childworker` (child-welfare worker, 兴庆区) and `director` (children's director,
    凤凰北街街道), with the demo password."""
    from civilaffairs.accounts.actions import do_grant_role
    from civilaffairs.accounts.models import Office, StaffRole, User
    from civilaffairs.portal.demo import DEMO_PASSWORD

    made = {}
    for username, code, role, title in (
        ("childworker", "640104", StaffRole.Role.CHILD_WELFARE, "兴庆区民政局儿童福利干事"),
        ("director", "640104001", StaffRole.Role.CHILDREN_DIRECTOR, "凤凰北街街道儿童主任"),
    ):
        office = Office.objects.filter(region_id=code).order_by("level", "pk").first()
        if office is None:
            log(f"child-welfare staff: no office for {code}; skipped {username}")
            continue
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=title)
            user.set_password(DEMO_PASSWORD)
            user.save()
        if not StaffRole.objects.filter(user=user, office=office, role=role).exists():
            do_grant_role(user, office, role, acting_user=None)
        made[username] = user
    log(f"child-welfare staff: {', '.join(made)}")
    return made


def _first_child(households, relation_codes, max_age, today, *, with_parents=True):
    """A child (by relation) under max_age in one of the households, without a record yet and
    (unless told otherwise) with both parents living."""
    from .facts import find_parents

    for house in households:
        for m in house.current_members().filter(person__child_profile__isnull=True):
            if m.relation in relation_codes and m.person.age_on(today) < max_age:
                father, mother = find_parents(m.person)
                if not with_parents or (father and mother and father.is_alive and mother.is_alive):
                    return m.person, father, mother
    return None, None, None


def seed_children(rng, users, log=print) -> int:
    """Three children at different stages, made through the actions so the demo shows the whole
    flow: a left-behind child with a plan and a visit, an orphan in her grandmother's care with
    an allowance in payment and an overdue visit, and a disabled child waiting for the worker."""
    from django.utils import timezone

    from civilaffairs.casework.actions import do_screen_and_route, do_transition
    from civilaffairs.people.actions import (
        do_add_member,
        do_create_household,
        do_record_death,
        do_register_person,
        do_update_person,
    )
    from civilaffairs.people.models import Household, Membership

    from . import actions
    from .forms import AssessmentForm, SupportPlanForm
    from .models import Area, ChildProfile, Guardian, Need, Resource

    if ChildProfile.objects.exists():
        log("child-welfare demo children: present, unchanged")
        return 0
    worker, director = users.get("childworker"), users.get("director")
    if worker is None or director is None:
        return 0
    today = timezone.localdate()
    houses = list(
        Household.objects.filter(region__startswith="640104001")
        .exclude(head__name="王秀英")
        .order_by("pk")[:300]
    )

    def screen(case):
        do_screen_and_route(case.pk)  # the category pre-screen runs on commit
        actions.do_prescreen_category(case.pk)  # no-op when it already ran

    made = 0
    # 1. A left-behind child: both parents work in 广东.
    child, father, mother = _first_child(houses, ("20", "30"), 14, today)
    if child is not None:
        case = actions.do_report_child(
            child,
            acting_user=director,
            reporter_kind="director",
            reporter_name=director.first_name,
            concern="父母均在广东务工，孩子由奶奶照看，近期成绩下滑、情绪低落。",
            circumstances={
                father.pk: {"working_away": True, "working_in": "广东省东莞市"},
                mother.pk: {"working_away": True, "working_in": "广东省东莞市"},
            },
        )
        screen(case)
        do_transition(case, "confirm", acting_user=worker, values={"category": "left_behind"})
        do_transition(
            case,
            "record_assessment",
            acting_user=worker,
            values=AssessmentForm.values(
                assessed_on=today,
                summary="生活基本有保障，学业和情绪需要支持。",
                areas={
                    Area.LIVING: (1, "奶奶照料，饮食起居基本正常。"),
                    Area.EDUCATION: (2, "数学成绩下滑明显，作业无人辅导。"),
                    Area.HEALTH: (0, "身体健康。"),
                    Area.PSYCHOLOGY: (2, "想念父母，情绪低落。"),
                    Area.SAFETY: (1, "放学后独自在家时间较长。"),
                },
            ),
        )
        region = child.residence_region_id
        items = []
        for need, text in (
            (Need.EDUCATION_AID, "每周三次课后作业辅导"),
            (Need.COUNSELLING, "每月一次心理辅导，每周与父母视频"),
        ):
            resource = Resource.objects.matching(need, region).first()
            items.append(
                {
                    "need": need,
                    "resource": resource,
                    "description": text,
                    "owner": director,
                    "due_on": today + dt.timedelta(days=60),
                }
            )
        do_transition(
            case, "activate_plan", acting_user=worker, values=SupportPlanForm.values(items)
        )
        actions.do_record_visit(
            child.child_profile,
            acting_user=director,
            visited_on=today - dt.timedelta(days=3),
            people_seen="奶奶",
            concerns="孩子情绪有所好转。",
        )
        made += 1

    # 2. An orphan in her grandmother's care.
    village = Region.objects.get(code="640104001002")
    granny, _ = do_register_person(
        acting_user=worker,
        name="马桂兰",
        id_number=_id("640104", dt.date(1958, 4, 9), 42),
        residence_region=village,
        address="崇安社区 7 号楼 1 单元 302",
        phone="13995110001",
    )
    son, _ = do_register_person(
        acting_user=worker,
        name="马志强",
        id_number=_id("640104", dt.date(1984, 8, 2), 17),
        residence_region=village,
    )
    daughter_in_law, _ = do_register_person(
        acting_user=worker,
        name="李慧",
        id_number=_id("640104", dt.date(1986, 2, 20), 26),
        residence_region=village,
    )
    girl, _ = do_register_person(
        acting_user=worker,
        name="马欣怡",
        id_number=_id("640104", dt.date(2015, 9, 12), 48),
        residence_region=village,
        address="崇安社区 7 号楼 1 单元 302",
    )
    if not Membership.objects.filter(person=girl).exists():
        house = do_create_household(
            acting_user=worker,
            head=granny,
            region=village,
            address=granny.address,
            start_date=dt.date(2015, 1, 1),
        )
        for person, relation in ((son, "20"), (daughter_in_law, "30"), (girl, "40")):
            do_add_member(
                house, person, acting_user=worker, relation=relation, start_date=dt.date(2016, 1, 1)
            )
        do_record_death(son, acting_user=worker, date_of_death=dt.date(2022, 6, 3))
        do_record_death(daughter_in_law, acting_user=worker, date_of_death=dt.date(2022, 6, 3))
    case = actions.do_report_child(
        girl,
        acting_user=director,
        reporter_kind="director",
        reporter_name=director.first_name,
        concern="父母于 2022 年交通事故中双亡，由年迈的奶奶抚养，家庭收入微薄。",
    )
    screen(case)
    profile = ChildProfile.objects.get(person=girl)
    actions.do_add_guardian(
        profile,
        acting_user=worker,
        relation=Guardian.Relation.GRANDPARENT,
        person=granny,
        phone=granny.phone,
    )
    actions.do_update_profile(
        profile,
        acting_user=director,
        school="兴庆区第二小学",
        school_grade="五年级（3）班",
        health_notes="体检正常。",
        guardian_consent_on=today,
    )
    do_transition(case, "confirm", acting_user=worker, values={"category": "orphan"})
    allowance = actions.do_apply_allowance(profile, acting_user=worker)
    do_screen_and_route(allowance.pk)
    do_transition(allowance, "approve", acting_user=worker)
    actions.do_record_visit(
        profile,
        acting_user=director,
        visited_on=today - dt.timedelta(days=45),
        people_seen="奶奶、班主任",
        concerns="奶奶腿脚不便，接送孩子困难。",
    )
    actions.do_raise_overdue_visit_alerts(today=today)
    made += 1

    # 3. A child with a disability, reported by the school, waiting for the worker.
    child, _father, _mother = _first_child(
        houses, ("20", "30", "40"), 17, today, with_parents=False
    )
    if child is not None:
        do_update_person(child, acting_user=worker, disability_grade=2, reason="残联数据同步")
        case = actions.do_report_child(
            child,
            acting_user=worker,
            reporter_kind="school",
            reporter_name="兴庆区第二小学",
            reporter_contact="0951-6011003",
            concern="孩子肢体二级残疾，上下学和在校生活需要帮助。",
        )
        screen(case)
        made += 1
    log(f"child-welfare demo children: {made}")
    return made


def _id(address: str, birth: dt.date, seq: int) -> str:
    from civilaffairs.lib import idnumber

    return idnumber.make(address, birth, seq)


def seed_demo(rng, log=print):
    seed_programs(log=log)
    seed_resources(log=log)
    users = seed_staff(log=log)
    seed_children(rng, users, log=log)
