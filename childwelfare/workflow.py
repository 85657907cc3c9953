"""The two child-welfare processes on the platform's case engine.

Intake (childwelfare.intake): a director, school or caseworker reports a child → the rules
pre-screen the category from the master record and the case is routed to the child's community
(or township) office → a child-welfare worker confirms the category → needs assessment →
support plan → plan reviews at set intervals → closed when support ends. Every state is
internal: a child's report is never announced to anyone.

Allowance (childwelfare.allowance): the basic living allowance for orphans and children without
a de-facto carer → screened against the allowance rules → approved with the regional standard →
paid monthly → ended at 18 or when the category changes.
"""

from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.workflow import DRAFT, SUBMITTED, WITHDRAWN, State, Transition, Workflow

from . import actions, handlers
from .forms import (
    ApproveAllowanceForm,
    AssessmentForm,
    ConfirmCategoryForm,
    ReviewForm,
    SupportPlanForm,
)

CW = StaffRole.Role.CHILD_WELFARE


def _after_screen(case_id: int):
    actions.prescreen_after_screening(case_id)


INTAKE_STATES = [
    DRAFT,
    State("submitted", _("Reported"), public=False, queued=False),
    State("screened", _("Reported, category pre-checked"), public=False),
    State("assessing", _("Category confirmed, needs assessment due"), public=False),
    State("planning", _("Assessed, support plan being drawn up"), public=False),
    State(
        "supported",
        _("Support plan in force"),
        public=False,
        decided=True,
        outcome="approved",
        queued=False,
    ),
    State("review", _("Support plan review due"), public=False),
    State(
        "no_need",
        _("Closed: no protection needed"),
        public=False,
        terminal=True,
        outcome="completed",
        queued=False,
    ),
    State(
        "closed",
        _("Closed: support ended"),
        public=False,
        terminal=True,
        outcome="completed",
        queued=False,
    ),
]

INTAKE_TRANSITIONS = [
    Transition(
        "screen",
        ("submitted",),
        "screened",
        _("Pre-screen and route"),
        system=True,
        after=(_after_screen,),
    ),
    Transition(
        "confirm",
        ("screened",),
        "assessing",
        _("Confirm the category"),
        roles=(CW,),
        assignee_only=False,
        form=ConfirmCategoryForm,
        handler=handlers.confirm_category,
    ),
    Transition(
        "record_assessment",
        ("assessing",),
        "planning",
        _("Record the needs assessment"),
        roles=(CW,),
        assignee_only=False,
        form=AssessmentForm,
        handler=handlers.record_assessment,
    ),
    Transition(
        "activate_plan",
        ("planning",),
        "supported",
        _("Put the support plan in force"),
        roles=(CW,),
        assignee_only=False,
        form=SupportPlanForm,
        handler=handlers.activate_plan,
    ),
    Transition(
        "start_review",
        ("supported",),
        "review",
        _("Start the plan review"),
        roles=(CW,),
        system=True,
        assignee_only=False,
    ),
    Transition(
        "complete_review",
        ("review",),
        "supported",
        _("Record the plan review"),
        roles=(CW,),
        assignee_only=False,
        form=ReviewForm,
        handler=handlers.complete_review,
    ),
    Transition(
        "close_no_need",
        ("screened", "assessing"),
        "no_need",
        _("Close: no protection needed"),
        roles=(CW,),
        # The system takes it too: a death from the register closes an intake still at
        # screening or assessment (actions.do_close_record_after_death).
        system=True,
        assignee_only=False,
        needs_reason=True,
        handler=handlers.close_no_need,
        style="secondary",
    ),
    Transition(
        "close",
        ("planning", "supported", "review"),
        "closed",
        _("Close: support ended"),
        roles=(CW,),
        system=True,
        assignee_only=False,
        needs_reason=True,
        style="danger",
    ),
]

ALLOWANCE_STATES = [
    DRAFT,
    SUBMITTED,
    State(
        "screened",
        _("Pre-checked, waiting for the child-welfare worker"),
        citizen_label=_("Being checked"),
    ),
    State(
        "in_payment",
        _("Approved, in payment"),
        citizen_label=_("Approved"),
        decided=True,
        outcome="approved",
        queued=False,
    ),
    State("refused", _("Refused"), terminal=True, outcome="refused", queued=False),
    State(
        "ended",
        _("Ended"),
        citizen_label=_("Payments ended"),
        terminal=True,
        outcome="terminated",
        queued=False,
    ),
    WITHDRAWN,
]

ALLOWANCE_TRANSITIONS = [
    Transition("screen", ("submitted",), "screened", _("Pre-screen and route"), system=True),
    Transition(
        "approve",
        ("screened",),
        "in_payment",
        _("Approve"),
        roles=(CW,),
        assignee_only=False,
        form=ApproveAllowanceForm,
        handler=handlers.approve_allowance,
    ),
    Transition(
        "refuse",
        ("screened",),
        "refused",
        _("Refuse"),
        roles=(CW,),
        assignee_only=False,
        needs_reason=True,
        style="danger",
    ),
    Transition(
        "end",
        ("in_payment",),
        "ended",
        _("End the allowance"),
        roles=(CW,),
        system=True,
        assignee_only=False,
        needs_reason=True,
        style="danger",
    ),
    Transition(
        "withdraw",
        ("submitted", "screened"),
        "withdrawn",
        _("Withdraw the application"),
        citizen=True,
        roles=(CW,),
        assignee_only=False,
        style="secondary",
    ),
]


def build_intake() -> Workflow:
    return Workflow.build("childwelfare.intake", INTAKE_STATES, INTAKE_TRANSITIONS)


def build_allowance() -> Workflow:
    return Workflow.build("childwelfare.allowance", ALLOWANCE_STATES, ALLOWANCE_TRANSITIONS)
