"""State changes of social-assistance applications, split by topic. The case moves through
the platform's workflow engine (casework.actions.do_transition); these actions set the
domain's own data and then fire the transition, all in one transaction.

Callers import from `assistance.actions`; the modules below are where each topic lives.
"""

from .amounts import (  # noqa: F401
    LinshiRange,
    approval_level,
    benefit_for,
    calculate,
    linshi_range,
    parameter,
)
from .application import (  # noqa: F401
    APPLICATION_FIELDS,
    do_save_draft,
    do_set_incomes,
    do_start_application,
    do_submit_application,
    missing_for_submission,
)
from .checks import (  # noqa: F401
    checked_economy,
    do_request_economic_check,
    do_take_economic_check_answer,
    outcome_label,
)
from .common import (  # noqa: F401
    CENT,
    NOTICE_WORKING_DAYS,
)
from .notice import (  # noqa: F401
    do_end_notice,
    do_lodge_objection,
    do_record_investigation,
    do_start_notice,
    record_economy,
    send_objection_answer,
    unsent_objection_answers,
)
from .reported import (  # noqa: F401
    do_take_reported_income,
)
from .review import (  # noqa: F401
    do_approve,
    do_complete_review,
    do_refuse,
    do_rescreen_amounts,
    do_start_due_reviews,
    reprice,
    review_basis,
    review_field,
    review_months,
    review_screening,
)
