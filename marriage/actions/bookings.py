"""Appointments: a couple books registration (the partner confirms), a divorce and its
collection of certificates, changes and cancellations, reminders and missed appointments."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import (
    do_create_case,
    do_route_case,
    route_office,
)
from civilaffairs.casework.calendar import working_calendar
from civilaffairs.casework.models import Case
from civilaffairs.lib import idnumber
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from ..models import (
    Appointment,
    MarriageApplication,
    RegistrationOffice,
    Slot,
)
from .common import (
    SERVICE,
    _fire,
    _notify,
    _public_event,
    _require_party,
    _require_registrar,
    lock_app,
    lock_people,
)


def _lock_slot_with_room(slot: Slot, registry: RegistrationOffice, today: dt.date) -> Slot:
    """The slot row locked, after checking it still has a place. Two couples booking the last
    place at the same moment queue on this lock; the second then counts the first."""
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.registry_id != registry.pk:
        raise ValidationError(_("This time belongs to another registry."))
    if slot.date <= today:
        raise ValidationError(_("Appointments can be booked from tomorrow on."))
    if not working_calendar().covers(slot.date):
        raise ValidationError(
            _(
                "Appointments in %(year)d cannot be booked yet: the public holidays of %(year)d "
                "are not in the calendar. Please choose an earlier day or come back later."
            )
            % {"year": slot.date.year},
            code="holidays",
        )
    taken = (
        Appointment.objects.filter(slot=slot)
        .filter(
            Q(status__in=Appointment.HOLDING, application__case__closed_at__isnull=True)
            | Q(status=Appointment.Status.ATTENDED)
        )
        .count()
    )
    if taken >= slot.capacity:
        raise ValidationError(
            _("The time %(slot)s is fully booked. Please choose another time.")
            % {"slot": slot.label()},
            code="full",
        )
    return slot


def find_partner(name: str, id_number: str) -> Person:
    """The partner named by the booker: the ID number decides, the name must match. Whether a
    number exists is not revealed (same message either way)."""
    wrong = ValidationError(
        _(
            "The partner's name and ID number do not match our records. Your partner can sign "
            "up on this portal with their ID card first."
        ),
        code="partner",
    )
    number = idnumber.normalize(id_number or "")
    person = Person.objects.active().filter(id_number=number).first() if number else None
    if person is None or person.name != (name or "").strip():
        raise wrong
    return person


def _open_applications(*people):
    ids = [p.pk for p in people]
    return MarriageApplication.objects.filter(
        kind__in=[MarriageApplication.Kind.REGISTRATION, MarriageApplication.Kind.DIVORCE],
        case__closed_at__isnull=True,
    ).filter(Q(case__applicant_id__in=ids) | Q(case__beneficiary_id__in=ids))


def _start_application(
    kind, *, acting_user, registry, applicant, partner, channel
) -> MarriageApplication:
    if not registry.is_active or not registry.office.is_active:
        raise ValidationError(_("This registry does not take appointments at the moment."))
    case = do_create_case(
        acting_user=acting_user,
        service=SERVICE[kind],
        region=registry.office.region,
        applicant=applicant,
        beneficiary=partner,
        channel=channel,
    )
    # The couple chooses the registry; the case belongs to it. The platform's router must agree
    # (one office per region handles the service), else the case would drift to another office.
    routed = route_office(case)
    if routed is None or routed.pk != registry.office_id:
        raise ValidationError(
            _("This registry is not set up to take this service online. Please call it.")
        )
    case = do_route_case(case)
    app = MarriageApplication(case=case, kind=kind, registry=registry)
    return _save(app, acting_user)


def _book_slot(app, slot, *, acting_user, purpose, booker: Person | None) -> Appointment:
    """An appointment in a slot the caller has locked with `_lock_slot_with_room`."""
    now = timezone.now()
    appointment = Appointment(application=app, slot=slot, purpose=purpose)
    if booker is not None and booker.pk == app.case.applicant_id:
        appointment.confirmed_a_at = now
    elif booker is not None:
        appointment.confirmed_b_at = now
    return _save(appointment, acting_user)


def _tell_partner_to_confirm(app, appointment, booker):
    partner = app.other_party(booker.pk)
    case = app.case
    _notify(
        partner,
        case,
        lambda: (
            _("%(name)s booked %(service)s: please confirm")
            % {"name": booker.name, "service": case.service_def.name}
        ),
        lambda: (
            _(
                "%(name)s booked an appointment at %(registry)s on %(slot)s (reference %(ref)s). "
                "Please confirm it under “My marriage registration”; both of you must confirm."
            )
            % {
                "name": booker.name,
                "registry": app.registry.name,
                "slot": appointment.slot.label(),
                "ref": case.reference,
            }
        ),
    )


@transaction.atomic
def do_book_registration(
    *, acting_user, registry, slot, partner_name: str, partner_id_number: str, declaration: bool
) -> Appointment:
    """A citizen books a marriage registration for themselves and their partner. Since
    2025-05-10 any registry in the country may register, whatever the parties' hukou."""
    me = acting_user.person if acting_user is not None else None
    if me is None:
        raise ValidationError(_("Your account is not bound to a person."))
    if not declaration:
        raise ValidationError(
            {"declaration": _("Please sign the declaration: no spouse and no prohibited kinship.")}
        )
    partner = find_partner(partner_name, partner_id_number)
    if partner.pk == me.pk:
        raise ValidationError({"partner_id_number": _("Enter your partner's ID number.")})
    me, partner = lock_people(me, partner)
    existing = _open_applications(me, partner).select_related("case").first()
    if existing is not None:
        raise ValidationError(
            _("There is already an open application %(ref)s for one of you; change or cancel it.")
            % {"ref": existing.case.reference}
        )
    today = timezone.localdate()
    # The place first: concurrent bookings of one slot queue here, before anything is made.
    slot = _lock_slot_with_room(slot, registry, today)
    app = _start_application(
        MarriageApplication.Kind.REGISTRATION,
        acting_user=acting_user,
        registry=registry,
        applicant=me,
        partner=partner,
        channel=Case.Channel.ONLINE,
    )
    app.declared_a_at = timezone.now()
    _save(app, acting_user)
    appointment = _book_slot(
        app, slot, acting_user=acting_user, purpose=Appointment.Purpose.APPLY, booker=me
    )
    _public_event(
        app.case,
        acting_user,
        lambda: (
            _("Appointment at %(registry)s on %(slot)s. Waiting for %(partner)s to confirm.")
            % {"registry": registry.name, "slot": appointment.slot.label(), "partner": partner.name}
        ),
        data={"appointment": appointment.pk},
    )
    _tell_partner_to_confirm(app, appointment, me)
    return appointment


