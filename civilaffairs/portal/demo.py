"""Demo data: offices and staff across the demo province, and a few thousand people in
households with valid ID numbers built from the region table.

Deterministic (a fixed seed) and idempotent: every object is looked up by a natural key before
it is made, so `load_demo` run twice changes nothing. Domains add their own demo steps with
`register_demo_step` in their AppConfig.ready.
"""

import datetime as dt
import random
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.utils import bulk_create_with_history

from civilaffairs.accounts import second_factor
from civilaffairs.accounts.actions import do_create_office, do_grant_role, do_update_office
from civilaffairs.accounts.models import Office, StaffRole, User
from civilaffairs.casework.registry import all_services
from civilaffairs.exchange.demo import create_demo_client
from civilaffairs.imports.demo import create_demo_import
from civilaffairs.lib import idnumber
from civilaffairs.people.models import Household, Membership, Person, Region

DEMO_PASSWORD = "Minzheng#2026"  # noqa: S105 (the demo's published password, README)
# Every demo member of staff has an authenticator app set up with this one secret (README):
# add it to any TOTP app, or print the current code with `manage.py demo_otp_code`. Demo data
# only: a real account sets up its own secret at its first login.
DEMO_TOTP_SECRET = "MINZ HENG DEMO TOTP SECR ETFO RSTA FF22"  # noqa: S105 (published, demo)
SEED = 20261122

# The named personas printed by `make run` and used by the browser tests.
PERSONAS = {
    "citizen": "640104001",  # lives in 凤凰北街街道, 兴庆区, 银川市
    "caseworker": "640104001",  # that township's office
    "approver": "640104",  # 兴庆区 civil-affairs bureau
    "supervisor": "640100",  # 银川市 civil-affairs bureau
    "caseworker_xixia": "640105001",  # another county's township: for jurisdiction demos
}

# Job titles stored on demo accounts: data, not interface text, so not translated.
ROLE_TITLES = {"caseworker": "经办人", "approver": "审批人", "supervisor": "科长"}

_demo_steps: list[Callable] = []
_reference_steps: list[Callable] = []


def register_demo_step(fn: Callable) -> Callable:
    """Domains append steps (called with `rng` and `log`) that run after the platform's."""
    if fn not in _demo_steps:
        _demo_steps.append(fn)
    return fn


def register_reference_step(fn: Callable) -> Callable:
    """Domains append the reference data a database needs before any case (rule programs,
    parameters), called with `log`: the demo and the benchmark database both load it."""
    if fn not in _reference_steps:
        _reference_steps.append(fn)
    return fn


def load_reference_data(log=print) -> None:
    for step in _reference_steps:
        step(log=log)


# The commonest surnames (Ministry of Public Security 2020 ranking, top 40) with rough weights.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜"
SURNAME_WEIGHTS = [
    7.1,
    7.0,
    6.7,
    5.4,
    4.5,
    3.1,
    2.4,
    2.3,
    2.0,
    1.9,
    1.5,
    1.4,
    1.3,
    1.2,
    1.2,
    1.1,
    1.0,
    1.0,
    0.9,
    0.9,
    0.9,
    0.9,
    0.8,
    0.8,
    0.8,
    0.7,
    0.7,
    0.7,
    0.6,
    0.6,
    0.6,
    0.6,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.5,
    0.4,
    0.4,
]
MALE_CHARS = "伟强磊军勇杰涛斌明超刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文海成"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英华慧巧美娅琳玲婷雪梅兰凤洁红燕萍莉桂珍瑶怡佳欣雨晴"
# Hui family names are common in 宁夏; a few for realism.
HUI_SURNAMES = "马杨丁撒海哈"


def _name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    surname = surname or rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return surname + given


class _IdMaker:
    """Unique, valid ID numbers: sequence numbers are drawn per (address code, birth date)."""

    def __init__(self, rng: random.Random, taken: set[str]):
        self.rng = rng
        self.taken = taken

    def make(self, address_code: str, birth: dt.date, sex: str) -> str:
        for _ in range(200):
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            value = idnumber.make(address_code, birth, seq)
            if value not in self.taken:
                self.taken.add(value)
                return value
        raise RuntimeError("ran out of sequence numbers")


def _birth(rng: random.Random, age: int, today: dt.date) -> dt.date:
    start = dt.date(today.year - age - 1, today.month, 1) + dt.timedelta(days=1)
    return start + dt.timedelta(days=rng.randrange(0, 364))


