"""The registry of documented facts that eligibility rules may test.

A fact is something true about one application (a household's per-capita income, the head's
age). Administrators write rules over facts by name; they never write code. Each domain
registers its facts in its AppConfig.ready, because only the domain knows where the data lives.

Every fact can be computed two ways, and the two must agree:

* `read(ctx)` for one application (pre-screening a case), from a `FactContext`;
* `expression(as_of)` for every household at once, as an ORM expression annotated on a
  `Household` queryset (previewing a rule change over a county, bulk re-screening).

An expression should be a column expression or a scalar subquery (`Subquery`, `Exists`), not
an aggregate over a join: the engine annotates several facts on one queryset, and two joined
aggregates would multiply each other's rows. Expressions must yield NULL where `read` yields
None (unknown), so that "unknown" means the same thing in both places.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import DateField as _DateField
from django.db.models import Expression, F, Func, IntegerField, Value
from django.utils.functional import Promise
from django.utils.translation import gettext as _

KINDS = ("decimal", "integer", "boolean", "choice")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FactUnavailable(Exception):
    """Raised by a fact reader when the value cannot be known for this application (the data
    is not there). The engine treats the fact as missing and refers the rule to a person."""


class FactValueError(ValueError):
    """A value that does not fit the fact's kind (e.g. text where a number belongs)."""


@dataclass
class FactContext:
    """Everything a fact may read for one application.

    `values` holds facts already known for this application (entered on the form, computed by
    the domain, or given by a stored example); a value here wins over the fact's reader, which
    is what lets stored examples and "what if" checks run without a real household.
    """

    region_code: str
    as_of: dt.date
    values: dict[str, Any] = field(default_factory=dict)
    household: Any = None
    case: Any = None


@dataclass(frozen=True)
class Fact:
    name: str
    label: str | Promise
    description: str | Promise
    kind: str
    choices: tuple[tuple[str, str | Promise], ...] = ()
    unit: str | Promise = ""
    # reader(ctx) -> raw value or None; None means "look only in ctx.values".
    reader: Callable[[FactContext], Any] | None = None
    # annotation(as_of) -> Expression over Household rows; None = not available in SQL.
    annotation: Callable[[dt.date], Expression] | None = None

    def __post_init__(self):
        if not _NAME.match(self.name):
            raise ValueError(f"fact name {self.name!r} is not snake_case")
        if self.kind not in KINDS:
            raise ValueError(f"fact {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"fact {self.name!r}: a choice fact lists its choices")
        # Tuples, so that the frozen dataclass stays hashable and comparable.
        object.__setattr__(self, "choices", tuple(tuple(c) for c in self.choices))

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)

    def read(self, ctx: FactContext):
        """The fact's value for one application, in its kind's Python type, or None."""
        if self.name in ctx.values:
            raw = ctx.values[self.name]
        elif self.reader is not None:
            try:
                raw = self.reader(ctx)
            except FactUnavailable:
                return None
        else:
            return None
        return self.coerce(raw)

    def expression(self, as_of: dt.date) -> Expression | None:
        return self.annotation(as_of) if self.annotation is not None else None

    def coerce(self, raw):
        """Normalise a raw value to the fact's kind: Decimal, int, bool or str (None stays).
        Raises FactValueError for a value of the wrong kind."""
        if raw is None:
            return None
        if self.kind == "boolean":
            if isinstance(raw, bool):
                return raw
            raise FactValueError(f"{self.name}: {raw!r} is not true or false")
        if self.kind == "choice":
            if isinstance(raw, str) and raw in self.choice_values:
                return raw
            raise FactValueError(f"{self.name}: {raw!r} is not one of {self.choice_values}")
        if isinstance(raw, bool):
            raise FactValueError(f"{self.name}: {raw!r} is not a number")
        if self.kind == "integer":
            if isinstance(raw, int):
                return raw
            try:
                number = Decimal(str(raw))
            except (InvalidOperation, ValueError):
                raise FactValueError(f"{self.name}: {raw!r} is not a whole number") from None
            if not number.is_finite() or number != number.to_integral_value():
                raise FactValueError(f"{self.name}: {raw!r} is not a whole number")
            return int(number)
        # decimal: through str() so that a float 0.1 becomes Decimal("0.1"), not its binary
        # approximation.
        try:
            number = raw if isinstance(raw, Decimal) else Decimal(str(raw))
        except (InvalidOperation, ValueError):
            raise FactValueError(f"{self.name}: {raw!r} is not a number") from None
        if not number.is_finite():
            raise FactValueError(f"{self.name}: {raw!r} is not a number")
        return number


_facts: dict[str, Fact] = {}


def register_fact(fact: Fact) -> Fact:
    """Register a fact (from an AppConfig.ready). Registering the same fact again is harmless;
    a different fact under a taken name is a programming error."""
    existing = _facts.get(fact.name)
    if existing is not None and existing != fact:
        raise ValueError(f"fact {fact.name!r} registered twice")
    _facts[fact.name] = fact
    return fact


def unregister_fact(name: str) -> None:
    """For tests and code reloading only."""
    _facts.pop(name, None)


def get_fact(name: str) -> Fact:
    """The registered fact, or KeyError."""
    return _facts[name]


def all_facts() -> list[Fact]:
    return sorted(_facts.values(), key=lambda f: f.name)


class AgeOn(Func):
    """Completed years between a date column and `as_of`, as PostgreSQL's age() counts them
    (a person born on 29 February turns a year older on 1 March in common years, which is
    what `Person.age_on` computes as well). For domains defining age facts."""

    template = "EXTRACT(YEAR FROM AGE(%(expressions)s))::integer"
    output_field = IntegerField()

    def __init__(self, date_field: str | Expression, as_of: dt.date, **extra):
        field_expr = F(date_field) if isinstance(date_field, str) else date_field
        super().__init__(Value(as_of, output_field=_DateField()), field_expr, **extra)


def fact_value_errors(values) -> list[str]:
    """Problems with a mapping of fact name → value (a stored example's facts), as sentences."""
    if not isinstance(values, dict):
        return [_("Give the facts as an object of name: value pairs.")]
    errors = []
    for name, value in values.items():
        try:
            get_fact(name).coerce(value)
        except KeyError:
            errors.append(_("Unknown fact “%(fact)s”.") % {"fact": name})
        except FactValueError:
            errors.append(
                _("“%(value)s” is not a valid value of “%(fact)s”.")
                % {"value": value, "fact": name}
            )
    return errors
