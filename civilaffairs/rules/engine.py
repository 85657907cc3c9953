"""Evaluating rules: one application through JSON-logic, the whole registry through SQL.

Both paths must reach the same answer for the same household, so they share three choices:

* **Numbers compare in hundredths, exactly.** A decimal fact and the value it is compared with
  are each rounded to two places (half away from zero: Python's ROUND_HALF_UP on Decimal and
  PostgreSQL's round(numeric, 2) agree) before comparing. In JSON-logic both sides are then
  integers of hundredths (fen, for money), because json_logic converts numbers to float before
  `<`; integers below 2**53 survive that exactly, and Decimal(14, 4) amounts are far below.
  In SQL the rounded numerics compare directly. Integer facts are compared in hundredths too,
  so that "age ≥ parameter × 1.5" is exact.
* **A parameter's value is its nearest ancestor's.** Per application: `Parameter.objects.resolve`.
  In SQL: one CASE per parameter over the household's region code, deepest prefix first.
* **Unknown is never "met".** A rule whose fact or parameter is unknown for an application is
  referred to a caseworker; in SQL the same rule requires every fact and parameter it uses to be
  NOT NULL, so such a household is never counted as passing.
"""

import datetime as dt
import logging
import operator
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
)
from django.utils import translation
from django.utils.translation import gettext as _
from json_logic import jsonLogic

from civilaffairs.people.models import Household, Region

from .exceptions import FactNotQueryable, MissingParameter, NoRulesInForce
from .facts import FactContext, FactValueError, get_fact
from .models import Outcome, Parameter, Program, Rule, RuleSet, ancestor_codes

logger = logging.getLogger(__name__)

SCALE = 100
CENT = Decimal("0.01")
_JSONLOGIC_OPS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq": "===", "ne": "!=="}
_SQL_LOOKUPS = {
    "lt": LessThan,
    "lte": LessThanOrEqual,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "eq": Exact,
}


# --------------------------------------------------------------------------- values


