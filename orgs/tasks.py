"""Periodic work of the social-organization domain. Each task takes no objects, is idempotent
and calls an action."""

from celery import shared_task


@shared_task(name="orgs.flag_late_filers_task", acks_late=True)
def flag_late_filers_task():
    """Flag and notify organizations whose annual report is past its deadline (one flag per
    organization and year), restricting those that fail repeatedly."""
    from .actions import do_flag_late_filers

    return do_flag_late_filers()


@shared_task(name="orgs.run_matching_task", acks_late=True)
def run_matching_task():
    """Lapse out-of-date needs, offers and unanswered proposals, then propose offers for the
    open needs, most urgent first."""
    from .actions import do_run_matching

    return do_run_matching()