@transaction.atomic
def do_book_divorce(*, acting_user, registry, slot) -> Appointment:
    """A citizen books the appointment to file a divorce by agreement with their spouse, from
    the marriage in force in the records."""
    from ..adapters import get_adapter

    me = acting_user.person if acting_user is not None else None
    if me is None:
        raise ValidationError(_("Your account is not bound to a person."))
    info = get_adapter().current_marriage_of(me)
    if info is None or info.spouse_person_id is None:
        raise ValidationError(
            _(
                "We hold no record of your marriage. Please contact the registry where you "
                "married, or any registry, with your marriage certificate."
            )
        )
    spouse = Person.objects.active().get(pk=info.spouse_person_id)
    me, spouse = lock_people(me, spouse)
    existing = _open_applications(me, spouse).select_related("case").first()
    if existing is not None:
        raise ValidationError(
            _("There is already an open application %(ref)s for one of you; change or cancel it.")
            % {"ref": existing.case.reference}
        )
    slot = _lock_slot_with_room(slot, registry, timezone.localdate())
    app = _start_application(
        MarriageApplication.Kind.DIVORCE,
        acting_user=acting_user,
        registry=registry,
        applicant=me,
        partner=spouse,
        channel=Case.Channel.ONLINE,
    )
    if info.record_id:
        app.record_id = info.record_id
        _save(app, acting_user)
    appointment = _book_slot(
        app, slot, acting_user=acting_user, purpose=Appointment.Purpose.APPLY, booker=me
    )
    _public_event(
        app.case,
        acting_user,
        lambda: (
            _(
                "Appointment at %(registry)s on %(slot)s to file the divorce application. Both of "
                "you come in person with your ID cards and the signed divorce agreement. Waiting "
                "for %(partner)s to confirm."
            )
            % {"registry": registry.name, "slot": appointment.slot.label(), "partner": spouse.name}
        ),
        data={"appointment": appointment.pk},
    )
    _tell_partner_to_confirm(app, appointment, me)
    return appointment


