import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ImportBatch
from .run import run_batch


# acks_late: a worker that dies mid-batch leaves the message to another worker; the batch goes
# on from its last committed chunk either way (run.py).
@shared_task(name="civilaffairs.imports.tasks.run_import_task", acks_late=True)
def run_import_task(batch_id: int):
    return run_batch(batch_id)


@shared_task(name="civilaffairs.imports.tasks.resume_stalled_task")
def resume_stalled_task():
    """Batches that made no progress for IMPORT_STALL_SECONDS (their worker died, or the task
    was lost with the broker) are queued again."""
    before = timezone.now() - dt.timedelta(seconds=settings.IMPORT_STALL_SECONDS)
    stalled = (
        ImportBatch.objects.exclude(phase__in=[ImportBatch.Phase.DONE, ImportBatch.Phase.FAILED])
        .filter(Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, created_at__lt=before))
        .values_list("pk", flat=True)
    )
    queued = list(stalled)
    for pk in queued:
        run_import_task.delay(pk)
    return queued
