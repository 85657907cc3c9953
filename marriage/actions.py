"""State changes of the marriage registry (house rule 1). Each action is atomic, locks what it
reads and then writes, takes `acting_user` keyword-only, and moves cases only through the
platform's engine (`do_transition`), which writes the timeline.

Lock order, to rule out deadlocks between actions: application → persons (by pk) → slot →
marriage record.
"""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import log_access
from civilaffairs.accounts.actions import do_update_office
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_route_case,
    do_submit_case,
    do_transition,
    route_office,
)
from civilaffairs.casework.calendar import working_calendar
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.casework.notify import notify
from civilaffairs.lib import idnumber
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person

from . import checks as legal
from .models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    OpeningPeriod,
    RegistrationOffice,
    Slot,
    checks_shown,
)
from .queries import is_registrar

log = logging.getLogger(__name__)

SERVICE = {
    MarriageApplication.Kind.REGISTRATION: "marriage.registration",
    MarriageApplication.Kind.DIVORCE: "marriage.divorce",
    MarriageApplication.Kind.REPLACEMENT: "marriage.replacement",
}
SERVICES = tuple(SERVICE.values())


def lock_app(app) -> MarriageApplication:
    return (
        MarriageApplication.objects.select_for_update(of=("self",))
        .select_related("case", "registry", "case__applicant", "case__beneficiary")
        .get(pk=app.pk)
    )


def lock_people(*people) -> list[Person]:
    ids = sorted({p.pk for p in people})
    locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    return [locked[p.pk] for p in people]


def _require_registrar(user, registry_id):
    if user is None or not is_registrar(user, registry_id):
        raise PermissionDenied


def _require_party(app: MarriageApplication, user) -> Person:
    if user is None or not app.is_party(user.person_id):
        raise PermissionDenied
    return user.person


def _notify(person, case, title, body):
    """A message in one person's inbox, with its e-mail copy (casework.notify): title and body
    are callables, written in the recipient's language and kept in every language."""
    return notify(person, title, body, case=case)


def _public_event(case: Case, acting_user, message, data=None):
    """A public event on the case: both parties hear of it (the workflow's parties)."""
    add_event(
        case, CaseEvent.Kind.CHANGE, actor=acting_user, public=True, message=message, data=data
    )


def _fire(case: Case, name: str, *, acting_user, reason: str = "", public_message: str = ""):
    """A transition of the engine; a public one is told to both parties by the engine."""
    return do_transition(
        case, name, acting_user=acting_user, reason=reason, public_message=public_message
    )


def period_end(start: dt.date, days: int) -> dt.date:
    """The last day of a period of `days` calendar days from `start` (the start day itself not
    counted, Civil Code Art. 201); when that day is a rest day, the next working day
    (Art. 203), as the Ministry of Civil Affairs' notice on the cooling-off period says."""
    end = start + dt.timedelta(days=days)
    calendar = working_calendar()
    while not calendar.is_workday(end):
        end += dt.timedelta(days=1)
    return end


def next_certificate_number(registry: RegistrationOffice, kind: str, day: dt.date) -> str:
    """J640104-2026-000123: kind, registry code, year, a sequence per registry, kind and year
    from one atomic upsert. Inside the registration's transaction: a refusal rolls the number
    back, so numbers have no gaps."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO marriage_certificatecounter (registry_id, kind, year, last)
            VALUES (%s, %s, %s, 1)
            ON CONFLICT (registry_id, kind, year)
            DO UPDATE SET last = marriage_certificatecounter.last + 1
            RETURNING last
            """,
            [registry.pk, kind, day.year],
        )
        (seq,) = cur.fetchone()
    return f"{kind}{registry.code}-{day.year}-{seq:06d}"


# ----------------------------------------------------------------------------- registries


@transaction.atomic
def do_setup_registry(
    office,
    *,
    acting_user,
    name: str,
    code: str | None = None,
    address: str = "",
    phone: str = "",
    periods=(),
    slot_minutes: int = 30,
    slot_capacity: int = 3,
    booking_days: int = 28,
) -> RegistrationOffice:
    """Make an office a marriage registry (or update it): it handles the marriage services, has
    its opening periods `[(weekday, start, end)]`, slot length and capacity."""
    missing = [s for s in SERVICES if s not in office.services]
    if missing:
        office = do_update_office(
            office, acting_user=acting_user, services=sorted({*office.services, *SERVICES})
        )
    registry = RegistrationOffice.objects.select_for_update().filter(
        office=office
    ).first() or RegistrationOffice(office=office)
    registry.name = name
    registry.code = code or registry.code or office.region_id
    registry.address = address or registry.address or office.address
    registry.phone = phone or registry.phone or office.phone
    registry.slot_minutes = slot_minutes
    registry.slot_capacity = slot_capacity
    registry.booking_days = booking_days
    registry.full_clean()
    _save(registry, acting_user)
    if periods:
        registry.periods.all().delete()
        OpeningPeriod.objects.bulk_create(
            [OpeningPeriod(registry=registry, weekday=w, start=s, end=e) for w, s, e in periods]
        )
    return registry


