"""Masking that cannot be undone (issue #14, item 1).

Each role signs in and crawls every page it can reach; an attacker (tests/security/rebuild.py)
then tries to rebuild every ID, phone and bank number of the demo world from what that role
saw, assuming it already knows each person's region, sex and age. Any number shown in full, or
narrowed to fewer than a thousand candidates, fails the test with the pages that gave it away.
Only the user's own record is left out: a citizen may see their own data in full.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from civilaffairs.lib import idnumber
from civilaffairs.lib.masking import mask_bank_account, mask_id_number, mask_phone
from tests.auth import sign_in

from .conftest import ROLES
from .rebuild import (
    THRESHOLD,
    Attacker,
    Corpus,
    bank_candidates,
    birth_dates_for_age,
    id_candidates,
    phone_candidates,
)
from .site_crawl import Crawl, start_pages

TODAY = dt.date(2026, 6, 15)
BIRTH = dt.date(1949, 12, 31)
NUMBER = idnumber.make("640104", BIRTH, 2)  # a woman's number
AGE = TODAY.year - BIRTH.year - 1


def old_mask(value):
    """The mask the portal used before issue #14: the eight birth-date digits hidden."""
    return f"{value[:6]}********{value[-4:]}"


# The counting, on its own.


def test_knowing_only_region_sex_and_age_leaves_every_date_of_that_year_and_500_sequences():
    dates = birth_dates_for_age(AGE, TODAY)
    assert len(dates) == 365 and BIRTH in dates
    assert id_candidates(NUMBER, revealed=range(6), birth_dates=dates) == 365 * 500


def test_the_address_code_and_check_character_leave_about_sixteen_thousand_numbers():
    dates = birth_dates_for_age(AGE, TODAY)
    count = id_candidates(NUMBER, revealed=[*range(6), 17], birth_dates=dates)
    assert 15_000 < count < 18_500  # 365 x 500 / 11


def test_the_old_mask_next_to_a_birth_date_gives_the_number_back():
    assert id_candidates(NUMBER, revealed=[*range(6), 14, 15, 16, 17], birth_dates=[BIRTH]) == 1


def test_the_old_mask_with_only_the_age_leaves_a_few_dozen_numbers():
    dates = birth_dates_for_age(AGE, TODAY)
    count = id_candidates(NUMBER, revealed=[*range(6), 14, 15, 16, 17], birth_dates=dates)
    assert count < 100


def test_one_hidden_sequence_digit_is_given_back_by_the_check_character():
    assert id_candidates(NUMBER, revealed=[*range(6), 14, 16, 17], birth_dates=[BIRTH]) == 1


def test_a_phone_mask_leaves_ten_thousand_numbers_and_two_masks_of_different_parts_none():
    assert phone_candidates("13812341234", revealed=[0, 1, 2, 7, 8, 9, 10]) == 10_000
    assert phone_candidates("13812341234", revealed=range(11)) == 1


def test_the_last_four_of_a_bank_account_leave_hundreds_of_millions():
    assert bank_candidates("6222021234567890", revealed=[12, 13, 14, 15]) == 10**11


# The attacker reading pages.


def _attacker(*pages):
    corpus = Corpus()
    for i, text in enumerate(pages):
        corpus.add(f"/page/{i}/", text)
    return Attacker(corpus, TODAY)


def test_a_page_showing_the_birth_date_beside_the_old_mask_is_caught():
    page = f"<tr><td>王秀英</td><td>{old_mask(NUMBER)}</td><td>{BIRTH:%Y-%m-%d}</td></tr>"
    finding = _attacker(page).id_number(NUMBER, name="王秀英", birth=BIRTH)
    assert finding is not None and finding.candidates == 1 and finding.pages == ["/page/0/"]


def test_the_birth_date_on_another_page_that_names_the_person_is_caught_too():
    finding = _attacker(
        f"<td>王秀英</td><td>{old_mask(NUMBER)}</td>", "<dd>王秀英 · 1949年12月31日</dd>"
    ).id_number(NUMBER, name="王秀英", birth=BIRTH)
    assert finding is not None and finding.candidates == 1
    assert finding.pages == ["/page/0/", "/page/1/"]


def test_a_birth_date_rows_away_from_the_name_on_a_long_list_is_not_taken_for_theirs():
    rows = "".join(f"<tr><td>某人{i}</td><td>2000-01-01</td></tr>" for i in range(100))
    page = f"<td>王秀英</td><td>{old_mask(NUMBER)}</td>{rows}<td>{BIRTH:%Y-%m-%d}</td>"
    finding = _attacker(page).id_number(NUMBER, name="王秀英", birth=BIRTH)
    assert finding is not None and finding.candidates > 1  # the old mask alone, not the date


def test_the_new_mask_beside_the_age_leaves_enough():
    page = f"<td>王秀英</td><td>{mask_id_number(NUMBER)}</td><td>{AGE} 岁</td>"
    assert _attacker(page).id_number(NUMBER, name="王秀英", birth=BIRTH) is None


