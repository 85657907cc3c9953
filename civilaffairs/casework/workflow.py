"""Declarative workflows, one per service, on the one Case table.

A domain declares its states and transitions in code and registers them in AppConfig.ready. The
engine that fires them is `casework.actions.do_transition`, the only way a case moves.
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
    """One step of a case: who may take it, what it asks for, what it writes, who hears of it.

    `casework.actions.do_transition` is the only way a case moves. It locks the case, checks
    `who` once, validates `form` with what was sent, calls `handler` with the cleaned data to
    write the domain's rows, sets the state (closing, deciding or routing as the target says),
    writes the timeline event, tells every party and schedules `after` on commit."""

    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    # Who may take it. Declared as data for the common case: staff `roles` in the case's
    # jurisdiction (at an office of `office_level` when set; only the assignee once the case is
    # someone's when `assignee_only`), the applicant or beneficiary (`citizen`), the system
    # (`system`: tasks, with no acting user). A domain with a rule of its own gives `who`, a
    # predicate (case, user or None) -> bool, which then is the whole rule (see casework.who).
    roles: tuple[str, ...] = ()
    office_level: int | None = None
    assignee_only: bool = True
    citizen: bool = False
    system: bool = False
    who: Callable | None = field(default=None, compare=False)
    needs_reason: bool = False  # a written reason is required (refusals, returns)
    # The step's form (a casework.forms.StepForm): what the step asks for. Validated by the
    # engine, inside the case's lock; its cleaned data goes to `handler`.
    form: type | None = field(default=None, compare=False)
    # Writes the domain's rows for this step: handler(case, data, acting_user) -> None or a
    # dict with "message" (the timeline's text, str or callable for the reader's language) and
    # "data" (kept on the event). Raise ValidationError to refuse; nothing is saved.
    handler: Callable | None = field(default=None, compare=False)
    # A precondition no form can satisfy (the public notice has not ended, an objection is
    # open): case -> error message or None. Checked after `who`, before the form.
    guard: Callable | None = field(default=None, compare=False)
    # After the change, hand the case to the covering office of this level and clear the assignee;
    # a callable (case) -> level or None when the level depends on what the handler wrote (a
    # temporary-assistance amount is approved by the township or by the county).
    route_to_level: int | Callable | None = field(default=None, compare=False)
    # Parties told besides the workflow's own (Workflow.parties): case -> person(s).
    notify: tuple[Callable, ...] = field(default=(), compare=False)
    # Follow-ups, called on commit with the case id (enqueue a task, send a letter, ...).
    after: tuple[Callable[[int], None], ...] = field(default=(), compare=False)
    style: str = "primary"  # button style on the staff page

    def __post_init__(self):
        if self.who is None:
            from .who import declared

            object.__setattr__(self, "who", declared(self))

    @property
    def needs_form(self) -> bool:
        """Whether the staff page shows fields for this step (not a bare button)."""
        return self.form is not None or self.needs_reason


def _applicant_or_beneficiary(case) -> list:
    person = case.applicant or case.beneficiary
    return [person] if person is not None else []


@dataclass
class Workflow:
    name: str
    states: dict[str, State]
    transitions: dict[str, Transition]
    initial: str = "draft"
    submitted: str = "submitted"
    extra: dict = field(default_factory=dict)
    # Who hears of the case's public events: case -> people (default: the applicant, or the
    # beneficiary when there is none). Marriage tells both parties.
    parties: Callable = _applicant_or_beneficiary

    @classmethod
    def build(
        cls, name, states: list[State], transitions: list[Transition], **kwargs
    ) -> "Workflow":
        wf = cls(name, {s.name: s for s in states}, {t.name: t for t in transitions}, **kwargs)
        if "submit" not in wf.transitions and wf.initial != wf.submitted:
            wf.transitions["submit"] = submit_transition(wf)
        wf.check()
        return wf

    def check(self):
        """What the engine relies on, checked when the workflow is built (at start-up): refuse
        a workflow that names a state it does not declare, a step nobody may take, a form that
        is not a step form, a terminal state without an outcome."""
        for t in self.transitions.values():
            for s in (*t.sources, t.target):
                if s not in self.states:
                    raise ValueError(f"{self.name}: transition {t.name} names unknown state {s!r}")
            # A step form's one duty the engine relies on: it takes the case and the step.
            if t.form is not None and not getattr(t.form, "is_step_form", False):
                raise ValueError(f"{self.name}: {t.name}'s form is not a casework StepForm")
            if t.handler is not None and not callable(t.handler):
                raise ValueError(f"{self.name}: {t.name}'s handler is not callable")
            if t.who is None:
                raise ValueError(f"{self.name}: nobody may take {t.name}")
        for s in (self.initial, self.submitted):
            if s not in self.states:
                raise ValueError(f"{self.name}: unknown state {s!r}")
        for s in self.states.values():
            if s.terminal and not s.outcome:
                raise ValueError(f"{self.name}: terminal state {s.name} has no outcome")
            if s.terminal and s.queued:
                raise ValueError(f"{self.name}: terminal state {s.name} cannot be queued")

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]

    def queued(self) -> tuple[str, ...]:
        """This workflow's states in which an open, unassigned case waits in an office queue."""
        return tuple(sorted(s.name for s in self.states.values() if s.queued and not s.terminal))

    def state_label(self, name: str) -> str:
        state = self.states.get(name)
        return str(state.label) if state is not None else name


def submit_transition(wf: "Workflow") -> Transition:
    """Submitting is a step like any other: the applicant, or staff who may see the case (an
    assisted application), moves it from the draft to the submitted state."""
    from .who import party_or_visible_staff

    return Transition(
        "submit", (wf.initial,), wf.submitted, _("Submit"), who=party_or_visible_staff
    )


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


def queued_by_service() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """(service codes, states) pairs: in those services, open unassigned cases in those states
    wait in an office queue. Membership is per service and state: a state name means nothing
    outside its workflow (marriage's `review` is not queued although assistance's is).
    Services with the same queued states share a pair, so the filter stays short; the answer
    is a tuple of tuples, fit for a cache key."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for code, wf in sorted(_workflows.items()):
        states = wf.queued()
        if states:
            groups.setdefault(states, []).append(code)
    return tuple((tuple(codes), states) for states, codes in sorted(groups.items()))


# States most workflows share; domains may use them or declare their own.
DRAFT = State("draft", _("Draft"), public=False, queued=False)
SUBMITTED = State("submitted", _("Submitted"), citizen_label=_("Received"), queued=False)
WITHDRAWN = State("withdrawn", _("Withdrawn"), terminal=True, outcome="withdrawn", queued=False)
