"""Device platforms, readings, and the alerts and urgent visits they raise."""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import log_access
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_screen_and_route,
    do_submit_case,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.casework.notify import notify
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from .. import alerts
from ..models import (
    Alert,
    Device,
    DevicePlatform,
    DeviceReading,
    FamilyLink,
    HomeVisit,
    VisitContact,
)
from ..services import URGENT_VISIT
from .common import _lock

# =========================================================================== devices and alerts


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_register_platform(*, acting_user, name: str) -> tuple[DevicePlatform, str]:
    """A new platform and its token, returned once; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    platform = _save(
        DevicePlatform(name=name, token_hash=hash_token(token), token_hint=token[:6]), acting_user
    )
    return platform, token


@transaction.atomic
def do_rotate_platform_token(platform: DevicePlatform, *, acting_user) -> str:
    platform = _lock(DevicePlatform, platform.pk)
    token = secrets.token_urlsafe(32)
    platform.token_hash = hash_token(token)
    platform.token_hint = token[:6]
    _save(platform, acting_user, "token rotated")
    return token


def platform_for_token(token: str) -> DevicePlatform | None:
    if not token:
        return None
    return DevicePlatform.objects.filter(token_hash=hash_token(token), is_active=True).first()


@transaction.atomic
def do_register_device(
    platform: DevicePlatform, *, acting_user, external_id: str, person: Person, kind="watch"
) -> Device:
    return _save(
        Device(platform=platform, external_id=external_id, person=person, kind=kind), acting_user
    )


@transaction.atomic
def do_receive_readings(platform: DevicePlatform, readings: list[dict]) -> dict:
    """Store validated readings (see api.parse_readings) and raise their alerts, all in one
    transaction: either everything of a post is stored or nothing is. A reading whose event id
    the platform already sent is skipped (a retry), which makes posting idempotent even when
    two copies arrive at once (the second waits on the unique index, then is skipped)."""
    accepted, duplicates, raised = 0, 0, []
    for r in readings:
        try:
            with transaction.atomic():
                reading = DeviceReading.objects.create(
                    platform=platform,
                    event_id=r["event_id"],
                    device=r["device"],
                    person_id=r["device"].person_id,
                    kind=r["kind"],
                    value=r["value"],
                    recorded_at=r["recorded_at"],
                )
        except IntegrityError:
            duplicates += 1
            continue
        accepted += 1
        alert = _raise_alert(reading)
        if alert is not None:
            raised.append(alert)
    DevicePlatform.objects.filter(pk=platform.pk).update(last_used_at=timezone.now())
    return {
        "accepted": accepted,
        "duplicates": duplicates,
        "alerts": [{"id": a.pk, "severity": a.get_severity_display()} for a in raised],
    }


def _raise_alert(reading: DeviceReading) -> Alert | None:
    person = Person.objects.get(pk=reading.person_id)
    severity = alerts.classify(
        reading.kind, reading.value, person.residence_region_id, timezone.localdate()
    )
    if severity is None:
        return None
    alert = _save(
        Alert(
            reading=reading,
            person=person,
            region_id=person.residence_region_id,
            kind=reading.kind,
            value=reading.value,
            severity=severity,
        ),
        None,
    )
    if severity == Alert.Severity.SEVERE:
        case = _open_or_join_visit(alert, person)
        alert.visit_case = case
        _save(alert, None)
        _notify_family(alert, person, case)
    return alert


def _open_or_join_visit(alert: Alert, person: Person) -> Case:
    """An urgent home-visit case routed to the office of the elder's residence: the community
    office when there is one, else the township's. A second severe alert while a visit is
    still open joins that case instead of opening another."""
    existing = (
        Case.objects.select_for_update()
        .filter(service=URGENT_VISIT, beneficiary=person, closed_at__isnull=True)
        .first()
    )
    if existing is not None:
        add_event(
            existing,
            CaseEvent.Kind.NOTE,
            message=lambda: _("Another alert: %(message)s") % {"message": alert.text},
            data={"alert": alert.pk},
        )
        return existing
    # The elder is the case's subject: the queue and the case page name them.
    case = do_create_case(
        acting_user=None,
        service=URGENT_VISIT,
        region=person.residence_region,
        applicant=person,
        beneficiary=person,
        channel=Case.Channel.PROACTIVE,
        priority=Case.Priority.URGENT,
    )
    _save(HomeVisit(case=case, alert=alert), None)
    do_submit_case(
        case,
        acting_user=None,
        message=lambda: (
            _("Your health device raised an alert (%(message)s). Someone will visit you.")
            % {"message": alert.text}
        ),
    )
    do_screen_and_route(case.pk)
    return case


def _notify_family(alert: Alert, person: Person, case: Case):
    links = FamilyLink.objects.confirmed().filter(elder=person).select_related("family__person")
    local = timezone.localtime(alert.reading.recorded_at)

    def body():
        return _(
            "%(message)s (%(time)s). The community office has been asked to visit (%(ref)s)."
        ) % {"message": alert.text, "time": f"{local:%Y-%m-%d %H:%M}", "ref": case.reference}

    for link in links:
        if link.family.person_id:
            notify(
                link.family.person,
                lambda: _("Urgent: alert for %(name)s") % {"name": person.name},
                body,
            )


@transaction.atomic
def do_handle_alert(alert: Alert, *, acting_user) -> Alert:
    """A warning looked into by staff (a phone call): marked handled."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if not Alert.objects.visible_to(acting_user).filter(pk=alert.pk).exists():
        raise PermissionDenied
    if alert.status != Alert.Status.OPEN:
        raise ValidationError(_("This alert has already been handled."))
    alert.status = Alert.Status.HANDLED
    return _save(alert, acting_user, "handled")


def do_reveal_visit_phone(visit: HomeVisit, *, acting_user, key: str, request=None) -> VisitContact:
    """The full phone number of one person the visiting staff must call (the elder, or a
    confirmed family member), for the staff who may record the visit while it is to be made
    (HomeVisit.may_reveal_phones); each reveal writes one access-log entry against the person
    whose number it shows."""
    if not visit.may_reveal_phones(acting_user):
        raise PermissionDenied
    contact = next((c for c in visit.contacts() if c.key == key), None)
    if contact is None or not contact.phone:
        raise ValidationError(_("There is no phone number to show for this person."))
    log_access(
        acting_user,
        AccessLog.Action.REVEAL_PHONE,
        contact.subject,
        detail=f"urgent visit {visit.case.reference}",
        request=request,
    )
    return contact
