"""Periodic work of elder care. Each task takes no objects, is idempotent, and calls an
action. Beat schedule (for civilaffairs/settings.py):

    eldercare.find_newly_eligible_task     daily 01:37  (age allowance, proactive)
    eldercare.stop_age_allowances_task     daily 02:29  (stop at death or a move away; the
                                           benefits ledger schedules the months)
    eldercare.extend_plan_bookings_task    daily 00:47  (book the plans' next days)
"""

from celery import shared_task
from django.utils import timezone


@shared_task(name="eldercare.find_newly_eligible_task", acks_late=True)
def find_newly_eligible_task():
    """Open the age allowance (or invite) for everyone who has newly reached the age."""
    from .actions import do_find_newly_eligible

    return do_find_newly_eligible()


@shared_task(name="eldercare.stop_age_allowances_task", acks_late=True)
def stop_age_allowances_task():
    """Daily: end the allowances of people who died or moved away (re-runs stop nothing more)."""
    from .actions import do_stop_allowances_of_deceased

    return do_stop_allowances_of_deceased(today=timezone.localdate())


@shared_task(name="eldercare.extend_plan_bookings_task", acks_late=True)
def extend_plan_bookings_task():
    from .actions import do_extend_plans

    return do_extend_plans()
