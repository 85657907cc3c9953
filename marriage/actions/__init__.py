"""Every state change of the marriage registry (house rule 1), split by topic. Each action is
atomic, locks what it reads and then writes, takes `acting_user` keyword-only, and moves cases
only through the platform's engine (`do_transition`), which writes the timeline.

Lock order, to rule out deadlocks between actions: application → persons (by pk) → slot →
marriage record.

Callers import from `marriage.actions`; the modules below are where each topic lives."""

from .bookings import (  # noqa: F401
    do_after_close,
    do_book_collection,
    do_book_divorce,
    do_book_registration,
    do_cancel_appointment,
    do_change_appointment,
    do_confirm_appointment,
    do_mark_missed_appointments,
    do_release_appointments,
    do_send_reminders,
    find_partner,
)
from .common import (  # noqa: F401
    SERVICE,
    SERVICES,
    lock_app,
    lock_people,
    next_certificate_number,
    period_end,
)
from .counter import (  # noqa: F401
    do_check_in,
    do_divorce_deadlines,
    do_print_certificate,
    do_replace_certificate,
    issue_certificates,
    require_checks_pass,
    run_checks,
    store_checks,
    too_early,
)
from .registries import (  # noqa: F401
    do_generate_slots,
    do_setup_registry,
)
