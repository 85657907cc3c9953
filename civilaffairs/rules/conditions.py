"""The structured condition language of rules, and its validation.

Administrators compose conditions from registered facts, a fixed list of operators, literal
values and parameter references; there is no code and no free expression anywhere:

    {"all": [cond, ...]}   every condition holds
    {"any": [cond, ...]}   at least one holds
    {"not": cond}          the condition does not hold
    {"fact": "per_capita_income", "op": "lt", "value": "722.00"}
    {"fact": "financial_assets", "op": "lte", "param": "dibao_standard", "times": "24"}

The same structure compiles to JSON-logic (one application) and to SQL (the whole registry):
see `engine.py`.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .facts import get_fact

OPS = ("lt", "lte", "gt", "gte", "eq", "ne", "in", "not_in", "is_true", "is_false")
COMPARISONS = ("lt", "lte", "gt", "gte", "eq", "ne")
LIST_OPS = ("in", "not_in")
UNARY_OPS = ("is_true", "is_false")

OPS_BY_KIND = {
    # Decimals (money) have no `in`: listing amounts is never what a rule means.
    "decimal": COMPARISONS,
    "integer": COMPARISONS + LIST_OPS,
    "boolean": ("is_true", "is_false", "eq", "ne"),
    "choice": ("eq", "ne", "in", "not_in"),
}

MAX_DEPTH = 5
# Money compares at fen precision, so a literal with more decimals would be silently rounded.
MAX_DECIMAL_PLACES = 2
# Parameters hold Decimal(14, 4): a multiplier needs no more places than that.
MAX_TIMES_PLACES = 4
LEAF_KEYS = {"fact", "op", "value", "param", "times"}
GROUPS = ("all", "any", "not")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def iter_leaves(condition):
    """Every leaf ({"fact": ...}) of a well-formed condition."""
    if not isinstance(condition, dict):
        return
    if "fact" in condition:
        yield condition
        return
    for key in ("all", "any"):
        for child in condition.get(key) or ():
            yield from iter_leaves(child)
    if "not" in condition:
        yield from iter_leaves(condition["not"])


def used_facts(condition) -> set[str]:
    return {leaf["fact"] for leaf in iter_leaves(condition) if isinstance(leaf.get("fact"), str)}


def used_params(condition) -> set[str]:
    return {leaf["param"] for leaf in iter_leaves(condition) if isinstance(leaf.get("param"), str)}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def parse_decimal(value) -> Decimal | None:
    """A JSON number or numeric string as a Decimal, or None. Booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def validate_condition(condition, *, param_keys=None) -> list[str]:
    """Every problem with a condition, as sentences for the administrator; [] when valid.

    `param_keys`: the parameter keys the program may use (see
    `Parameter.objects.keys_for(program)`); None skips that check.
    """
    errors: list[str] = []
    param_keys = set(param_keys) if param_keys is not None else None
    _check(condition, "condition", 1, errors, param_keys)
    return errors


def _check(node, path, depth, errors, param_keys):
    if depth > MAX_DEPTH:
        errors.append(
            _("%(path)s: conditions may be nested at most %(max)s levels deep.")
            % {"path": path, "max": MAX_DEPTH}
        )
        return
    if not isinstance(node, dict) or not node:
        errors.append(
            _('%(path)s: expected a condition object such as {"all": [...]} or {"fact": ...}.')
            % {"path": path}
        )
        return
    groups = [k for k in GROUPS if k in node]
    if groups:
        if len(node) != 1:
            errors.append(
                _("%(path)s: a group has exactly one key (all, any or not), found: %(keys)s.")
                % {"path": path, "keys": ", ".join(sorted(node))}
            )
            return
        key = groups[0]
        if key == "not":
            _check(node["not"], f"{path}.not", depth + 1, errors, param_keys)
            return
        children = node[key]
        if not isinstance(children, list) or not children:
            errors.append(
                _("%(path)s: “%(key)s” needs a non-empty list of conditions.")
                % {"path": f"{path}.{key}", "key": key}
            )
            return
        for i, child in enumerate(children):
            _check(child, f"{path}.{key}[{i}]", depth + 1, errors, param_keys)
        return
    _check_leaf(node, path, errors, param_keys)