def _admin_user():
    user, created = User.objects.get_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "first_name": "系统管理员",
            "email": "admin@minzheng.example.cn",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def create_offices(admin: User, log) -> dict[str, Office]:
    """A bureau per province, prefecture and county, and an office per township."""
    province = Region.objects.get(code=settings.DEMO_PROVINCE_CODE)
    regions = list(
        Region.objects.current()
        .within(province)
        .filter(level__lte=Region.Level.TOWNSHIP)
        .order_by("code")
    )
    services = [s.code for s in all_services()]
    existing = {o.region_id: o for o in Office.objects.filter(region__in=regions)}
    offices = {}
    for region in regions:
        if region.level == Region.Level.PROVINCE:
            name = f"{region.name}民政厅"
        elif region.level == Region.Level.TOWNSHIP:
            name = f"{region.name}民政服务站"
        elif region.name in ("市辖区", "县", "省直辖县级行政区划"):
            continue
        else:
            name = f"{region.name}民政局"
        office = existing.get(region.code)
        if office is None:
            office = do_create_office(
                acting_user=admin,
                name=name,
                region=region,
                level=region.level,
                services=services,
                opening_hours="周一至周五 9:00-12:00, 13:30-17:30",
                phone="12345",
            )
        elif set(office.services) != set(services):
            office = do_update_office(office, acting_user=admin, services=sorted(services))
        offices[region.code] = office
    log(f"offices: {len(offices)}")
    return offices


def create_staff(admin: User, offices: dict[str, Office], log):
    """A caseworker in every township office, a caseworker and an approver in every county
    bureau, a supervisor in every prefecture bureau; the named personas among them."""
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: hundreds of users
    plan: list[tuple[str, str, str]] = []  # (username, region code, role)
    for code, office in offices.items():
        if office.level == Office.Level.TOWNSHIP:
            plan.append((f"tw{code}", code, StaffRole.Role.CASEWORKER))
        elif office.level == Office.Level.COUNTY:
            plan.append((f"cw{code}", code, StaffRole.Role.CASEWORKER))
            plan.append((f"ap{code}", code, StaffRole.Role.APPROVER))
        elif office.level == Office.Level.PREFECTURE:
            plan.append((f"sv{code}", code, StaffRole.Role.SUPERVISOR))
    plan += [
        ("caseworker", PERSONAS["caseworker"], StaffRole.Role.CASEWORKER),
        ("approver", PERSONAS["approver"], StaffRole.Role.APPROVER),
        ("supervisor", PERSONAS["supervisor"], StaffRole.Role.SUPERVISOR),
        ("caseworker_xixia", PERSONAS["caseworker_xixia"], StaffRole.Role.CASEWORKER),
    ]
    existing = set(
        User.objects.filter(username__in=[p[0] for p in plan]).values_list("username", flat=True)
    )
    new_users = [
        User(username=u, password=password_hash, first_name=f"{offices[c].name}{ROLE_TITLES[r]}")
        for u, c, r in plan
        if u not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=500)
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in plan])}
    have = set(
        StaffRole.objects.filter(user__in=users.values()).values_list(
            "user__username", "office__region", "role"
        )
    )
    for username, code, role in plan:
        if (username, code, role) not in have:
            do_grant_role(users[username], offices[code], role, acting_user=admin)
    log(f"staff: {len(users)} ({len(new_users)} new)")


