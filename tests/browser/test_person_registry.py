"""The staff registry walked in a real browser, in Chinese and in English (issue #16 item 9):
a township caseworker registers a person (a mistyped ID number first, refused on the form),
makes a household with her as head and adds her husband, then finds the record of her that
was made without a document and merges the two side by side, keeping the phone number of the
other record."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from civilaffairs.people.forms import AddMemberForm, HouseholdForm, MergeForm, PersonRegisterForm
from civilaffairs.people.models import Household, Membership, Person, PersonMerge, Region
from tests.factories import PersonFactory, valid_id

from .conftest import field, label_of, press, t
from .test_assistance_objection import EN, ZH, staff_log_in

pytestmark = [pytest.mark.browser]

HOME = "640104001002"


def follow(page, label):
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=label, exact=True).click()


@pytest.mark.parametrize("language", [ZH, EN])
def test_register_make_a_household_and_merge_a_duplicate(contexts, personas_tx, language):
    p = personas_tx
    home = Region.objects.get(code=HOME)
    husband = PersonFactory(name="杨建军", hukou_region=home, residence_region=home)
    # The same woman, registered once before without a document (an assisted application).
    earlier = PersonFactory(
        name="马兰花",
        sex="F",
        birth_date=dt.date(1962, 8, 1),
        id_type=Person.IdType.NONE,
        id_number=None,
        phone="13700002222",
        hukou_region=home,
        residence_region=home,
    )
    number = valid_id("640104", dt.date(1962, 8, 1), "F")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")

    page = contexts(language)
    staff_log_in(page, p.caseworker.username, reverse("staff:person-list"), language)

    # 1. Register her: the mistyped number is refused on the form, in the page's language.
    follow(page, t("Register a person", language))
    field(page, PersonRegisterForm, "id_number", language).fill(wrong)
    field(page, PersonRegisterForm, "name", language).fill("马兰花")
    field(page, PersonRegisterForm, "residence_region", language).fill("崇安社区")
    field(page, PersonRegisterForm, "phone", language).fill("13900001111")
    press(page, t("Register", language))
    expect(page.locator("main")).to_contain_text(
        t(
            "The last character (check digit) does not match; please check the number for "
            "a typing error.",
            language,
        )
    )
    assert not Person.objects.filter(name="马兰花", id_number__isnull=False).exists()
    field(page, PersonRegisterForm, "id_number", language).fill(number)
    press(page, t("Register", language))
    person = Person.objects.get(id_number=number)
    expect(page).to_have_url(re.compile(reverse("staff:person-detail", args=[person.pk]) + "$"))
    expect(page.locator(".alert-success")).to_contain_text(
        t("%(name)s was registered.", language) % {"name": "马兰花"}
    )
    expect(page.locator("main")).to_contain_text(person.masked_id_number)
    assert number not in page.content()

    # 2. A household with her as head, and her husband in it.
    follow(page, t("Create a household with this person as head", language))
    expect(field(page, HouseholdForm, "region", language)).to_have_value(f"{home.name} {HOME}")
    press(page, t("Create the household", language))
    household = Household.objects.get(head=person)
    expect(page).to_have_url(
        re.compile(reverse("staff:household-detail", args=[household.pk]) + "$")
    )
    field(page, AddMemberForm, "member", language).fill(husband.id_number)
    field(page, AddMemberForm, "relation", language).select_option(Membership.Relation.SPOUSE)
    press(page, t("Add to the household", language))
    expect(page.locator(".alert-success")).to_contain_text(
        t("%(name)s was added to the household.", language) % {"name": "杨建军"}
    )
    members = page.locator("main table").first
    expect(members).to_contain_text("杨建军")
    with translation.override(language):
        spouse = str(Membership.Relation.SPOUSE.label)
    expect(members).to_contain_text(spouse)
    assert household.memberships.filter(person=husband, relation="10").exists()

    # 3. The earlier record of her is found and merged side by side.
    page.goto(reverse("staff:person-detail", args=[person.pk]))
    follow(page, t("Find duplicates and merge", language))
    follow(page, t("Compare with record no. %(pk)s", language) % {"pk": earlier.pk})
    table = page.locator("main table")
    expect(table).to_contain_text(person.masked_id_number)
    expect(table).to_contain_text("139****1111")
    expect(table).to_contain_text("137****2222")
    assert "13700002222" not in page.content() and "1962-08-01" not in page.content()
    page.locator("#id_keep_phone_1").check()  # the phone of the earlier record
    page.get_by_label(label_of(MergeForm, "reason", language)).fill(
        "同一人：无证登记后办理了身份证"
    )
    press(page, t("Merge the records", language))
    expect(page).to_have_url(re.compile(reverse("staff:person-detail", args=[person.pk]) + "$"))
    expect(page.locator(".alert-success")).to_contain_text(
        t("Record no. %(dup)s was merged into this record.", language) % {"dup": earlier.pk}
    )
    # The history on her page says what changed, the numbers masked.
    expect(page.locator("main")).to_contain_text("139****1111 → 137****2222")
    person.refresh_from_db()
    earlier.refresh_from_db()
    assert earlier.merged_into_id == person.pk and person.phone == "13700002222"
    assert PersonMerge.objects.get().acting_user == p.caseworker
