"""Every change to a child's record, intake, assessment, plan, visit, alert and allowance,
split by topic.

Each action is atomic, locks what it reads and then writes, takes `acting_user` keyword-only
(None only for the system: beat tasks and pre-screening) and checks the actor's right itself,
so no view, task or admin action can skip the check. Case changes go through the platform's
engine (`casework.actions.do_transition`), which writes the timeline.

Callers import from `childwelfare.actions`; the modules below are where each topic lives.
"""

from .allowance import (  # noqa: F401
    allowance_amount,
    care_setting_for,
    do_apply_allowance,
    do_end_allowance,
    do_end_allowances_at_18,
    lock_grant,
)
from .closing import (  # noqa: F401
    do_close_adult_records,
    do_close_record_after_death,
)
from .common import (  # noqa: F401
    ADULT_AGE,
    ALLOWANCE,
    DEFAULT_REVIEW_MONTHS,
    DEFAULT_VISIT_DAYS,
    INTAKE,
    category_parameter,
    eighteenth_birthday,
    lock_profile,
    program_parameter,
    review_months_for,
    visit_interval_days,
)
from .intake import (  # noqa: F401
    do_prescreen_category,
    do_report_child,
    lock_intake,
    prescreen_after_screening,
)
from .plans import (  # noqa: F401
    check_resource,
    do_start_due_plan_reviews,
    do_update_item,
    plan_suggestions,
)
from .record import (  # noqa: F401
    PROFILE_EDITABLE,
    change_category,
    do_add_guardian,
    do_assign_director,
    do_change_category,
    do_end_guardian,
    do_set_parent_circumstances,
    do_set_parents,
    do_update_profile,
)
from .resources import (  # noqa: F401
    RESOURCE_FIELDS,
    do_save_resource,
)
from .visits import (  # noqa: F401
    do_raise_overdue_visit_alerts,
    do_record_visit,
    do_report_safety_concern,
    do_resolve_alert,
    escalate,
)
