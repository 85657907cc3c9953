from celery import shared_task
from django.utils import timezone

from .actions import do_schedule_month


@shared_task(name="benefits.schedule_month_task")
def schedule_month_task() -> int:
    """Daily, so a missed day is caught up; once the month is scheduled it adds nothing."""
    return do_schedule_month(timezone.localdate())


@shared_task(name="benefits.prepare_batches_task", acks_late=True)
def prepare_batches_task() -> int:
    """Daily: the month's batch of each county with payments due, once a month per county."""
    from .actions import do_prepare_due_batches

    return do_prepare_due_batches()
