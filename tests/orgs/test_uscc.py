"""GB 32100 unified social credit codes: our own check-character algorithm, cross-checked
against python-stdnum's independent implementation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from orgs import uscc

ALPHABET = uscc.ALPHABET
# Published examples (python-stdnum's documentation; department 9 = market regulation).
KNOWN_VALID = ["91110000600037341L", "91350100M000100Y43"]

chars = st.sampled_from(ALPHABET)
first17 = st.tuples(
    chars,
    chars,
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
).map(lambda t: "".join(t))
valid_codes = first17.map(lambda f: f + uscc.check_character(f))


def test_weights_are_powers_of_three_modulo_31():
    assert uscc.WEIGHTS[:6] == (1, 3, 9, 27, 19, 26)
    assert len(uscc.WEIGHTS) == 17


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_codes_are_valid(code):
    assert uscc.is_valid(code)
    assert stdnum_uscc.is_valid(code)


def test_a_code_made_from_its_parts_is_valid_and_carries_the_organization_code_check():
    code = uscc.make("5", "1", "640104", "50000012")
    assert uscc.is_valid(code)
    assert code[:8] == "51640104"
    assert code[16] == uscc.org_code_check("50000012")
    # GB 11714 example: organization code 60003734-1.
    assert uscc.org_code_check("60003734") == "1"


@settings(max_examples=300)
@given(valid_codes)
def test_every_code_with_the_right_check_character_passes(code):
    assert uscc.is_valid(code)
    if code[:8].isdigit():
        # python-stdnum also wants digits in the first two positions; where it accepts the
        # shape it must agree.
        assert stdnum_uscc.is_valid(code)
        assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]


@settings(max_examples=500)
@given(valid_codes, st.integers(min_value=0, max_value=17), st.characters())
def test_any_single_character_change_fails(code, position, replacement):
    if replacement == code[position]:
        replacement = ALPHABET[(ALPHABET.index(code[position]) + 1) % len(ALPHABET)]
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)


@settings(max_examples=300)
@given(valid_codes, st.integers(min_value=0, max_value=17), chars)
def test_any_change_within_the_alphabet_fails_on_the_check_character(code, position, replacement):
    """Even a plausible character (one the code may contain) is caught by the check."""
    if replacement == code[position]:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not uscc.is_valid(changed)
    if changed[:8].isdigit():
        assert not stdnum_uscc.is_valid(changed)


@settings(max_examples=200)
@given(st.text(ALPHABET, min_size=18, max_size=18))
def test_we_agree_with_stdnum_on_codes_whose_first_eight_are_digits(code):
    code = "".join(c if i >= 8 or c.isdigit() else "1" for i, c in enumerate(code))
    assert uscc.is_valid(code) == stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "9111000060003734",  # too short
        "91110000600037341LL",  # too long
        "91110000600037341l",  # lower case is not a code (the form normalises input first)
        "9111000060003734IL",  # I is never used
        "91A10000600037341L",  # the division code has letters
    ],
)
def test_malformed_codes_fail_with_a_reason(bad):
    assert not uscc.is_valid(bad)
    assert uscc.problem(bad)


def test_typed_input_is_normalised_before_checking():
    assert uscc.compact(" 9111 0000-6000 3734 1l ") == "91110000600037341L"
