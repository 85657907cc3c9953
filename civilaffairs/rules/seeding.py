"""A domain's programs, parameters and first rule sets, loaded from the tables of its `seed`
module (the reference data `make run` loads and the tests build on). Each domain's seed wrote
these loops for itself; they are the same for every program."""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from civilaffairs.people.models import Region

from .actions import (
    do_activate_ruleset,
    do_add_example,
    do_add_rule,
    do_create_ruleset,
    do_set_parameter,
)
from .models import Program, RuleSet

# Where the seeds' worked examples are tried: a township of 银川市 (the demo province's
# capital), so both the province's and the city's parameter values are in play.
EXAMPLE_REGION = "640104001"


def set_parameters(
    rows: Iterable[tuple],
    *,
    programs: Mapping[str, Program],
    valid_from: dt.date,
    acting_user,
    examples_elsewhere: Iterable[str] = (),
) -> int:
    """Each row, (key, program code or None for a key every program shares, region code, value,
    label, unit), becomes that key's value for the region's subtree from `valid_from`. A region
    the register does not hold is a mistake in the table (Region.DoesNotExist), except the
    codes in `examples_elsewhere`: a local variation shown as an example, passed over where
    the register holds only part of the map (the tests). Answers how many values were set."""
    rows = list(rows)
    regions = {r.code: r for r in Region.objects.filter(code__in={row[2] for row in rows})}
    set_ = 0
    for key, program, region, value, label, unit in rows:
        if region not in regions:
            if region in examples_elsewhere:
                continue
            raise Region.DoesNotExist(f"seed parameter {key}: no region {region}")
        do_set_parameter(
            acting_user=acting_user,
            key=key,
            region=regions[region],
            value=Decimal(value),
            valid_from=valid_from,
            program=programs[program] if program else None,
            label=label,
            unit=unit,
        )
        set_ += 1
    return set_


def activate_ruleset(
    program: Program,
    *,
    rules: Iterable[dict],
    examples: Iterable[tuple],
    valid_from: dt.date,
    acting_user,
    note: str = "初始规则",
) -> RuleSet:
    """A rule set for the program with `rules` (each the keywords of do_add_rule) and its worked
    `examples` ((name, facts, expected), tried in EXAMPLE_REGION on `valid_from`), activated:
    activation refuses it unless every example comes out as expected, so a seed whose rules
    and examples disagree fails loudly instead of loading."""
    ruleset = do_create_ruleset(program, acting_user=acting_user, valid_from=valid_from, note=note)
    for rule in rules:
        do_add_rule(ruleset, acting_user=acting_user, **rule)
    region = Region.objects.get(code=EXAMPLE_REGION)
    for name, facts, expected in examples:
        do_add_example(
            ruleset,
            acting_user=acting_user,
            name=name,
            region=region,
            as_of=valid_from,
            facts=facts,
            expected=expected,
        )
    return do_activate_ruleset(ruleset, acting_user=acting_user)
