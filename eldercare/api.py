"""The health-device endpoint: a device platform posts readings as JSON.

    POST /eldercare/api/readings/
    Authorization: Bearer <the platform's token>
    Content-Type: application/json

    {"event_id": "evt-1", "device_id": "W-001", "type": "heart_rate", "value": 128,
     "recorded_at": "2026-11-22T08:30:00+08:00"}
    or {"readings": [ ...up to 100 of the above... ]}

`type` is heart_rate (value: beats per minute), fall, sos or inactivity (value: hours without
activity). Answers: 201 with what was stored and the alerts raised; 200 when every reading was
a repeat (same event id: nothing new is stored, so a platform may retry safely); 400 with the
reason of every problem, and nothing stored, when any reading is wrong (or the body is not
JSON); 401 without a valid token; 413 when the body is too large; 415 when it is not sent as
application/json. One post is one transaction: never half-saved.
"""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import actions
from .models import Device, ReadingKind

MAX_READINGS = 100
MAX_BODY = 256 * 1024
# Value ranges a sane device reports; anything outside is a broken payload, not an alert.
RANGES = {
    ReadingKind.HEART_RATE: (Decimal(1), Decimal(300)),
    ReadingKind.INACTIVITY: (Decimal(0), Decimal(24 * 30)),
}
FUTURE_SLACK = dt.timedelta(minutes=5)
# Older readings are a broken clock or a replay, not something to raise an alert for.
EARLIEST_READING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _bad(details, status=400):
    return JsonResponse({"error": "invalid payload", "details": details}, status=status)


def _token(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _is_text(value, longest: int) -> bool:
    """A string of 1 to `longest` characters that PostgreSQL can store: JSON may carry a NUL
    ("\\u0000") or half of a surrogate pair ("\\ud800"), which no text column holds."""
    if not isinstance(value, str) or not value.strip() or len(value) > longest:
        return False
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _recorded_at(value):
    """The reading's time, or None when it is not an ISO 8601 time with its UTC offset."""
    if not isinstance(value, str) or not _is_text(value, 40):
        return None
    try:
        when = parse_datetime(value)
    except ValueError:  # well-formed but impossible: 2026-02-30, an offset of 99 hours
        return None
    return None if when is None or timezone.is_naive(when) else when


def parse_readings(platform, body) -> tuple[list[dict], list[dict]]:
    """(readings ready to store, problems). Problems name the reading (by index) and field."""
    if isinstance(body, dict) and "readings" in body:
        items = body["readings"]
        if not isinstance(items, list) or not items:
            return [], [{"field": "readings", "reason": "must be a non-empty list"}]
    elif isinstance(body, dict):
        items = [body]
    else:
        return [], [{"reason": "the body must be a JSON object"}]
    if len(items) > MAX_READINGS:
        return [], [{"field": "readings", "reason": f"at most {MAX_READINGS} per post"}]
    external_ids = {_device_id(i.get("device_id")) for i in items if isinstance(i, dict)} - {None}
    devices = {
        d.external_id: d
        for d in Device.objects.filter(
            platform=platform, external_id__in=external_ids, is_active=True
        ).select_related("person")
    }
    out, problems = [], []
    now = timezone.now()
    for index, item in enumerate(items):

        def problem(field, reason, index=index):
            problems.append({"index": index, "field": field, "reason": reason})

        if not isinstance(item, dict):
            problem("", "each reading must be a JSON object")
            continue
        event_id = item.get("event_id")
        if not _is_text(event_id, 100):
            problem("event_id", "required: a string of 1 to 100 characters")
        device_id = _device_id(item.get("device_id"))
        device = devices.get(device_id) if device_id is not None else None
        if device_id is None:
            problem("device_id", "required: a string of 1 to 64 characters")
        elif device is None:
            problem("device_id", "unknown device for this platform")
        elif not device.person.is_alive:
            problem("device_id", "the device's wearer is recorded as deceased")
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in ReadingKind.values:
            problem("type", f"must be one of {', '.join(ReadingKind.values)}")
        value = item.get("value")
        number = None
        if kind in RANGES:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                problem("value", "required: a number")
            else:
                try:
                    number = Decimal(str(value))
                except InvalidOperation:
                    number = None
                low, high = RANGES[kind]
                if number is None or not number.is_finite():
                    problem("value", "required: a number")
                elif not low <= number <= high:
                    problem("value", f"out of range ({low} to {high})")
        elif value is not None:
            problem("value", "this type of reading has no value")
        when = _recorded_at(item.get("recorded_at"))
        if when is None:
            problem("recorded_at", "required: an ISO 8601 time with its UTC offset")
        elif when > now + FUTURE_SLACK:
            problem("recorded_at", "is in the future")
        elif when < EARLIEST_READING:
            problem("recorded_at", f"is before {EARLIEST_READING:%Y-%m-%d}")
        if not any(p["index"] == index for p in problems if "index" in p):
            out.append(
                {
                    "event_id": event_id.strip(),
                    "device": device,
                    "kind": kind,
                    "value": number,
                    "recorded_at": when,
                }
            )
    return out, problems


def _device_id(value) -> str | None:
    """A device number as the platform sends it (a string, or a plain number), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if _is_text(value, 64) else None


@csrf_exempt
@require_POST
def readings(request):
    platform = actions.platform_for_token(_token(request))
    if platform is None:
        return JsonResponse({"error": "a valid platform token is required"}, status=401)
    if request.content_type != "application/json":
        # Read only as JSON: a form or multipart body is refused before it is parsed.
        return _bad([{"reason": "the body must be sent as application/json"}], status=415)
    if len(request.body) > MAX_BODY:
        return _bad([{"reason": "the body is too large"}], status=413)
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # ValueError covers malformed JSON and a number of more than 4,300 digits.
        return _bad([{"reason": f"not valid JSON: {exc}"}])
    except RecursionError:
        return _bad([{"reason": "not valid JSON: nested too deeply"}])
    parsed, problems = parse_readings(platform, body)
    if problems:
        return _bad(problems)
    result = actions.do_receive_readings(platform, parsed)
    return JsonResponse(result, status=201 if result["accepted"] else 200)