def _check_leaf(node, path, errors, param_keys):
    unknown_keys = set(node) - LEAF_KEYS
    if unknown_keys or "fact" not in node:
        errors.append(
            _(
                "%(path)s: a condition is a group (all, any, not) or a test with the keys "
                "fact, op and value or param; unexpected: %(keys)s."
            )
            % {"path": path, "keys": ", ".join(sorted(unknown_keys or set(node)))}
        )
        return
    name = node["fact"]
    try:
        fact = get_fact(name) if isinstance(name, str) else None
    except KeyError:
        fact = None
    if fact is None:
        errors.append(_("%(path)s: unknown fact “%(fact)s”.") % {"path": path, "fact": name})
        return
    op = node.get("op")
    if op not in OPS:
        errors.append(
            _("%(path)s: unknown operator “%(op)s”; use one of %(ops)s.")
            % {"path": path, "op": op, "ops": ", ".join(OPS)}
        )
        return
    if op not in OPS_BY_KIND[fact.kind]:
        errors.append(
            _("%(path)s: the operator “%(op)s” does not apply to “%(fact)s”; use one of %(ops)s.")
            % {"path": path, "op": op, "fact": name, "ops": ", ".join(OPS_BY_KIND[fact.kind])}
        )
        return
    has_value, has_param = "value" in node, "param" in node
    if op in UNARY_OPS:
        if has_value or has_param or "times" in node:
            errors.append(
                _("%(path)s: “%(op)s” takes no value or parameter.") % {"path": path, "op": op}
            )
        return
    if has_value == has_param:
        errors.append(
            _("%(path)s: give either a value or a parameter to compare “%(fact)s” with.")
            % {"path": path, "fact": name}
        )
        return
    if has_param:
        _check_param_ref(node, fact, op, path, errors, param_keys)
    else:
        if "times" in node:
            errors.append(
                _("%(path)s: “times” multiplies a parameter; it cannot be used with a value.")
                % {"path": path}
            )
        _check_literal(node["value"], fact, op, path, errors)


def _check_param_ref(node, fact, op, path, errors, param_keys):
    key = node["param"]
    if fact.kind not in ("decimal", "integer") or op not in COMPARISONS:
        errors.append(
            _("%(path)s: only numbers can be compared with a parameter.") % {"path": path}
        )
        return
    if not isinstance(key, str) or not key:
        errors.append(_("%(path)s: the parameter key must be text.") % {"path": path})
        return
    if param_keys is not None and key not in param_keys:
        errors.append(
            _("%(path)s: no parameter “%(key)s” is defined for this program.")
            % {"path": path, "key": key}
        )
    if "times" in node:
        times = parse_decimal(node["times"])
        if times is None or times <= 0 or _places(times) > MAX_TIMES_PLACES:
            errors.append(
                _("%(path)s: “times” must be a positive number with at most %(places)s decimals.")
                % {"path": path, "places": MAX_TIMES_PLACES}
            )


def _check_literal(value, fact, op, path, errors):
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            errors.append(
                _("%(path)s: “%(op)s” needs a non-empty list of values.") % {"path": path, "op": op}
            )
            return
        for i, item in enumerate(value):
            _check_scalar(item, fact, f"{path}.value[{i}]", errors)
        return
    _check_scalar(value, fact, f"{path}.value", errors)


def _check_scalar(value, fact, path, errors):
    if fact.kind == "boolean":
        if not isinstance(value, bool):
            errors.append(_("%(path)s: expected true or false.") % {"path": path})
    elif fact.kind == "choice":
        if value not in fact.choice_values:
            errors.append(
                _("%(path)s: “%(value)s” is not a choice of “%(fact)s” (%(choices)s).")
                % {
                    "path": path,
                    "value": value,
                    "fact": fact.name,
                    "choices": ", ".join(fact.choice_values),
                }
            )
    elif fact.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_("%(path)s: expected a whole number.") % {"path": path})
    else:
        number = parse_decimal(value)
        if number is None:
            errors.append(
                _('%(path)s: expected a number such as 722 or "722.50".') % {"path": path}
            )
        elif _places(number) > MAX_DECIMAL_PLACES:
            errors.append(
                _("%(path)s: at most %(places)s decimals (amounts compare to the fen).")
                % {"path": path, "places": MAX_DECIMAL_PLACES}
            )


class _Probe(dict):
    def __missing__(self, key):
        return ""


def validate_reason(text: str, *, param_keys=None) -> list[str]:
    """Problems with a reason text: placeholders must name a fact or a parameter, and a bare
    percent sign must be written %% (the text is filled with Python %-formatting)."""
    errors = []
    try:
        (text or "") % _Probe()
    except (ValueError, TypeError, KeyError):
        errors.append(
            # Not %-formatted: the administrator sees "%%" and "%(name)s" as written here.
            _(
                "The reason has a stray percent sign: write %% for a percent sign, and "
                "placeholders as %(name)s."
            )
        )
    for name in sorted(placeholders(text)):
        try:
            get_fact(name)
            continue
        except KeyError:
            pass
        if param_keys is None or name in param_keys:
            continue
        errors.append(
            _("The placeholder %%(%(name)s)s names neither a fact nor a parameter.")
            % {"name": name}
        )
    return errors
