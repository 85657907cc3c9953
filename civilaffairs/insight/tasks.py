from celery import shared_task

from .actions import do_count_recent


@shared_task(name="insight.count_recent_task", acks_late=True)
def count_recent_task() -> int:
    """Every few minutes: this month's figures (and last month's, in its first week after)
    counted again. Idempotent; a count lost with its worker is simply made by the next run."""
    return len(do_count_recent())