def to_hundredths(value) -> int:
    """A number as an integer count of hundredths, rounded half away from zero."""
    return int((Decimal(str(value)) * SCALE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def json_safe(value):
    """Decimals as strings (exact, no exponent), dates as ISO text; the rest as is."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def display(value) -> str:
    """A value as shown in a reason: amounts with two decimals unless more are significant."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        # Rules compare at the fen, so that is the precision the applicant is shown.
        return format(money(value), "f")
    return str(value)


def _resolve_times(leaf) -> Decimal:
    return Decimal(str(leaf.get("times", "1")))


# --------------------------------------------------------------------------- JSON-logic


def compile_jsonlogic(condition, params: dict[str, Decimal]) -> dict:
    """The condition as JSON-logic over a data object of fact values (see `jsonlogic_data`),
    with parameter values inlined. Numbers are integers of hundredths (module docstring).
    Raises MissingParameter for a parameter not in `params` (or None there)."""
    if "all" in condition:
        return {"and": [compile_jsonlogic(c, params) for c in condition["all"]]}
    if "any" in condition:
        return {"or": [compile_jsonlogic(c, params) for c in condition["any"]]}
    if "not" in condition:
        return {"!": [compile_jsonlogic(condition["not"], params)]}
    fact = get_fact(condition["fact"])
    op = condition["op"]
    var = {"var": fact.name}
    if op == "is_true":
        return {"===": [var, True]}
    if op == "is_false":
        return {"===": [var, False]}
    numeric = fact.kind in ("decimal", "integer")
    if "param" in condition:
        key = condition["param"]
        if params.get(key) is None:
            raise MissingParameter(key, "", None)
        rhs = to_hundredths(params[key] * _resolve_times(condition))
    elif op in ("in", "not_in"):
        rhs = [to_hundredths(v) if numeric else v for v in condition["value"]]
    else:
        rhs = to_hundredths(condition["value"]) if numeric else condition["value"]
    if op == "in":
        return {"in": [var, rhs]}
    if op == "not_in":
        return {"!": [{"in": [var, rhs]}]}
    return {_JSONLOGIC_OPS[op]: [var, rhs]}


def jsonlogic_data(facts: dict, kinds: dict[str, str]) -> dict:
    """Fact values as the compiled logic reads them: numbers in hundredths."""
    data = {}
    for name, value in facts.items():
        if value is not None and kinds.get(name) in ("decimal", "integer"):
            value = to_hundredths(value)
        data[name] = value
    return data


# --------------------------------------------------------------------------- one application


@dataclass
class Screening:
    """The result of screening one application, with everything needed to explain it later:
    which rule version, which facts and parameter values, and each rule's outcome."""

    program_code: str
    region_code: str
    as_of: dt.date
    outcome: str
    ruleset_id: int | None
    ruleset_version: int | None
    facts: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    results: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASS

    def reasons(self) -> list[str]:
        """The reasons of the rules not met, in rule order, in the reader's language."""
        return [reason_of(r) for r in self.results if r["outcome"] != Outcome.PASS]

    def reasons_in_languages(self) -> list[dict]:
        """The same reasons, each in every language of the site ({code: text}), for a record
        that is read later by people of either language (reason_of reads one back)."""
        return [
            r.get("reasons") or {settings.LANGUAGE_CODE: r["reason"]}
            for r in self.results
            if r["outcome"] != Outcome.PASS
        ]

    def to_json(self) -> dict:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def in_languages(make) -> dict[str, str]:
    """What `make()` writes, in each language of the site: a screening is read later by the
    citizen and by staff, each in their own language, so its reasons are kept in all."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(make() or "")
    return texts


def reason_of(result, language: str | None = None) -> str:
    """A reason in `language` (by default the reader's), from a rule result (a dict with
    "reason" and, since reasons are kept in every language, "reasons"), from a dict of texts
    by language (Screening.reasons_in_languages), or a text kept before that."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    if isinstance(result, str):
        return result
    if "reason" in result:
        return (result.get("reasons") or {}).get(language) or result["reason"]
    return result.get(language) or result.get(settings.LANGUAGE_CODE) or ""


class _Values(dict):
    """Reason placeholders: a value that is not known shows as a dash rather than failing."""

    def __missing__(self, key):
        return "—"


def _fill(text: str, values: dict) -> str:
    try:
        return text % _Values(values)
    except (ValueError, TypeError):
        # A malformed reason is refused at activation; an old one is shown as written.
        return text


def _read_facts(names, ctx: FactContext) -> tuple[dict, dict]:
    """Facts by name (None when unknown) and their kinds. Values read are kept on a private
    copy of the context so that derived facts reuse them rather than reading twice."""
    local = FactContext(
        region_code=ctx.region_code,
        as_of=ctx.as_of,
        values=dict(ctx.values),
        household=ctx.household,
        case=ctx.case,
    )
    values, kinds = {}, {}
    for name in sorted(names):
        try:
            fact = get_fact(name)
        except KeyError:
            # A fact whose domain no longer registers it: unknown, so the rule is referred.
            logger.warning("rule uses unregistered fact %s", name)
            values[name] = None
            continue
        kinds[name] = fact.kind
        try:
            value = fact.read(local)
        except FactValueError as exc:
            logger.warning("fact %s unreadable: %s", name, exc)
            value = None
        values[name] = value
        local.values[name] = value
    return values, kinds


def _fact_label(name: str) -> str:
    try:
        return str(get_fact(name).label)
    except KeyError:
        return name


def _resolve_params(program, keys, region_code, as_of, overrides) -> dict[str, Decimal | None]:
    overrides = {k: Decimal(str(v)) for k, v in (overrides or {}).items()}
    wanted = set(keys) - set(overrides)
    rows = (
        Parameter.objects.for_program(program).resolve(wanted, region_code, as_of) if wanted else {}
    )
    values: dict[str, Decimal | None] = {k: (rows[k].value if k in rows else None) for k in wanted}
    values.update({k: v for k, v in overrides.items() if k in keys})
    return values


def evaluate(
    program: Program,
    ctx: FactContext,
    ruleset: RuleSet | None = None,
    overrides: dict | None = None,
) -> Screening:
    """Screen one application against the rule set in force on `ctx.as_of` (or the given one,
    e.g. a draft being tested). `overrides` replaces parameter values ("what if the standard
    were 800"). Unknown facts or parameters refer a rule to a caseworker; never raises for them.
    """
    if ruleset is None:
        ruleset = RuleSet.objects.in_force(program, ctx.as_of)
    if ruleset is None:
        return Screening(
            program_code=program.code,
            region_code=ctx.region_code,
            as_of=ctx.as_of,
            outcome=Outcome.REFER.value,
            ruleset_id=None,
            ruleset_version=None,
            results=[
                {
                    "rule_id": None,
                    "rule_name": "",
                    "outcome": Outcome.REFER.value,
                    **_reason_fields(lambda: str(NoRulesInForce(program, ctx.as_of))),
                    "jsonlogic": None,
                }
            ],
        )
    rules = list(ruleset.rules.all())
    fact_names, param_keys = set(), set()
    for rule in rules:
        fact_names |= rule.used_facts()
        param_keys |= rule.used_params()
    named = set().union(*(rule.reason_placeholders() for rule in rules)) if rules else set()
    fact_names |= {n for n in named if _is_fact(n)}
    param_keys |= {n for n in named if not _is_fact(n)}

    facts, kinds = _read_facts(fact_names, ctx)
    params = _resolve_params(program, param_keys, ctx.region_code, ctx.as_of, overrides)
    data = jsonlogic_data(facts, kinds)
    shown = {k: display(v) for k, v in params.items()}
    shown.update({name: _display_fact(name, value) for name, value in facts.items()})
    results = []
    for rule in rules:
        missing_facts = sorted(f for f in rule.used_facts() if facts.get(f) is None)
        missing_params = sorted(p for p in rule.used_params() if params.get(p) is None)
        logic = None
        if missing_facts or missing_params:
            outcome = Outcome.REFER
            reason = _reason_fields(lambda f=missing_facts, p=missing_params: _missing_reason(f, p))
        else:
            logic = compile_jsonlogic(rule.condition, params)
            met = bool(jsonLogic(logic, data))
            outcome = Outcome.PASS if met else Outcome(rule.on_fail)
            reason = (
                {"reason": ""}
                if met
                else _reason_fields(
                    lambda rule=rule: _fill(rule.reason_in(translation.get_language()), shown)
                )
            )
        results.append(
            {
                "rule_id": rule.pk,
                "rule_name": rule.name,
                "outcome": str(outcome),
                **reason,
                "jsonlogic": logic,
            }
        )
    outcomes = {r["outcome"] for r in results}
    if Outcome.FAIL in outcomes:
        overall = Outcome.FAIL
    elif Outcome.REFER in outcomes:
        overall = Outcome.REFER
    else:
        overall = Outcome.PASS
    return Screening(
        program_code=program.code,
        region_code=ctx.region_code,
        as_of=ctx.as_of,
        outcome=str(overall),
        ruleset_id=ruleset.pk,
        ruleset_version=ruleset.version,
        facts={k: json_safe(v) for k, v in facts.items()},
        parameters={k: json_safe(v) for k, v in sorted(params.items())},
        results=results,
    )


def _display_fact(name: str, value) -> str:
    """A fact value for a reason: a choice by its label (“城市”), not its code (“urban”)."""
    try:
        fact = get_fact(name)
    except KeyError:
        return display(value)
    if fact.kind == "choice" and value is not None:
        return str(dict(fact.choices).get(value, value))
    return display(value)


def _is_fact(name: str) -> bool:
    try:
        get_fact(name)
    except KeyError:
        return False
    return True


def _reason_fields(make) -> dict:
    """A result's reason: in every language ("reasons") and in the language of the moment
    ("reason", which readers of older screenings also find)."""
    texts = in_languages(make)
    return {
        "reason": texts.get(translation.get_language() or "", "") or str(make()),
        "reasons": texts,
    }


def _missing_reason(missing_facts, missing_params) -> str:
    parts = []
    if missing_facts:
        parts.append(
            _("we do not know: %(facts)s")
            % {"facts": "、".join(_fact_label(f) for f in missing_facts)}
        )
    if missing_params:
        parts.append(
            _("no local value is set for: %(params)s") % {"params": "、".join(missing_params)}
        )
    return _(
        "This rule could not be checked automatically (%(what)s); a caseworker will check it."
    ) % {"what": "; ".join(parts)}


# --------------------------------------------------------------------------- the registry


class _Round2(Func):
    # Cast first: a float expression has no two-argument round() in PostgreSQL.
    template = "ROUND((%(expressions)s)::numeric, 2)"
    output_field = DecimalField()


def _fact_col(name: str) -> str:
    return f"fact_{name}"


def _param_col(key: str) -> str:
    return f"param_{key}"


def _sql_literal(fact, value):
    if fact.kind == "decimal":
        return Value(money(Decimal(str(value))), output_field=DecimalField())
    if fact.kind == "integer":
        return Value(int(value), output_field=IntegerField())
    if fact.kind == "boolean":
        return Value(bool(value), output_field=BooleanField())
    return Value(str(value), output_field=CharField())


def condition_q(condition, suffix: str = "") -> Q:
    """The condition as a Q over a queryset annotated with `fact_<name>` and `param_<key>`
    (`param_<key><suffix>` when two sets of values are compared). Nulls make SQL comparisons
    unknown; `rule_met_q` adds the not-null guards."""
    if "all" in condition:
        return reduce(operator.and_, (condition_q(c, suffix) for c in condition["all"]))
    if "any" in condition:
        return reduce(operator.or_, (condition_q(c, suffix) for c in condition["any"]))
    if "not" in condition:
        return ~condition_q(condition["not"], suffix)
    fact = get_fact(condition["fact"])
    op = condition["op"]
    lhs = F(_fact_col(fact.name))
    if op in ("is_true", "is_false"):
        return Q(Exact(lhs, Value(op == "is_true", output_field=BooleanField())))
    if fact.kind == "decimal":
        lhs = _Round2(lhs)
    if "param" in condition:
        rhs = F(_param_col(condition["param"]) + suffix)
        if "times" in condition:
            rhs = rhs * Value(_resolve_times(condition), output_field=DecimalField())
        rhs = _Round2(rhs)
    elif op in ("in", "not_in"):
        values = [_sql_literal(fact, v).value for v in condition["value"]]
        q = Q(In(lhs, values))
        return ~q if op == "not_in" else q
    else:
        rhs = _sql_literal(fact, condition["value"])
    if op == "ne":
        return ~Q(Exact(lhs, rhs))
    return Q(_SQL_LOOKUPS[op](lhs, rhs))


def rule_met_q(rule: Rule) -> Q:
    """Rows for which the rule is met: every fact and parameter it uses is known, and the
    condition holds (the SQL twin of a rule evaluating to "pass")."""
    q = Q()
    for name in sorted(rule.used_facts()):
        q &= Q(IsNull(F(_fact_col(name)), False))
    for key in sorted(rule.used_params()):
        q &= Q(IsNull(F(_param_col(key)), False))
    return q & condition_q(rule.condition)


def _region_code(region) -> str:
    return region.code if isinstance(region, Region) else str(region)


def parameter_case(rows: list[Parameter]) -> Case:
    """One parameter's value per household row: the first WHEN whose prefix the household's
    region code starts with, deepest prefix first, so the nearest ancestor wins in SQL."""
    ordered = sorted(rows, key=lambda r: r.rank, reverse=True)
    whens = [When(region__startswith=r.region_prefix, then=Value(r.value)) for r in ordered]
    return Case(
        *whens, default=Value(None), output_field=DecimalField(max_digits=14, decimal_places=4)
    )


def parameter_expressions(program, keys, region, as_of, overrides=None) -> dict:
    """`param_<key>` annotations for every household in `region` on `as_of`, one query."""
    code = _region_code(region)
    prefix = Region.prefix_of(code)
    overrides = {k: Decimal(str(v)) for k, v in (overrides or {}).items()}
    wanted = set(keys) - set(overrides)
    by_key: dict[str, list[Parameter]] = {k: [] for k in wanted}
    if wanted:
        rows = (
            Parameter.objects.for_program(program)
            .valid_on(as_of)
            .filter(key__in=wanted)
            # Values above the region apply to all of it; values inside it to their subtrees.
            .filter(Q(region_id__in=ancestor_codes(code)) | Q(region__startswith=prefix))
        )
        for row in rows:
            by_key[row.key].append(row)
    exprs = {}
    for key in sorted(keys):
        if key in overrides:
            exprs[_param_col(key)] = Value(
                overrides[key], output_field=DecimalField(max_digits=14, decimal_places=4)
            )
        elif by_key.get(key):
            exprs[_param_col(key)] = parameter_case(by_key[key])
        else:
            exprs[_param_col(key)] = Value(None, output_field=DecimalField())
    return exprs


def _ruleset_for(program, as_of, ruleset):
    if ruleset is None:
        ruleset = RuleSet.objects.in_force(program, as_of)
    if ruleset is None:
        raise NoRulesInForce(program, as_of)
    return ruleset


def registry_queryset(program, region, as_of, overrides=None, ruleset=None):
    """Households in `region` (a Region or a code: its whole subtree) that pass every rule on
    `as_of`, computed in SQL. Each used fact is annotated as `fact_<name>`, each parameter as
    `param_<key>`. Raises NoRulesInForce, or FactNotQueryable for a fact without SQL."""
    ruleset = _ruleset_for(program, as_of, ruleset)
    rules = list(ruleset.rules.all())
    fact_names = set().union(*(r.used_facts() for r in rules)) if rules else set()
    param_keys = set().union(*(r.used_params() for r in rules)) if rules else set()

    annotations, not_queryable = {}, []
    for name in sorted(fact_names):
        try:
            expression = get_fact(name).expression(as_of)
        except KeyError:
            expression = None
        if expression is None:
            not_queryable.append(name)
        else:
            annotations[_fact_col(name)] = expression
    if not_queryable:
        raise FactNotQueryable(not_queryable)
    annotations.update(parameter_expressions(program, param_keys, region, as_of, overrides))

    qs = Household.objects.filter(region__startswith=Region.prefix_of(_region_code(region)))
    qs = qs.annotate(**annotations)
    for rule in rules:
        qs = qs.filter(rule_met_q(rule))
    return qs


def preview(program, region, as_of, overrides=None, sample=20, ruleset=None):
    """(count, sample households) passing in `region`: one COUNT and one LIMIT query (plus
    loading the rule set, its rules and the parameters). Each sample household has its head
    and region loaded and `rule_facts`, the fact values the rules used, by fact name."""
    qs = registry_queryset(program, region, as_of, overrides=overrides, ruleset=ruleset)
    count = qs.count()
    rows = list(qs.select_related("head", "region").order_by("pk")[:sample]) if count else []
    names = sorted(k.removeprefix("fact_") for k in qs.query.annotations if k.startswith("fact_"))
    for row in rows:
        row.rule_facts = {n: getattr(row, _fact_col(n)) for n in names}
    return count, rows


def preview_sql(program, region, as_of, overrides=None, ruleset=None) -> str:
    """The SQL of the registry filter, for explaining a preview or tuning indexes."""
    qs = registry_queryset(program, region, as_of, overrides, ruleset)
    try:
        return str(qs.query)
    except EmptyResultSet:
        # Django proves some filters empty without SQL, e.g. a fact that is NULL everywhere.
        return "-- " + _("No household can match: a fact or parameter is unknown everywhere.")


# --------------------------------------------------------------------------- current vs proposed

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
# The SQL type of a fact the registry cannot know, so its comparisons still type-check.
_UNKNOWN_FIELDS = {
    "decimal": DecimalField,
    "integer": IntegerField,
    "boolean": BooleanField,
    "choice": CharField,
}


def _status_expression(rules, suffix: str) -> Case:
    """A household's outcome under `rules`, three-valued as for one application: "fail" when a
    rule whose facts and parameters are all known is not met, "pass" when every rule is known
    and met, else "unknown" (never assumed either way). Parameters are read from
    `param_<key><suffix>` so the same rules can be judged under two sets of values."""

    def known(rule):
        q = Q()
        for name in sorted(rule.used_facts()):
            q &= Q(IsNull(F(_fact_col(name)), False))
        for key in sorted(rule.used_params()):
            q &= Q(IsNull(F(_param_col(key) + suffix), False))
        return q

    def holds(rule):
        return condition_q(rule.condition, suffix)

    failed = reduce(operator.or_, (known(r) & ~holds(r) for r in rules), Q(pk__in=[]))
    met = reduce(operator.and_, (known(r) & holds(r) for r in rules), Q())
    return Case(
        When(failed, then=Value(FAIL)),
        When(met, then=Value(PASS)),
        default=Value(UNKNOWN),
        output_field=CharField(),
    )


@dataclass
class Comparison:
    """What a proposed set of parameter values would change in a region: households by their
    outcome today and under the proposal, those unknown and why."""

    total: int
    matrix: dict  # (now, then) -> households
    unknown_by_fact: dict  # fact name -> households where it is unknown
    not_in_registry: list  # facts the registry cannot know (judged per application)
    joining: list = field(default_factory=list)  # sample households that would start to pass
    leaving: list = field(default_factory=list)  # sample households that would stop passing
    qualifying: list = field(default_factory=list)  # sample households passing the proposal

    def count(self, now=None, then=None) -> int:
        return sum(
            n
            for (a, b), n in self.matrix.items()
            if (now is None or a == now) and (then is None or b == then)
        )

    @property
    def joins(self) -> int:
        return sum(n for (a, b), n in self.matrix.items() if a != PASS and b == PASS)

    @property
    def leaves(self) -> int:
        return sum(n for (a, b), n in self.matrix.items() if a == PASS and b != PASS)


@dataclass
class Judged:
    """Every household of a region's subtree with its outcome today (`status_now`) and under
    a proposal (`status_then`), each fact the rules use as `fact_<name>` and each parameter
    as `param_<key>_now` and `param_<key>_then` (see `param_column`)."""

    queryset: object
    fact_names: list
    param_keys: list
    not_in_registry: list
    current: RuleSet
    proposed: RuleSet


def param_column(key: str, suffix: str) -> str:
    """The annotation of a parameter's value in a `Judged` queryset ("now" or "then")."""
    return f"{_param_col(key)}_{suffix}"


def judge(program, region, as_of, overrides=None, ruleset=None, extra_params=()) -> Judged:
    """The queryset `compare` counts: households judged today (the rule set in force, today's
    parameters) and under the proposal (`ruleset`, a draft version, with the `overrides`).
    `extra_params` are annotated beside the rules' own, both ways (what a cost reads)."""
    proposed = _ruleset_for(program, as_of, ruleset)
    current = RuleSet.objects.in_force(program, as_of) or proposed
    rules_then = list(proposed.rules.all())
    rules_now = rules_then if current.pk == proposed.pk else list(current.rules.all())
    rules = rules_now + rules_then
    fact_names = sorted(set().union(*(r.used_facts() for r in rules))) if rules else []
    param_keys = sorted(set().union(*(r.used_params() for r in rules))) if rules else []
    annotations, not_in_registry = {}, []
    for name in fact_names:
        fact = get_fact(name)  # a rule's facts are checked when it is saved
        expression = fact.expression(as_of)
        if expression is None:
            not_in_registry.append(name)
            expression = Value(None, output_field=_UNKNOWN_FIELDS[fact.kind]())
        annotations[_fact_col(name)] = expression
    keys = sorted(set(param_keys) | set(extra_params))
    now = parameter_expressions(program, keys, region, as_of)
    then = parameter_expressions(program, keys, region, as_of, overrides)
    annotations.update({k + "_now": v for k, v in now.items()})
    annotations.update({k + "_then": v for k, v in then.items()})
    qs = (
        Household.objects.filter(region__startswith=Region.prefix_of(_region_code(region)))
        .annotate(**annotations)
        .annotate(
            status_now=_status_expression(rules_now, "_now"),
            status_then=_status_expression(rules_then, "_then"),
        )
    )
    return Judged(qs, fact_names, param_keys, not_in_registry, current, proposed)


def _outcome_pairs(qs) -> dict[tuple[str, str], int]:
    """How many households have each (today, proposed) pair of outcomes, counted around the
    judged rows. Not Django's values().annotate(): when the proposal is the rule set in force
    with today's parameters, both outcomes are one expression, which Django groups by once
    (GROUP BY 2) while selecting both; PostgreSQL sees each written with its own parameters
    ($1 … and $40 …, server-side binding) and refuses the first as not grouped."""
    try:
        sql, params = qs.order_by().values("status_now", "status_then").query.sql_with_params()
    except EmptyResultSet:  # no household can match (Django found out building the query)
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status_now, status_then, count(*) "  # noqa: S608 (Django's own statement; every value a parameter)
            f"FROM ({sql}) AS judged GROUP BY 1, 2",
            params,
        )
        return {(now, then): n for now, then, n in cursor.fetchall()}


def compare(program, region, as_of, overrides=None, sample=10, ruleset=None) -> Comparison:
    """Every household in `region`'s subtree judged today (the rule set in force, today's
    parameters) and under the proposal (`ruleset`, a draft version, with the `overrides`), in
    SQL: one GROUP BY for the outcome pairs, one for the unknown facts, two LIMIT queries for
    samples of those who would join or leave. A fact the registry cannot express (one read from
    the application, such as an emergency's type) is unknown for every household and named in
    `not_in_registry`."""
    judged = judge(program, region, as_of, overrides, ruleset)
    qs, fact_names, not_in_registry = judged.queryset, judged.fact_names, judged.not_in_registry
    matrix = _outcome_pairs(qs)
    unknown = {}
    if fact_names:
        counts = qs.order_by().aggregate(
            **{name: Count("pk", filter=Q(IsNull(F(_fact_col(name)), True))) for name in fact_names}
        )
        unknown = {name: n for name, n in counts.items() if n}
    result = Comparison(
        total=sum(matrix.values()),
        matrix=matrix,
        unknown_by_fact=unknown,
        not_in_registry=not_in_registry,
    )
    names = [_fact_col(n) for n in fact_names]

    def rows(q):
        found = list(qs.filter(q).select_related("head", "region").order_by("pk")[:sample])
        for row in found:
            row.rule_facts = {n.removeprefix("fact_"): getattr(row, n) for n in names}
        return found

    if result.joins:
        result.joining = rows(~Q(status_now=PASS) & Q(status_then=PASS))
    if result.leaves:
        result.leaving = rows(Q(status_now=PASS) & ~Q(status_then=PASS))
    if result.count(then=PASS):
        result.qualifying = rows(Q(status_then=PASS))
    return result
