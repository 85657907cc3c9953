"""Registries at 兴庆区 (the personas' county) and 西夏区 (another county), each with a registrar
and slots, couples with accounts, and helpers that walk an application to a given step.

The clock is fixed at Monday 2 March 2026, 09:00 in Shanghai (it ticks from there), so ages,
slots and the divorce calendar do not depend on the day the tests run.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from civilaffairs.accounts.models import Office, StaffRole, User
from civilaffairs.casework.actions import do_transition
from civilaffairs.people.models import Region
from marriage import actions
from marriage.models import Appointment, MarriageApplication, RegistrationOffice, Slot
from tests.factories import PersonFactory, UserFactory, office_for, staff

SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SH)
HOURS = [(d, dt.time(9, 0), dt.time(12, 0)) for d in range(5)] + [
    (d, dt.time(13, 30), dt.time(17, 0)) for d in range(5)
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Factories hash a password per user; the production hasher takes half a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English, whatever the zh catalogue says (pages requested through
    the test client still come in the site's default language)."""
    with translation.override("en"):
        yield


# The clock of the test running (fixed_clock), which the helpers move to an appointment's day.
_clock = None


@pytest.fixture(autouse=True)
def fixed_clock():
    global _clock
    with time_machine.travel(START, tick=True) as traveller:
        _clock = traveller
        try:
            yield traveller
        finally:
            _clock = None


def on_the_day(ap: Appointment, traveller=None):
    """The clock moved to the appointment's time: a couple is checked in on its day only."""
    traveller = traveller or _clock
    traveller.move_to(dt.datetime.combine(ap.slot.date, ap.slot.start, tzinfo=SH))


@dataclass
class Registry:
    home: RegistrationOffice  # 兴庆区
    other: RegistrationOffice  # 西夏区
    registrar: User
    other_registrar: User
    personas: object


def make_registry(code: str, name: str) -> RegistrationOffice:
    office = office_for(code)
    registry = actions.do_setup_registry(
        office, acting_user=None, name=name, periods=HOURS, slot_capacity=2, booking_days=21
    )
    actions.do_generate_slots(registry)
    return registry


def setup_registries(personas) -> Registry:
    home = make_registry("640104", "兴庆区婚姻登记处")
    other = make_registry("640105", "西夏区婚姻登记处")
    return Registry(
        home=home,
        other=other,
        registrar=staff("registrar", "640104", StaffRole.Role.REGISTRAR),
        other_registrar=staff("other_registrar", "640105", StaffRole.Role.REGISTRAR),
        personas=personas,
    )


@pytest.fixture
def reg(personas):
    return setup_registries(personas)


def citizen(name, sex, birth, **kwargs):
    person = PersonFactory(name=name, sex=sex, birth_date=birth, **kwargs)
    user = UserFactory(username=f"u{person.pk}", person=person)
    return user


@pytest.fixture
def couple(reg):
    """张伟 (28) and 李娜 (25), unmarried, strangers in the household records."""
    return (
        citizen("张伟", "M", dt.date(1998, 1, 15)),
        # Her hukou is in 西夏区: any registry may register them (since 2025-05-10).
        citizen(
            "李娜", "F", dt.date(2000, 6, 1), hukou_region=Region.objects.get(code="640105001002")
        ),
    )


def next_slot(registry, *, after: dt.date | None = None, skip: int = 0) -> Slot:
    after = after or timezone.localdate()
    actions.do_generate_slots(registry)  # the daily task, for the day the clock shows
    return Slot.objects.filter(registry=registry, date__gt=after).order_by("date", "start")[skip]


def book(reg, a, b, *, registry=None, slot=None) -> Appointment:
    registry = registry or reg.home
    slot = slot or next_slot(registry)
    ap = actions.do_book_registration(
        acting_user=a,
        registry=registry,
        slot=slot,
        partner_name=b.person.name,
        partner_id_number=b.person.id_number,
        declaration=True,
    )
    return actions.do_confirm_appointment(ap, acting_user=b, declaration=True)


def at_counter(reg, a, b, traveller=None) -> MarriageApplication:
    """Booked, confirmed, and the couple checked in on the appointment day (the clock moves
    there)."""
    ap = book(reg, a, b)
    on_the_day(ap, traveller)
    app = MarriageApplication.objects.get(pk=ap.application_id)
    return actions.do_check_in(app, acting_user=reg.registrar)


# The counter's steps, as the counter page takes them (casework.actions.do_transition with the
# step's form values); each returns what the step wrote.


def _step(app, name, user, **values):
    do_transition(app.case, name, acting_user=user, values=values)
    return MarriageApplication.objects.select_related("case", "record").get(pk=app.pk)


def register_marriage(app, *, acting_user, photos_checked, declarations_signed):
    return _step(
        app,
        "register",
        acting_user,
        photos_checked=photos_checked,
        declarations_signed=declarations_signed,
    ).record


def receive_step(app, *, acting_user, **values):
    return _step(app, "receive", acting_user, **values)


def register_divorce(app, *, acting_user, both_present):
    return _step(app, "register", acting_user, both_present=both_present).record


def refuse(app, *, acting_user, refusal="", reason=""):
    return _step(app, "refuse", acting_user, refusal=refusal, reason=reason)


def clear_review(app, *, acting_user, finding):
    return _step(app, "clear", acting_user, finding=finding)


def withdraw(app, *, acting_user, party_id=None, reason=""):
    return _step(app, "withdraw", acting_user, party=party_id or "", reason=reason)


def register(reg, a, b, traveller=None):
    app = at_counter(reg, a, b, traveller)
    return register_marriage(
        app, acting_user=reg.registrar, photos_checked=True, declarations_signed=True
    )


def book_divorce(reg, a, b, *, registry=None) -> Appointment:
    registry = registry or reg.home
    ap = actions.do_book_divorce(acting_user=a, registry=registry, slot=next_slot(registry))
    return actions.do_confirm_appointment(ap, acting_user=b)


def receive_divorce(reg, a, b, traveller) -> MarriageApplication:
    ap = book_divorce(reg, a, b)
    on_the_day(ap, traveller)
    app = MarriageApplication.objects.get(pk=ap.application_id)
    actions.do_check_in(app, acting_user=reg.registrar)
    return receive_step(
        app,
        acting_user=reg.registrar,
        both_present=True,
        agreement_signed=True,
        agreement_children="无子女",
        agreement_property="各自财产归各自所有，无共同债务",
    )


def office(code) -> Office:
    return office_for(code)
