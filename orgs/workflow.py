"""The registration and annual-report processes on the platform's workflow engine.

Registration (establishment, change, deregistration): submitted → received by the
registration authority (the case carries the authority's region, so the platform routes it to
the bureau at the organization's registration level) → approved (the register is updated in
the same transaction, orgs.actions.do_approve_application), refused with reasons, or returned
for correction and resubmitted.

Annual report: submitted → received → graded (pass / basic pass / fail), or returned for
correction.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

CW = StaffRole.Role.CASEWORKER
REVIEWER = StaffRole.Role.REVIEWER
APPROVER = StaffRole.Role.APPROVER
SUPERVISOR = StaffRole.Role.SUPERVISOR
AUTHORITY = (CW, REVIEWER, APPROVER, SUPERVISOR)
DECIDERS = (APPROVER, SUPERVISOR)


def _written_into_register(case):
    """Approval goes through orgs.actions.do_approve_application, which writes the register
    first; firing the bare transition would approve without changing the record."""
    app = case.orgs_application
    if app.applied_at is None:
        return _("Approve on the registration page, which updates the register.")
    return None


def _graded(case):
    if not case.orgs_report.grade:
        return _("Grade the report on the grading page.")
    return None


RECEIVED = State(
    "received",
    _("Received by the registration authority"),
    citizen_label=_("Being reviewed by the registration authority"),
)
RETURNED = State(
    "returned",
    _("Returned for correction"),
    citizen_label=_("Returned to you for correction"),
    queued=False,
)

REGISTRATION_STATES = [
    DRAFT,
    SUBMITTED,
    RECEIVED,
    RETURNED,
    State(
        "approved",
        _("Approved and registered"),
        terminal=True,
        outcome="approved",
        queued=False,
    ),
    State("refused", _("Refused"), terminal=True, outcome="refused", queued=False),
    WITHDRAWN,
]

REGISTRATION_TRANSITIONS = [
    Transition("screen", ("submitted",), "received", _("Route to the authority"), system=True),
    Transition(
        "return_for_correction",
        ("received",),
        "returned",
        _("Return for correction"),
        roles=AUTHORITY,
        needs_reason=True,
        assignee_only=False,
        style="warning",
    ),
    Transition(
        "resubmit",
        ("returned",),
        "received",
        _("Send the corrected application"),
        citizen=True,
    ),
    Transition(
        "approve",
        ("received",),
        "approved",
        _("Approve and register"),
        roles=DECIDERS,
        assignee_only=False,
        guard=_written_into_register,
        via_url_name="orgs:application-approve",
    ),
    Transition(
        "refuse",
        ("received",),
        "refused",
        _("Refuse"),
        roles=DECIDERS,
        needs_reason=True,
        assignee_only=False,
        style="danger",
    ),
    Transition(
        "withdraw",
        ("draft", "submitted", "received", "returned"),
        "withdrawn",
        _("Withdraw my application"),
        citizen=True,
        style="secondary",
    ),
]

REPORT_STATES = [
    DRAFT,
    SUBMITTED,
    State(
        "received",
        _("Waiting for grading"),
        citizen_label=_("Being reviewed by the registration authority"),
    ),
    RETURNED,
    State("graded", _("Graded"), terminal=True, outcome="completed", queued=False),
    WITHDRAWN,
]

REPORT_TRANSITIONS = [
    Transition("screen", ("submitted",), "received", _("Route to the authority"), system=True),
    Transition(
        "return_for_correction",
        ("received",),
        "returned",
        _("Return for correction"),
        roles=AUTHORITY,
        needs_reason=True,
        assignee_only=False,
        style="warning",
    ),
    Transition("resubmit", ("returned",), "received", _("Send the corrected report"), citizen=True),
    Transition(
        "grade",
        ("received",),
        "graded",
        _("Grade the report"),
        roles=AUTHORITY,
        assignee_only=False,
        guard=_graded,
        via_url_name="orgs:report-grade",
    ),
    Transition(
        "withdraw",
        ("draft", "submitted", "received", "returned"),
        "withdrawn",
        _("Withdraw my report"),
        citizen=True,
        style="secondary",
    ),
]


def registration() -> Workflow:
    return Workflow.build("orgs.registration", REGISTRATION_STATES, REGISTRATION_TRANSITIONS)


def annual_report() -> Workflow:
    return Workflow.build("orgs.annual_report", REPORT_STATES, REPORT_TRANSITIONS)
