"""The assistance programs' seed (the reference data `make run` loads), run again on a database
that has it: a parameter added to the seed since is set in every region it names, and what an
administrator changed is kept."""

import datetime as dt
from decimal import Decimal

import pytest

from assistance.seed import seed_programs
from civilaffairs.rules.actions import do_set_parameter
from civilaffairs.rules.models import Parameter, RuleSet

pytestmark = pytest.mark.django_db


def values(key):
    return dict(
        Parameter.objects.filter(key=key, valid_to__isnull=True).values_list("region_id", "value")
    )


def test_a_seeded_database_gets_the_new_keys_in_every_region_and_keeps_the_administrators_values(
    assistance_setup,
):
    assert RuleSet.objects.filter(program__code="dibao", status="active").count() == 1
    assert values("dibao_standard") == {"640000": Decimal("800"), "640100": Decimal("850")}
    # A key the seed gained after this database was loaded: as if it had never been set.
    Parameter.history.model.objects.filter(key="dibao_standard").delete()
    Parameter.objects.filter(key="dibao_standard").delete()
    # An administrator's change to another key.
    do_set_parameter(
        acting_user=None,
        key="review_months",
        region="640000",
        value=Decimal("6"),
        valid_from=dt.date(2026, 6, 1),
    )
    logged = []

    assert seed_programs(log=logged.append) is False
    assert logged == ["assistance rules: present; 2 new parameter(s) added"]
    assert values("dibao_standard") == {"640000": Decimal("800"), "640100": Decimal("850")}
    assert values("review_months") == {"640000": Decimal("6")}
    assert RuleSet.objects.filter(program__code="dibao").count() == 1
