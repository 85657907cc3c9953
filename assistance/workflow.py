"""The social-assistance process (DOMAIN.md): township accepts and investigates → 7-working-day
public notice (objections send it back) → county approves or refuses with written reasons →
monthly payments → periodic review → suspend or terminate."""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.casework import who
from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import actions, handlers
from .forms import (
    ApproveForm,
    InvestigationForm,
    LinshiAmountForm,
    LinshiApproveForm,
    ObjectionFindingForm,
    PapersForm,
    PayFirstForm,
    ReviewForm,
)
from .models import AssistanceApplication, Linshi

CW = StaffRole.Role.CASEWORKER
REVIEWER = StaffRole.Role.REVIEWER
APPROVER = StaffRole.Role.APPROVER
SUPERVISOR = StaffRole.Role.SUPERVISOR


def _notice_over(case):
    from django.utils import timezone

    app = case.assistance
    if app.notice_end is None or timezone.localdate() <= app.notice_end:
        return _("The public notice has not ended yet.")
    if app.open_objection() is not None:
        return _("An objection is open: investigate it first.")
    return None


def _noticed(case):
    """The county decides on a household that has been on notice since its last
    investigation, without an open objection (DOMAIN.md); a proposed refusal needs neither."""
    app = case.assistance
    if app.open_objection() is not None:
        return _("An objection is open: the township must investigate it first.")
    if app.notice_end is None:
        return _(
            "The household has not been on public notice since its last investigation: "
            "only a refusal can be decided."
        )
    return None


STATES = [
    DRAFT,
    SUBMITTED,
    State(
        "screened",
        _("Pre-checked, waiting for the township"),
        citizen_label=_("Waiting for the township office"),
    ),
    State(
        "accepted",
        _("Accepted by the township"),
        citizen_label=_("Accepted; a home visit will be arranged"),
    ),
    State("investigated", _("Household investigated"), citizen_label=_("Home visit done")),
    State(
        "objection",
        _("Objection to investigate"),
        citizen_label=_("Checked again after an objection to the notice"),
    ),
    State(
        "notice",
        _("Public notice"),
        citizen_label=_("Public notice (7 working days)"),
        queued=False,
    ),
    State(
        "county_review",
        _("Awaiting county approval"),
        citizen_label=_("Waiting for the county's decision"),
    ),
    State(
        "approved",
        _("Approved, in payment"),
        citizen_label=_("Approved"),
        decided=True,
        outcome="approved",
        queued=False,
    ),
    State(
        "review", _("Periodic review"), citizen_label=_("Under periodic review; payments continue")
    ),
    State("suspended", _("Payments suspended"), queued=False),
    State("refused", _("Refused"), terminal=True, outcome="refused", queued=False),
    State("terminated", _("Terminated"), terminal=True, outcome="terminated", queued=False),
    WITHDRAWN,
]

