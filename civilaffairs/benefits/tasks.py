from celery import shared_task
from django.utils import timezone

from .actions import do_schedule_month


@shared_task(name="benefits.schedule_month_task")
def schedule_month_task() -> int:
    """Daily, so a missed day is caught up; once the month is scheduled it adds nothing."""
    return do_schedule_month(timezone.localdate())
