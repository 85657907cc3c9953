"""What the registry's case steps write besides the case's state (Transition.handler).

The engine (casework.actions.do_transition) has locked the case, checked that the user is a
registrar of the application's registry (or a party, for a withdrawal) and validated the step's
form (marriage.forms). Each handler locks the application and then the two persons (the lock
order of marriage.actions), runs the legal checks again where the law asks for it, writes the
records and returns the message both parties read."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.exchange.models import EventKind
from civilaffairs.exchange.publishing import publish
from civilaffairs.exchange.serializers import mask_for_api
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.actions import do_update_person
from civilaffairs.people.models import Person

from . import actions
from .models import COLLECTION_DAYS, COOLING_OFF_DAYS, Appointment, Certificate, MarriageRecord


def _application(case):
    return actions.lock_app(case.marriage)


def _checked_again(app, acting_user):
    """The legal checks, run again under lock on both persons (no other registry can marry or
    divorce either of them meanwhile) and recorded; a failure refuses the step."""
    a, b = actions.lock_people(app.party_a, app.party_b)
    results = actions.run_checks(app, a, b)
    actions.store_checks(app, results, acting_user)
    actions.require_checks_pass(results)
    return a, b


def check_in(case, data, acting_user):
    """The couple is at the counter: their appointment is attended and every legal check runs
    and is recorded (a possible prohibited relation is then referred: marriage.actions)."""
    app = _application(case)
    for ap in app.appointments.select_for_update(of=("self",)).filter(
        purpose=Appointment.Purpose.APPLY, status__in=Appointment.HOLDING
    ):
        ap.status = Appointment.Status.ATTENDED
        _save(ap, acting_user, "attended")
    a, b = actions.lock_people(app.party_a, app.party_b)
    actions.store_checks(app, actions.run_checks(app, a, b), acting_user)
    return None


def refer(case, data, acting_user):
    return {
        "message": lambda: _(
            "The registry must check the family relationship recorded for you before "
            "registering. You will be told the result."
        )
    }


def clear(case, data, acting_user):
    """A review found that the household data do not show a prohibited relation (e.g. step-
    relatives recorded as children of the head). The finding is kept and shown with the check,
    which runs again."""
    app = _application(case)
    finding = data["finding"].strip()
    app.relation_cleared_at = timezone.now()
    app.relation_clearance = finding
    _save(app, acting_user, "relation reviewed")
    a, b = actions.lock_people(app.party_a, app.party_b)
    actions.store_checks(app, actions.run_checks(app, a, b), acting_user)
    return {"message": finding}


def register_marriage(case, data, acting_user):
    """The checks run again; a certificate number is issued, the record written and both
    persons' marital status in the master record changes, all in the engine's transaction."""
    app = _application(case)
    a, b = _checked_again(app, acting_user)
    today = timezone.localdate()
    man, woman = (a, b) if a.sex == Person.Sex.MALE else (b, a)
    number = actions.next_certificate_number(app.registry, Certificate.Kind.MARRIAGE, today)
    record = _save(
        MarriageRecord(
            man=man,
            woman=woman,
            registry=app.registry,
            registered_on=today,
            man_age=man.age_on(today),
            woman_age=woman.age_on(today),
            certificate_number=number,
        ),
        acting_user,
    )
    actions.issue_certificates(
        app, record, Certificate.Kind.MARRIAGE, acting_user=acting_user, day=today, number=number
    )
    for person in (man, woman):
        do_update_person(
            person,
            acting_user=acting_user,
            reason=f"marriage registered {number}",
            marital_status=Person.MaritalStatus.MARRIED,
        )
    app.record = record
    app.photos_checked = True
    app.declarations_signed = True
    _save(app, acting_user, "registered")
    _tell_subscribers(record, app.registry)
    return {
        "message": lambda: (
            _("Your marriage is registered. Certificate number %(number)s.") % {"number": number}
        ),
        "data": {"certificate": number},
    }


def refuse(case, data, acting_user):
    """Refuse with the legal reason (RefuseForm wrote the letter's text into the reason)."""
    app = _application(case)
    app.refusal = data["refusal"]
    _save(app, acting_user, "refused")
    return None


def withdraw(case, data, acting_user):
    """Either party withdraws, on the portal or at the counter; the places held are given
    back by the workflow's follow-up (marriage.actions.do_after_close)."""
    party = data.get("party")
    who = (
        Person.objects.get(pk=party)
        if party
        else getattr(acting_user, "person", None) or case.applicant
    )
    name, reason = who.name, (data.get("reason") or "").strip()
    return {
        "message": lambda: " ".join(
            t for t in (_("%(name)s withdrew the application.") % {"name": name}, reason) if t
        )
    }


def receive_divorce(case, data, acting_user):
    """Receive the divorce application with the written agreement: the 30-day cooling-off
    period starts today (Civil Code Art. 1077)."""
    app = _application(case)
    a, b = _checked_again(app, acting_user)
    record = MarriageRecord.objects.in_force().of_person(a).filter(Q(man=b) | Q(woman=b)).first()
    if record is None:
        raise ValidationError(_("The marriage is not in this portal's records."))
    now = timezone.now()
    received = timezone.localdate(now)
    app.record = record
    app.received_at = now
    app.cooling_off_ends = actions.period_end(received, COOLING_OFF_DAYS)
    app.collection_ends = actions.period_end(app.cooling_off_ends, COLLECTION_DAYS)
    app.agreement_children = data["agreement_children"].strip()
    app.agreement_property = data["agreement_property"].strip()
    _save(app, acting_user, "received")
    cool, start, end = app.cooling_off_ends, app.collection_starts, app.collection_ends
    return {
        "message": lambda: (
            _(
                "Your divorce application was received on %(day)s. Cooling-off period until "
                "%(cool)s: either of you may withdraw it until then. From %(start)s to %(end)s both "
                "of you must come together to collect the divorce certificate; otherwise the "
                "application is deemed withdrawn."
            )
            % {
                "day": received.isoformat(),
                "cool": cool.isoformat(),
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
    }


def register_divorce(case, data, acting_user):
    """Issue the divorce certificate in the collection period (day 31 to 60 after receipt):
    the marriage record is dissolved and both persons become divorced in the master record."""
    app = _application(case)
    today = timezone.localdate()
    if today > app.collection_ends:
        raise ValidationError(
            _(
                "The certificate had to be collected by %(end)s; the application is deemed "
                "withdrawn (Civil Code Art. 1077)."
            )
            % {"end": app.collection_ends.isoformat()}
        )
    _checked_again(app, acting_user)
    record = MarriageRecord.objects.select_for_update().get(pk=app.record_id)
    record.status = MarriageRecord.Status.DIVORCED
    record.dissolved_on = today
    record.dissolved_registry = app.registry
    _save(record, acting_user, "divorce registered")
    certificates = actions.issue_certificates(
        app, record, Certificate.Kind.DIVORCE, acting_user=acting_user, day=today
    )
    number = certificates[0].number
    for person in (record.man, record.woman):
        do_update_person(
            person,
            acting_user=acting_user,
            reason=f"divorce registered {number}",
            marital_status=Person.MaritalStatus.DIVORCED,
        )
    for ap in app.appointments.select_for_update(of=("self",)).filter(
        status__in=Appointment.HOLDING
    ):
        ap.status = Appointment.Status.ATTENDED
        _save(ap, acting_user, "attended")
    return {
        "message": lambda: (
            _("Your divorce is registered. Divorce certificate number %(number)s.")
            % {"number": number}
        ),
        "data": {"certificate": number},
    }


def issue_replacement(case, data, acting_user):
    """补领: the lost certificate is voided and a replacement with a number of its own (BJ/BL) is
    issued to the holder; both read the numbers in their own language."""
    app = _application(case)
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=data["certificate"].pk)
    if certificate.voided_on is not None:
        raise ValidationError(_("This certificate is void already; replace the current one."))
    # A divorce leaves the marriage certificates unvoided: only the certificate of the record's
    # status now is replaced (the counter checks this too, before it opens the case).
    divorced = MarriageRecord.objects.get(pk=app.record_id).status == MarriageRecord.Status.DIVORCED
    if certificate.is_divorce != divorced:
        raise ValidationError(_("Only the certificate of the current status can be replaced."))
    today = timezone.localdate()
    certificate.voided_on = today
    _save(certificate, acting_user, f"lost; replaced. {data.get('lost_how', '')}".strip())
    kind = (
        Certificate.Kind.DIVORCE_REPLACEMENT
        if certificate.is_divorce
        else Certificate.Kind.MARRIAGE_REPLACEMENT
    )
    number = actions.next_certificate_number(app.registry, kind, today)
    _save(
        Certificate(
            number=number,
            kind=kind,
            record_id=app.record_id,
            holder_id=app.holder_id,
            registry=app.registry,
            issued_on=today,
            application=app,
            replaces=certificate,
        ),
        acting_user,
    )
    old = certificate.number
    return {
        "message": lambda: (
            _(
                "A replacement certificate %(number)s was issued; the lost certificate %(old)s "
                "is void."
            )
            % {"number": number, "old": old}
        ),
        "data": {"certificate": number, "replaces": old},
    }


def _tell_subscribers(record, registry):
    """Departments subscribed to marriages (public security's household registers, say) hear
    of it after commit, each with what its grant lets it read."""

    def data_for(principal):
        def shown(number):
            return number if principal.may_see_id_number else mask_for_api(number)

        return {
            "registered_on": record.registered_on.isoformat(),
            "registry": registry.office.name,
            "certificate_number": record.certificate_number,
            "id_numbers": [shown(record.man.id_number), shown(record.woman.id_number)],
        }

    publish(
        EventKind.MARRIAGE_REGISTERED,
        region_code=registry.office.region_id,
        level=Confidentiality.INTERNAL,
        data_for=data_for,
    )