TRANSITIONS = [
    Transition("screen", ("submitted",), "screened", _("Pre-screen and route"), system=True),
    Transition("accept", ("screened",), "accepted", _("Accept the application"), roles=(CW,)),
    Transition(
        "record_investigation",
        ("accepted",),
        "investigated",
        _("Investigation recorded"),
        roles=(CW,),
        form=InvestigationForm,
        handler=handlers.record_investigation,
    ),
    Transition(
        "start_notice",
        ("investigated",),
        "notice",
        _("Start the public notice"),
        roles=(CW,),
        handler=handlers.start_notice,
    ),
    Transition(
        "reinvestigate",
        ("notice",),
        "objection",
        _("Investigate again (objection)"),
        system=True,
        needs_reason=True,
        style="warning",
    ),
    Transition(
        "resolve_objection",
        ("objection",),
        "investigated",
        _("Record the finding on the objection"),
        roles=(CW,),
        form=ObjectionFindingForm,
        handler=handlers.resolve_objection,
    ),
    Transition(
        "propose_refusal",
        ("investigated",),
        "county_review",
        _("Propose a refusal to the county"),
        roles=(CW,),
        needs_reason=True,
        style="danger",
        route_to_level=Office.Level.COUNTY,
    ),
    Transition(
        "end_notice",
        ("notice",),
        "county_review",
        _("Send to the county"),
        roles=(CW,),
        system=True,
        guard=_notice_over,
        route_to_level=Office.Level.COUNTY,
    ),
    Transition(
        "approve",
        ("county_review",),
        "approved",
        _("Approve"),
        roles=(APPROVER,),
        office_level=Office.Level.COUNTY,
        assignee_only=False,
        form=ApproveForm,
        handler=handlers.approve,
        guard=_noticed,
    ),
    Transition(
        "refuse",
        ("county_review", "screened", "accepted"),
        "refused",
        _("Refuse"),
        roles=(APPROVER,),
        office_level=Office.Level.COUNTY,
        needs_reason=True,
        style="danger",
        assignee_only=False,
    ),
    Transition(
        "start_review",
        ("approved",),
        "review",
        _("Start the periodic review"),
        roles=(CW,),
        system=True,
        assignee_only=False,
        route_to_level=Office.Level.TOWNSHIP,
    ),
    Transition(
        "complete_review",
        ("review",),
        "approved",
        _("Review done: continue"),
        roles=(CW,),
        form=ReviewForm,
        handler=handlers.complete_review,
    ),
    Transition(
        "suspend",
        ("approved", "review"),
        "suspended",
        _("Suspend payments"),
        roles=(CW, APPROVER),
        handler=handlers.hold_payments,
        needs_reason=True,
        style="warning",
        assignee_only=False,
    ),
    Transition(
        "resume",
        ("suspended",),
        "approved",
        _("Resume payments"),
        roles=(APPROVER,),
        handler=handlers.resume_payments,
        assignee_only=False,
    ),
    Transition(
        "terminate",
        ("approved", "suspended", "review"),
        "terminated",
        _("Terminate"),
        roles=(APPROVER,),
        handler=handlers.stop_payments,
        needs_reason=True,
        style="danger",
        assignee_only=False,
    ),
    Transition(
        "withdraw",
        ("submitted", "screened", "accepted", "investigated"),
        "withdrawn",
        _("Withdraw the application"),
        citizen=True,
        style="secondary",
    ),
]


def build() -> Workflow:
    """低保 and 特困: investigation, public notice, county approval, monthly payments, reviews."""
    return Workflow.build("assistance", STATES, TRANSITIONS)


# --------------------------------------------------------------------------- 临时救助
# Temporary assistance has a process of its own (DOMAIN.md): no public notice; the township
# sets the amount within the configured range and says why; the township approves up to its
# limit and the county above it; in a sudden emergency the township pays first and the papers
# follow, confirmed (or not) by a reviewer; paid once through the ledger.

_TOWNSHIP_APPROVER = who.staff((APPROVER,), office_level=Office.Level.TOWNSHIP, assignee_only=False)
_COUNTY_APPROVER = who.staff((APPROVER,), office_level=Office.Level.COUNTY, assignee_only=False)
_ANY_APPROVER = who.any_of(_TOWNSHIP_APPROVER, _COUNTY_APPROVER)
_TOWNSHIP_STAFF = who.any_of(
    who.staff((CW,), office_level=Office.Level.TOWNSHIP),
    _TOWNSHIP_APPROVER,
)
_REVIEWERS = who.staff((REVIEWER, APPROVER), assignee_only=False)


def _approver_for_the_amount(case, user) -> bool:
    """Up to the township's limit a township (or county) approver decides; above it only the
    county's (linshi_township_limit)."""
    level = actions.approval_level(case)
    if level is None:
        return False
    if level == Office.Level.TOWNSHIP:
        return _ANY_APPROVER(case, user)
    return _COUNTY_APPROVER(case, user)


def _township_in_an_emergency(case, user) -> bool:
    """Paying first is for a sudden emergency, by the township (its caseworker or approver)."""
    return (
        case.assistance.emergency_type == AssistanceApplication.EmergencyType.EMERGENCY
        and _TOWNSHIP_STAFF(case, user)
    )


def _reviewer_not_the_payer(case, user) -> bool:
    """A reviewer or approver confirms what was paid first: never the one who paid it."""
    return _REVIEWERS(case, user) and case.assistance.paid_first_by_id != getattr(user, "pk", None)


def _route_for_the_amount(case):
    """The office level that approves the amount just set (read afresh: the handler wrote it)."""
    return actions.approval_level(case, fresh=True)


def _papers_attached(case):
    if not case.documents.exists():
        return _("Add the papers to the case's documents first.")
    return None


