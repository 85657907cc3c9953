"""Turning a device reading into an alert: fixed severities for events that always need a
person (a fall, an SOS press), and thresholds per region for measured values, held as rule
parameters of the "health_alerts" program so that each area sets its own (DOMAIN.md: numbers
that vary are configurable). The eligibility engine answers pass / fail / refer, which is not
a severity; the thresholds are read with the same nearest-ancestor parameter lookup."""

import datetime as dt
from decimal import Decimal

from civilaffairs.rules.models import Parameter, Program

from .facts import ALERT_PROGRAM
from .models import Alert, ReadingKind

THRESHOLD_KEYS = (
    "heart_rate_high_warning",
    "heart_rate_high_severe",
    "heart_rate_low_warning",
    "heart_rate_low_severe",
    "inactivity_warning_hours",
    "inactivity_severe_hours",
)


def thresholds(region_code: str, as_of: dt.date) -> dict[str, Decimal]:
    program = Program.objects.filter(code=ALERT_PROGRAM).first()
    rows = Parameter.objects.for_program(program).resolve(THRESHOLD_KEYS, region_code, as_of)
    return {key: row.value for key, row in rows.items()}


def classify(kind: str, value: Decimal | None, region_code: str, as_of: dt.date):
    """The severity a reading calls for, or None when it needs no alert. What the alert says is
    not decided here: it keeps the kind and the value, put in words when read
    (models.reading_text)."""
    if kind in (ReadingKind.FALL, ReadingKind.SOS):
        return Alert.Severity.SEVERE
    limits = thresholds(region_code, as_of)
    if kind == ReadingKind.HEART_RATE and value is not None:
        high_severe = limits.get("heart_rate_high_severe")
        low_severe = limits.get("heart_rate_low_severe")
        high_warning = limits.get("heart_rate_high_warning")
        low_warning = limits.get("heart_rate_low_warning")
        if (high_severe is not None and value >= high_severe) or (
            low_severe is not None and value <= low_severe
        ):
            return Alert.Severity.SEVERE
        if (high_warning is not None and value >= high_warning) or (
            low_warning is not None and value <= low_warning
        ):
            return Alert.Severity.WARNING
        return None
    if kind == ReadingKind.INACTIVITY and value is not None:
        severe = limits.get("inactivity_severe_hours")
        warning = limits.get("inactivity_warning_hours")
        if severe is not None and value >= severe:
            return Alert.Severity.SEVERE
        if warning is not None and value >= warning:
            return Alert.Severity.WARNING
    return None
