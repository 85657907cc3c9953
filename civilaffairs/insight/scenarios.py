"""Decision support (issue #18, part 3): what a proposed change of a program's parameters (a
city's 低保 standard from 800 to 850), or a draft rule set, would do in a region's subtree.

Every household is judged twice in one set-based pass, by the rules and values in force and
by the proposal (`rules.engine.judge`, the preview's own rules), and counted in two GROUP BYs:

* per child region and outcome pair: households, people (current living members of the
  master record), the monthly amounts today and under the proposal (the program's
  `rules.registry.ScenarioCost`, registered by its domain; a program without one is said to
  have no cost, never given an invented one), and whether the household's income lies under
  the program's line (the same registration), for the under-coverage count;
* per person of a household qualifying today or under the proposal: sex, age band on the
  scenario's date (`models.AGE_BANDS`) and disability.

The result is a plain dict kept on the scenario (`Scenario.results`) and read back by
`Result`; nothing in it names a person.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.people.models import Membership, Region
from civilaffairs.rules.engine import PASS, UNKNOWN, judge, param_column
from civilaffairs.rules.exceptions import MissingParameter, NoRulesInForce
from civilaffairs.rules.facts import AgeOn
from civilaffairs.rules.models import Parameter, RuleSet
from civilaffairs.rules.registry import scenario_cost_for

from .models import AGE_BANDS

# Who makes and reads scenarios: the approvers and supervisors, of their own area.
SCENARIO_ROLES = (StaffRole.Role.APPROVER.value, StaffRole.Role.SUPERVISOR.value)
RESULTS_VERSION = 1
# What one region's summary counts (households: _h, people: _p), in this order.
COUNTS = (
    "households",
    "people",
    "now_h",
    "now_p",
    "then_h",
    "then_p",
    "join_h",
    "join_p",
    "leave_h",
    "leave_p",
    "nocost_now",
    "nocost_then",
    "need_now_h",
    "need_now_p",
    "gap_now_h",
    "gap_now_p",
    "need_then_h",
    "need_then_p",
    "gap_then_h",
    "gap_then_p",
    "gap_then_unknown_p",
)
MONEY = ("cost_now", "cost_then")


# --------------------------------------------------------------------------- the proposal


def rulesets_of(program, as_of, ruleset=None) -> tuple[RuleSet | None, RuleSet | None]:
    """(the rule set in force on `as_of`, the one the proposal judges by: the draft when one
    is given, else the one in force)."""
    current = RuleSet.objects.in_force(program, as_of)
    return current, ruleset or current


def program_keys(program, as_of, ruleset=None) -> list[str]:
    """The parameters a proposal for `program` may change: those its rules use (in force and
    in the draft) and those its cost reads."""
    keys: set[str] = set()
    current, proposed = rulesets_of(program, as_of, ruleset)
    for rs in {r.pk: r for r in (current, proposed) if r is not None}.values():
        for rule in rs.rules.all():
            keys |= rule.used_params()
    cost = scenario_cost_for(program.service_code)
    if cost is not None:
        keys |= set(cost.params)
    return sorted(keys)


def missing_parameters(program, region: Region, as_of, keys, overrides) -> list[str]:
    """The keys (not given a proposed value) with no value for `region` on `as_of`: none at
    the region or above it, and none set anywhere inside it."""
    wanted = sorted(set(keys) - set(overrides))
    if not wanted:
        return []
    rows = Parameter.objects.for_program(program)
    found = set(rows.resolve(wanted, region.code, as_of))
    found |= set(
        rows.valid_on(as_of)
        .filter(key__in=wanted, region__startswith=region.prefix)
        .values_list("key", flat=True)
        .distinct()
    )
    return [k for k in wanted if k not in found]


# --------------------------------------------------------------------------- counting


def _members():
    """Current living members of a household on the master record."""
    return Coalesce(
        Subquery(
            Membership.objects.filter(
                household=OuterRef("pk"),
                end_date__isnull=True,
                person__date_of_death__isnull=True,
                person__merged_into__isnull=True,
            )
            .order_by()
            .values("household")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _area(children: list[Region]):
    """The child region a household lies in ('' at the region itself)."""
    if not children:
        return Value("", output_field=CharField())
    return Case(
        *[When(region__startswith=c.prefix, then=Value(c.code)) for c in children],
        default=Value(""),
        output_field=CharField(),
    )


def _band(age):
    return Case(
        *[
            When(**{f"{age}__gte": low, f"{age}__lte": high}, then=Value(code))
            for code, _label, low, high in AGE_BANDS
        ],
        default=Value(""),
        output_field=CharField(),
    )


def _flag(condition):
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _blank() -> dict:
    return {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(MONEY, Decimal(0))}


def _add(summary: dict, row: dict) -> None:
    h, p = row["n_households"], row["n_people"] or 0
    now, then = row["status_now"], row["status_then"]
    summary["households"] += h
    summary["people"] += p
    if now == PASS:
        summary["now_h"] += h
        summary["now_p"] += p
        summary["cost_now"] += row.get("sum_now") or 0
        summary["nocost_now"] += row.get("nocost_now") or 0
    if then == PASS:
        summary["then_h"] += h
        summary["then_p"] += p
        summary["cost_then"] += row.get("sum_then") or 0
        summary["nocost_then"] += row.get("nocost_then") or 0
    if now != PASS and then == PASS:
        summary["join_h"] += h
        summary["join_p"] += p
    if now == PASS and then != PASS:
        summary["leave_h"] += h
        summary["leave_p"] += p
    if row.get("need_now"):
        summary["need_now_h"] += h
        summary["need_now_p"] += p
        if now != PASS:
            summary["gap_now_h"] += h
            summary["gap_now_p"] += p
    if row.get("need_then"):
        summary["need_then_h"] += h
        summary["need_then_p"] += p
        if then != PASS:
            summary["gap_then_h"] += h
            summary["gap_then_p"] += p
            if then == UNKNOWN:
                summary["gap_then_unknown_p"] += p


def _stored(summary: dict) -> dict:
    return {k: (format(v, "f") if k in MONEY else v) for k, v in summary.items()}


def compute(program, region: Region, as_of: dt.date, overrides: dict, ruleset=None) -> dict:
    """What the proposal would do in `region`'s subtree, as the dict a scenario keeps.
    Raises ValidationError (in the user's language) when no rule set is in force or a
    parameter has no value for the region."""
    overrides = {k: Decimal(str(v)) for k, v in (overrides or {}).items()}
    cost = scenario_cost_for(program.service_code)
    extra = tuple(cost.params) if cost is not None else ()
    try:
        judged = judge(program, region, as_of, overrides, ruleset, extra_params=extra)
    except NoRulesInForce as exc:
        raise ValidationError(str(exc)) from None
    keys = sorted(set(judged.param_keys) | set(extra))
    missing = missing_parameters(program, region, as_of, keys, overrides)
    if missing:
        raise ValidationError([str(MissingParameter(k, region.code, as_of)) for k in missing])

    def now(key):
        return F(param_column(key, "now"))

    def then(key):
        return F(param_column(key, "then"))

    children = list(Region.objects.filter(parent=region).order_by("code"))
    qs = judged.queryset.annotate(area=_area(children), members=_members())
    group = ["area", "status_now", "status_then"]
    sums = {"n_households": Count("pk"), "n_people": Sum("members")}
    if cost is not None:
        qs = qs.annotate(amount_now=cost.amount(now), amount_then=cost.amount(then))
        sums.update(
            sum_now=Sum("amount_now"),
            sum_then=Sum("amount_then"),
            nocost_now=Count("pk", filter=Q(amount_now__isnull=True)),
            nocost_then=Count("pk", filter=Q(amount_then__isnull=True)),
        )
        if cost.in_need is not None:
            qs = qs.annotate(need_now=_flag(cost.in_need(now)), need_then=_flag(cost.in_need(then)))
            group += ["need_now", "need_then"]
    areas: dict[str, dict] = {}
    for row in qs.order_by().values(*group).annotate(**sums):
        _add(areas.setdefault(row["area"], _blank()), row)
    totals = _blank()
    for summary in areas.values():
        for key in (*COUNTS, *MONEY):
            totals[key] += summary[key]

    reach = (
        judged.queryset.filter(Q(status_now=PASS) | Q(status_then=PASS))
        .filter(
            memberships__end_date__isnull=True,
            memberships__person__date_of_death__isnull=True,
            memberships__person__merged_into__isnull=True,
        )
        .annotate(person_age=AgeOn("memberships__person__birth_date", as_of))
        .order_by()
        .values(
            reached_now=_flag(Q(status_now=PASS)),
            reached_then=_flag(Q(status_then=PASS)),
            sex=F("memberships__person__sex"),
            band=_band("person_age"),
            disabled=_flag(Q(memberships__person__disability_grade__gt=0)),
        )
        .annotate(n=Count("memberships__person"))
    )
    resolved = Parameter.objects.for_program(program).resolve(keys, region.code, as_of)
    names = dict(
        Region.objects.filter(code__in=[c.code for c in children]).values_list("code", "name")
    )
    return {
        "v": RESULTS_VERSION,
        "costed": cost is not None,
        "need_known": cost is not None and cost.in_need is not None,
        "rulesets": {
            "now": {"id": judged.current.pk, "version": judged.current.version},
            "then": {"id": judged.proposed.pk, "version": judged.proposed.version},
        },
        "parameters": [
            {
                "key": k,
                "label": resolved[k].label if k in resolved else "",
                "now": format(resolved[k].value.normalize(), "f") if k in resolved else None,
                "then": format(overrides[k].normalize(), "f")
                if k in overrides
                else (format(resolved[k].value.normalize(), "f") if k in resolved else None),
                "changed": k in overrides,
            }
            for k in keys
        ],
        "not_in_registry": judged.not_in_registry,
        "areas": [
            {"code": code, "name": names.get(code, ""), **_stored(areas[code])}
            for code in sorted(areas, key=lambda c: (c == "", c))
        ],
        "totals": _stored(totals),
        "reach": [
            [r["reached_now"], r["reached_then"], r["sex"], r["band"], r["disabled"], r["n"]]
            for r in reach
        ],
    }


# --------------------------------------------------------------------------- reading back


@dataclass
class Summary:
    """One region's (or the whole subtree's) counts of a kept result."""

    code: str
    name: str
    values: dict = field(default_factory=dict)

    def __getattr__(self, key):
        values = self.__dict__.get("values", {})
        if key in values:
            value = values[key]
            return Decimal(value) if key in MONEY else value
        raise AttributeError(key)

    @property
    def cost_difference(self) -> Decimal:
        return self.cost_then - self.cost_now

    @property
    def yearly_now(self) -> Decimal:
        return self.cost_now * 12

    @property
    def yearly_then(self) -> Decimal:
        return self.cost_then * 12

    @property
    def yearly_difference(self) -> Decimal:
        return self.cost_difference * 12

    @property
    def households_difference(self) -> int:
        return self.then_h - self.now_h

    @property
    def people_difference(self) -> int:
        return self.then_p - self.now_p


@dataclass
class ReachRow:
    key: object
    label: str
    now: int = 0
    then: int = 0

    @property
    def difference(self) -> int:
        return self.then - self.now


class Result:
    """A scenario's kept results, as the pages read them."""

    def __init__(self, data: dict):
        self.data = data or {}
        self.costed = bool(self.data.get("costed"))
        self.need_known = bool(self.data.get("need_known"))
        self.parameters = self.data.get("parameters", [])
        self.not_in_registry = self.data.get("not_in_registry", [])
        self.rulesets = self.data.get("rulesets", {})
        self.totals = Summary("", "", self.data.get("totals") or _stored(_blank()))
        self.areas = [
            Summary(a["code"], a["name"], {k: v for k, v in a.items() if k not in ("code", "name")})
            for a in self.data.get("areas", [])
        ]

    @property
    def changed_parameters(self) -> list[dict]:
        return [p for p in self.parameters if p.get("changed")]

    def reach_by(self, index: int, labels: dict) -> list[ReachRow]:
        """People reached today and under the proposal by one attribute (2: sex, 3: age band,
        4: disability), in the labels' order."""
        rows = {key: ReachRow(key, str(label)) for key, label in labels.items()}
        for row in self.data.get("reach", []):
            now, then, value, n = row[0], row[1], row[index], row[5]
            found = rows.setdefault(value, ReachRow(value, str(value)))
            if now:
                found.now += n
            if then:
                found.then += n
        return list(rows.values())


def override_errors(program, keys, overrides: dict) -> list[str]:
    """What is wrong with proposed values (keys the program does not have, negative values),
    as sentences; [] when nothing is."""
    errors = []
    for key, value in overrides.items():
        if key not in keys:
            errors.append(
                _("The program “%(program)s” has no parameter “%(key)s” (it has: %(keys)s).")
                % {"program": program.name, "key": key, "keys": ", ".join(keys) or "—"}
            )
        elif Decimal(str(value)) < 0:
            errors.append(_("“%(key)s” cannot be negative.") % {"key": key})
    return errors
