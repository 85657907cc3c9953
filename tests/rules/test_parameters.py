import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from civilaffairs.rules import actions
from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.models import Parameter, ancestor_codes
from tests.rules.conftest import region

pytestmark = pytest.mark.django_db

D = Decimal


def value(program, code, day):
    return Parameter.objects.for_program(program).value_for("dibao_standard", code, day)


def test_ancestor_codes_run_from_the_province_down_to_the_region_itself():
    assert ancestor_codes("640104001002") == [
        "640000",
        "640100",
        "640104",
        "640104001",
        "640104001002",
    ]
    assert ancestor_codes("640100") == ["640000", "640100"]


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        ("640104001002", dt.date(2024, 6, 1), "722"),  # before the county and township values
        ("640104001002", dt.date(2025, 6, 1), "800"),  # the township's own value
        ("640104001002", dt.date(2026, 1, 1), "760"),  # the township's value ended: county's
        ("640104002001", dt.date(2025, 6, 1), "760"),  # another township of the county
        ("640105001002", dt.date(2025, 6, 1), "722"),  # another county of the city
        ("640202001001", dt.date(2025, 6, 1), "700"),  # another city of the province
        ("640104", dt.date(2025, 6, 1), "760"),  # the county itself
    ],
)
def test_the_nearest_ancestors_value_applies_on_each_date(program, standards, code, day, expected):
    assert value(program, code, day) == D(expected)


def test_a_region_with_no_value_above_it_raises_a_clear_missing_parameter(program, standards):
    with pytest.raises(MissingParameter, match="dibao_standard") as caught:
        value(program, "110105", dt.date(2025, 6, 1))
    assert caught.value.region_code == "110105"
    with pytest.raises(MissingParameter):
        value(program, "640104001002", dt.date(2023, 12, 31))


def test_setting_a_new_value_ends_the_open_one_the_day_before(program, standards, admin_user):
    new = actions.do_set_parameter(
        acting_user=admin_user,
        program=program,
        key="dibao_standard",
        region=region("640100"),
        value=D("780.00"),
        valid_from=dt.date(2026, 1, 1),
    )
    old = Parameter.objects.get(pk=standards["city"].pk)
    assert old.valid_to == dt.date(2025, 12, 31)
    assert new.label == "低保标准" and new.unit == "yuan/person/month"  # kept from the key
    assert value(program, "640105001002", dt.date(2025, 12, 31)) == D("722")
    assert value(program, "640105001002", dt.date(2026, 1, 1)) == D("780")
    assert old.history.first().history_user == admin_user
    assert new.history.first().history_user == admin_user


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2025, 6, 1), None),  # starts inside the closed township period
        (dt.date(2024, 6, 1), dt.date(2025, 1, 1)),  # ends on its first day
        (dt.date(2025, 12, 31), dt.date(2026, 3, 1)),  # starts on its last day
    ],
)
def test_an_overlapping_value_is_refused(program, standards, admin_user, start, end):
    with pytest.raises(ValidationError, match="overlap"):
        actions.do_set_parameter(
            acting_user=admin_user,
            program=program,
            key="dibao_standard",
            region=region("640104001"),
            value=D("820"),
            valid_from=start,
            valid_to=end,
        )
    assert Parameter.objects.filter(region_id="640104001").count() == 1


def test_a_backdated_value_that_overlaps_an_open_one_is_refused(program, standards, admin_user):
    with pytest.raises(ValidationError, match="overlap"):
        actions.do_set_parameter(
            acting_user=admin_user,
            program=program,
            key="dibao_standard",
            region=region("640104"),
            value=D("750"),
            valid_from=dt.date(2024, 6, 1),
        )


def test_a_value_after_a_closed_period_is_accepted(program, standards, admin_user):
    actions.do_set_parameter(
        acting_user=admin_user,
        program=program,
        key="dibao_standard",
        region=region("640104001"),
        value=D("830"),
        valid_from=dt.date(2026, 1, 1),
    )
    assert value(program, "640104001002", dt.date(2026, 2, 1)) == D("830")


def test_a_programs_own_value_wins_over_a_shared_one_at_the_same_region(
    program, standards, admin_user
):
    actions.do_set_parameter(
        acting_user=admin_user,
        program=None,
        key="dibao_standard",
        region=region("640104"),
        value=D("999"),
        valid_from=dt.date(2024, 1, 1),
    )
    assert value(program, "640104002001", dt.date(2025, 6, 1)) == D("760")
    # Before the program's own county value, the shared county value is the nearest.
    assert value(program, "640104002001", dt.date(2024, 6, 1)) == D("999")


def test_the_end_date_may_not_precede_the_start(program, admin_user):
    with pytest.raises(ValidationError):
        actions.do_set_parameter(
            acting_user=admin_user,
            program=program,
            key="dibao_standard",
            region=region("640100"),
            value=D("722"),
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2024, 12, 31),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Parameter.objects.create(
            program=program,
            key="dibao_standard",
            region_id="640100",
            value=D("722"),
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2024, 12, 31),
        )


def test_parameter_values_are_never_floats(program, admin_user):
    with pytest.raises(TypeError):
        actions.do_set_parameter(
            acting_user=admin_user,
            program=program,
            key="dibao_standard",
            region=region("640100"),
            value=722.5,
            valid_from=dt.date(2025, 1, 1),
        )


def test_ending_a_value_refuses_to_reopen_it_over_a_later_one(program, standards, admin_user):
    actions.do_set_parameter(
        acting_user=admin_user,
        program=program,
        key="dibao_standard",
        region=region("640100"),
        value=D("780"),
        valid_from=dt.date(2026, 1, 1),
    )
    old = Parameter.objects.get(pk=standards["city"].pk)
    with pytest.raises(ValidationError, match="overlap"):
        actions.do_end_parameter(old, acting_user=admin_user, valid_to=None)
    ended = actions.do_end_parameter(old, acting_user=admin_user, valid_to=dt.date(2025, 6, 30))
    assert ended.valid_to == dt.date(2025, 6, 30)
