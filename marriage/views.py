"""Marriage registry pages: the citizen's booking, confirmation and status pages, and the
registrar's day list, counter, certificates, replacement and statistics.

Thin views: reads go through `marriage.queries` (scoped; 404 outside), changes through
`marriage.actions`. An action's refusal becomes a message (or form errors) and nothing is saved.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.casework.calendar import working_calendar
from civilaffairs.casework.models import Case
from civilaffairs.casework.views import step_forms
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.params import get_date, get_id, get_text

from . import actions, checks, queries
from .adapters import get_adapter
from .forms import (
    CancelForm,
    ConfirmForm,
    RegistrationBookingForm,
    ReplacementForm,
    ReplacementSearchForm,
    SlotForm,
)
from .models import (
    AGE_BANDS,
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    RegistrationOffice,
)


def _need_person(request):
    if request.user.person_id is None:
        messages.error(
            request, _("Your account is not bound to a person. Please ask your township office.")
        )
        return redirect("portal:home")
    return None


# ============================================================================ citizens


@login_required
@require_GET
def my_marriage(request):
    """My marital status and records, my appointments, and the divorce countdown."""
    if (response := _need_person(request)) is not None:
        return response
    context = queries.citizen_overview(request.user)
    return render(request, "marriage/my_marriage.html", context)


def _booking_window(registry):
    """From tomorrow to the registry's horizon, but not into a year whose holidays are not
    loaded (marriage.actions books no slot there): the year cut off, or None."""
    today = timezone.localdate()
    first, last = today + dt.timedelta(days=1), today + dt.timedelta(days=registry.booking_days)
    calendar = working_calendar()
    if calendar.covers(last):
        return first, last, None
    closed = next(
        y for y in range(first.year, last.year + 1) if not calendar.covers(dt.date(y, 1, 1))
    )
    return first, min(last, dt.date(closed - 1, 12, 31)), closed


def _pick(request, *, start=None, end=None):
    """The registry / day / time steps shared by every booking page, from the query string."""
    registries = RegistrationOffice.objects.bookable().select_related("office__region")
    q = get_text(request, "q", max_length=60)
    if q:
        registries = registries.filter(name__icontains=q) | registries.filter(
            office__region__name__icontains=q
        )
    registry = None
    registry_id = get_id(request, "registry")
    if registry_id is not None:
        registry = (
            RegistrationOffice.objects.bookable()
            .prefetch_related("periods")
            .filter(pk=registry_id)
            .first()
        )
    days, day, slots, closed_year = [], None, [], None
    if registry is not None:
        first, last, closed_year = _booking_window(registry)
        first, last = max(first, start or first), min(last, end or last)
        free = queries.free_slots(registry, start=first, end=last)
        days = sorted({s.date for s in free})
        day = get_date(request, "date")
        if day not in days:
            day = None
        slots = [s for s in free if s.date == day]
    return {
        "registries": registries.order_by("code")[:200],
        "q": q,
        "registry": registry,
        "days": days,
        "day": day,
        "slots": slots,
        "closed_year": closed_year,
    }


@login_required
@require_http_methods(["GET", "POST"])
def book_registration(request):
    if (response := _need_person(request)) is not None:
        return response
    pick = _pick(request)
    form = None
    if pick["day"] is not None:
        form = RegistrationBookingForm(request.POST or None, slots=pick["slots"])
        if request.method == "POST" and form.is_valid():
            booked = run_action(
                request,
                lambda: actions.do_book_registration(
                    acting_user=request.user,
                    registry=pick["registry"],
                    slot=form.cleaned_data["slot"],
                    partner_name=form.cleaned_data["partner_name"],
                    partner_id_number=form.cleaned_data["partner_id_number"],
                    declaration=form.cleaned_data["declaration"],
                ),
                done=_("Booked. Your partner must now confirm the appointment on this portal."),
                form=form,
                denied_status=403,
            )
            if booked:
                return redirect("marriage:my")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "marriage/book.html",
        {**pick, "form": form, "kind": MarriageApplication.Kind.REGISTRATION},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def book_divorce(request):
    if (response := _need_person(request)) is not None:
        return response
    marriage = get_adapter().current_marriage_of(request.user.person)
    pick = _pick(request)
    form = None
    if pick["day"] is not None:
        form = SlotForm(request.POST or None, slots=pick["slots"])
        if request.method == "POST" and form.is_valid():
            booked = run_action(
                request,
                lambda: actions.do_book_divorce(
                    acting_user=request.user,
                    registry=pick["registry"],
                    slot=form.cleaned_data["slot"],
                ),
                done=_("Booked. Your spouse must now confirm the appointment on this portal."),
                form=form,
                denied_status=403,
            )
            if booked:
                return redirect("marriage:my")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "marriage/book.html",
        {**pick, "form": form, "kind": MarriageApplication.Kind.DIVORCE, "marriage": marriage},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def book_collection(request, pk):
    """Book the visit to collect the divorce certificate, within the collection period."""
    app = queries.access_citizen_application(request.user, pk)
    if app.kind != MarriageApplication.Kind.DIVORCE or app.case.state not in (
        "cooling_off",
        "collection",
    ):
        raise Http404
    request.GET = request.GET.copy()
    request.GET["registry"] = str(app.registry_id)
    pick = _pick(request, start=app.collection_starts, end=app.collection_ends)
    form = None
    if pick["day"] is not None:
        form = SlotForm(request.POST or None, slots=pick["slots"])
        if request.method == "POST" and form.is_valid():
            booked = run_action(
                request,
                lambda: actions.do_book_collection(
                    app, acting_user=request.user, slot=form.cleaned_data["slot"]
                ),
                done=_("Booked. Your spouse must confirm the time too."),
                form=form,
                denied_status=403,
            )
            if booked:
                return redirect("marriage:my")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "marriage/book.html",
        {**pick, "form": form, "kind": "collection", "app": app},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_confirm(request, pk):
    appointment = queries.access_citizen_appointment(request.user, pk)
    app = appointment.application
    needs_declaration = app.kind == MarriageApplication.Kind.REGISTRATION
    form = ConfirmForm(request.POST or None) if needs_declaration else None
    if request.method == "POST" and (form is None or form.is_valid()):
        confirmed = run_action(
            request,
            lambda: actions.do_confirm_appointment(
                appointment, acting_user=request.user, declaration=needs_declaration
            ),
            done=_("Thank you: the appointment is confirmed."),
            form=form,
            denied_status=403,
        )
        if confirmed:
            return redirect("marriage:my")
    return render(
        request,
        "marriage/appointment_confirm.html",
        {"appointment": appointment, "app": app, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_change(request, pk):
    appointment = queries.access_citizen_appointment(request.user, pk)
    app = appointment.application
    if not appointment.is_active or not app.case.is_open:
        raise Http404
    request.GET = request.GET.copy()
    request.GET["registry"] = str(app.registry_id)
    window = {}
    if appointment.purpose == Appointment.Purpose.COLLECT:
        window = {"start": app.collection_starts, "end": app.collection_ends}
    pick = _pick(request, **window)
    form = None
    if pick["day"] is not None:
        form = SlotForm(request.POST or None, slots=pick["slots"])
        if request.method == "POST" and form.is_valid():
            changed = run_action(
                request,
                lambda: actions.do_change_appointment(
                    appointment, acting_user=request.user, slot=form.cleaned_data["slot"]
                ),
                done=_("Changed. The other party must confirm the new time."),
                form=form,
                denied_status=403,
            )
            if changed:
                return redirect("marriage:my")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "marriage/book.html",
        {**pick, "form": form, "kind": "change", "app": app, "appointment": appointment},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request, pk):
    """GET asks to confirm (no pop-up); POST cancels."""
    appointment = queries.access_citizen_appointment(request.user, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        run_action(
            request,
            lambda: actions.do_cancel_appointment(
                appointment, acting_user=request.user, reason=form.cleaned_data["reason"]
            ),
            done=_("The appointment is cancelled."),
            denied_status=403,
        )
        return redirect("marriage:my")
    return render(
        request,
        "marriage/appointment_cancel.html",
        {"appointment": appointment, "app": appointment.application, "form": form},
    )


def _refusal_context(app):
    return {
        "app": app,
        "case": app.case,
        "registry": app.registry,
        "decided_on": timezone.localdate(app.case.closed_at) if app.case.closed_at else None,
        "failed": [c for c in app.checks_shown if c["outcome"] != checks.PASS],
    }


@login_required
@require_GET
def refusal_letter(request, pk):
    app = queries.access_citizen_application(request.user, pk)
    if app.case.state != "refused":
        raise Http404
    return render(request, "marriage/refusal_letter.html", _refusal_context(app))


# ============================================================================ staff


@login_required
@require_GET
def staff_appointments(request):
    """The registrar's day: the appointments at their registry, and open applications."""
    queries.require_registrar(request.user)
    day = get_date(request, "date", default=timezone.localdate())
    registries = list(
        RegistrationOffice.objects.filter(pk__in=queries.registry_ids_for(request.user)).order_by(
            "code"
        )
    )
    registry_id = get_id(request, "registry")
    appointments = list(queries.list_appointments_for_registrar(request.user, day, registry_id))
    in_progress = list(
        queries.applications_for_registrar(request.user)
        .filter(case__closed_at__isnull=True)
        .exclude(case__state="booked")
        .select_related("case__applicant", "case__beneficiary", "registry")
        .order_by("cooling_off_ends", "case__submitted_at", "id")[:100]
    )
    return render(
        request,
        "marriage/staff_appointments.html",
        {
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "registries": registries,
            "registry_id": registry_id,
            "appointments": appointments,
            "in_progress": in_progress,
        },
    )