@transaction.atomic
def do_book_collection(app: MarriageApplication, *, acting_user, slot) -> Appointment:
    """Book the visit to collect the divorce certificate, on a day of the collection period."""
    app = lock_app(app)
    me = _require_party(app, acting_user)
    if app.kind != MarriageApplication.Kind.DIVORCE or app.case.state not in (
        "cooling_off",
        "collection",
    ):
        raise ValidationError(_("There is nothing to collect for this application."))
    if not (app.collection_starts <= slot.date <= app.collection_ends):
        raise ValidationError(
            _("Choose a day from %(start)s to %(end)s.")
            % {"start": app.collection_starts.isoformat(), "end": app.collection_ends.isoformat()}
        )
    active = app.appointments.filter(
        purpose=Appointment.Purpose.COLLECT, status__in=Appointment.HOLDING
    )
    if active.exists():
        raise ValidationError(_("You already have an appointment to collect the certificate."))
    slot = _lock_slot_with_room(slot, app.registry, timezone.localdate())
    appointment = _book_slot(
        app, slot, acting_user=acting_user, purpose=Appointment.Purpose.COLLECT, booker=me
    )
    _public_event(
        app.case,
        acting_user,
        lambda: (
            _(
                "Appointment to collect the divorce certificate on %(slot)s, waiting for both to confirm."
            )
            % {"slot": appointment.slot.label()}
        ),
    )
    _tell_partner_to_confirm(app, appointment, me)
    return appointment


def _lock_appointment(appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(
            "slot",
            "application__case",
            "application__registry",
            "application__case__applicant",
            "application__case__beneficiary",
        )
        .get(pk=appointment.pk)
    )


@transaction.atomic
def do_confirm_appointment(appointment, *, acting_user, declaration: bool = False) -> Appointment:
    """The other party confirms the appointment (and, for a marriage, signs the declaration)."""
    appointment = _lock_appointment(appointment)
    app = appointment.application
    me = _require_party(app, acting_user)
    if appointment.status != Appointment.Status.PENDING or not app.case.is_open:
        raise ValidationError(_("This appointment cannot be confirmed any more."))
    if appointment.slot.starts_at <= timezone.now():
        raise ValidationError(_("This appointment has passed."))
    if appointment.confirmed_by(me.pk):
        raise ValidationError(_("You have already confirmed; waiting for your partner."))
    now = timezone.now()
    is_a = me.pk == app.case.applicant_id
    if app.kind == MarriageApplication.Kind.REGISTRATION:
        if not declaration:
            raise ValidationError(
                {
                    "declaration": _(
                        "Please sign the declaration: no spouse and no prohibited kinship."
                    )
                }
            )
        app = lock_app(app)
        if is_a:
            app.declared_a_at = now
        else:
            app.declared_b_at = now
        _save(app, acting_user)
    if is_a:
        appointment.confirmed_a_at = now
    else:
        appointment.confirmed_b_at = now
    if appointment.confirmed_a_at and appointment.confirmed_b_at:
        appointment.status = Appointment.Status.CONFIRMED
    _save(appointment, acting_user, "confirmed")
    _public_event(
        app.case,
        acting_user,
        lambda: (
            _("%(name)s confirmed the appointment on %(slot)s at %(registry)s.")
            % {"name": me.name, "slot": appointment.slot.label(), "registry": app.registry.name}
        ),
        data={"appointment": appointment.pk},
    )
    return appointment


@transaction.atomic
def do_change_appointment(appointment, *, acting_user, slot) -> Appointment:
    """Move an appointment to another time at the same registry: the old place is given back
    and the other party must confirm the new time."""
    appointment = _lock_appointment(appointment)
    app = appointment.application
    me = _require_party(app, acting_user)
    if not appointment.is_active or not app.case.is_open:
        raise ValidationError(_("This appointment cannot be changed any more."))
    if slot.pk == appointment.slot_id:
        raise ValidationError(_("That is the time you already have."))
    if appointment.purpose == Appointment.Purpose.COLLECT and not (
        app.collection_starts <= slot.date <= app.collection_ends
    ):
        raise ValidationError(
            _("Choose a day from %(start)s to %(end)s.")
            % {"start": app.collection_starts.isoformat(), "end": app.collection_ends.isoformat()}
        )
    old_label = appointment.slot.label()
    appointment.status = Appointment.Status.CANCELLED
    _save(appointment, acting_user, "changed")
    slot = _lock_slot_with_room(slot, app.registry, timezone.localdate())
    new = _book_slot(app, slot, acting_user=acting_user, purpose=appointment.purpose, booker=me)
    _public_event(
        app.case,
        acting_user,
        lambda: (
            _("%(name)s moved the appointment from %(old)s to %(new)s; waiting for confirmation.")
            % {"name": me.name, "old": old_label, "new": new.slot.label()}
        ),
        data={"appointment": new.pk, "replaces": appointment.pk},
    )
    _tell_partner_to_confirm(app, new, me)
    return new


