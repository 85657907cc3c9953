"""The marriage-registration workflows on the platform's engine.

Marriage: appointment booked (both parties confirm) → at the counter the registrar checks in
the couple (the case is submitted and the legal checks run) → registered with a certificate, or
refused with the legal reason, or stopped for review when the household data show a possible
prohibited relation.

Divorce by agreement (Civil Code Art. 1076-1077): appointment → at the counter the written
agreement is received and the 30-day cooling-off period starts → either party may withdraw →
the next 30 days both collect the certificate, or the application is deemed withdrawn. The
deadlines are calendar days, moved by `marriage.tasks.divorce_deadlines_task`.

Replacement (补领): at the counter, for a lost certificate.

Each counter step owns its form and handler (marriage.forms, marriage.handlers): the registrar
takes it on the counter page or the case page, both posting to the platform's one transition
URL. Only registrars of the application's registry take them (`at_registry`), and the parties
themselves may withdraw.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.casework.who import any_of, citizen, system
from civilaffairs.casework.workflow import SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import actions, handlers, queries
from .forms import (
    ClearForm,
    CounterWithdrawForm,
    DivorceRegisterForm,
    IssueReplacementForm,
    ReceiveForm,
    RefuseForm,
    RegisterForm,
)


def at_registry(case, user) -> bool:
    """A registrar of the application's registry: the one rule for every counter step."""
    return user is not None and queries.is_registrar(user, case.marriage.registry_id)


def both_parties(case) -> list:
    """Both people marrying or divorcing hear of every public event of their case, in the
    engine's transaction (the partner's copy was once sent after the commit and could be lost)."""
    return [p for p in (case.applicant, case.beneficiary) if p is not None]


def _release(case_id: int):
    actions.do_after_close(case_id)


def _on_appointment_day(case):
    """Checking in waits for the day of the couple's appointment."""
    return actions.too_early(case.marriage)


def _relation_flagged(case):
    if case.marriage.check_outcome() != "refer":
        return _("Only a possible prohibited relation found by the checks stops for review.")
    return None


def _cooling_off_over(case):
    app = case.marriage
    if app.cooling_off_ends is None or timezone.localdate() <= app.cooling_off_ends:
        return _("The cooling-off period has not ended.")
    return None


def _collection_over(case):
    app = case.marriage
    if app.collection_ends is None or timezone.localdate() <= app.collection_ends:
        return _("The period to collect the certificate has not ended.")
    return None


def _withdrawable(case):
    """Withdrawal of a divorce application is possible until the cooling-off period ends
    (Art. 1077); afterwards the parties simply do not come, and it lapses."""
    app = case.marriage
    if (
        case.state == "cooling_off"
        and app.cooling_off_ends is not None
        and timezone.localdate() > app.cooling_off_ends
    ):
        return _(
            "The cooling-off period ended on %(day)s: the application can no longer be "
            "withdrawn. If you do not come to collect the certificate by %(end)s, it is deemed "
            "withdrawn."
        ) % {"day": app.cooling_off_ends.isoformat(), "end": app.collection_ends.isoformat()}
    return None


def _collection_open(case):
    """The divorce certificate is issued in the collection period, which the law opens the day
    after the cooling-off period ends, whether or not the daily task has moved the case."""
    app = case.marriage
    if case.state == "cooling_off" and timezone.localdate() <= app.cooling_off_ends:
        return _(
            "The cooling-off period runs until %(end)s (Civil Code Art. 1077); the "
            "certificate can be issued from %(start)s to %(last)s."
        ) % {
            "end": app.cooling_off_ends.isoformat(),
            "start": app.collection_starts.isoformat(),
            "last": app.collection_ends.isoformat(),
        }
    return None


def _replacement_issued(case):
    if not case.marriage.certificates.exists():
        return _("Issue the replacement at the registry's counter page.")
    return None