L = Linshi
LINSHI_STATES = [
    DRAFT,
    SUBMITTED,
    State(
        L.SCREENED,
        _("Pre-checked, waiting for the township"),
        citizen_label=_("Waiting for the township office"),
    ),
    State(
        L.ACCEPTED,
        _("Accepted by the township"),
        citizen_label=_("The township office looks into your situation"),
    ),
    State(
        L.APPROVAL,
        _("Amount set, awaiting approval"),
        citizen_label=_("The amount is set; waiting for approval"),
    ),
    State(
        L.PAID_FIRST,
        _("Paid first (emergency), papers to follow"),
        citizen_label=_("Paid at once because of the emergency; please hand in the papers"),
        decided=True,
        outcome="approved",
    ),
    State(
        L.PAPERS_IN,
        _("Papers in, to be confirmed"),
        citizen_label=_("Papers received; being checked"),
    ),
    State(
        L.GRANTED,
        _("Granted and paid once"),
        citizen_label=_("Granted"),
        terminal=True,
        outcome="approved",
        queued=False,
    ),
    State(
        L.NOT_CONFIRMED,
        _("Not confirmed after the papers"),
        citizen_label=_("Not confirmed"),
        terminal=True,
        outcome="refused",
        queued=False,
    ),
    State(L.REFUSED, _("Refused"), terminal=True, outcome="refused", queued=False),
    # Only cases ended before temporary assistance had a process of its own are here.
    State(L.TERMINATED, _("Terminated"), terminal=True, outcome="terminated", queued=False),
    WITHDRAWN,
]

LINSHI_TRANSITIONS = [
    Transition("screen", (L.SUBMITTED,), L.SCREENED, _("Pre-screen and route"), system=True),
    Transition("accept", (L.SCREENED,), L.ACCEPTED, _("Accept the application"), roles=(CW,)),
    Transition(
        "propose_amount",
        (L.ACCEPTED,),
        L.APPROVAL,
        _("Set the amount and send for approval"),
        roles=(CW,),
        form=LinshiAmountForm,
        handler=handlers.propose_linshi,
        route_to_level=_route_for_the_amount,
    ),
    Transition(
        "pay_first",
        (L.SCREENED, L.ACCEPTED),
        L.PAID_FIRST,
        _("Pay first (emergency)"),
        who=_township_in_an_emergency,
        form=PayFirstForm,
        handler=handlers.pay_first,
        style="warning",
    ),
    Transition(
        "approve",
        (L.APPROVAL,),
        L.GRANTED,
        _("Approve and pay"),
        who=_approver_for_the_amount,
        form=LinshiApproveForm,
        handler=handlers.approve_linshi,
    ),
    Transition(
        "send_back",
        (L.APPROVAL,),
        L.ACCEPTED,
        _("Send back to change the amount"),
        who=_ANY_APPROVER,
        needs_reason=True,
        style="secondary",
        route_to_level=Office.Level.TOWNSHIP,
    ),
    Transition(
        "refuse",
        (L.SCREENED, L.ACCEPTED, L.APPROVAL),
        L.REFUSED,
        _("Refuse"),
        who=_ANY_APPROVER,
        needs_reason=True,
        style="danger",
    ),
    Transition(
        "papers_in",
        (L.PAID_FIRST,),
        L.PAPERS_IN,
        _("The papers are in"),
        roles=(CW,),
        assignee_only=False,
        form=PapersForm,
        handler=handlers.papers_in,
        guard=_papers_attached,
        route_to_level=Office.Level.COUNTY,
    ),
    Transition(
        "confirm",
        (L.PAPERS_IN,),
        L.GRANTED,
        _("Confirm the help paid first"),
        who=_reviewer_not_the_payer,
        handler=handlers.confirm_paid_first,
    ),
    Transition(
        "not_confirmed",
        (L.PAID_FIRST, L.PAPERS_IN),
        L.NOT_CONFIRMED,
        _("Record as not confirmed"),
        who=_reviewer_not_the_payer,
        needs_reason=True,
        style="danger",
    ),
    Transition(
        "withdraw",
        (L.SUBMITTED, L.SCREENED, L.ACCEPTED),
        L.WITHDRAWN,
        _("Withdraw the application"),
        citizen=True,
        style="secondary",
    ),
]


def build_linshi() -> Workflow:
    return Workflow.build("assistance.linshi", LINSHI_STATES, LINSHI_TRANSITIONS)