def _counter_context(request, app):
    """The registrar's counter: the couple, their appointments, the legal checks, the
    certificates to print, and the steps the registrar may take now (each posted to the case's
    one transition URL, back to this page)."""
    case = app.case
    return {
        "app": app,
        "case": case,
        "appointments": list(app.appointments.select_related("slot").order_by("-slot__date")),
        "premarital_checks": list(app.premarital_checks.select_related("person")),
        "certificates": list(app.certificates.select_related("holder").order_by("id")),
        "overall": app.check_outcome(),
        "today": timezone.localdate(),
        "can_check_in": app.can_check_in,
        # Before the appointment's day the counter says when, instead of the button.
        "check_in_from": app.appointment_day() if app.can_check_in else None,
        "transition_forms": step_forms(case, request.user),
        "next_url": request.path,
    }


@login_required
@require_GET
def counter(request, pk):
    app = queries.access_application(request.user, pk)
    return render(request, "marriage/counter.html", _counter_context(request, app))


@login_required
@require_POST
def counter_check_in(request, pk):
    """Check the couple in (or run the checks again on the day they collect): not one step but
    the counter's composed action (marriage.actions.do_check_in)."""
    app = queries.access_application(request.user, pk)
    run_action(
        request,
        lambda: actions.do_check_in(app, acting_user=request.user),
        done=_("Checked in; the checks are below."),
        denied=_("You may not do this at this registry."),
    )
    return redirect("marriage:counter", pk)