BOOKED = State(
    "booked",
    _("Appointment booked"),
    citizen_label=_("Appointment booked"),
    queued=False,
)
CHECKING = State(
    "checking",
    _("At the counter: checks"),
    citizen_label=_("Being handled at the registry"),
    queued=False,
)
REFUSED = State(
    "refused",
    _("Refused"),
    citizen_label=_("Not registered"),
    terminal=True,
    outcome="refused",
    queued=False,
)
LAPSED = State(
    "lapsed",
    _("Appointment missed"),
    citizen_label=_("Appointment missed; please book again"),
    terminal=True,
    outcome="withdrawn",
    queued=False,
)
WITHDRAW_LABEL = _("Withdraw the application")


def _submitted_at_the_counter() -> Transition:
    """A booked application is submitted only by checking the couple in at the counter
    (marriage.actions.do_check_in, on the appointment's day), which submits and checks in in
    one transaction. The engine's default submit step (the applicant or any staff member who
    sees the case) offered the registrar a bare "Submit" the evening before: the screening then
    moved the case on to the checks, past the check-in's day rule, and the marriage could be
    registered a day early. So the step is the system's alone."""
    return Transition("submit", ("booked",), "submitted", _("Submit"), system=True)


def registration() -> Workflow:
    states = [
        BOOKED,
        SUBMITTED,
        CHECKING,
        State(
            "review",
            _("Stopped for review: possible prohibited relation"),
            citizen_label=_("Under review by the registry"),
            # Registrars work from the registry's own list, not the office's case queue.
            queued=False,
        ),
        State(
            "registered",
            _("Marriage registered"),
            citizen_label=_("Married: registration complete"),
            terminal=True,
            outcome="approved",
            queued=False,
        ),
        REFUSED,
        LAPSED,
        WITHDRAWN,
    ]
    transitions = [
        _submitted_at_the_counter(),
        Transition(
            "check_in",
            ("submitted",),
            "checking",
            _("Check in at the counter"),
            who=at_registry,
            guard=_on_appointment_day,
            handler=handlers.check_in,
        ),
        # The platform's screening fires this on a case left in "submitted"; the counter never
        # leaves one there, so it only matters after a crash between the two steps.
        Transition("screen", ("submitted",), "checking", _("Checks"), system=True),
        Transition(
            "refer",
            ("checking",),
            "review",
            _("Stop for review"),
            who=any_of(system, at_registry),
            guard=_relation_flagged,
            handler=handlers.refer,
        ),
        Transition(
            "clear",
            ("review",),
            "checking",
            _("Reviewed: no prohibited relation"),
            who=at_registry,
            form=ClearForm,
            handler=handlers.clear,
        ),
        Transition(
            "register",
            ("checking",),
            "registered",
            _("Register the marriage"),
            who=at_registry,
            form=RegisterForm,
            handler=handlers.register_marriage,
        ),
        Transition(
            "refuse",
            ("checking", "review"),
            "refused",
            _("Refuse with the legal reason"),
            who=at_registry,
            form=RefuseForm,
            handler=handlers.refuse,
            style="danger",
            after=(_release,),
        ),
        Transition(
            "withdraw",
            ("booked", "checking", "review"),
            "withdrawn",
            WITHDRAW_LABEL,
            citizen=True,
            who=any_of(citizen, at_registry),
            form=CounterWithdrawForm,
            handler=handlers.withdraw,
            style="secondary",
            after=(_release,),
        ),
        Transition(
            "lapse",
            ("booked",),
            "lapsed",
            _("Appointment missed"),
            system=True,
            after=(_release,),
        ),
    ]
    return Workflow.build(
        "marriage.registration", states, transitions, initial="booked", parties=both_parties
    )


