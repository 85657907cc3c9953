"""Telling subscribers what happened: publish (in the causing transaction), sign, send.

`make_deliveries(kind, region_code, level, data_for)` writes one Delivery per subscription whose grant
is in force, holds the event's read endpoint and covers the event's region and level; the body
is shaped for that grant by `data_for(principal)` (a full ID number only for a grant that shows
them). Each delivery is sent after commit by `deliver_task`; a failure is retried after
WEBHOOK_RETRY_BASE_SECONDS × 2^(attempts-1), up to WEBHOOK_MAX_ATTEMPTS; beat re-queues any
delivery whose time has come (a lost task loses nothing).

The subscriber checks `X-Civilaffairs-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256 over "<t>.<body>" with the subscription's signing secret, and refuses a t more
than five minutes old (replay). `X-Civilaffairs-Event` is the event id: the same event sent
again (a retry) carries the same id.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .auth import principal_of
from .models import EVENT_NEEDS, ApiGrant, Delivery, Subscription

log = logging.getLogger(__name__)


def _covers(principal, region_code: str, level: int) -> bool:
    grant = principal.grant
    return region_code.startswith(grant.region_prefix) and level <= grant.max_level


def make_deliveries(kind: str, *, region_code: str, level: int, data_for) -> list[int]:
    """One delivery per subscriber allowed to hear of it, in the caller's transaction; their
    ids (publishing.publish queues them after commit)."""
    now = timezone.now()
    event_id = uuid.uuid4()
    made = []
    grants = ApiGrant.objects.in_force(now).filter(
        endpoints__contains=[EVENT_NEEDS[kind]], subscriptions__is_active=True
    )
    subs = (
        Subscription.objects.filter(grant__in=grants, is_active=True, kinds__contains=[kind])
        .select_related("grant__application", "grant__region")
        .distinct()
    )
    for sub in subs:
        principal = principal_of(sub.grant)
        if not _covers(principal, region_code, level):
            continue
        body = {
            "id": str(event_id),
            "kind": kind,
            "occurred_at": now.isoformat(),
            "data": data_for(principal),
        }
        made.append(
            Delivery.objects.create(
                subscription=sub,
                event_id=event_id,
                kind=kind,
                body=json.loads(json.dumps(body, cls=DjangoJSONEncoder)),
                next_attempt_at=now,
            )
        )
    return [d.pk for d in made]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def address_allowed(url: str) -> bool:
    """http(s) only, and unless WEBHOOK_ALLOW_PRIVATE_HOSTS, never an address inside our own
    network (loopback, private, link-local): a subscription must not reach internal services."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    if settings.WEBHOOK_ALLOW_PRIVATE_HOSTS:
        return True
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return False
    return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer, not a delivery: retried like any other


_opener = urllib.request.build_opener(_NoRedirect)


def _send(delivery: Delivery) -> tuple[int | None, str]:
    sub = delivery.subscription
    if not address_allowed(sub.url):
        return None, "address not allowed"
    body = json.dumps(delivery.body, ensure_ascii=False, separators=(",", ":")).encode()
    stamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (scheme checked in address_allowed)
        sub.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Civilaffairs-Event": str(delivery.event_id),
            "X-Civilaffairs-Kind": delivery.kind,
            "X-Civilaffairs-Signature": signature(sub.signing_secret, stamp, body),
            "User-Agent": "civilaffairs-webhooks/1",
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, type(exc).__name__


def deliver(delivery_id: int) -> tuple[str, int | None]:
    """Send one delivery if it is due and record the answer: (status, seconds until the retry,
    or None). Idempotent: a delivery already delivered (or failed for good) is not sent
    again."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped", None
        if delivery.next_attempt_at > timezone.now():
            return "not due", None
        status, error = _send(delivery)
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error[:200]
        if status is not None and 200 <= status < 300:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            wait = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = timezone.now() + dt.timedelta(seconds=wait)
        delivery.save()
    if delivery.status == Delivery.Status.PENDING:
        return delivery.status, wait
    return delivery.status, None


def due_deliveries() -> list[int]:
    return list(
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:1000]
    )


def region_of_person(person) -> str:
    return person.residence_region_id or person.hukou_region_id or ""