@transaction.atomic
def create_people(admin: User, rng: random.Random, log, households: int = 1200) -> None:
    """Households in the villages and communities of 银川市 (the demo city), about 3,000 people."""
    if Person.objects.filter(id_number__isnull=False, residence_region__startswith="6401").exists():
        log("people: present, unchanged")
        return
    today = dt.date(2026, 1, 1)  # fixed so that the data is the same whatever day it is loaded
    villages = list(
        Region.objects.current().filter(code__startswith="6401", level=Region.Level.VILLAGE)
    )
    counties = set(
        Region.objects.filter(code__startswith="64", level=Region.Level.COUNTY).values_list(
            "code", flat=True
        )
    )
    retired = sorted(
        Region.objects.filter(code__in=counties, is_current=False).values_list("code", flat=True)
    )
    current_counties = sorted(counties - set(retired))
    ids = _IdMaker(rng, set())

    def birthplace(residence: Region) -> str:
        roll = rng.random()
        if roll < 0.75:
            return residence.code[:6]
        if roll < 0.85 and retired:
            return rng.choice(retired)  # issued before a county was merged: valid for life
        return rng.choice(current_counties)

    persons: list[Person] = []
    homes: list[
        tuple[Region, str, list[tuple[int, str]]]
    ] = []  # (village, hukou type, [(index, relation)])

    def add(name, sex, age, residence, address, **extra):
        birth = _birth(rng, age, today)
        code = birthplace(residence)
        extra.setdefault("phone", f"1{rng.choice('3578')}{rng.randrange(0, 10**9):09d}")
        p = Person(
            id_type=Person.IdType.RESIDENT_ID,
            id_number=ids.make(code, birth, sex),
            name=name,
            sex=sex,
            birth_date=birth,
            hukou_region_id=residence.code,
            residence_region_id=residence.code,
            address=address,
            ethnicity="回族" if name[0] in HUI_SURNAMES and rng.random() < 0.6 else "汉族",
            **extra,
        )
        persons.append(p)
        return len(persons) - 1

    # The named citizen persona first, with a fixed identity.
    home = Region.objects.get(code="640104001002")
    members = [
        (
            add(
                "王秀英",
                "F",
                67,
                home,
                "崇安社区 3 号楼 2 单元 101",
                phone="13800000001",
                marital_status=Person.MaritalStatus.WIDOWED,
            ),
            "02",
        ),
        (add("李明", "M", 12, home, "崇安社区 3 号楼 2 单元 101"), "40"),
    ]
    homes.append((home, Household.HukouType.URBAN, members))

    for _ in range(households):
        village = rng.choice(villages)
        address = (
            f"{village.name.replace('居委会', '').replace('村委会', '')} {rng.randrange(1, 60)} 号"
        )
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        head_age = rng.choice([rng.randrange(25, 60), rng.randrange(25, 60), rng.randrange(60, 95)])
        head_sex = "M" if rng.random() < 0.7 else "F"
        married = rng.random() < 0.75
        status = (
            Person.MaritalStatus.MARRIED
            if married
            else rng.choice(
                [
                    Person.MaritalStatus.UNMARRIED,
                    Person.MaritalStatus.DIVORCED,
                    Person.MaritalStatus.WIDOWED,
                ]
            )
        )
        disability = rng.choices([0, 1, 2, 3, 4], [90, 2, 3, 3, 2])[0]
        members = [
            (
                add(
                    _name(rng, head_sex, surname),
                    head_sex,
                    head_age,
                    village,
                    address,
                    marital_status=status,
                    disability_grade=disability,
                    chronic_illness=head_age > 55 and rng.random() < 0.3,
                ),
                "02",
            )
        ]
        if married:
            sex = "F" if head_sex == "M" else "M"
            age = max(22, head_age + rng.randrange(-5, 4))
            members.append(
                (
                    add(
                        _name(rng, sex),
                        sex,
                        age,
                        village,
                        address,
                        marital_status=Person.MaritalStatus.MARRIED,
                    ),
                    "10",
                )
            )
        if 22 <= head_age <= 65:
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
                sex = rng.choice("MF")
                age = max(0, head_age - rng.randrange(22, 36))
                members.append(
                    (
                        add(_name(rng, sex, surname), sex, age, village, address),
                        "20" if sex == "M" else "30",
                    )
                )
        if head_age < 50 and rng.random() < 0.2:
            sex = rng.choice("MF")
            members.append(
                (
                    add(
                        _name(rng, sex, surname if sex == "M" else None),
                        sex,
                        head_age + rng.randrange(22, 32),
                        village,
                        address,
                        marital_status=Person.MaritalStatus.WIDOWED,
                    ),
                    "50",
                )
            )
        hukou = (
            Household.HukouType.URBAN
            if village.name.endswith("社区居委会")
            else Household.HukouType.RURAL
        )
        homes.append((village, hukou, members))

    created = bulk_create_with_history(persons, Person, batch_size=1000, default_user=admin)
    # bulk_create on PostgreSQL returns primary keys in order.
    house_rows = [
        Household(
            head_id=created[m[0][0]].pk, region=v, address=created[m[0][0]].address, hukou_type=h
        )
        for v, h, m in homes
    ]
    house_rows = bulk_create_with_history(
        house_rows, Household, batch_size=1000, default_user=admin
    )
    start = dt.date(2015, 1, 1)
    memberships = [
        Membership(
            household_id=house.pk,
            person_id=created[i].pk,
            relation=rel,
            start_date=max(start, created[i].birth_date),
        )
        for house, (_, _, members) in zip(house_rows, homes, strict=True)
        for i, rel in members
    ]
    bulk_create_with_history(memberships, Membership, batch_size=2000, default_user=admin)
    log(f"people: {len(persons)} in {len(house_rows)} households")


def bind_citizen(log):
    person = (
        Person.objects.filter(name="王秀英", residence_region_id="640104001002")
        .order_by("pk")
        .first()
    )
    user = User.objects.filter(username="citizen").first()
    if user is None:
        user = User(username="citizen", person=person, first_name=person.name, phone="13800000001")
        user.set_password(DEMO_PASSWORD)
        user.save()
        log("citizen account: created")


def load(log=print) -> None:
    rng = random.Random(SEED)
    with transaction.atomic():
        admin = _admin_user()
        offices = create_offices(admin, log)
        create_staff(admin, offices, log)
    create_people(admin, rng, log)
    bind_citizen(log)
    create_demo_client(log)
    for step in _demo_steps:
        step(rng=random.Random(f"{SEED}-{step.__module__}"), log=log)
    create_demo_import(log)
    give_staff_the_demo_second_factor(log)


def give_staff_the_demo_second_factor(log) -> None:
    """Last, so that the staff the domains' steps made get one too. A member of staff who
    already has an app (set up by hand after a reset, say) keeps it."""
    key = second_factor.key_from_base32(DEMO_TOTP_SECRET)
    staff = set(
        User.objects.filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(staff_roles__is_active=True, staff_roles__office__is_active=True)
        ).values_list("pk", flat=True)
    )
    have = set(
        TOTPDevice.objects.filter(user__in=staff, confirmed=True).values_list("user", flat=True)
    )
    TOTPDevice.objects.bulk_create(
        TOTPDevice(
            user_id=pk,
            name="demo authenticator app",
            key=key,
            step=second_factor.STEP,
            digits=second_factor.DIGITS,
            tolerance=second_factor.TOLERANCE,
            confirmed=True,
        )
        for pk in sorted(staff - have)
    )
    log(f"second factor (demo secret): {len(staff - have)} staff accounts set up")
