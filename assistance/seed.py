"""Programs, parameters and rules of social assistance, shaped like real local policy
(DOMAIN.md). Used by the demo data and the tests; an administrator changes them in the admin.

Parameter values are illustrative for 宁夏 (the demo province) and 银川市 and are configurable:
the 2022 national averages were 722 (urban) and 542 (rural) yuan per person per month.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from civilaffairs.people.models import Region
from civilaffairs.rules.actions import (
    do_create_program,
    do_set_parameter,
)
from civilaffairs.rules.models import Program
from civilaffairs.rules.seeding import activate_ruleset, set_parameters

FROM = dt.date(2026, 1, 1)

PARAMETERS = [
    # key, program code or None (shared), region, value, label, unit
    ("dibao_standard", None, "640000", "800", "低保标准", "元/人·月"),
    ("dibao_standard", None, "640100", "850", "低保标准", "元/人·月"),
    ("review_months", None, "640000", "12", "复核周期（稳定家庭）", "月"),
    ("review_months_with_workers", None, "640000", "6", "复核周期（有劳动能力成员的家庭）", "月"),
    ("dibao_min_benefit", "dibao", "640000", "60", "低保最低保障金", "元/人·月"),
    ("tekun_standard", "tekun", "640000", "1040", "特困基本生活标准", "元/人·月"),
    # 临时救助: the amount the caseworker sets lies between these multiples of the monthly 低保
    # standard (DOMAIN.md: e.g. 2-6×); up to the limit (yuan) the township approves, above it
    # the county.
    ("linshi_min_multiple", "linshi", "640000", "2", "临时救助最低金额（低保标准的倍数）", "倍"),
    ("linshi_max_multiple", "linshi", "640000", "6", "临时救助最高金额（低保标准的倍数）", "倍"),
    ("linshi_township_limit", "linshi", "640000", "3000", "乡镇审批临时救助的金额上限", "元"),
]

RULES = {
    "dibao": [
        {
            "name": "收入低于低保标准",
            "condition": {"fact": "per_capita_income", "op": "lt", "param": "dibao_standard"},
            "reason": "家庭月人均收入 %(per_capita_income)s 元，不低于当地低保标准 %(dibao_standard)s 元。",
            "reason_en": "Monthly income per person is %(per_capita_income)s yuan, not below the local standard of "
            "%(dibao_standard)s yuan.",
        },
        {
            "name": "金融资产在限额内",
            "condition": {
                "fact": "financial_assets_per_capita",
                "op": "lt",
                "param": "dibao_standard",
                "times": "24",
            },
            "reason": "人均金融资产 %(financial_assets_per_capita)s 元，超过当地低保标准的 24 倍。",
            "reason_en": "Savings per person (%(financial_assets_per_capita)s yuan) exceed 24 times the local "
            "standard.",
        },
        {
            "name": "无机动车辆",
            "on_fail": "refer",
            "condition": {"fact": "vehicles", "op": "eq", "value": 0},
            "reason": "家庭有机动车辆，需要工作人员核实（如残疾人代步车可不计）。",
            "reason_en": "The household owns a vehicle; a caseworker checks it (e.g. a disability vehicle is "
            "allowed).",
        },
        {
            "name": "无多余住房",
            "on_fail": "refer",
            "condition": {"fact": "extra_housing", "op": "eq", "value": 0},
            "reason": "家庭除居住房外另有住房，需要工作人员核实。",
            "reason_en": "The household owns another home besides the one lived in; a caseworker checks it.",
        },
    ],
    "tekun": [
        {
            "name": "无劳动能力",
            "condition": {"fact": "unable_to_work", "op": "is_true"},
            "reason": "特困供养要求无劳动能力（60 周岁以上、未满 18 周岁或重度残疾）。",
            "reason_en": "Extreme-poverty support requires being unable to work (60 or over, under 18, or a severe "
            "disability).",
        },
        {
            "name": "无生活来源",
            "condition": {"fact": "has_income_source", "op": "is_false"},
            "reason": "申报有生活来源。",
            "reason_en": "A source of income was declared.",
        },
        {
            "name": "无有能力的法定赡养人",
            "on_fail": "refer",
            "condition": {"fact": "has_able_supporter", "op": "is_false"},
            "reason": "有法定赡养、抚养或扶养义务人，需要核实其能力。",
            "reason_en": "There is a legal supporter; a caseworker checks whether they are able to support.",
        },
    ],
    "linshi": [
        {
            "name": "急难或支出型困难",
            "on_fail": "refer",
            "condition": {
                "fact": "emergency_type",
                "op": "in",
                "value": ["emergency", "expenditure"],
            },
            "reason": "需要说明是突发急难还是大额必需支出。",
            "reason_en": "Please say whether it is a sudden emergency or a large necessary expense.",
        },
        {
            "name": "家庭经济困难",
            "on_fail": "refer",
            "condition": {
                "fact": "per_capita_income",
                "op": "lt",
                "param": "dibao_standard",
                "times": "2",
            },
            "reason": "家庭月人均收入高于当地低保标准的 2 倍，需要工作人员评估。",
            "reason_en": "Income per person is above twice the local standard; a caseworker assesses the case.",
        },
    ],
}

EXAMPLES = {
    "dibao": [
        (
            "收入低、无车无房：通过",
            {
                "per_capita_income": "500",
                "financial_assets_per_capita": "1000",
                "vehicles": 0,
                "extra_housing": 0,
            },
            "pass",
        ),
        (
            "收入恰好等于标准：不通过",
            {
                "per_capita_income": "850",
                "financial_assets_per_capita": "0",
                "vehicles": 0,
                "extra_housing": 0,
            },
            "fail",
        ),
        (
            "有车：转人工",
            {
                "per_capita_income": "300",
                "financial_assets_per_capita": "0",
                "vehicles": 1,
                "extra_housing": 0,
            },
            "refer",
        ),
    ],
    "tekun": [
        (
            "孤寡老人：通过",
            {"unable_to_work": True, "has_income_source": False, "has_able_supporter": False},
            "pass",
        ),
        (
            "有劳动能力：不通过",
            {"unable_to_work": False, "has_income_source": False, "has_able_supporter": False},
            "fail",
        ),
    ],
    "linshi": [
        (
            "大病支出、低收入：通过",
            {"emergency_type": "expenditure", "per_capita_income": "900"},
            "pass",
        ),
        ("收入较高：转人工", {"emergency_type": "emergency", "per_capita_income": "2000"}, "refer"),
    ],
}

NAMES = {"dibao": "最低生活保障", "tekun": "特困人员救助供养", "linshi": "临时救助"}


@transaction.atomic
def seed_programs(acting_user=None, log=print) -> bool:
    """Create the three programs with their parameters and an active rule set. Idempotent."""
    if Program.objects.filter(code="dibao").exists():
        added = _add_missing_parameters(acting_user)
        log(f"assistance rules: present; {added} new parameter(s) added")
        return False
    programs = {
        code: do_create_program(
            acting_user=acting_user, code=code, name=name, service_code=f"assistance.{code}"
        )
        for code, name in NAMES.items()
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
    log("assistance rules: 3 programs with parameters and active rule sets")
    return True


def _add_missing_parameters(acting_user) -> int:
    """Parameters added to PARAMETERS after a database was seeded (the range of temporary
    assistance), set where the key has no value at all yet (every region's row of it); values
    an administrator set are never touched."""
    from civilaffairs.rules.models import Parameter

    programs = {p.code: p for p in Program.objects.filter(code__in=NAMES)}
    present = set(
        Parameter.objects.filter(key__in={row[0] for row in PARAMETERS}).values_list(
            "key", flat=True
        )
    )
    missing = [
        row
        for row in PARAMETERS
        if row[0] not in present and (row[1] is None or row[1] in programs)
    ]
    return set_parameters(missing, programs=programs, valid_from=FROM, acting_user=acting_user)


def seed_demo_cases(rng, log=print) -> int:
    """A few applications at different stages, so the demo queues are not empty. Idempotent."""
    from civilaffairs.accounts.models import User
    from civilaffairs.casework.actions import do_claim_next, do_screen_and_route, do_transition
    from civilaffairs.people.models import Household

    from . import actions
    from .models import AssistanceApplication, IncomeKind

    if AssistanceApplication.objects.exists():
        log("assistance demo cases: present, unchanged")
        return 0
    caseworker = User.objects.filter(username="caseworker").first()
    if caseworker is None:
        return 0
    households = list(
        Household.objects.filter(region__startswith="640104001")
        .exclude(head__name="王秀英")
        .select_related("head")
        .order_by("pk")[:10]
    )
    made = 0
    for i, house in enumerate(households):
        kind = "linshi" if i % 5 == 4 else "dibao"
        app = actions.do_start_application(
            kind, acting_user=caseworker, person=house.head, channel="assisted"
        )
        members = list(house.current_members())
        rows = [
            (m.person, IncomeKind.WAGES, Decimal(rng.choice([0, 0, 300, 500, 800, 1200])))
            for m in members
        ]
        actions.do_set_incomes(app, rows, acting_user=caseworker)
        actions.do_save_draft(
            app,
            acting_user=caseworker,
            hardship_cause=rng.choice(["illness", "disability", "unemployment"]),
            situation="由社区工作人员协助填写。",
            financial_assets=Decimal(rng.choice([0, 2000, 8000])),
            emergency_type="expenditure" if kind == "linshi" else "",
            expense_amount=Decimal("6000") if kind == "linshi" else 0,
            bank_name="宁夏银行",
            bank_account=f"62220212{rng.randrange(10**8):08d}",
            declaration=True,
        )
        actions.do_submit_application(app, acting_user=caseworker)
        do_screen_and_route(app.case.pk)
        made += 1
    # One taken further: claimed and accepted by the township caseworker.
    case = do_claim_next(acting_user=caseworker)
    if case is not None:
        do_transition(case, "accept", acting_user=caseworker)
    _seed_further(caseworker, log)
    log(f"assistance demo cases: {made}")
    return made


def _seed_further(caseworker, log) -> None:
    """Three 低保 cases taken on through the actions: two approved, so the demo has money to
    pay (the month's batch of 兴庆区 waits for the approver), and one with an objection on its
    notice for the caseworker to answer."""
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from civilaffairs.accounts.models import User
    from civilaffairs.benefits.actions import do_prepare_due_batches
    from civilaffairs.casework.actions import do_transition
    from civilaffairs.lib.months import first_of_next_month

    from . import actions
    from .models import AssistanceApplication

    approver = User.objects.filter(username="approver").first()
    today = timezone.localdate()
    noticed = []
    for app in AssistanceApplication.objects.filter(kind="dibao", case__state="screened").order_by(
        "pk"
    ):
        try:
            do_transition(app.case, "accept", acting_user=caseworker)
            actions.do_record_investigation(
                app, acting_user=caseworker, visit_date=today, findings="入户核实，情况属实。"
            )
            app = actions.do_start_notice(app, acting_user=caseworker)
        except ValidationError:
            continue
        if app.monthly_amount > 0:
            noticed.append(app)
        if len(noticed) == 3:
            break
    for app in noticed[:2]:
        # The demo shows notices that are over: their seven working days are moved back.
        AssistanceApplication.objects.filter(pk=app.pk).update(
            notice_start=today - dt.timedelta(days=12), notice_end=today - dt.timedelta(days=2)
        )
        app.refresh_from_db()
        actions.do_end_notice(app, acting_user=None)
        if approver is not None:
            actions.do_approve(app, acting_user=approver)
    if len(noticed) == 3:
        actions.do_lodge_objection(
            noticed[2], text="该户有一辆小货车跑运输，收入没有申报。", contact="13900001234"
        )
    batches = do_prepare_due_batches(first_of_next_month(today))
    log(f"assistance demo: {len(noticed[:2])} approved, {batches} payment batch to approve")


# Disaster relief: what each affected person needs for the response, by response level (Ⅰ the
# gravest: the longest response). Illustrative defaults for the province, from the Sphere
# Handbook (2018) minimums DOMAIN.md quotes — 15 litres of water a day, 2,100 kcal of food a
# day (about 0.6 kg of grain), 3.5 m² of covered space (a 12 m² relief tent for three or
# four people), one quilt per person — over 30, 20, 15 and 10 days of response, and a cash
# grant per person. A county or township sets its own value in the rules admin (program
# "disaster_relief", key "<item>_l<level>") where its norm differs.
DISASTER_DAYS = {1: 30, 2: 20, 3: 15, 4: 10}
DISASTER_NORMS = [
    # item, label, unit, value per person by level
    ("tent", "救灾帐篷", "顶/人", {1: "0.29", 2: "0.29", 3: "0.2", 4: "0.1"}),
    ("quilt", "棉被", "床/人", {1: "1", 2: "1", 3: "1", 4: "1"}),
    ("food", "口粮", "公斤/人", {lv: str(Decimal("0.6") * d) for lv, d in DISASTER_DAYS.items()}),
    ("water", "饮用水", "升/人", {lv: str(15 * d) for lv, d in DISASTER_DAYS.items()}),
    ("clothing", "衣物", "套/人", {1: "2", 2: "2", 3: "1", 4: "1"}),
    ("cash", "现金救助", "元/人", {1: "600", 2: "450", 3: "300", 4: "200"}),
]


@transaction.atomic
def seed_disaster_norms(acting_user=None, log=print) -> int:
    """The program "disaster_relief" and its per-person norms for the province, where a key
    has no value yet (an administrator's values are never touched). Idempotent."""
    from civilaffairs.rules.models import Parameter

    program = Program.objects.filter(code="disaster_relief").first()
    if program is None:
        program = do_create_program(
            acting_user=acting_user,
            code="disaster_relief",
            name="自然灾害救助",
            description="受灾人员的物资和现金需求定额（每人）。",
        )
    province = Region.objects.filter(code="640000").first()
    if province is None:
        return 0
    added = 0
    for item, label, unit, values in DISASTER_NORMS:
        for level, value in values.items():
            key = f"{item}_l{level}"
            if Parameter.objects.filter(program=program, key=key).exists():
                continue
            do_set_parameter(
                acting_user=acting_user,
                key=key,
                region=province,
                value=Decimal(value),
                valid_from=dt.date(2020, 1, 1),
                program=program,
                label=f"{label}（{'ⅠⅡⅢⅣ'[level - 1]}级响应）",
                unit=unit,
            )
            added += 1
    log(f"disaster relief norms: {added} set")
    return added


def seed_demo_disaster(log=print) -> bool:
    """A flood in 凤凰北街街道 recorded by 兴庆区's approver a week ago, with a quilt given to
    one household, so the disaster-relief pages show something. Idempotent."""
    from civilaffairs.accounts.models import User
    from civilaffairs.people.models import Household

    from .disaster import do_give_relief, do_record_event
    from .disaster_queries import vulnerable_households
    from .models import DisasterEvent

    if DisasterEvent.objects.exists():
        log("demo disaster: present, unchanged")
        return False
    approver = User.objects.filter(username="approver").first()
    caseworker = User.objects.filter(username="caseworker").first()
    township = Region.objects.filter(code="640104001").first()
    if approver is None or caseworker is None or township is None:
        return False
    seed_disaster_norms(log=log)
    began = dt.date.today() - dt.timedelta(days=7)
    event = do_record_event(
        acting_user=approver,
        name=f"{began:%Y年%m月}凤凰北街街道暴雨洪涝",
        kind="flood",
        level=3,
        started_on=began,
        regions=[township],
        note="持续强降雨，低洼社区房屋进水。",
    )
    # A quilt for the first vulnerable household of the township, where it lives.
    first = next(iter(vulnerable_households(event, [township.prefix])), None)
    if first is not None:
        do_give_relief(
            event,
            Household.objects.get(pk=first[0]),
            place=first[1],
            acting_user=caseworker,
            item="quilt",
            quantity=Decimal(2),
            given_on=began + dt.timedelta(days=1),
        )
    log("demo disaster: a flood in 凤凰北街街道")
    return True
