"""At the registry's counter: the legal checks, the check-in that starts the counter's case
steps, certificates issued and printed, the divorce deadlines, a replacement certificate."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import log_access
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_route_case,
    do_submit_case,
    do_transition,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from .. import checks as legal
from ..models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    RegistrationOffice,
    checks_shown,
)
from ..queries import is_registrar
from .common import (
    SERVICE,
    _fire,
    _notify,
    _require_registrar,
    lock_app,
    lock_people,
    next_certificate_number,
)


def run_checks(app: MarriageApplication, a: Person, b: Person) -> list[dict]:
    if app.kind == MarriageApplication.Kind.REGISTRATION:
        results = legal.registration_checks(a, b, timezone.localdate())
        if app.relation_cleared_at is not None:
            day = timezone.localdate(app.relation_cleared_at).isoformat()
            for c in results:
                if c["code"] == "relation" and c["outcome"] == legal.REFER:
                    c["outcome"] = legal.PASS
                    for code, texts in c["texts"].items():
                        with translation.override(code):
                            texts["reason"] = _(
                                "Reviewed on %(day)s: %(finding)s (before: %(before)s)"
                            ) % {
                                "day": day,
                                "finding": app.relation_clearance,
                                "before": texts["reason"],
                            }
                    c["reason"] = checks_shown([c])[0]["reason"]
        return results
    return legal.divorce_checks(a, b)


def store_checks(app, results, acting_user):
    app.checks = results
    app.checked_at = timezone.now()
    _save(app, acting_user, "checks")
    add_event(
        app.case,
        CaseEvent.Kind.SCREENING,
        actor=acting_user,
        public=False,
        message=lambda: "\n".join(
            f"{c['label']}: {c['outcome']} — {c['reason']}" for c in checks_shown(results)
        ),
        data={"checks": results, "outcome": legal.overall(results)},
    )


def too_early(app: MarriageApplication, today: dt.date | None = None) -> str | None:
    """Why the couple cannot be checked in today: their appointment is on a later day (on the
    day itself, at any hour, they can). None when they may be."""
    day = app.appointment_day()
    if day is not None and day > (today or timezone.localdate()):
        return _(
            "The appointment is on %(day)s: the couple can be checked in on that day, not "
            "before. If they want an earlier day, they change the appointment."
        ) % {"day": day.isoformat()}
    return None


@transaction.atomic
def do_check_in(app: MarriageApplication, *, acting_user) -> MarriageApplication:
    """The couple is at the counter. On the day they apply, the application is submitted (the
    platform's SLA clock starts) and checked in: the appointment is attended and every legal
    check runs (the "check_in" step, marriage.handlers); a possible prohibited relation then
    stops a marriage registration for review ("refer"). On the day they collect a divorce
    certificate, the checks run again on the marriage to be dissolved. Never before the day of
    their appointment."""
    app = lock_app(app)
    if not is_registrar(acting_user, app.registry_id):
        raise PermissionDenied
    if (early := too_early(app)) is not None:
        raise ValidationError(early, code="early")
    case = app.case
    if case.state == "booked":
        # Submitted by the check-in itself (marriage.workflow: the system's step), never alone.
        do_submit_case(
            case,
            acting_user=None,
            message=lambda: (
                _("You are at the registry's counter; reference number %(ref)s.")
                % {"ref": case.reference}
            ),
        )
        do_transition(case, "check_in", acting_user=acting_user)
        app.refresh_from_db()
        if app.kind == MarriageApplication.Kind.REGISTRATION and app.check_outcome() == legal.REFER:
            relation = next(c for c in app.checks if c["outcome"] == legal.REFER)
            do_transition(case, "refer", acting_user=acting_user, reason=relation["reason"])
    elif case.state in ("cooling_off", "collection"):
        a, b = lock_people(app.party_a, app.party_b)
        for ap in app.appointments.select_for_update(of=("self",)).filter(
            purpose=Appointment.Purpose.COLLECT, status__in=Appointment.HOLDING
        ):
            ap.status = Appointment.Status.ATTENDED
            _save(ap, acting_user, "attended")
        store_checks(app, run_checks(app, a, b), acting_user)
    else:
        raise ValidationError(_("The couple has already been checked in."))
    app.case.refresh_from_db()
    return app


def require_checks_pass(results):
    failures = [c for c in results if c["outcome"] != legal.PASS]
    if failures:
        raise ValidationError(
            [
                _("%(label)s: %(reason)s") % {"label": c["label"], "reason": c["reason"]}
                for c in failures
            ]
        )


def issue_certificates(app, record, kind, *, acting_user, day, number=None) -> list[Certificate]:
    """One certificate for each spouse, under one number (issued now unless given)."""
    number = number or next_certificate_number(app.registry, kind, day)
    return [
        _save(
            Certificate(
                number=number,
                kind=kind,
                record=record,
                holder=person,
                registry=app.registry,
                issued_on=day,
                application=app,
            ),
            acting_user,
        )
        for person in (record.man, record.woman)
    ]


def do_print_certificate(certificate: Certificate, *, acting_user, request=None) -> AccessLog:
    """A registrar of the registry that issued the certificate prints it, with both parties'
    full ID numbers and birth dates (a certificate is a legal document): one reveal in the
    platform's access log, naming the registrar, the case (the certificate itself when it has
    none, as for records older than the portal) and why."""
    _require_registrar(acting_user, certificate.registry_id)
    target = certificate.application.case if certificate.application_id else certificate
    return log_access(
        acting_user,
        AccessLog.Action.REVEAL_ID,
        target,
        detail=f"printed certificate {certificate.number}: full ID numbers of both parties",
        request=request,
    )


def do_divorce_deadlines(*, today: dt.date | None = None) -> dict:
    """The calendar of divorce by agreement, run daily: the cooling-off period ends → the
    collection period opens; the collection period ends → deemed withdrawn; seven days before
    its end, both are reminded. Idempotent: each step moves a case out of the state it looks
    for, or marks the reminder sent. Each case in its own transaction."""
    today = today or timezone.localdate()
    done = {"opened": 0, "deemed_withdrawn": 0, "reminded": 0}
    for app in MarriageApplication.objects.filter(
        kind=MarriageApplication.Kind.DIVORCE, case__state="cooling_off", cooling_off_ends__lt=today
    ).only("pk"):
        with transaction.atomic():
            app = lock_app(app)
            if app.case.state != "cooling_off" or app.cooling_off_ends >= today:
                continue
            _fire(
                app.case,
                "open_collection",
                acting_user=None,
                public_message=lambda app=app: (
                    _(
                        "The cooling-off period is over. Both of you must come together to the "
                        "registry to collect the divorce certificate by %(end)s; book a time under "
                        "“My marriage registration”. Otherwise the application is deemed withdrawn."
                    )
                    % {"end": app.collection_ends.isoformat()}
                ),
            )
            done["opened"] += 1
    for app in MarriageApplication.objects.filter(
        kind=MarriageApplication.Kind.DIVORCE, case__state="collection", collection_ends__lt=today
    ).only("pk"):
        with transaction.atomic():
            app = lock_app(app)
            if app.case.state != "collection" or app.collection_ends >= today:
                continue
            _fire(
                app.case,
                "deem_withdrawn",
                acting_user=None,
                reason=lambda app=app: (
                    _(
                        "The divorce certificate was not collected by both parties by %(end)s; the "
                        "application is deemed withdrawn (Civil Code Art. 1077)."
                    )
                    % {"end": app.collection_ends.isoformat()}
                ),
            )
            done["deemed_withdrawn"] += 1
    soon = today + dt.timedelta(days=7)
    for app in MarriageApplication.objects.filter(
        kind=MarriageApplication.Kind.DIVORCE,
        case__state="collection",
        collection_ends__gte=today,
        collection_ends__lte=soon,
        window_reminded_at__isnull=True,
    ).only("pk"):
        with transaction.atomic():
            app = lock_app(app)
            if app.window_reminded_at is not None:
                continue

            def title(app=app):
                return _("Divorce certificate: collect it by %(end)s") % {
                    "end": app.collection_ends.isoformat()
                }

            def body(app=app):
                return _(
                    "Both of you must come together to %(registry)s by %(end)s, or the "
                    "divorce application %(ref)s is deemed withdrawn."
                ) % {
                    "registry": app.registry.name,
                    "end": app.collection_ends.isoformat(),
                    "ref": app.case.reference,
                }

            for person in app.parties():
                _notify(person, app.case, title, body)
            app.window_reminded_at = timezone.now()
            _save(app, None, "reminded")
            done["reminded"] += 1
    return done


@transaction.atomic
def do_replace_certificate(
    certificate: Certificate, *, acting_user, registry: RegistrationOffice, reason: str = ""
) -> Certificate:
    """补领: the holder lost their certificate. A replacement case is opened at the counter, the
    holder's identity is checked, the lost booklet is voided and a replacement with a number of
    its own (BJ/BL) is issued."""
    from ..adapters import get_adapter

    _require_registrar(acting_user, registry.pk)
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("record", "holder")
        .get(pk=certificate.pk)
    )
    if certificate.voided_on is not None:
        raise ValidationError(_("This certificate is void already; replace the current one."))
    record = certificate.record
    if certificate.is_divorce != (record.status == MarriageRecord.Status.DIVORCED):
        raise ValidationError(_("Only the certificate of the current status can be replaced."))
    holder = lock_people(certificate.holder)[0]
    identity = get_adapter().verify_identity(holder)
    if not identity.ok:
        raise ValidationError(identity.reason)
    case = do_create_case(
        acting_user=acting_user,
        service=SERVICE[MarriageApplication.Kind.REPLACEMENT],
        region=registry.office.region,
        applicant=holder,
        channel=Case.Channel.COUNTER,
    )
    case = do_route_case(case)
    _save(
        MarriageApplication(
            case=case,
            kind=MarriageApplication.Kind.REPLACEMENT,
            registry=registry,
            record=record,
            holder=holder,
            checked_at=timezone.now(),
            checks=legal.in_languages(
                lambda: [
                    legal.Check(
                        f"identity-{holder.pk}",
                        _("Identity of %(name)s") % {"name": holder.name},
                        legal.PASS,
                        identity.reason,
                    )
                ]
            ),
        ),
        acting_user,
    )
    do_submit_case(case, acting_user=acting_user)
    # The step's handler (marriage.handlers.issue_replacement) voids the lost certificate and
    # issues the replacement.
    do_transition(
        case,
        "issue",
        acting_user=acting_user,
        values={"certificate": certificate.pk, "lost_how": reason},
    )
    return Certificate.objects.get(replaces=certificate)
