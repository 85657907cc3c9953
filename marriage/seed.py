"""Demo data of the marriage registry: a registry in every county of 银川市 with slots for the
coming weeks, the registrar `registrar` at 兴庆区 (and one per other county), past
registrations for the statistics, and a few appointments and a divorce in its cooling-off
period so the registrar's day is not empty. Idempotent: looked up by natural keys first.
"""

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from civilaffairs.accounts.actions import do_grant_role
from civilaffairs.accounts.models import Office, StaffRole, User
from civilaffairs.people.models import Membership, Person

from .models import Certificate, MarriageRecord, RegistrationOffice

CITY = "6401"  # 银川市
REGISTRAR_HOME = "640104"  # 兴庆区: the `registrar` demo login works there
# The permission group of registrars: the reveal permission of the person pages. (A marriage or
# divorce certificate carries both parties' full ID numbers and birth dates whatever the group:
# its registry's registrars print it, each print a logged reveal, marriage.views.certificate.)
STANDARD_HOURS = [(weekday, dt.time(9, 0), dt.time(12, 0)) for weekday in range(5)] + [
    (weekday, dt.time(13, 30), dt.time(17, 0)) for weekday in range(5)
]


def _registry_name(office: Office) -> str:
    return office.name.replace("民政局", "") + "婚姻登记处"


def setup_registries(admin, log) -> list[RegistrationOffice]:
    from .actions import do_setup_registry

    offices = list(
        Office.objects.filter(
            level=Office.Level.COUNTY, region_id__startswith=CITY, is_active=True
        ).order_by("region_id")
    )
    registries = []
    existing = {r.office_id: r for r in RegistrationOffice.objects.filter(office__in=offices)}
    for office in offices:
        registry = existing.get(office.pk)
        if registry is None or not set(registry.office.services) >= {
            "marriage.registration",
            "marriage.divorce",
            "marriage.replacement",
        }:
            registry = do_setup_registry(
                office,
                acting_user=admin,
                name=_registry_name(office),
                address=f"{office.region.name}政务服务中心一楼",
                phone="12345",
                periods=STANDARD_HOURS,
                slot_minutes=30,
                slot_capacity=3,
            )
        registries.append(registry)
    log(f"marriage registries: {len(registries)}")
    return registries


def create_registrars(admin, registries, log):
    from civilaffairs.portal.demo import DEMO_PASSWORD

    password = make_password(DEMO_PASSWORD)
    made = 0
    for registry in registries:
        code = registry.office.region_id
        username = "registrar" if code == REGISTRAR_HOME else f"rg{code}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username, password=password, first_name=f"{registry.name}登记员"
            )
            made += 1
        if not StaffRole.objects.filter(
            user=user, office=registry.office, role=StaffRole.Role.REGISTRAR, is_active=True
        ).exists():
            do_grant_role(user, registry.office, StaffRole.Role.REGISTRAR, acting_user=admin)
    log(f"marriage registrars: {len(registries)} ({made} new); demo login `registrar` at 兴庆区")


@transaction.atomic
def past_records(admin, registries, rng, log) -> int:
    """Marriage records for couples the master record already shows as married (head and
    spouse of a household), registered over the past year: the statistics have data, and the
    records agree with the master record."""
    if MarriageRecord.objects.exists():
        log("marriage records: present, unchanged")
        return 0
    from .actions import next_certificate_number

    spouses = (
        Membership.objects.filter(
            relation=Membership.Relation.SPOUSE,
            end_date__isnull=True,
            person__marital_status=Person.MaritalStatus.MARRIED,
            household__head__marital_status=Person.MaritalStatus.MARRIED,
            household__region_id__startswith=CITY,
        )
        .select_related("person", "household__head")
        .order_by("pk")[:240]
    )
    by_county = {r.office.region_id: r for r in registries}
    today = timezone.localdate()
    made = 0
    plan = []
    for m in spouses:
        head, spouse = m.household.head, m.person
        if head.sex == spouse.sex:
            continue
        man, woman = (head, spouse) if head.sex == Person.Sex.MALE else (spouse, head)
        day = today - dt.timedelta(days=rng.randrange(1, 365))
        if man.age_on(day) < 22 or woman.age_on(day) < 20:
            continue
        registry = by_county.get(m.household.region_id[:6]) or rng.choice(registries)
        plan.append((day, man, woman, registry))
    # In date order, so that certificate numbers run with the dates as at a real counter.
    for day, man, woman, registry in sorted(plan, key=lambda p: (p[0], p[1].pk)):
        number = next_certificate_number(registry, Certificate.Kind.MARRIAGE, day)
        record = MarriageRecord(
            man=man,
            woman=woman,
            registry=registry,
            registered_on=day,
            man_age=man.age_on(day),
            woman_age=woman.age_on(day),
            certificate_number=number,
        )
        record._history_user = admin
        record.save()
        for holder in (man, woman):
            cert = Certificate(
                number=number,
                kind=Certificate.Kind.MARRIAGE,
                record=record,
                holder=holder,
                registry=registry,
                issued_on=day,
            )
            cert._history_user = admin
            cert.save()
        made += 1
    log(f"marriage records: {made}")
    return made


