from celery import shared_task
from django.core.management import call_command


@shared_task(name="civilaffairs.portal.tasks.clear_expired_sessions_task")
def clear_expired_sessions_task():
    """Database sessions are not deleted when they expire; this does it nightly."""
    call_command("clearsessions")
