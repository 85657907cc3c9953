"""Every change to the benefits ledger (house rule 1), split by topic: the ledger itself
(grant, change, stop, schedule, record a result) and paying it (disbursement batches and the
bank file). Each action is atomic and takes `acting_user` keyword-only (None: the system).

Callers import from `civilaffairs.benefits.actions`."""

from .disbursement import (  # noqa: F401
    do_approve_batch,
    do_cancel_batch,
    do_change_account,
    do_export_batch,
    do_import_results,
    do_prepare_batch,
    do_prepare_due_batches,
    do_retry_payment,
)
from .ledger import (  # noqa: F401
    do_change_amount,
    do_grant,
    do_record_result,
    do_resume_for_case,
    do_schedule_due,
    do_schedule_month,
    do_stop,
    do_stop_for_case,
    do_stop_for_person,
    do_suspend_for_case,
)