def demo_appointments(registries, rng, log) -> int:
    """Two couples booked and confirmed for the next opening day at 兴庆区, through the same
    actions a citizen uses (their accounts are made for them)."""
    from civilaffairs.portal.demo import DEMO_PASSWORD

    from .actions import do_book_registration, do_confirm_appointment
    from .models import MarriageApplication, Slot

    home = next((r for r in registries if r.office.region_id == REGISTRAR_HOME), None)
    if home is None or MarriageApplication.objects.filter(registry=home).exists():
        log("marriage appointments: present, unchanged")
        return 0
    today = timezone.localdate()
    slots = list(Slot.objects.filter(registry=home, date__gt=today).order_by("date", "start")[:4])
    if not slots:
        return 0
    unmarried = Person.objects.living().filter(
        marital_status=Person.MaritalStatus.UNMARRIED,
        residence_region_id__startswith=REGISTRAR_HOME,
        account__isnull=True,
    )
    men = list(
        unmarried.filter(sex="M", birth_date__lte=dt.date(today.year - 24, 1, 1)).order_by("pk")[:2]
    )
    women = list(
        unmarried.filter(sex="F", birth_date__lte=dt.date(today.year - 22, 1, 1))
        .exclude(memberships__household__memberships__person__in=men)
        .order_by("pk")[:2]
    )
    made = 0
    password = make_password(DEMO_PASSWORD)
    for i, (man, woman) in enumerate(zip(men, women, strict=False)):
        users = []
        for person in (man, woman):
            user = User.objects.filter(person=person).first() or User.objects.create(
                username=f"hy{person.pk}", password=password, person=person, first_name=person.name
            )
            users.append(user)
        ap = do_book_registration(
            acting_user=users[0],
            registry=home,
            slot=slots[i],
            partner_name=woman.name,
            partner_id_number=woman.id_number,
            declaration=True,
        )
        do_confirm_appointment(ap, acting_user=users[1], declaration=True)
        made += 1
    log(f"marriage appointments: {made} couples booked at {home.name}")
    return made


def demo_divorce(registries, log) -> int:
    """One couple married at 兴庆区 whose divorce application was received today: the
    registrar sees its cooling-off period, the couple their countdown."""
    from civilaffairs.casework.actions import do_transition
    from civilaffairs.portal.demo import DEMO_PASSWORD

    from .actions import (
        do_book_divorce,
        do_check_in,
        do_confirm_appointment,
    )
    from .models import MarriageApplication, Slot

    home = next((r for r in registries if r.office.region_id == REGISTRAR_HOME), None)
    registrar = User.objects.filter(username="registrar").first()
    if (
        home is None
        or registrar is None
        or MarriageApplication.objects.filter(kind=MarriageApplication.Kind.DIVORCE).exists()
    ):
        log("marriage divorce demo: present, unchanged")
        return 0
    record = (
        MarriageRecord.objects.in_force()
        .filter(
            registry=home,
            man__date_of_death__isnull=True,
            woman__date_of_death__isnull=True,
            man__account__isnull=True,
            woman__account__isnull=True,
        )
        .order_by("registered_on", "pk")
        .first()
    )
    slot = (
        Slot.objects.filter(registry=home, date__gt=timezone.localdate())
        .order_by("date", "start")
        .last()
    )
    if record is None or slot is None:
        return 0
    password = make_password(DEMO_PASSWORD)
    users = [
        User.objects.create(username=f"hy{p.pk}", password=password, person=p, first_name=p.name)
        for p in (record.woman, record.man)
    ]
    ap = do_book_divorce(acting_user=users[0], registry=home, slot=slot)
    ap = do_confirm_appointment(ap, acting_user=users[1])
    # The demo has no past: as if they had booked days ago, their appointment is today (at an
    # extra opening when today is a rest day), for a couple is checked in on its day only.
    today_slot, _made = Slot.objects.get_or_create(
        registry=home,
        date=timezone.localdate(),
        start=dt.time(9, 0),
        defaults={"end": dt.time(9, 30), "capacity": home.slot_capacity},
    )
    ap.slot = today_slot
    ap._history_user = users[0]
    ap.save()
    app = do_check_in(ap.application, acting_user=registrar)
    do_transition(
        app.case,
        "receive",
        acting_user=registrar,
        values={
            "both_present": True,
            "agreement_signed": True,
            "agreement_children": "无未成年子女",
            "agreement_property": "住房归女方所有，女方补偿男方十万元；无共同债务",
        },
    )
    log(
        f"marriage divorce demo: {app.case.reference} in its cooling-off period ({users[0].username})"
    )
    return 1


def seed_demo(rng, log=print):
    admin = User.objects.filter(username="admin").first()
    registries = setup_registries(admin, log)
    if not registries:
        return
    from .actions import do_generate_slots

    log(f"marriage slots: {do_generate_slots()} new")
    create_registrars(admin, registries, log)
    past_records(admin, registries, rng, log)
    demo_appointments(registries, rng, log)
    demo_divorce(registries, log)
