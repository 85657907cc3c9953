"""What the assistance steps write besides the case's state (Transition.handler)."""

from django.utils import timezone

from civilaffairs.benefits.actions import do_resume_for_case, do_stop_for_case, do_suspend_for_case


def hold_payments(case, data, acting_user):
    """Suspending a grant holds its payments until it resumes."""
    do_suspend_for_case(
        case, acting_user=acting_user, on=timezone.localdate(), reason=data.get("reason", "")
    )


def resume_payments(case, data, acting_user):
    do_resume_for_case(case, acting_user=acting_user)


def stop_payments(case, data, acting_user):
    """Terminating a grant stops its payments after this month."""
    do_stop_for_case(
        case, acting_user=acting_user, on=timezone.localdate(), reason=data.get("reason", "")
    )
