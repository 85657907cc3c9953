"""Staff register a person and correct one, through people.actions, with history
(issue #16 item 9)."""

import datetime as dt

import pytest
from django.urls import reverse

from civilaffairs.people.models import Person
from tests.factories import valid_id
from tests.pages import page_text

from .conftest import HOME, XIXIA, resident, visible

pytestmark = pytest.mark.django_db

REGISTER = "staff:person-register"


def form(**changes):
    data = {
        "id_type": "resident_id",
        "id_number": "",
        "name": "马海燕",
        "sex": "",
        "birth_date": "",
        "ethnicity": "回族",
        "hukou_region": "",
        "residence_region": "崇安社区",
        "address": "崇安巷 3 号",
        "phone": "13912345678",
    }
    data.update(changes)
    return data


def test_a_caseworker_registers_a_person_whose_sex_and_birth_come_from_the_id(world, as_user):
    number = valid_id("640104", dt.date(1988, 4, 9), "F")
    client = as_user(world.caseworker)
    assert "Register a person" in page_text(client.get(reverse("staff:person-list")))
    response = client.post(reverse(REGISTER), form(id_number=f"{number[:6]} {number[6:]}"))
    person = Person.objects.get(id_number=number)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:person-detail", args=[person.pk])
    assert (person.sex, person.birth_date) == ("F", dt.date(1988, 4, 9))
    assert person.residence_region_id == HOME
    assert person.hukou_region_id == "640104"  # the number's address code
    assert person.history.get().history_user == world.caseworker
    page = page_text(client.get(response["Location"]))
    assert "马海燕" in page and number not in page and "1988-04-09" not in page


def test_a_region_is_chosen_by_name_or_code_inside_the_jurisdiction(world, as_user):
    client = as_user(world.caseworker)
    number = valid_id("640104", dt.date(1990, 1, 2), "M")
    response = client.post(
        reverse(REGISTER),
        form(id_number=number, residence_region=f"崇安社区 {HOME}", hukou_region=HOME),
    )
    assert response.status_code == 302
    assert Person.objects.get(id_number=number).hukou_region_id == HOME
    # A place of another county is not the caseworker's to register people in.
    other = valid_id("640104", dt.date(1990, 1, 3), "M")
    response = client.post(reverse(REGISTER), form(id_number=other, residence_region=XIXIA))
    assert response.status_code == 400
    assert "No place called" in page_text(response, 400)
    assert not Person.objects.filter(id_number=other).exists()


@pytest.mark.parametrize(
    "language, expected",
    [("en", "(check digit) does not match"), ("zh-hans", "最后一位（校验位）不符")],
)
def test_a_wrong_id_number_is_refused_on_the_form_in_the_users_language(
    world, as_user, language, expected
):
    number = valid_id("640104", dt.date(1975, 5, 5), "M")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    before = Person.objects.count()
    response = as_user(world.caseworker, language).post(reverse(REGISTER), form(id_number=wrong))
    text = page_text(response, 400)
    assert expected in text
    assert Person.objects.count() == before


def test_sex_and_birth_date_must_agree_with_the_id_number(world, as_user):
    number = valid_id("640104", dt.date(1975, 5, 5), "M")
    response = as_user(world.caseworker).post(
        reverse(REGISTER), form(id_number=number, sex="F", birth_date="1975-05-06")
    )
    text = page_text(response, 400)
    assert "The sex differs from the ID number." in text
    assert "The date of birth differs from the ID number." in text
    assert not Person.objects.filter(id_number=number).exists()


def test_a_known_id_number_is_refused_with_a_link_to_the_person(world, as_user):
    known = resident(name="李桂兰")
    before = Person.objects.count()
    response = as_user(world.caseworker).post(
        reverse(REGISTER), form(name="李桂兰", id_number=known.id_number)
    )
    text = page_text(response, 400)
    assert "This person is already registered" in text
    assert reverse("staff:person-detail", args=[known.pk]) in text
    assert Person.objects.count() == before


def test_a_known_id_number_elsewhere_is_refused_without_a_link(world, as_user):
    far = resident(XIXIA, name="西夏人")
    response = as_user(world.caseworker).post(
        reverse(REGISTER), form(name="西夏人", id_number=far.id_number)
    )
    text = page_text(response, 400)
    assert "in an area outside yours" in text
    assert reverse("staff:person-detail", args=[far.pk]) not in text


def test_a_person_without_a_document_needs_sex_and_birth_date(world, as_user):
    client = as_user(world.caseworker)
    response = client.post(reverse(REGISTER), form(id_type="none", name="周小宝"))
    text = page_text(response, 400)
    assert "Please choose the sex." in text and "Please enter the date of birth." in text
    response = client.post(
        reverse(REGISTER), form(id_type="none", name="周小宝", sex="M", birth_date="2026-01-05")
    )
    assert response.status_code == 302
    baby = Person.objects.get(name="周小宝")
    assert baby.hukou_region_id == HOME and baby.id_number is None


