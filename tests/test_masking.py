"""The masks of lib/masking.py: what each shows of a number, and that it is the same however the
number was typed. tests/security/test_masking.py proves no page undoes them."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from civilaffairs.lib import idnumber
from civilaffairs.lib.masking import mask_bank_account, mask_id_number, mask_phone


def test_an_id_number_shows_only_its_address_code_and_check_character():
    assert mask_id_number("11010519491231002X") == "110105***********X"
    assert mask_id_number("640104195306150488") == "640104***********8"


def test_an_id_number_typed_with_a_small_x_or_spaces_is_masked_the_same():
    assert mask_id_number(" 11010519491231002x ") == "110105***********X"


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_no_birth_date_or_sequence_digit_of_an_id_number_is_shown(birth, sequence):
    masked = mask_id_number(idnumber.make("640104", birth, sequence))
    assert masked[6:17] == "*" * 11 and len(masked) == 18


def test_a_first_generation_number_shows_only_its_address_code():
    assert mask_id_number("110105491231002") == "110105*********"


def test_another_document_shows_its_last_two_characters():
    assert mask_id_number("E12345678") == "*******78"
    assert mask_id_number("G12") == "**12"


def test_a_mobile_number_shows_its_prefix_and_last_four_however_it_was_written():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138 1234 1234") == "138****1234"
    assert mask_phone("138-1234-1234") == "138****1234"


def test_a_landline_shows_its_last_four_and_a_short_number_its_last_two():
    assert mask_phone("0951-6012345") == "*******2345"
    assert mask_phone("12345") == "****45"


def test_a_bank_account_shows_its_last_four():
    assert mask_bank_account("6222 0212 3456 7890") == "**** 7890"
    assert mask_bank_account("622202123456789012") == "**** 9012"


def test_nothing_to_mask_gives_an_empty_string():
    assert mask_id_number(None) == mask_phone("") == mask_bank_account(None) == ""