def test_the_new_mask_beside_a_full_birth_date_is_still_caught():
    page = f"<td>王秀英</td><td>{mask_id_number(NUMBER)}</td><td>{BIRTH:%Y-%m-%d}</td>"
    finding = _attacker(page).id_number(NUMBER, name="王秀英", birth=BIRTH)
    assert finding is not None and finding.candidates < THRESHOLD


def test_a_full_number_in_an_attribute_is_caught():
    page = f'<input type="hidden" name="q" value="{NUMBER[:6]} {NUMBER[6:14]} {NUMBER[14:]}">'
    finding = _attacker(page).id_number(NUMBER, name="王秀英", birth=BIRTH)
    assert finding is not None and finding.candidates == 1


def test_two_pages_showing_different_parts_of_a_phone_number_are_caught():
    finding = _attacker("<td>138****1234</td>", 'data-phone="1381234****"').phone(
        "13812341234", owner="王秀英"
    )
    assert finding is not None and finding.candidates == 1


def test_the_phone_and_bank_masks_leave_enough():
    attacker = _attacker(f"{mask_phone('13812341234')} · {mask_bank_account('6222021234567890')}")
    assert attacker.phone("13812341234", owner="王秀英") is None
    assert attacker.bank_account("6222021234567890", owner="王秀英") is None


# Every role, every page it reaches.


def _numbers(user):
    """(kind, owner, value, birth date) of every ID, phone and bank number in the world,
    except the user's own."""
    from assistance.models import AssistanceApplication
    from childwelfare.models import Guardian
    from civilaffairs.accounts.models import User
    from civilaffairs.people.models import Person
    from eldercare.models import Worker

    own_person = getattr(user, "person", None)
    own = {getattr(user, "phone", "")}
    if own_person:
        own |= {own_person.phone, own_person.id_number}
    for name, number, birth, phone in Person.objects.values_list(
        "name", "id_number", "birth_date", "phone"
    ):
        if number and len(number) == 18 and number not in own:
            yield "id", name, number, birth
        if phone and phone not in own:
            yield "phone", name, phone, None
    for username, phone in User.objects.exclude(phone="").values_list("username", "phone"):
        if phone not in own:
            yield "phone", username, phone, None
    for pk, phone in Guardian.objects.exclude(phone="").values_list("pk", "phone"):
        if phone not in own:
            yield "phone", f"guardian {pk}", phone, None
    for name, phone in Worker.objects.exclude(phone="").values_list("name", "phone"):
        if phone not in own:
            yield "phone", name, phone, None
    apps = AssistanceApplication.objects.exclude(bank_account="")
    if own_person:
        apps = apps.exclude(case__applicant=own_person)
    for ref, account in apps.values_list("case__reference", "bank_account"):
        yield "bank", f"application {ref}", account, None


# One crawl per role for the whole module: the world is the same for every test here.
_crawls: dict[str, Crawl] = {}


def _crawl(client, role, world) -> Crawl:
    if role not in _crawls:
        if role != "anonymous":
            sign_in(client, world.user(role))
        _crawls[role] = Crawl(client, per_route=2, max_pages=400).run(start_pages())
    return _crawls[role]


def _corpus(crawl) -> Corpus:
    corpus = Corpus()
    for url, kind, text in crawl.pages:
        corpus.add(url, text, kind)
    return corpus


def _findings(crawl, user):
    attacker = Attacker(_corpus(crawl), timezone.localdate())
    for kind, owner, value, birth in _numbers(user):
        if kind == "id":
            finding = attacker.id_number(value, name=owner, birth=birth)
        elif kind == "phone":
            finding = attacker.phone(value, owner=owner)
        else:
            finding = attacker.bank_account(value, owner=owner)
        if finding:
            yield finding


@pytest.mark.parametrize("role", list(ROLES))
def test_no_role_can_rebuild_a_number_from_the_pages_it_reaches(role, world, db, client):
    crawl = _crawl(client, role, world)
    findings = list(_findings(crawl, world.users.get(role)))
    assert not findings, f"{role} ({ROLES[role]}) rebuilds {len(findings)} numbers:\n" + "\n".join(
        str(f) for f in findings[:25]
    )


@pytest.mark.parametrize(
    "role, registry, record",
    [
        ("caseworker", "/staff/people/", r"/staff/people/\d+/"),
        ("admin", "/admin/people/person/", r"/admin/people/person/\d+/change/"),
    ],
)
def test_the_crawl_reads_the_person_registry_a_record_and_many_masked_numbers(
    role, registry, record, world, db, client
):
    """The test above proves nothing if the crawl never reaches the numbers."""
    urls = [url for url, _kind, _text in _crawl(client, role, world).pages]
    assert registry in urls
    assert any(re.fullmatch(record, url) for url in urls)
    corpus = _corpus(_crawl(client, role, world))
    assert sum(len(t) for (length, _), t in corpus.masked.items() if length == 18) >= 20