@pytest.mark.parametrize(
    "junk",
    [
        {"residence_region": "x" * 500},
        {"birth_date": "2026-02-30", "id_type": "passport"},
        {"id_type": "nonsense"},
        {"phone": "call me"},
        {"residence_region": "\x00"},
    ],
)
def test_bad_input_is_a_form_error_never_a_500(world, as_user, junk):
    number = valid_id("640104", dt.date(1975, 5, 5), "M")
    response = as_user(world.caseworker).post(reverse(REGISTER), form(id_number=number, **junk))
    assert response.status_code == 400
    assert not Person.objects.filter(id_number=number).exists()


def test_who_may_register(world, as_user):
    url = reverse(REGISTER)
    assert as_user(world.registrar).get(url).status_code == 403  # staff, not of casework
    assert as_user(world.citizen).get(url).status_code == 403
    assert as_user(world.registrar).post(url, form()).status_code == 403
    assert as_user(world.citizen).post(url, form()).status_code == 403
    assert as_user(None).get(url).status_code == 302
    # Another county's caseworker may open the form but registers only in her own area.
    other = as_user(world.other_caseworker)
    number = valid_id("640104", dt.date(1975, 5, 5), "M")
    assert other.get(url).status_code == 200
    assert other.post(url, form(id_number=number)).status_code == 400
    assert not Person.objects.filter(id_number=number).exists()


# ----------------------------------------------------------------------------- corrections


def correction(person, **changes):
    data = {
        "name": person.name,
        "ethnicity": person.ethnicity,
        "hukou_region": person.hukou_region_id,
        "residence_region": person.residence_region_id,
        "address": person.address,
        "phone": "",  # write-only: empty keeps the stored number
        "marital_status": person.marital_status,
        "disability_grade": person.disability_grade,
        "reason": "",
    }
    if person.chronic_illness:
        data["chronic_illness"] = "on"
    data.update(changes)
    return data


def test_a_correction_needs_a_reason_and_keeps_the_history_old_to_new(world, as_user):
    person = resident(name="王晓丽", phone="13911110000", address="旧址 1 号")
    client = as_user(world.caseworker)
    url = reverse("staff:person-correct", args=[person.pk])
    page = page_text(client.get(url))
    assert "13911110000" not in page  # the stored number stays out of the page source
    response = client.post(url, correction(person, name="王小丽", phone="13822223333"))
    assert "This field is required." in page_text(response, 400)
    person.refresh_from_db()
    assert person.name == "王晓丽"

    response = client.post(
        url,
        correction(person, name="王小丽", phone="13822223333", reason="户口本上的写法"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone) == ("王小丽", "13822223333")
    latest = person.history.first()
    assert latest.history_user == world.caseworker
    assert latest.history_change_reason == "户口本上的写法"

    page = visible(client.get(reverse("staff:person-detail", args=[person.pk])))
    assert "Name: 王晓丽 → 王小丽" in page
    assert "139****0000 → 138****3333" in page
    assert "13822223333" not in page and "13911110000" not in page
    assert "户口本上的写法" in page


def test_a_correction_that_changes_nothing_or_moves_out_of_the_area_is_refused(world, as_user):
    person = resident()
    client = as_user(world.caseworker)
    url = reverse("staff:person-correct", args=[person.pk])
    response = client.post(url, correction(person, reason="核对"))
    assert "Nothing was changed." in page_text(response, 400)
    response = client.post(url, correction(person, residence_region=XIXIA, reason="搬家"))
    assert "No place called" in page_text(response, 400)
    person.refresh_from_db()
    assert person.residence_region_id == HOME


def test_who_may_correct(world, as_user):
    here, there = resident(), resident(XIXIA)
    url = reverse("staff:person-correct", args=[here.pk])
    assert as_user(world.caseworker).get(url).status_code == 200
    assert as_user(world.supervisor).get(url).status_code == 200
    assert as_user(world.other_caseworker).get(url).status_code == 404
    assert as_user(world.registrar).get(url).status_code == 403
    assert as_user(world.citizen).get(url).status_code == 403
    data = correction(here, name="改名", reason="x")
    assert as_user(world.other_caseworker).post(url, data).status_code == 404
    assert as_user(world.registrar).post(url, data).status_code == 403
    assert as_user(world.citizen).post(url, data).status_code == 403
    there_url = reverse("staff:person-correct", args=[there.pk])
    assert as_user(world.caseworker).get(there_url).status_code == 404
    here.refresh_from_db()
    assert here.name != "改名"
