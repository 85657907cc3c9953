"""A citizen sees every look-up of their record by another department, in their language."""

import pytest

from tests.auth import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_citizen_sees_who_looked_them_up_and_why(client, dept, family):
    dept.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number})
    dept.post("/api/v1/persons/lookup/", {"id_number": "123"})  # refused: nothing went out
    citizen = UserFactory(person=family["head"])
    sign_in(client, citizen)
    client.cookies["lang"] = "zh-hans"
    page = client.get("/my/data-uses/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("公安局") == 1
    assert "核查救助对象身份" in text  # the purpose in words
    assert "姓名" in text and "出生日期" in text
    client.cookies["lang"] = "en"
    text = client.get("/my/data-uses/").content.decode()
    assert "Who used my data" in text and "date of birth" in text


def test_a_household_look_up_shows_on_every_members_page(client, dept, family):
    dept.post("/api/v1/persons/household/", {"id_number": family["head"].id_number})
    sign_in(client, UserFactory(person=family["wife"]))
    assert "公安局" in client.get("/my/data-uses/").content.decode()


def test_nobody_else_sees_it(client, dept, family, elsewhere):
    dept.post("/api/v1/persons/lookup/", {"id_number": family["head"].id_number})
    sign_in(client, UserFactory(person=elsewhere))
    page = client.get("/my/data-uses/")
    assert page.status_code == 200
    assert "公安局" not in page.content.decode()
    client.logout()
    assert client.get("/my/data-uses/").status_code == 302
