"""What domains tell the rules app in AppConfig.ready (the platform never imports a domain).

`register_recompute(service_code, fn)`: how a program's approved amounts are worked out again
after its parameters change. `fn(acting_user=…, region_prefix=…, apply=…)` returns a
`Recompute` report; with apply=False it changes nothing (the administrator's preview)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class RecomputeRow:
    reference: str
    name: str  # masked, as on a public notice
    region: str
    before: Decimal
    after: Decimal
    flagged: bool  # no longer entitled: sent to review, not cut off


@dataclass
class Recompute:
    checked: int = 0
    rows: list[RecomputeRow] = field(default_factory=list)  # the cases whose amount changes

    @property
    def raised(self) -> int:
        return sum(1 for r in self.rows if r.after > r.before)

    @property
    def lowered(self) -> int:
        return sum(1 for r in self.rows if r.after < r.before and not r.flagged)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.flagged)

    @property
    def monthly_difference(self) -> Decimal:
        return sum((r.after - r.before for r in self.rows), Decimal("0"))


_recomputes: dict[str, Callable[..., Recompute]] = {}


def register_recompute(service_code: str, fn: Callable[..., Recompute]) -> None:
    _recomputes[service_code] = fn


def recompute_for(service_code: str) -> Callable[..., Recompute] | None:
    return _recomputes.get(service_code)


def recomputes() -> dict[str, Callable[..., Recompute]]:
    """Every registered recompute by service code (a parameter shared by every program)."""
    return dict(_recomputes)


# --------------------------------------------------------------------------- scenario costs


@dataclass(frozen=True)
class ScenarioCost:
    """What a domain tells the decision-support scenarios (insight) about one program's money,
    in SQL over Household rows, so that a proposal is costed by the same set-based pass that
    judges it. Each callable is given `param(key)`, the expression of a parameter's value for
    the household (today's or the proposal's, as the scenario asks), and returns:

    * `amount`: the household's monthly amount (NULL where it cannot be known);
    * `in_need`, optional: a boolean condition, true where the household's income lies under
      the program's line (its per-capita income under the standard), for the under-coverage
      count (those in need whom the rules still leave out).

    `params` names the parameters these read (the engine annotates them beside the rules'
    own), and `note` says in a sentence how the amount is worked out (shown on the page)."""

    params: tuple[str, ...]
    amount: Callable
    in_need: Callable | None = None
    note: object = ""


_scenario_costs: dict[str, ScenarioCost] = {}


def register_scenario_cost(service_code: str, cost: ScenarioCost) -> None:
    _scenario_costs[service_code] = cost


def scenario_cost_for(service_code: str) -> ScenarioCost | None:
    return _scenario_costs.get(service_code)
