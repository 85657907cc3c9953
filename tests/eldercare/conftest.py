"""Elder-care fixtures: the personas' offices handle every service, the real age-allowance and
alert programs are seeded, and the demo providers (logins "provider" for 兴庆区/金凤区 and
"provider_xixia" for 西夏区), their workers and a family member linked to 王秀英 exist."""

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import timezone

from civilaffairs.accounts.actions import do_update_office
from civilaffairs.casework.registry import all_services
from eldercare import actions
from eldercare.models import Provider, ServiceType, Worker
from eldercare.seed import seed_family, seed_programs, seed_providers, seed_services
from tests.factories import PASSWORD, office_for

URLS = "tests.eldercare.urls_for_tests"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """PBKDF2 costs half a second per password; these tests make a dozen accounts each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    p: object  # the personas
    services: dict
    provider: Provider
    provider_user: object
    other_provider: Provider
    other_provider_user: object
    family: object  # a User linked (confirmed) to the citizen 王秀英
    workers: list

    @property
    def elder(self):
        return self.p.citizen.person

    @property
    def meal(self) -> ServiceType:
        return self.services["meal"]


def setup_eldercare(personas) -> World:
    codes = [s.code for s in all_services()]
    for office in (personas.township, personas.county, personas.city, personas.other_township):
        do_update_office(office, acting_user=None, services=codes)
    do_update_office(office_for("640105"), acting_user=None, services=codes)
    quiet = lambda *a: None  # noqa: E731
    seed_programs(log=quiet)
    services = seed_services()
    providers = seed_providers(password=PASSWORD, log=quiet)
    provider, other = providers["provider"], providers["provider_xixia"]
    family = seed_family(PASSWORD, log=quiet)
    from civilaffairs.accounts.models import User

    return World(
        p=personas,
        services=services,
        provider=provider,
        provider_user=User.objects.get(username="provider"),
        other_provider=other,
        other_provider_user=User.objects.get(username="provider_xixia"),
        family=family,
        workers=list(Worker.objects.filter(provider=provider).order_by("pk")),
    )


@pytest.fixture
def world(personas):
    return setup_eldercare(personas)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def book(world, *, by=None, elder=None, service=None, starts_at=None, provider=None):
    return actions.do_book_service(
        acting_user=by or world.family,
        elder=elder or world.elder,
        service_type=service or world.meal,
        provider=provider or world.provider,
        starts_at=starts_at or at(tomorrow(), 11),
    )


def accepted(world, booking):
    return actions.do_accept_booking(booking, acting_user=world.provider_user)


def check_in(world, booking, *, minutes: int = 0):
    """The worker checks in `minutes` after the booked start (before it when negative): the
    clock is taken to that moment, as a visit starts only near its booked time."""
    with time_machine.travel(booking.starts_at + dt.timedelta(minutes=minutes), tick=False):
        return actions.do_check_in(booking, acting_user=world.provider_user)


def check_out(world, booking, *, minutes: int = 60):
    """The worker checks out `minutes` after the booked start."""
    with time_machine.travel(booking.starts_at + dt.timedelta(minutes=minutes), tick=False):
        return actions.do_check_out(booking, acting_user=world.provider_user)
