"""Permission-scoped reads of the marriage registry (DESIGN §3.2).

Staff: a registrar sees the applications, appointments and certificates of the registries
whose office they hold the registrar role in, and only those; the case must also lie in their
jurisdiction (`Case.objects.visible_to`, region and confidentiality together). Anything else is
answered 404, like a row that does not exist. A member of staff without the registrar role gets
403 on the registry's pages. Citizens read their own applications (either party).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils import timezone

from civilaffairs.accounts.access import office_ids, require_staff, scope_q
from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.models import Case
from civilaffairs.lib.lookup import get_or_404

from .models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    RegistrationOffice,
    Slot,
)

REGISTRAR = StaffRole.Role.REGISTRAR
APPLICATION_RELATED = (
    "case",
    "case__applicant",
    "case__beneficiary",
    "case__office",
    "registry",
    "record",
)


def registry_ids_for(user) -> list[int]:
    """The registries a member of staff works at as registrar (every one for the superuser)."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = RegistrationOffice.objects.all()
    if not user.is_superuser:
        offices = office_ids(user, roles=[REGISTRAR])
        if not offices:
            return []  # most staff: no query (every staff page's menu asks)
        qs = qs.filter(office_id__in=offices)
    return sorted(qs.values_list("pk", flat=True))


def is_registrar(user, registry_id: int | None = None) -> bool:
    ids = registry_ids_for(user)
    return bool(ids) if registry_id is None else registry_id in ids


def require_registrar(user):
    """403 for anyone who is not a registrar somewhere (citizens, other staff)."""
    require_staff(user)
    if not registry_ids_for(user):
        raise PermissionDenied


def applications_for_registrar(user):
    return MarriageApplication.objects.filter(
        registry_id__in=registry_ids_for(user), case__in=Case.objects.visible_to(user)
    )


def access_application(user, pk) -> MarriageApplication:
    """An application of one of the registrar's registries, or 404 (403 for non-registrars)."""
    require_registrar(user)
    return get_or_404(applications_for_registrar(user).select_related(*APPLICATION_RELATED), pk)


def access_certificate(user, pk) -> Certificate:
    """A certificate issued by one of the registrar's registries, or 404."""
    require_registrar(user)
    return get_or_404(
        Certificate.objects.filter(registry_id__in=registry_ids_for(user)).select_related(
            "record__man", "record__woman", "record__registry", "holder", "registry", "replaces"
        ),
        pk,
    )


def list_appointments_for_registrar(user, day: dt.date, registry_id: int | None = None):
    """The day's appointments at the registrar's registries, with everything a row shows."""
    ids = registry_ids_for(user)
    if registry_id is not None:
        ids = [i for i in ids if i == registry_id]
    return (
        Appointment.objects.filter(
            slot__registry_id__in=ids,
            slot__date=day,
            application__case__in=Case.objects.visible_to(user),
        )
        .select_related(
            "slot__registry",
            "application__case__applicant",
            "application__case__beneficiary",
        )
        .order_by("slot__start", "id")
    )


def statistics_registries(user):
    """Registries whose statistics a member of staff may read: a registrar's own, and every
    registry in a supervisor's jurisdiction."""
    require_staff(user)
    q = Q(pk__in=registry_ids_for(user))
    q |= scope_q(user, region_field="office__region_id", roles=[StaffRole.Role.SUPERVISOR])
    return RegistrationOffice.objects.filter(q)


def find_records_of(person_id):
    """A person's marriage records with their certificates: for the replacement counter."""
    return (
        MarriageRecord.objects.of_person(person_id)
        .select_related("man", "woman", "registry", "dissolved_registry")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=Certificate.objects.select_related("holder").order_by("issued_on", "id"),
            )
        )
    )


# ----------------------------------------------------------------------------- citizens


def applications_of_citizen(user):
    if not getattr(user, "is_authenticated", False) or not user.person_id:
        return MarriageApplication.objects.none()
    return MarriageApplication.objects.filter(case__in=Case.objects.of_citizen(user))


def access_citizen_application(user, pk) -> MarriageApplication:
    return get_or_404(applications_of_citizen(user).select_related(*APPLICATION_RELATED), pk)


def access_citizen_appointment(user, pk) -> Appointment:
    """An appointment of one of the citizen's own applications, or 404."""
    return get_or_404(
        Appointment.objects.filter(application__in=applications_of_citizen(user)).select_related(
            "slot__registry",
            "application__case__applicant",
            "application__case__beneficiary",
            "application__registry",
        ),
        pk,
    )


def citizen_overview(user):
    """What the citizen's marriage page shows, in a fixed number of queries."""
    person = user.person
    today = timezone.localdate()
    records = list(
        MarriageRecord.objects.of_person(person)
        .select_related("man", "woman", "registry", "dissolved_registry")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=Certificate.objects.filter(holder=person).order_by("issued_on", "id"),
                to_attr="my_certificates",
            )
        )
    )
    applications = list(
        applications_of_citizen(user)
        .select_related(*APPLICATION_RELATED)
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related("slot").order_by(
                    "slot__date", "slot__start"
                ),
            )
        )
        .order_by("-case__created_at", "-id")[:20]
    )
    appointments = [
        ap
        for app in applications
        for ap in app.appointments.all()
        if ap.is_active and app.case.is_open and ap.slot.date >= today
    ]
    appointments.sort(key=lambda ap: (ap.slot.date, ap.slot.start))
    for ap in appointments:
        ap.mine_to_confirm = ap.status == Appointment.Status.PENDING and not ap.confirmed_by(
            person.pk
        )
    return {
        "person": person,
        "records": records,
        "applications": applications,
        "appointments": appointments,
        "divorces": [
            a
            for a in applications
            if a.kind == MarriageApplication.Kind.DIVORCE
            and a.case.state in ("cooling_off", "collection")
        ],
        "today": today,
    }


def free_slots(registry, *, start: dt.date, end: dt.date):
    """Slots of a registry between two dates (inclusive) with places left, one query."""
    return [
        s
        for s in Slot.objects.filter(registry=registry, date__gte=start, date__lte=end)
        .with_taken()
        .order_by("date", "start")
        if s.taken < s.capacity
    ]
