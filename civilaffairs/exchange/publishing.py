"""Announcing an event to the departments subscribed to it (webhooks.py says how). Called by
the exchange's receivers of the platform's signals and by a domain for what only it knows
(the registry's marriages): `publish(kind, region_code=, level=, data_for=)`."""

from django.db import transaction
from django.utils import timezone

from .models import Delivery
from .tasks import deliver_task
from .webhooks import make_deliveries


def publish(kind: str, *, region_code: str, level: int, data_for) -> int:
    ids = make_deliveries(kind, region_code=region_code, level=level, data_for=data_for)
    if ids:
        transaction.on_commit(lambda: [deliver_task.delay(pk) for pk in ids])
    return len(ids)


def do_resend_deliveries(queryset, *, acting_user) -> list[int]:
    """Give deliveries (failed ones, say, once the subscriber is fixed) a fresh set of
    attempts, sent after commit."""
    del acting_user  # the admin's log entry records who
    with transaction.atomic():
        ids = list(queryset.exclude(status=Delivery.Status.DELIVERED).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: [deliver_task.delay(pk) for pk in ids])
    return ids
