"""Every state change of elder care (house rule 1), split by topic. Each action is atomic, locks
what it reads and then writes, takes `acting_user` keyword-only (None for the system: beat tasks
and the device API), records history with the acting user, and moves cases only through the
platform's engine (casework.actions.do_transition), which writes the case timeline.

Callers import from `eldercare.actions`; the modules below are where each topic lives."""

from .allowance import (  # noqa: F401
    age_param,
    age_program,
    auto_open_for,
    do_answer_invitation,
    do_find_newly_eligible,
    do_grant_age_allowance,
    do_invite_to_age_allowance,
    do_open_age_allowance,
    do_start_allowance_payments,
    do_stop_allowances_of_deceased,
    do_stop_future_payments,
    monthly_amount,
    newly_eligible,
    price_month,
)
from .bookings import (  # noqa: F401
    do_accept_booking,
    do_assign_worker,
    do_book_service,
    do_cancel_booking,
    do_check_in,
    do_check_out,
    do_decline_booking,
    do_rate_booking,
)
from .careplans import (  # noqa: F401
    do_add_plan_item,
    do_cancel_plan_bookings,
    do_cancel_visits_after_death,
    do_end_plan,
    do_extend_plans,
    do_generate_plan_bookings,
    do_remove_plan_item,
    do_request_care_plan,
    do_save_plan,
)
from .common import (  # noqa: F401
    BOOKING_PREFIX,
    CW,
    PLAN_HORIZON_DAYS,
    acts_for,
    provider_of,
    staff_covers,
)
from .devices import (  # noqa: F401
    do_handle_alert,
    do_receive_readings,
    do_register_device,
    do_register_platform,
    do_reveal_visit_phone,
    do_rotate_platform_token,
    hash_token,
    platform_for_token,
)
from .family import (  # noqa: F401
    do_answer_family_link,
    do_confirm_family_link,
    do_end_family_link,
    do_request_family_link,
)
from .institutions import (  # noqa: F401
    do_create_institution,
    do_update_occupancy,
    may_update_institution,
)
from .providers import (  # noqa: F401
    do_add_provider_login,
    do_add_worker,
    do_create_provider,
    do_set_worker_active,
    providers_for,
)
