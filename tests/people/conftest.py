"""The staff registry's pages: a township caseworker of 兴庆区 (the personas), people of her
township, of another county (西夏区), and the roles that may not write the register."""

import pytest
from django.conf import settings
from django.test import Client

from civilaffairs.accounts.models import StaffRole
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import PersonFactory, staff

HOME = "640104001002"  # 崇安社区, 凤凰北街街道 (the caseworker's township), 兴庆区
XIXIA = "640105001002"  # a community of 西夏区, another county


def resident(code: str = HOME, **kwargs):
    region = Region.objects.get(code=code)
    kwargs.setdefault("hukou_region", region)
    kwargs.setdefault("residence_region", region)
    return PersonFactory(**kwargs)


@pytest.fixture
def world(personas):
    personas.registrar = staff("registrar", "640104", StaffRole.Role.REGISTRAR)
    return personas


@pytest.fixture
def as_user():
    """A client signed in as `user` (None: anonymous), reading the site in `language`."""

    def make(user=None, language="en") -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        if user is not None:
            sign_in(client, user)
        return client

    return make


def visible(response, status: int = 200) -> str:
    """The page's text as read: tags dropped, runs of white space made one space."""
    import re

    from tests.pages import page_text

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response, status))).replace(
        " : ", ": "
    )


@pytest.fixture(scope="session", autouse=True)
def test_service():
    """The casework tests' small service, so that a person can have cases of two services."""
    from tests.casework.conftest import SERVICE, register_test_service

    register_test_service()
    return SERVICE


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    # Submissions queue screening after commit; these tests need no screening.
    monkeypatch.setattr("civilaffairs.casework.actions.enqueue_screening", lambda pk: False)
