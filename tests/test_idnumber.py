import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civilaffairs.lib import idnumber
from civilaffairs.lib.masking import mask_bank_account, mask_id_number, mask_name, mask_phone

# Address codes taken from the shipped data: current ones and two retired Beijing districts.
CODES = ["110105", "110103", "110104", "640104", "640105", "650102", "440305", "429004"]

valid_ids = st.builds(
    idnumber.make,
    st.sampled_from(CODES),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


def exists(code):
    return code in CODES


@given(valid_ids)
def test_every_generated_valid_id_passes(value):
    parsed = idnumber.parse(value, address_code_exists=exists)
    assert parsed.value == value
    assert parsed.sex == ("M" if int(value[16]) % 2 else "F")


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(valid_ids, st.integers(min_value=0, max_value=17), st.data())
def test_every_single_character_change_is_rejected(value, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != value[position]]))
    changed = value[:position] + replacement + value[position + 1 :]
    with pytest.raises(ValidationError):
        idnumber.parse(changed, address_code_exists=exists)


def test_the_example_from_the_standard_is_valid():
    parsed = idnumber.parse("11010519491231002X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.address_code == "110105"


def test_lower_case_x_and_spaces_are_accepted():
    assert idnumber.parse(" 11010519491231002x ").value == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002Y", "id_characters"),
        ("110105194902300025", "id_birth_date"),
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_each_kind_of_mistake_gets_its_own_message(value, code):
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(value)
    assert exc.value.code == code


def test_a_birth_date_in_the_future_is_refused():
    future = idnumber.make("110105", dt.date(2030, 1, 1), 1)
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(future, today=dt.date(2026, 1, 1))
    assert exc.value.code == "id_birth_date"


@pytest.mark.django_db
def test_retired_address_codes_are_valid_for_life_and_unknown_ones_are_not(regions):
    from civilaffairs.people.models import parse_id_number

    # 崇文区 (110103) was merged into 东城区 in 2010; people keep their numbers.
    assert (
        parse_id_number(idnumber.make("110103", dt.date(1960, 1, 1), 11)).address_code == "110103"
    )
    with pytest.raises(ValidationError) as exc:
        parse_id_number(idnumber.make("990101", dt.date(1960, 1, 1), 11))
    assert exc.value.code == "id_address_code"


def test_masking():
    assert mask_id_number("11010519491231002X") == "110105***********X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_bank_account("6222 0212 3456 7890") == "**** 7890"
    assert mask_name("张三丰") == "张**"
    assert mask_id_number(None) == ""


@pytest.mark.parametrize(
    "first17",
    [
        "1101051949100100",
        "11010519491001001X",
        "1101051949100100²",
        "１１０１０５１９４９１００１００１",
    ],
)
def test_the_check_character_is_only_given_for_seventeen_ascii_digits(first17):
    with pytest.raises(ValueError):
        idnumber.check_char(first17)


def test_normalizing_nothing_gives_nothing_and_a_plain_number_is_upper_cased():
    assert idnumber.normalize(None) == ""
    assert idnumber.normalize("") == ""
    assert idnumber.normalize("11010519491231002x") == "11010519491231002X"
    assert idnumber.normalize("110105 19491231 002x") == "11010519491231002X"