@transaction.atomic
def do_cancel_appointment(appointment, *, acting_user, reason: str = "") -> Appointment:
    """Cancel an appointment. Cancelling the appointment to apply withdraws the application
    (nothing was filed yet); cancelling a visit to collect a certificate only frees the time."""
    appointment = _lock_appointment(appointment)
    app = appointment.application
    if not (app.is_party(getattr(acting_user, "person_id", None))):
        _require_registrar(acting_user, app.registry_id)
    if not appointment.is_active:
        raise ValidationError(_("This appointment is not active."))
    appointment.status = Appointment.Status.CANCELLED
    _save(appointment, acting_user, "cancelled")
    if appointment.purpose == Appointment.Purpose.APPLY and app.case.state == "booked":
        _fire(
            app.case,
            "withdraw",
            acting_user=acting_user,
            reason=reason,
            public_message=lambda: (
                _("The appointment on %(slot)s was cancelled; the application is closed.")
                % {"slot": appointment.slot.label()}
            ),
        )
    else:
        _public_event(
            app.case,
            acting_user,
            lambda: (
                _("The appointment on %(slot)s was cancelled.") % {"slot": appointment.slot.label()}
            ),
        )
    return appointment


def do_after_close(case_id: int) -> int:
    """The follow-up of every closing transition, including the platform's own "withdraw my
    application" page: the places are given back. (Both parties already heard of the closing
    from the engine, in its transaction: Workflow.parties.)"""
    return do_release_appointments(case_id)


def do_release_appointments(case_id: int) -> int:
    """After a case closes: its places are given back. Idempotent (a follow-up of the closing
    transitions; slot counting already ignores closed cases)."""
    released = 0
    with transaction.atomic():
        for ap in Appointment.objects.select_for_update(of=("self",)).filter(
            application__case_id=case_id,
            application__case__closed_at__isnull=False,
            status__in=Appointment.HOLDING,
        ):
            ap.status = Appointment.Status.CANCELLED
            _save(ap, None, "case closed")
            released += 1
    return released


def do_send_reminders(*, today: dt.date | None = None) -> int:
    """Remind both parties of tomorrow's appointments, once (reminded_at); an appointment still
    waiting for the partner says so."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    sent = 0
    due = (
        Appointment.objects.filter(
            slot__date=tomorrow,
            status__in=Appointment.HOLDING,
            reminded_at__isnull=True,
            application__case__closed_at__isnull=True,
        )
        .select_related(
            "slot__registry", "application__case__applicant", "application__case__beneficiary"
        )
        .order_by("pk")
    )
    for ap in due:
        with transaction.atomic():
            ap = _lock_appointment(ap)
            if ap.reminded_at is not None:
                continue
            case = ap.application.case
            pending = ap.status == Appointment.Status.PENDING

            def title(ap=ap):
                return _("Reminder: appointment tomorrow at %(time)s") % {
                    "time": f"{ap.slot.start:%H:%M}"
                }

            def body(ap=ap, pending=pending):
                return _(
                    "Your appointment at %(registry)s (%(address)s) is tomorrow, %(slot)s. "
                    "Both of you come in person with your resident ID cards.%(note)s"
                ) % {
                    "registry": ap.slot.registry.name,
                    "address": ap.slot.registry.address,
                    "slot": ap.slot.label(),
                    "note": _(" Your partner has not confirmed yet.") if pending else "",
                }

            for person in ap.application.parties():
                _notify(person, case, title, body)
            ap.reminded_at = timezone.now()
            _save(ap, None, "reminded")
            sent += 1
    return sent


def do_mark_missed_appointments(*, today: dt.date | None = None) -> int:
    """Appointments whose day has passed without the couple at the counter are missed; an
    application still only booked is closed as lapsed (each in its own transaction)."""
    today = today or timezone.localdate()
    missed = 0
    past = Appointment.objects.filter(
        slot__date__lt=today, status__in=Appointment.HOLDING
    ).order_by("pk")
    for ap in past.only("pk"):
        with transaction.atomic():
            ap = _lock_appointment(ap)
            if not ap.is_active:
                continue
            ap.status = Appointment.Status.MISSED
            _save(ap, None, "missed")
            missed += 1
            case = ap.application.case
            if (
                case.state == "booked"
                and not ap.application.appointments.filter(status__in=Appointment.HOLDING).exists()
            ):
                _fire(
                    case,
                    "lapse",
                    acting_user=None,
                    public_message=lambda ap=ap: (
                        _(
                            "Nobody came to the appointment on %(slot)s, so the application is "
                            "closed. You are welcome to book again."
                        )
                        % {"slot": ap.slot.label()}
                    ),
                )
    return missed
