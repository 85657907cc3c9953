"""The programs that pay through the ledger, registered by their domains in AppConfig.ready."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Program:
    code: str  # stored on each Entitlement, e.g. "eldercare.age_allowance"
    label: str
    # Prices one month of an entitlement: (entitlement, month) -> (amount, details) or None to
    # skip that month. Default: the entitlement's monthly amount.
    amount_for: Callable | None = field(default=None, compare=False)

    def price(self, entitlement, month) -> tuple[Decimal, dict] | None:
        if self.amount_for is None:
            return entitlement.monthly_amount, {}
        return self.amount_for(entitlement, month)


_programs: dict[str, Program] = {}


def register_program(program: Program) -> Program:
    _programs[program.code] = program
    return program


def get_program(code: str) -> Program:
    try:
        return _programs[code]
    except KeyError:
        raise LookupError(f"no benefit program {code!r} is registered") from None


def program_label(code: str) -> str:
    found = _programs.get(code)
    return str(found.label) if found is not None else code


def all_programs() -> tuple[Program, ...]:
    """Every registered program, by code (the data standard lists them)."""
    return tuple(p for _c, p in sorted(_programs.items()))
