"""The only code that changes programs, parameters and rule sets (house rule 1).

Each action is atomic, locks what it reads before writing, takes `acting_user` keyword-only and
records that user on the history row. Rules and examples change only while their rule set is a
draft: an active or retired version is what past decisions point to.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Region

from .conditions import validate_condition, validate_reason
from .engine import evaluate
from .facts import FactContext, fact_value_errors
from .models import Outcome, Parameter, Program, Rule, RuleExample, RuleSet, overlap_message

PROGRAM_EDITABLE = {"name", "service_code", "description", "is_active"}
RULE_EDITABLE = {"order", "name", "condition", "on_fail", "reason", "reason_en"}
EXAMPLE_EDITABLE = {"name", "region", "as_of", "facts", "expected"}


def _delete(obj, acting_user):
    if acting_user is not None and getattr(acting_user, "pk", None):
        obj._history_user = acting_user
    obj.delete()


def _user(acting_user):
    return acting_user if getattr(acting_user, "pk", None) else None


# --------------------------------------------------------------------------- programs


@transaction.atomic
def do_create_program(
    *,
    acting_user,
    code: str,
    name: str,
    service_code: str = "",
    description: str = "",
    is_active: bool = True,
) -> Program:
    program = Program(
        code=code,
        name=name,
        service_code=service_code,
        description=description,
        is_active=is_active,
    )
    program.full_clean()
    return _save(program, acting_user)


@transaction.atomic
def do_update_program(program: Program, *, acting_user, **changes) -> Program:
    unknown = set(changes) - PROGRAM_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    program = Program.objects.select_for_update().get(pk=program.pk)
    for name, value in changes.items():
        setattr(program, name, value)
    program.full_clean()
    return _save(program, acting_user)


# --------------------------------------------------------------------------- parameters


def _lock_parameter_series(program_id, key: str, region_code: str):
    """Serialise writers of one key+region: two concurrent inserts would each see no overlap
    without it, and no row exists yet to lock with SELECT … FOR UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"rules.parameter:{program_id or '-'}:{key}:{region_code}"],
        )


@transaction.atomic
def do_set_parameter(
    *,
    acting_user,
    key: str,
    region: Region,
    value: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    program: Program | None = None,
    label: str = "",
    unit: str = "",
    note: str = "",
) -> Parameter:
    """A new dated value of a parameter for a region's subtree. An open-ended earlier value of
    the same key+region ends the day before; any other overlap is refused."""
    if isinstance(value, float):
        raise TypeError("parameter values are Decimal, never float")
    region_code = region.code if isinstance(region, Region) else region
    program_id = program.pk if program is not None else None
    _lock_parameter_series(program_id, key, region_code)
    if not label or not unit:
        # A key keeps its label and unit across values unless told otherwise.
        previous = (
            Parameter.objects.filter(key=key, program_id=program_id).order_by("-valid_from").first()
        )
        if previous is not None:
            label = label or previous.label
            unit = unit or previous.unit
    parameter = Parameter(
        program=program,
        key=key,
        label=label,
        unit=unit,
        region_id=region_code,
        value=Decimal(str(value)),
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
    )
    parameter.full_clean(validate_constraints=False)  # clean() checks overlaps, under the lock
    series = Parameter.objects.series(program_id, key, region_code).select_for_update()
    for previous in series.filter(valid_to__isnull=True, valid_from__lt=valid_from):
        previous.valid_to = valid_from - dt.timedelta(days=1)
        _save(previous, acting_user, update_fields=["valid_to"])
    return _save(parameter, acting_user)


