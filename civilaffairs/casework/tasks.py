"""Celery tasks of the case engine. Each takes ids, is idempotent, and calls an action."""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .actions import SCREEN_CASE_TASK, do_screen_and_route, enqueue_screening
from .models import Case

log = logging.getLogger(__name__)


@shared_task(
    name=SCREEN_CASE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def screen_case_task(case_id: int):
    """Pre-screen and route one submitted case. Running it twice does nothing the second time
    (the case is no longer in its submitted state)."""
    return do_screen_and_route(case_id)


@shared_task(name="casework.sweep_submitted_task", acks_late=True)
def sweep_submitted_task():
    """Re-queue cases left in "submitted" (broker down at commit, worker killed mid-task) so no
    submission is ever lost or stuck."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SCREENING_SWEEP_AFTER_SECONDS)
    ids = list(
        Case.objects.filter(state="submitted", submitted_at__lt=cutoff, closed_at__isnull=True)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:1000]
    )
    queued = 0
    for pk in ids:
        if not enqueue_screening(pk, even_if_down=True):
            break  # the broker is away again: the next sweep takes the rest
        queued += 1
    if ids:
        log.info("sweep: %d stuck submissions, %d re-queued", len(ids), queued)
    return queued