def divorce() -> Workflow:
    states = [
        BOOKED,
        SUBMITTED,
        CHECKING,
        State(
            "cooling_off",
            _("Cooling-off period (30 days)"),
            citizen_label=_("Cooling-off period: either of you may withdraw"),
            queued=False,
        ),
        State(
            "collection",
            _("Waiting for both to collect the certificate"),
            citizen_label=_("Come together to collect the divorce certificate"),
            queued=False,
        ),
        State(
            "registered",
            _("Divorce registered"),
            citizen_label=_("Divorced: registration complete"),
            terminal=True,
            outcome="approved",
            queued=False,
        ),
        REFUSED,
        LAPSED,
        WITHDRAWN,
        State(
            "deemed_withdrawn",
            _("Deemed withdrawn (certificate not collected in time)"),
            citizen_label=_("Deemed withdrawn: not collected within 30 days"),
            terminal=True,
            outcome="withdrawn",
            queued=False,
        ),
    ]
    transitions = [
        _submitted_at_the_counter(),
        Transition(
            "check_in",
            ("submitted",),
            "checking",
            _("Check in at the counter"),
            who=at_registry,
            guard=_on_appointment_day,
            handler=handlers.check_in,
        ),
        Transition("screen", ("submitted",), "checking", _("Checks"), system=True),
        Transition(
            "receive",
            ("checking",),
            "cooling_off",
            _("Receive the application (cooling-off starts)"),
            who=at_registry,
            form=ReceiveForm,
            handler=handlers.receive_divorce,
        ),
        Transition(
            "open_collection",
            ("cooling_off",),
            "collection",
            _("Cooling-off period over"),
            system=True,
            guard=_cooling_off_over,
        ),
        Transition(
            # From "cooling_off" too: the law opens the collection period, not the daily task.
            "register",
            ("cooling_off", "collection"),
            "registered",
            _("Register the divorce"),
            who=at_registry,
            guard=_collection_open,
            form=DivorceRegisterForm,
            handler=handlers.register_divorce,
        ),
        Transition(
            "refuse",
            ("checking", "collection"),
            "refused",
            _("Refuse with the legal reason"),
            who=at_registry,
            form=RefuseForm,
            handler=handlers.refuse,
            style="danger",
            after=(_release,),
        ),
        Transition(
            "withdraw",
            ("booked", "checking", "cooling_off"),
            "withdrawn",
            WITHDRAW_LABEL,
            citizen=True,
            who=any_of(citizen, at_registry),
            form=CounterWithdrawForm,
            handler=handlers.withdraw,
            style="secondary",
            guard=_withdrawable,
            after=(_release,),
        ),
        Transition(
            "deem_withdrawn",
            ("collection",),
            "deemed_withdrawn",
            _("Deemed withdrawn"),
            system=True,
            guard=_collection_over,
            after=(_release,),
        ),
        Transition(
            "lapse",
            ("booked",),
            "lapsed",
            _("Appointment missed"),
            system=True,
            after=(_release,),
        ),
    ]
    return Workflow.build(
        "marriage.divorce", states, transitions, initial="booked", parties=both_parties
    )


def replacement() -> Workflow:
    states = [
        State("requested", _("Requested at the counter"), public=False, queued=False),
        SUBMITTED,
        State(
            "issued",
            _("Replacement certificate issued"),
            citizen_label=_("Replacement certificate issued"),
            terminal=True,
            outcome="completed",
            queued=False,
        ),
    ]
    transitions = [
        Transition(
            "issue",
            ("submitted",),
            "issued",
            _("Issue the replacement"),
            who=at_registry,
            form=IssueReplacementForm,
            handler=handlers.issue_replacement,
        ),
        # The counter's one action (marriage.actions.do_replace_certificate) opens, submits and
        # issues in one transaction, so screening finds the case issued already. Should a
        # submitted replacement ever be left without its certificate, the system does not close
        # it as issued: a registrar issues it (the step above).
        Transition(
            "screen", ("submitted",), "issued", _("Issue"), system=True, guard=_replacement_issued
        ),
    ]
    return Workflow.build(
        "marriage.replacement", states, transitions, initial="requested", parties=both_parties
    )