def do_generate_slots(registry=None, *, today: dt.date | None = None, acting_user=None) -> int:
    """Slots for every working day from tomorrow up to each registry's booking horizon, from
    its opening periods (a make-up working day on a weekend opens like a Monday). Idempotent:
    existing slots are left as they are, so a capacity changed in the admin stays. No slot is
    opened in a year whose holidays are not loaded (its holidays would look like working days):
    they open once an administrator adds them, the next time this runs."""
    today = today or timezone.localdate()
    calendar = working_calendar()
    registries = RegistrationOffice.objects.bookable().prefetch_related("periods")
    if registry is not None:
        registries = registries.filter(pk=registry.pk)
    made = 0
    for reg in registries:
        by_day: dict[int, list[OpeningPeriod]] = {}
        for p in reg.periods.all():
            by_day.setdefault(p.weekday, []).append(p)
        step = dt.timedelta(minutes=reg.slot_minutes)
        rows = []
        for offset in range(1, reg.booking_days + 1):
            day = today + dt.timedelta(days=offset)
            if not calendar.covers(day) or not calendar.is_workday(day):
                continue
            weekday = day.weekday() if day.weekday() < 5 else 0
            for period in by_day.get(weekday, []):
                start = dt.datetime.combine(day, period.start)
                end = dt.datetime.combine(day, period.end)
                while start + step <= end:
                    rows.append(
                        Slot(
                            registry=reg,
                            date=day,
                            start=start.time(),
                            end=(start + step).time(),
                            capacity=reg.slot_capacity,
                        )
                    )
                    start += step
        with transaction.atomic():
            before = Slot.objects.filter(registry=reg).count()
            Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
            made += Slot.objects.filter(registry=reg).count() - before
    return made


# ----------------------------------------------------------------------------- booking


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
    add_event(
        app.case,
        CaseEvent.Kind.CHANGE,
        actor=acting_user,
        public=True,
        message=_("Appointment at %(registry)s on %(slot)s. Waiting for %(partner)s to confirm.")
        % {"registry": registry.name, "slot": appointment.slot.label(), "partner": partner.name},
        data={"appointment": appointment.pk},
    )
    _tell_partner_to_confirm(app, appointment, me)
    return appointment


@transaction.atomic
def do_book_divorce(*, acting_user, registry, slot) -> Appointment:
    """A citizen books the appointment to file a divorce by agreement with their spouse, from
    the marriage in force in the records."""
    from .adapters import get_adapter

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
    add_event(
        app.case,
        CaseEvent.Kind.CHANGE,
        actor=acting_user,
        public=True,
        message=_(
            "Appointment at %(registry)s on %(slot)s to file the divorce application. Both of "
            "you come in person with your ID cards and the signed divorce agreement. Waiting "
            "for %(partner)s to confirm."
        )
        % {"registry": registry.name, "slot": appointment.slot.label(), "partner": spouse.name},
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
        _(
            "Appointment to collect the divorce certificate on %(slot)s, waiting for both to confirm."
        )
        % {"slot": appointment.slot.label()},
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
        _("%(name)s confirmed the appointment on %(slot)s at %(registry)s.")
        % {"name": me.name, "slot": appointment.slot.label(), "registry": app.registry.name},
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
        _("%(name)s moved the appointment from %(old)s to %(new)s; waiting for confirmation.")
        % {"name": me.name, "old": old_label, "new": new.slot.label()},
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
            public_message=_(
                "The appointment on %(slot)s was cancelled; the application is closed."
            )
            % {"slot": appointment.slot.label()},
        )
    else:
        _public_event(
            app.case,
            acting_user,
            _("The appointment on %(slot)s was cancelled.") % {"slot": appointment.slot.label()},
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
                    public_message=_(
                        "Nobody came to the appointment on %(slot)s, so the application is "
                        "closed. You are welcome to book again."
                    )
                    % {"slot": ap.slot.label()},
                )
    return missed


# ----------------------------------------------------------------------------- counter


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
        do_submit_case(
            case,
            acting_user=acting_user,
            message=_("You are at the registry's counter; reference number %(ref)s.")
            % {"ref": case.reference},
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
                public_message=_(
                    "The cooling-off period is over. Both of you must come together to the "
                    "registry to collect the divorce certificate by %(end)s; book a time under "
                    "“My marriage registration”. Otherwise the application is deemed withdrawn."
                )
                % {"end": app.collection_ends.isoformat()},
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
                reason=_(
                    "The divorce certificate was not collected by both parties by %(end)s; the "
                    "application is deemed withdrawn (Civil Code Art. 1077)."
                )
                % {"end": app.collection_ends.isoformat()},
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
    from .adapters import get_adapter

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
    app = _save(
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
    today = timezone.localdate()
    certificate.voided_on = today
    _save(certificate, acting_user, f"lost; replaced. {reason}".strip())
    kind = (
        Certificate.Kind.DIVORCE_REPLACEMENT
        if certificate.is_divorce
        else Certificate.Kind.MARRIAGE_REPLACEMENT
    )
    number = next_certificate_number(registry, kind, today)
    new = _save(
        Certificate(
            number=number,
            kind=kind,
            record=record,
            holder=holder,
            registry=registry,
            issued_on=today,
            application=app,
            replaces=certificate,
        ),
        acting_user,
    )
    do_transition(
        case,
        "issue",
        acting_user=acting_user,
        public_message=_(
            "A replacement certificate %(number)s was issued; the lost certificate %(old)s is void."
        )
        % {"number": number, "old": certificate.number},
    )
    return new
