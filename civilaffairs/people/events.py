"""Life events the platform publishes and domains subscribe to (in their AppConfig.ready).

The person master record changes in `people.actions`; what each domain must do about it (stop
a payment, flag a case, move a record) is the domain's business, so the platform only says what
happened. Receivers run inside the action's transaction (Signal.send, not send_robust): a
receiver that fails undoes the whole change, so a death is never recorded with its payments
still running.

    person_died(person, date_of_death, acting_user)
    persons_merged(survivor, duplicate, acting_user)      after the records are folded
    household_changed(household, person, change, acting_user)   change: "joined" | "left"
    disability_changed(person, before, after, acting_user)

Merging needs more than a notice: before anything moves, each domain may refuse
(`register_merge_check`: two marriages in force on one person) and says how its one-to-one rows
move (`register_merge_rule`); a one-to-one row with no rule, present on both records, refuses
the merge rather than losing one of them.
"""

from collections.abc import Callable

from django.dispatch import Signal

person_died = Signal()
persons_merged = Signal()
household_changed = Signal()
disability_changed = Signal()

# (survivor, duplicate) -> None, raising ValidationError to refuse the merge.
_merge_checks: list[Callable] = []
# model label ("eldercare.ElderProfile") -> (survivor, duplicate, acting_user) -> None: moves or
# folds that model's one-to-one row(s) of the duplicate.
_merge_rules: dict[str, Callable] = {}


def register_merge_check(check: Callable) -> None:
    if check not in _merge_checks:
        _merge_checks.append(check)


def register_merge_rule(model_label: str, rule: Callable) -> None:
    _merge_rules[model_label] = rule


def merge_checks() -> list[Callable]:
    return list(_merge_checks)


def merge_rule(model_label: str) -> Callable | None:
    return _merge_rules.get(model_label)