@transaction.atomic
def do_end_parameter(
    parameter: Parameter, *, acting_user, valid_to: dt.date | None, note: str | None = None
) -> Parameter:
    """Set or change the last day a value applies (None: open again, if nothing follows)."""
    _lock_parameter_series(parameter.program_id, parameter.key, parameter.region_id)
    parameter = Parameter.objects.select_for_update().get(pk=parameter.pk)
    parameter.valid_to = valid_to
    if note is not None:
        parameter.note = note
    if valid_to is not None and valid_to < parameter.valid_from:
        raise ValidationError({"valid_to": _("The end date is before the start date.")})
    clash = (
        Parameter.objects.series(parameter.program_id, parameter.key, parameter.region_id)
        .overlapping(parameter.valid_from, valid_to)
        .exclude(pk=parameter.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(overlap_message(clash))
    return _save(parameter, acting_user)


# --------------------------------------------------------------------------- rule sets


def _locked_draft(ruleset: RuleSet) -> RuleSet:
    ruleset = RuleSet.objects.select_for_update().select_related("program").get(pk=ruleset.pk)
    if not ruleset.is_editable:
        raise ValidationError(
            _(
                "Version %(version)s is %(status)s and can no longer change. Copy it into a new "
                "draft to make a change."
            )
            % {"version": ruleset.version, "status": ruleset.get_status_display()},
            code="not_draft",
        )
    return ruleset


def _next_version(program: Program) -> int:
    # The program row lock serialises version numbers and activations of one program.
    Program.objects.select_for_update().get(pk=program.pk)
    top = RuleSet.objects.filter(program=program).aggregate(top=Max("version"))["top"]
    return (top or 0) + 1


@transaction.atomic
def do_create_ruleset(
    program: Program, *, acting_user, valid_from: dt.date, note: str = ""
) -> RuleSet:
    ruleset = RuleSet(
        program=program,
        version=_next_version(program),
        valid_from=valid_from,
        note=note,
        created_by=_user(acting_user),
    )
    return _save(ruleset, acting_user)


@transaction.atomic
def do_update_ruleset(
    ruleset: RuleSet, *, acting_user, valid_from: dt.date | None = None, note: str | None = None
) -> RuleSet:
    ruleset = _locked_draft(ruleset)
    if valid_from is not None:
        ruleset.valid_from = valid_from
    if note is not None:
        ruleset.note = note
    return _save(ruleset, acting_user)


@transaction.atomic
def do_discard_ruleset(ruleset: RuleSet, *, acting_user) -> None:
    """Delete a draft that will not be activated, with its rules and examples."""
    ruleset = _locked_draft(ruleset)
    for rule in ruleset.rules.all():
        _delete(rule, acting_user)
    for example in ruleset.examples.all():
        _delete(example, acting_user)
    _delete(ruleset, acting_user)


@transaction.atomic
def do_copy_ruleset(
    ruleset: RuleSet, *, acting_user, valid_from: dt.date | None = None, note: str = ""
) -> RuleSet:
    """A new draft version with the same rules and examples, to be changed and activated."""
    source = RuleSet.objects.select_related("program").get(pk=ruleset.pk)
    copy = RuleSet(
        program=source.program,
        version=_next_version(source.program),
        valid_from=valid_from or max(source.valid_from, timezone.localdate()),
        note=note or _("Copy of version %(version)s") % {"version": source.version},
        copied_from=source,
        created_by=_user(acting_user),
    )
    _save(copy, acting_user)
    for rule in source.rules.all():
        _save(
            Rule(
                ruleset=copy,
                order=rule.order,
                name=rule.name,
                condition=rule.condition,
                on_fail=rule.on_fail,
                reason=rule.reason,
                reason_en=rule.reason_en,
            ),
            acting_user,
        )
    for example in source.examples.all():
        _save(
            RuleExample(
                ruleset=copy,
                name=example.name,
                region_id=example.region_id,
                as_of=example.as_of,
                facts=example.facts,
                expected=example.expected,
            ),
            acting_user,
        )
    return copy


def _check_rule(rule: Rule, program: Program):
    param_keys = program.param_keys()
    errors = {}
    condition_errors = validate_condition(rule.condition, param_keys=param_keys)
    if condition_errors:
        errors["condition"] = condition_errors
    for field in ("reason", "reason_en"):
        field_errors = validate_reason(getattr(rule, field), param_keys=param_keys)
        if field_errors:
            errors[field] = field_errors
    if not (rule.reason or "").strip():
        errors.setdefault("reason", []).append(
            _("Say in plain words why an applicant does not meet this rule.")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_add_rule(
    ruleset: RuleSet,
    *,
    acting_user,
    name: str,
    condition: dict,
    reason: str,
    on_fail: str = Rule.OnFail.FAIL,
    reason_en: str = "",
    order: int | None = None,
) -> Rule:
    ruleset = _locked_draft(ruleset)
    if order is None:
        top = ruleset.rules.aggregate(top=Max("order"))["top"]
        order = (top or 0) + 10
    rule = Rule(
        ruleset=ruleset,
        order=order,
        name=name,
        condition=condition,
        on_fail=on_fail,
        reason=reason,
        reason_en=reason_en,
    )
    rule.full_clean(exclude=["ruleset"])
    _check_rule(rule, ruleset.program)
    return _save(rule, acting_user)


@transaction.atomic
def do_update_rule(rule: Rule, *, acting_user, **changes) -> Rule:
    unknown = set(changes) - RULE_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    ruleset = _locked_draft(rule.ruleset)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.full_clean(exclude=["ruleset"])
    _check_rule(rule, ruleset.program)
    return _save(rule, acting_user)


@transaction.atomic
def do_delete_rule(rule: Rule, *, acting_user) -> None:
    _locked_draft(rule.ruleset)
    _delete(rule, acting_user)


def _check_example_facts(facts) -> None:
    errors = fact_value_errors(facts)
    if errors:
        raise ValidationError({"facts": errors})


@transaction.atomic
def do_add_example(
    ruleset: RuleSet,
    *,
    acting_user,
    name: str,
    region: Region,
    as_of: dt.date,
    facts: dict,
    expected: str,
) -> RuleExample:
    ruleset = _locked_draft(ruleset)
    _check_example_facts(facts)
    example = RuleExample(
        ruleset=ruleset, name=name, region=region, as_of=as_of, facts=facts, expected=expected
    )
    example.full_clean(exclude=["ruleset"])
    return _save(example, acting_user)


@transaction.atomic
def do_update_example(example: RuleExample, *, acting_user, **changes) -> RuleExample:
    unknown = set(changes) - EXAMPLE_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _locked_draft(example.ruleset)
    example = RuleExample.objects.select_for_update().get(pk=example.pk)
    for name, value in changes.items():
        setattr(example, name, value)
    _check_example_facts(example.facts)
    example.full_clean(exclude=["ruleset"])
    return _save(example, acting_user)


@transaction.atomic
def do_delete_example(example: RuleExample, *, acting_user) -> None:
    _locked_draft(example.ruleset)
    _delete(example, acting_user)


def run_examples(ruleset: RuleSet) -> list[tuple[RuleExample, object]]:
    """Each stored example with its screening against this rule set (draft or not)."""
    results = []
    for example in ruleset.examples.select_related("region"):
        ctx = FactContext(region_code=example.region_id, as_of=example.as_of, values=example.facts)
        results.append((example, evaluate(ruleset.program, ctx, ruleset=ruleset)))
    return results


@transaction.atomic
def do_activate_ruleset(ruleset: RuleSet, *, acting_user) -> RuleSet:
    """Make a draft the program's active version and retire the one it replaces. Refused
    unless every rule is valid and every stored example (at least one) comes out as expected.
    """
    Program.objects.select_for_update().get(pk=ruleset.program_id)
    ruleset = _locked_draft(ruleset)
    program = ruleset.program
    problems = []
    rules = list(ruleset.rules.all())
    if not rules:
        problems.append(_("A rule set needs at least one rule."))
    param_keys = program.param_keys()
    for rule in rules:
        problems += [
            _("Rule “%(rule)s”: %(error)s") % {"rule": rule.name, "error": error}
            for error in rule.problems(param_keys)
        ]
    if problems:
        raise ValidationError(problems, code="invalid_rules")

    outcomes = run_examples(ruleset)
    if not outcomes:
        raise ValidationError(
            _("Add at least one example with its expected outcome before activating."),
            code="no_examples",
        )
    failing = []
    for example, screening in outcomes:
        if screening.outcome != example.expected:
            reasons = "；".join(r for r in screening.reasons() if r)
            failing.append(
                _("Example “%(name)s”: expected %(expected)s, got %(actual)s%(why)s")
                % {
                    "name": example.name,
                    "expected": Outcome(example.expected).label,
                    "actual": Outcome(screening.outcome).label,
                    "why": f" ({reasons})" if reasons else "",
                }
            )
    if failing:
        raise ValidationError(failing, code="examples_failed")

    now = timezone.now()
    for previous in RuleSet.objects.select_for_update().filter(
        program=program, status=RuleSet.Status.ACTIVE
    ):
        previous.status = RuleSet.Status.RETIRED
        previous.retired_at = now
        _save(previous, acting_user, update_fields=["status", "retired_at"])
    ruleset.status = RuleSet.Status.ACTIVE
    ruleset.activated_by = _user(acting_user)
    ruleset.activated_at = now
    return _save(ruleset, acting_user, update_fields=["status", "activated_by", "activated_at"])
