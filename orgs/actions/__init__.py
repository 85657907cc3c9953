"""Every state change of the social-organization domain (house rule 1).

Cases move through the platform's engine (casework.actions); these actions set the domain's own
rows and fire the transition in the same transaction, so an approval that changes the register
and the case that records it commit together or not at all. Each action is atomic, locks what
it reads and then writes, and takes `acting_user` keyword-only (None for the system: tasks).

Lock order, everywhere: organization, then needs (by pk), then offers (by pk), then matches.

The actions live by topic in this package; importing from `orgs.actions` keeps working.
"""

from .charity import (  # noqa: F401
    OPEN_MATCH,
    _cancel_proposals,
    _close_need,
    _confirm,
    _expire_need,
    _expire_offer,
    _lapse_one,
    _lapse_proposals,
    _lock_pair,
    _may_act_for_need,
    _need_side_users,
    _recount_need,
    _recount_offer,
    _side,
    _staff_office_ok,
    _totals,
    _wind_down_charity,
    candidate_offers,
    do_accept_match,
    do_close_match,
    do_close_need,
    do_confirm_receipt,
    do_create_need,
    do_create_offer,
    do_create_project,
    do_decline_match,
    do_expire,
    do_propose_matches,
    do_record_delivery,
    do_run_matching,
    do_withdraw_offer,
)
from .common import (  # noqa: F401
    EDITABLE_STATES,
    _lock_org,
    _now,
    _org_users,
    _people,
    _require_account,
    _require_person,
    _today,
)
from .registration import (  # noqa: F401
    EDITABLE_FIELDS,
    _apply_change,
    _check_domicile,
    _deregister,
    _describe,
    _establish,
    _lock_app,
    _name_taken,
    _open_registration,
    _require_applicant_edit,
    authority_for,
    do_approve_application,
    do_attach_document,
    do_identify_representative,
    do_move_representative,
    do_refuse_application,
    do_return_application,
    do_save_application,
    do_start_change,
    do_start_establishment,
    do_submit_application,
    filed_purposes,
    missing_for_submission,
    new_uscc,
    next_org_code_body,
    proposed_changes,
    proposed_changes_described,
)
from .reports import (  # noqa: F401
    REPORT_FIELDS,
    _flag_one,
    _live_report,
    _lock_report,
    _restrict_if_repeated,
    do_flag_late_filers,
    do_grade_report,
    do_save_report,
    do_start_report,
    do_submit_report,
    failed_years_in_a_row,
    missing_for_report,
    report_deadline,
)
from .status import (  # noqa: F401
    STATUS_MOVES,
    do_link_account,
    do_set_charity,
    do_set_status,
)
