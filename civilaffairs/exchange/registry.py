"""What domains lend the exchange: the platform never imports a domain (docs/architecture.md).

`register_marital_check(fn)`: the marriage registry's own check of a person's marriage in force
(the same one the registrar uses), `fn(person) -> dict | None` with "registered_on" (a date or
None) and "registry" (its name); None when no marriage is in force.
"""

from collections.abc import Callable

_marital_check: list[Callable] = []


def register_marital_check(fn: Callable) -> None:
    _marital_check[:] = [fn]


def marital_check() -> Callable | None:
    return _marital_check[0] if _marital_check else None
