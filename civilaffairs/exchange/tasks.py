from celery import shared_task

from .actions import do_purge_api_calls


@shared_task(name="civilaffairs.exchange.tasks.purge_api_calls_task")
def purge_api_calls_task():
    return do_purge_api_calls()
