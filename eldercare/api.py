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
reason of every problem, and nothing stored, when any reading is wrong; 401 without a valid
token. One post is one transaction: never half-saved.
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


def _bad(details, status=400):
    return JsonResponse({"error": "invalid payload", "details": details}, status=status)


def _token(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


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
    external_ids = {str(i.get("device_id")) for i in items if isinstance(i, dict)}
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
        if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 100:
            problem("event_id", "required: a string of 1 to 100 characters")
        device = devices.get(str(item.get("device_id")))
        if device is None:
            problem("device_id", "unknown device for this platform")
        elif not device.person.is_alive:
            problem("device_id", "the device's wearer is recorded as deceased")
        kind = item.get("type")
        if kind not in ReadingKind.values:
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
        recorded = item.get("recorded_at")
        when = parse_datetime(recorded) if isinstance(recorded, str) else None
        if when is None or timezone.is_naive(when):
            problem("recorded_at", "required: an ISO 8601 time with its UTC offset")
        elif when > now + FUTURE_SLACK:
            problem("recorded_at", "is in the future")
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


@csrf_exempt
@require_POST
def readings(request):
    platform = actions.platform_for_token(_token(request))
    if platform is None:
        return JsonResponse({"error": "a valid platform token is required"}, status=401)
    if len(request.body) > MAX_BODY:
        return _bad([{"reason": "the body is too large"}], status=413)
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _bad([{"reason": f"not valid JSON: {exc}"}])
    parsed, problems = parse_readings(platform, body)
    if problems:
        return _bad(problems)
    result = actions.do_receive_readings(platform, parsed)
    return JsonResponse(result, status=201 if result["accepted"] else 200)
