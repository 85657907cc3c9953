"""The registration and annual-report processes on the platform's workflow engine.

Registration (establishment, change, deregistration): submitted → received by the
registration authority (the case carries the authority's region, so the platform routes it to
the bureau at the organization's registration level) → approved (the step's handler,
orgs.handlers.approve_application, updates the register in the same transaction), refused with
reasons, or returned for correction and resubmitted.

Annual report: submitted → received → graded (pass / basic pass / fail), or returned for
correction.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import handlers
from .forms import ApproveStepForm, GradeStepForm
from .queries import AUTHORITY_ROLES, DECIDING_ROLES, GRADING_ROLES, holds_authority_grant


def at_the_authority(roles):
    """Staff in one of `roles` at the very office the case is with: the registration
    authority decides, not a colleague elsewhere who happens to see the case (a city
    supervisor sees a district's cases but does not decide for the district)."""

    def check(case, user) -> bool:
        return user is not None and holds_authority_grant(user, case.office_id, roles)

    return check


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
        who=at_the_authority(AUTHORITY_ROLES),
        needs_reason=True,
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
        who=at_the_authority(DECIDING_ROLES),
        form=ApproveStepForm,
        handler=handlers.approve_application,
    ),
    Transition(
        "refuse",
        ("received",),
        "refused",
        _("Refuse"),
        who=at_the_authority(DECIDING_ROLES),
        needs_reason=True,
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
        who=at_the_authority(AUTHORITY_ROLES),
        needs_reason=True,
        style="warning",
    ),
    Transition("resubmit", ("returned",), "received", _("Send the corrected report"), citizen=True),
    Transition(
        "grade",
        ("received",),
        "graded",
        _("Grade the report"),
        who=at_the_authority(GRADING_ROLES),
        form=GradeStepForm,
        handler=handlers.grade_report,
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