@login_required
@require_GET
def staff_refusal_letter(request, pk):
    app = queries.access_application(request.user, pk)
    if app.case.state != "refused":
        raise Http404
    return render(request, "marriage/refusal_letter.html", {**_refusal_context(app), "staff": True})


@login_required
@require_GET
def certificate(request, pk):
    """The printable certificate (print CSS): one booklet, for one holder. A certificate is a
    legal document and carries both parties' full ID numbers and birth dates, so only a
    registrar of the registry that issued it opens it (queries.access_certificate: 403 for
    other staff and citizens, 404 for another registry's registrar), never a masked copy; each
    print is one reveal in the access log (actions.do_print_certificate)."""
    cert = queries.access_certificate(request.user, pk)
    actions.do_print_certificate(cert, acting_user=request.user, request=request)
    record = cert.record
    return render(
        request,
        "marriage/certificate.html",
        {"cert": cert, "record": record, "parties": [record.man, record.woman]},
    )


# How long the look-up of a person by ID number stands for a replacement of their certificate.
LOOKUP_SECONDS = 30 * 60


def _lookup_token(user, person) -> str:
    """Proof, signed with the site's key, that `user` looked `person` up by ID number."""
    return signing.dumps(person.pk, salt=f"marriage.replacement:{user.pk}")


