"""The three elder-care workflows on the platform's case engine.

Care plan: requested (online, or by staff for the elder) → the township assesses the elder's
ability → drafts a plan of recurring services with a provider → the county approves → the plan
is in force and generates bookings → it ends (by decision, or at death).

Age allowance (高龄津贴): opened by the system for a person who has reached the age (or by the
person accepting an invitation) → pre-screened by the rules → granted automatically when the
rules pass, else a caseworker decides → paid monthly → stopped at death or on moving away.

Urgent home visit: opened by a severe device alert → routed to the community (or township)
office of the elder's residence → visited → closed.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import Office, StaffRole
from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import actions, handlers
from .forms import ApproveForm, AssessmentForm, VisitForm
from .services import AGE_ALLOWANCE, CAREPLAN, URGENT_VISIT

__all__ = ["AGE_ALLOWANCE", "CAREPLAN", "URGENT_VISIT"]

CW = StaffRole.Role.CASEWORKER
APPROVER = StaffRole.Role.APPROVER
SUPERVISOR = StaffRole.Role.SUPERVISOR


# ----------------------------------------------------------------------------- follow-ups
# Called on commit with the case id (Transition.after); each is idempotent, so a step taken
# again or a task run twice books, cancels or pays nothing twice.


def _after_plan_approved(case_id: int):
    actions.do_generate_plan_bookings(case_id)


def _after_allowance_granted(case_id: int):
    actions.do_start_allowance_payments(case_id)


def _after_plan_ended(case_id: int):
    actions.do_cancel_plan_bookings(case_id, acting_user=None)


def _after_allowance_stopped(case_id: int):
    actions.do_stop_future_payments(case_id)


# ----------------------------------------------------------------------------- care plan

CAREPLAN_STATES = [
    DRAFT,
    SUBMITTED,
    State(
        "screened",
        _("Waiting for the ability assessment"),
        citizen_label=_("Received; the township office will arrange an assessment"),
    ),
    State(
        "assessed",
        _("Assessed; plan being drafted"),
        citizen_label=_("Assessment done; your care plan is being drafted"),
    ),
    State(
        "proposed",
        _("Plan awaiting county approval"),
        citizen_label=_("Your care plan is waiting for approval"),
    ),
    State(
        "active",
        _("Plan in force"),
        citizen_label=_("Your care plan is in force"),
        decided=True,
        outcome="approved",
        queued=False,
    ),
    State("ended", _("Plan ended"), terminal=True, outcome="completed", queued=False),
    State("refused", _("Refused"), terminal=True, outcome="refused", queued=False),
    WITHDRAWN,
]

CAREPLAN_TRANSITIONS = [
    Transition("screen", ("submitted",), "screened", _("Route to the township"), system=True),
    Transition(
        # Taken again before the plan is sent, it replaces the first assessment.
        "record_assessment",
        ("screened", "assessed"),
        "assessed",
        _("Record the ability assessment"),
        roles=(CW,),
        form=AssessmentForm,
        handler=handlers.record_assessment,
    ),
    Transition(
        "propose_plan",
        ("assessed",),
        "proposed",
        _("Send the plan for approval"),
        roles=(CW,),
        handler=handlers.propose_plan,
        route_to_level=Office.Level.COUNTY,
    ),
    Transition(
        "return_plan",
        ("proposed",),
        "assessed",
        _("Return the plan to the township"),
        roles=(APPROVER,),
        office_level=Office.Level.COUNTY,
        needs_reason=True,
        route_to_level=Office.Level.TOWNSHIP,
        assignee_only=False,
        style="warning",
    ),
    Transition(
        "approve_plan",
        ("proposed",),
        "active",
        _("Approve the plan"),
        roles=(APPROVER,),
        office_level=Office.Level.COUNTY,
        assignee_only=False,
        form=ApproveForm,
        handler=handlers.approve_plan,
        after=(_after_plan_approved,),
    ),
    Transition(
        "end_plan",
        ("active",),
        "ended",
        _("End the plan"),
        roles=(CW, APPROVER),
        system=True,
        needs_reason=True,
        assignee_only=False,
        after=(_after_plan_ended,),
        style="danger",
    ),
    Transition(
        "refuse",
        ("screened", "assessed", "proposed"),
        "refused",
        _("Refuse"),
        roles=(APPROVER,),
        needs_reason=True,
        assignee_only=False,
        style="danger",
    ),
    Transition(
        "withdraw",
        ("submitted", "screened", "assessed"),
        "withdrawn",
        _("Withdraw my request"),
        citizen=True,
        roles=(CW,),
        style="secondary",
    ),
]


# ----------------------------------------------------------------------------- age allowance

ALLOWANCE_STATES = [
    DRAFT,
    SUBMITTED,
    State(
        "screened",
        _("Waiting for the township's check"),
        citizen_label=_("Being checked by the township office"),
    ),
    State(
        "granted",
        _("Granted, paid monthly"),
        citizen_label=_("Granted: paid every month"),
        decided=True,
        outcome="approved",
        queued=False,
    ),
    State("stopped", _("Stopped"), terminal=True, outcome="terminated", queued=False),
    State("refused", _("Refused"), terminal=True, outcome="refused", queued=False),
    WITHDRAWN,
]

ALLOWANCE_TRANSITIONS = [
    Transition("screen", ("submitted",), "screened", _("Pre-screen and route"), system=True),
    # The system grants it when the rules pass (免申即享); otherwise a caseworker decides.
    Transition(
        "grant",
        ("screened",),
        "granted",
        _("Grant the allowance"),
        roles=(CW,),
        system=True,
        assignee_only=False,
        after=(_after_allowance_granted,),
    ),
    Transition(
        "refuse",
        ("screened",),
        "refused",
        _("Refuse"),
        roles=(CW, APPROVER),
        needs_reason=True,
        assignee_only=False,
        style="danger",
    ),
    Transition(
        "stop",
        ("granted",),
        "stopped",
        _("Stop the allowance"),
        roles=(CW, APPROVER),
        system=True,
        needs_reason=True,
        assignee_only=False,
        after=(_after_allowance_stopped,),
        style="danger",
    ),
    Transition(
        "withdraw",
        ("submitted", "screened"),
        "withdrawn",
        _("Withdraw"),
        citizen=True,
        roles=(CW,),
        style="secondary",
    ),
]


# ----------------------------------------------------------------------------- urgent visit

VISIT_STATES = [
    DRAFT,
    State("submitted", _("Raised"), public=False, queued=False),
    State(
        "dispatched",
        _("Urgent: visit the elder now"),
        citizen_label=_("A community worker is on the way"),
    ),
    State("visited", _("Visited"), terminal=True, outcome="completed", queued=False),
]

VISIT_TRANSITIONS = [
    Transition(
        "screen", ("submitted",), "dispatched", _("Route to the community office"), system=True
    ),
    Transition(
        "record_visit",
        ("dispatched",),
        "visited",
        _("Record the visit"),
        roles=(CW, SUPERVISOR),
        assignee_only=False,
        form=VisitForm,
        handler=handlers.record_visit,
    ),
]


def build_careplan() -> Workflow:
    return Workflow.build(CAREPLAN, CAREPLAN_STATES, CAREPLAN_TRANSITIONS)


def build_allowance() -> Workflow:
    return Workflow.build(AGE_ALLOWANCE, ALLOWANCE_STATES, ALLOWANCE_TRANSITIONS)


def build_visit() -> Workflow:
    return Workflow.build(URGENT_VISIT, VISIT_STATES, VISIT_TRANSITIONS)
