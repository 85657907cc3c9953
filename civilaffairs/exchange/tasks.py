from celery import shared_task

from . import webhooks
from .actions import do_purge_api_calls


@shared_task(name="civilaffairs.exchange.tasks.purge_api_calls_task")
def purge_api_calls_task():
    return do_purge_api_calls()


@shared_task(name="civilaffairs.exchange.tasks.deliver_task")
def deliver_task(delivery_id: int):
    status, retry_in = webhooks.deliver(delivery_id)
    if retry_in is not None:
        deliver_task.apply_async((delivery_id,), countdown=retry_in)
    return status


@shared_task(name="civilaffairs.exchange.tasks.send_due_deliveries_task")
def send_due_deliveries_task():
    """Beat's safety net: every delivery whose time has come is queued again (a task lost with
    a worker or a broker restart delays a delivery, never loses it)."""
    for pk in webhooks.due_deliveries():
        deliver_task.delay(pk)
