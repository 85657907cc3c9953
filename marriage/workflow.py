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

Counter steps need data (checks, confirmations, certificate numbers): the transitions have
guards, so firing them from the generic case page without the registry's action is refused.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.workflow import SUBMITTED, WITHDRAWN, State, Transition, Workflow

REGISTRAR = StaffRole.Role.REGISTRAR


def both_parties(case) -> list:
    """Both people marrying or divorcing hear of every public event of their case, in the
    engine's transaction (the partner's copy was once sent after the commit and could be lost)."""
    return [p for p in (case.applicant, case.beneficiary) if p is not None]


def _release(case_id: int):
    from .actions import do_after_close

    do_after_close(case_id)


def _checked(case):
    if case.marriage.checked_at is None:
        return _("Check the couple in at the registry's counter page first.")
    return None


def _relation_flagged(case):
    if case.marriage.check_outcome() != "refer":
        return _("Only a possible prohibited relation found by the checks stops for review.")
    return None


def _relation_cleared(case):
    if case.marriage.relation_cleared_at is None:
        return _("Record the review's finding at the registry's counter page.")
    return None


def _registered(case):
    if case.marriage.record_id is None or not case.marriage.certificates.exists():
        return _("Register at the registry's counter page: it issues the certificate.")
    return None


def _received(case):
    if case.marriage.received_at is None:
        return _("Receive the divorce application at the registry's counter page.")
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


def _divorce_registered(case):
    if not case.marriage.certificates.filter(kind__in=["L"]).exists():
        return _("Register the divorce at the registry's counter page: it issues the certificate.")
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
        Transition(
            "check_in",
            ("submitted",),
            "checking",
            _("Check in at the counter"),
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_checked,
            via_url_name="marriage:counter",
        ),
        # The platform's screening fires this on a case left in "submitted"; the counter never
        # leaves one there, so it only matters after a crash between the two steps.
        Transition("screen", ("submitted",), "checking", _("Checks"), system=True),
        Transition(
            "refer",
            ("checking",),
            "review",
            _("Stop for review"),
            roles=(REGISTRAR,),
            system=True,
            assignee_only=False,
            guard=_relation_flagged,
            via_url_name="marriage:counter",
        ),
        Transition(
            "clear",
            ("review",),
            "checking",
            _("Reviewed: no prohibited relation"),
            roles=(REGISTRAR,),
            needs_reason=True,
            assignee_only=False,
            guard=_relation_cleared,
            via_url_name="marriage:counter",
        ),
        Transition(
            "register",
            ("checking",),
            "registered",
            _("Register the marriage"),
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_registered,
            via_url_name="marriage:counter",
        ),
        Transition(
            "refuse",
            ("checking", "review"),
            "refused",
            _("Refuse with the legal reason"),
            roles=(REGISTRAR,),
            needs_reason=True,
            assignee_only=False,
            style="danger",
            via_url_name="marriage:counter",
            after=(_release,),
        ),
        Transition(
            "withdraw",
            ("booked", "checking", "review"),
            "withdrawn",
            WITHDRAW_LABEL,
            citizen=True,
            roles=(REGISTRAR,),
            assignee_only=False,
            style="secondary",
            # Staff withdraw at the counter page, which records which party asked.
            via_url_name="marriage:counter",
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
        Transition(
            "check_in",
            ("submitted",),
            "checking",
            _("Check in at the counter"),
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_checked,
            via_url_name="marriage:counter",
        ),
        Transition("screen", ("submitted",), "checking", _("Checks"), system=True),
        Transition(
            "receive",
            ("checking",),
            "cooling_off",
            _("Receive the application (cooling-off starts)"),
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_received,
            via_url_name="marriage:counter",
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
            "register",
            ("collection",),
            "registered",
            _("Register the divorce"),
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_divorce_registered,
            via_url_name="marriage:counter",
        ),
        Transition(
            "refuse",
            ("checking", "collection"),
            "refused",
            _("Refuse with the legal reason"),
            roles=(REGISTRAR,),
            needs_reason=True,
            assignee_only=False,
            style="danger",
            via_url_name="marriage:counter",
            after=(_release,),
        ),
        Transition(
            "withdraw",
            ("booked", "checking", "cooling_off"),
            "withdrawn",
            WITHDRAW_LABEL,
            citizen=True,
            roles=(REGISTRAR,),
            assignee_only=False,
            style="secondary",
            guard=_withdrawable,
            via_url_name="marriage:counter",
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
            roles=(REGISTRAR,),
            assignee_only=False,
            guard=_replacement_issued,
        ),
        Transition(
            "screen", ("submitted",), "issued", _("Issue"), system=True, guard=_replacement_issued
        ),
    ]
    return Workflow.build(
        "marriage.replacement", states, transitions, initial="requested", parties=both_parties
    )
