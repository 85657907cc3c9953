"""The social-assistance process (DOMAIN.md): township accepts and investigates → 7-working-day
public notice (objections send it back) → county approves or refuses with written reasons →
monthly payments → periodic review → suspend or terminate."""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import handlers
from .forms import ApproveForm, InvestigationForm, ObjectionFindingForm, ReviewForm

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
    return Workflow.build("assistance", STATES, TRANSITIONS)
