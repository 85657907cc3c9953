"""Periodic work of social assistance. Each task takes no objects, is idempotent, and calls
an action."""

from celery import shared_task
from django.utils import timezone


@shared_task(name="assistance.end_notices_task", acks_late=True)
def end_notices_task():
    """Send to the county every case whose 7-working-day notice ended without an open
    objection. Cases with an open objection stay for the caseworker."""
    from django.core.exceptions import ValidationError

    from .actions import do_end_notice
    from .models import AssistanceApplication

    moved = 0
    due = AssistanceApplication.objects.filter(
        case__state="notice", notice_end__lt=timezone.localdate()
    )
    for app in due.only("pk"):
        try:
            do_end_notice(app, acting_user=None)
            moved += 1
        except ValidationError:
            continue
    return moved


@shared_task(name="assistance.start_reviews_task", acks_late=True)
def start_reviews_task():
    """Open the periodic reviews that have come due (idempotent: a case in review is not
    picked again)."""
    from .actions import do_start_due_reviews

    return do_start_due_reviews()


@shared_task(name="assistance.send_objection_answers_task", acks_late=True)
def send_objection_answers_task():
    """E-mail every answer to an objection that has not gone out yet (its first try, after
    the commit that recorded it, failed or was lost): each goes out once."""
    from .actions import send_objection_answer, unsent_objection_answers

    return sum(1 for pk in list(unsent_objection_answers()) if send_objection_answer(pk))