def _looked_up(user, token: str) -> int | None:
    """The person `user` looked up, when `token` is one of their recent look-ups."""
    try:
        return signing.loads(token, salt=f"marriage.replacement:{user.pk}", max_age=LOOKUP_SECONDS)
    except signing.BadSignature:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def replacement(request):
    """补领: find the person's records by ID number, then replace the chosen certificate. The
    replacement is posted with the ID number looked up and must be a certificate of the person
    it finds: a certificate id alone, without the look-up, replaces nothing."""
    from civilaffairs.people.models import Person

    queries.require_registrar(request.user)
    registries = list(
        RegistrationOffice.objects.filter(pk__in=queries.registry_ids_for(request.user))
    )
    if request.method == "POST":
        form = ReplacementForm(request.POST)
        cert = None
        if form.is_valid():
            person_id = _looked_up(request.user, form.cleaned_data["lookup"])
            if person_id is not None:
                cert = Certificate.objects.filter(
                    pk=form.cleaned_data["certificate"], holder_id=person_id
                ).first()
        if cert is None:
            messages.error(
                request,
                _(
                    "Find the person by their ID number first, then replace one of the "
                    "certificates listed for them."
                ),
            )
            return redirect("marriage:replacement")
        registry = next(
            (r for r in registries if r.pk == form.cleaned_data["registry"]), registries[0]
        )
        replaced = run_action(
            request,
            lambda: actions.do_replace_certificate(
                cert,
                acting_user=request.user,
                registry=registry,
                reason=form.cleaned_data["reason"],
            ),
            done=lambda new: (
                _("Replacement certificate %(number)s issued.") % {"number": new.number}
            ),
            denied_status=404,
        )
        if replaced:
            return redirect("marriage:certificate", replaced.value.pk)
        return redirect("marriage:replacement")
    search = ReplacementSearchForm(request.GET or None)
    person = records = lookup = None
    if search.is_bound and search.is_valid():
        person = Person.objects.active().filter(id_number=search.cleaned_data["id_number"]).first()
        if person is not None:
            lookup = _lookup_token(request.user, person)
            records = list(queries.find_records_of(person.pk))
            for r in records:
                r.holder_certificates = [
                    c for c in r.certificates.all() if c.holder_id == person.pk
                ]
        else:
            messages.info(request, _("No record of a marriage for this ID number."))
    return render(
        request,
        "marriage/replacement.html",
        {
            "search": search,
            "person": person,
            "records": records,
            "registries": registries,
            "lookup": lookup,
        },
    )


@login_required
@require_GET
def statistics(request):
    """Registrations per registry and month, parties by age band and sex; divorces."""
    registries = {r.pk: r for r in queries.statistics_registries(request.user)}
    if not registries:
        raise PermissionDenied
    rows = list(MarriageRecord.objects.filter(registry_id__in=registries).statistics()[:600])
    divorces = {
        (d["dissolved_registry_id"], d["month"]): d["divorces"]
        for d in MarriageRecord.objects.filter(
            dissolved_registry_id__in=registries
        ).divorce_statistics()
    }
    bands = [label for label, _low, _high in AGE_BANDS]
    table = []
    for row in rows:
        table.append(
            {
                "registry": registries[row["registry_id"]],
                "month": row["month"],
                "marriages": row["marriages"],
                "divorces": divorces.pop((row["registry_id"], row["month"]), 0),
                "men": [row[f"men_{b}"] for b in bands],
                "women": [row[f"women_{b}"] for b in bands],
            }
        )
    for (registry_id, month), n in divorces.items():
        table.append(
            {
                "registry": registries[registry_id],
                "month": month,
                "marriages": 0,
                "divorces": n,
                "men": [0] * len(bands),
                "women": [0] * len(bands),
            }
        )
    table.sort(key=lambda r: (r["month"], r["registry"].code), reverse=True)
    for row in table:
        row["bands"] = list(zip(row["men"], row["women"], strict=True))
    return render(
        request,
        "marriage/statistics.html",
        {"table": table, "bands": bands, "registries": registries},
    )


def case_url_for(user, case: Case) -> str:
    if user.person_id and user.person_id in (case.applicant_id, case.beneficiary_id):
        return reverse("cases:case-detail", args=[case.pk])
    return reverse("casework:case-detail", args=[case.pk])
