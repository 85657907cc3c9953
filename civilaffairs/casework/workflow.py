"""Declarative workflows, one per service, on the one Case table.

A domain declares its states and transitions in code and registers them in AppConfig.ready. The
engine that fires them is `casework.actions.do_transition`: it locks the case row, checks the
state and the actor's right, writes the event and the history, and runs follow-ups on commit.
(django-fsm style libraries hold one graph per model; we need one graph per service.)
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class State:
    name: str
    label: str
    # Entering this state is told to the citizen (timeline + notification).
    public: bool = True
    citizen_label: str | None = None
    terminal: bool = False
    # The outcome recorded when a terminal state closes the case.
    outcome: str = ""
    # Working cases in this state sit in an office queue (claimable).
    queued: bool = True
    # Entering this state is the decision: its outcome is recorded and the SLA clock stops,
    # though the case may stay open (a granted allowance is paid and reviewed for years).
    decided: bool = False


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    # Staff roles that may fire it (StaffRole.Role values), in the case's jurisdiction.
    roles: tuple[str, ...] = ()
    # When set, the acting grant must be held in an office of this level (e.g. county approval).
    office_level: int | None = None
    # Only the member of staff the case is assigned to may fire it (not any colleague).
    assignee_only: bool = True
    citizen: bool = False  # the applicant or beneficiary may fire it
    system: bool = False  # tasks may fire it with no acting user
    needs_reason: bool = False  # a written reason is required (refusals, returns)
    # After the change, hand the case to the covering office of this level and clear the assignee.
    route_to_level: int | None = None
    # Follow-ups, called on commit with the case id (enqueue a task, send a letter, ...).
    after: tuple[Callable[[int], None], ...] = ()
    # Checks that depend on the case's data: return an error message to refuse, None to allow.
    guard: Callable | None = None
    style: str = "primary"  # button style on the staff page
    # The domain's own page that collects what this step needs (an investigation report, an
    # amount) and then fires it; the case page links there instead of showing a bare button.
    via_url_name: str | None = None


@dataclass
class Workflow:
    name: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    initial: str = "draft"
    submitted: str = "submitted"
    extra: dict = field(default_factory=dict)

    @classmethod
    def build(
        cls, name, states: list[State], transitions: list[Transition], **kwargs
    ) -> "Workflow":
        wf = cls(name, {s.name: s for s in states}, {t.name: t for t in transitions}, **kwargs)
        wf.check()
        return wf

    def check(self):
        """Refuse a workflow that names a state it does not declare: caught at start-up."""
        for t in self.transitions.values():
            for s in (*t.sources, t.target):
                if s not in self.states:
                    raise ValueError(f"{self.name}: transition {t.name} names unknown state {s!r}")
        for s in (self.initial, self.submitted):
            if s not in self.states:
                raise ValueError(f"{self.name}: unknown state {s!r}")

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]


_workflows: dict[str, Workflow] = {}


def register_workflow(service_code: str, workflow: Workflow) -> Workflow:
    _workflows[service_code] = workflow
    return workflow


def workflow_for(service_code: str) -> Workflow:
    try:
        return _workflows[service_code]
    except KeyError:
        raise LookupError(f"no workflow registered for service {service_code!r}") from None


def all_workflows() -> dict[str, Workflow]:
    """Service code → workflow, for lists and filters that span every service."""
    return dict(_workflows)


def queued_states() -> list[str]:
    """States in which an open, unassigned case waits in an office queue (claimable)."""
    return sorted(
        {
            s.name
            for wf in _workflows.values()
            for s in wf.states.values()
            if s.queued and not s.terminal
        }
    )


# States most workflows share; domains may use them or declare their own.
DRAFT = State("draft", _("Draft"), public=False, queued=False)
SUBMITTED = State("submitted", _("Submitted"), citizen_label=_("Received"), queued=False)
WITHDRAWN = State("withdrawn", _("Withdrawn"), terminal=True, outcome="withdrawn", queued=False)
