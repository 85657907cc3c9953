import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import AccessLog


@shared_task(name="civilaffairs.accounts.tasks.purge_access_logs_task")
def purge_access_logs_task():
    """Access logs are kept for ACCESS_LOG_RETENTION_DAYS (at least the six months the
    Cybersecurity Law asks), then removed. Idempotent: it deletes by age only."""
    cutoff = timezone.now() - dt.timedelta(days=max(settings.ACCESS_LOG_RETENTION_DAYS, 183))
    deleted, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
    return deleted
