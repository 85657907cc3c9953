"""Who may take a step of a case: predicates `(case, user or None) -> bool`.

Each Transition has exactly one (`Transition.who`), checked once by the engine
(casework.actions.do_transition); pages ask the same predicate to decide which buttons to show.
Declared steps get theirs from their fields (`declared`); a domain with a rule of its own
composes one from these.
"""

from collections.abc import Callable

from civilaffairs.accounts.access import grants_for


def is_party(case, user) -> bool:
    """The applicant or the beneficiary, signed in as themself."""
    person_id = getattr(user, "person_id", None)
    return bool(person_id) and person_id in (case.applicant_id, case.beneficiary_id)


def staff(
    roles, *, office_level: int | None = None, assignee_only: bool = True
) -> Callable[[object, object], bool]:
    """Staff holding one of `roles` in a grant that covers the case's region and level (at an
    office of `office_level` when given). Once a case is someone's, only they act on it when
    `assignee_only`: colleagues do not act behind their back, a supervisor reassigns first."""
    roles = tuple(str(r) for r in roles)

    def check(case, user) -> bool:
        if user is None or not roles:
            return False
        if getattr(user, "is_superuser", False):
            return True
        if not case.is_visible_to(user):
            return False
        held = any(
            g.role in roles
            and case.region_id.startswith(g.region_prefix)
            and (office_level is None or g.office_level == office_level)
            and case.confidentiality <= g.max_level
            for g in grants_for(user)
        )
        if not held:
            return False
        return not (assignee_only and case.assignee_id and case.assignee_id != user.pk)

    return check


def system(case, user) -> bool:
    """A task or the sweep, acting with no user."""
    return user is None


def citizen(case, user) -> bool:
    return user is not None and is_party(case, user)


def any_of(*predicates) -> Callable[[object, object], bool]:
    def check(case, user) -> bool:
        return any(p(case, user) for p in predicates)

    return check


def party_or_visible_staff(case, user) -> bool:
    """Submitting: the applicant, or staff who see the case (an assisted application), or the
    system (an application opened automatically)."""
    if user is None:
        return True
    return case.is_party_or_visible_to(user)


def declared(t) -> Callable[[object, object], bool] | None:
    """The predicate a Transition's fields declare (roles, office level, assignee, citizen,
    system); None when they name nobody (Workflow.check refuses such a step)."""
    parts = []
    if t.system:
        parts.append(system)
    if t.citizen:
        parts.append(citizen)
    if t.roles:
        parts.append(staff(t.roles, office_level=t.office_level, assignee_only=t.assignee_only))
    return any_of(*parts) if parts else None
