"""Citizen and public pages of elder care: the elder-care home, the booking flow (one question
per page, answers kept in the session until the last page books, so nothing is half-saved),
bookings with their progress, cancelling and rating, family links, care-plan requests,
age-allowance invitations, and the public search of care institutions.

Thin views: reads through eldercare.queries, changes through eldercare.actions."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ExpressionWrapper, F, FloatField
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.lib.feedback import error_messages, run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, get_degrees

from . import actions
from .forms import (
    CarePlanRequestForm,
    ConfirmForm,
    DayForm,
    FamilyLinkForm,
    InstitutionSearchForm,
    OptionalReasonForm,
    ProviderForm,
    RateForm,
    ServiceForm,
    TimeForm,
    WhoForm,
    booking_days,
)
from .models import Booking, Institution, ServiceType
from .queries import (
    access_citizen_booking,
    access_elder,
    access_invitation,
    access_link_as_elder,
    access_link_as_party,
    elders_for,
    list_bookings_for_citizen,
    list_invitations_for,
    list_links_for_elder,
    list_links_for_family,
    with_ratings,
)

SESSION_KEY = "eldercare_booking"
STEPS = ("who", "service", "day", "time", "provider", "confirm")
# Marked for translation here (a title looked up at run time is never extracted otherwise).
STEP_TITLES = {
    "who": gettext_lazy("Who is the service for?"),
    "service": gettext_lazy("Which service do you need?"),
    "day": gettext_lazy("Which day?"),
    "time": gettext_lazy("At what time?"),
    "provider": gettext_lazy("Which provider?"),
    "confirm": gettext_lazy("Check and book"),
}


# ----------------------------------------------------------------------------- home


@require_GET
def home(request):
    user = request.user
    context = {"elders": [], "invitations": [], "requests_to_me": [], "upcoming": []}
    if user.is_authenticated:
        elders = elders_for(user)
        context.update(
            elders=elders,
            invitations=list(list_invitations_for(user)),
            requests_to_me=list(list_links_for_elder(user).filter(status="pending")),
            upcoming=list(
                list_bookings_for_citizen(user)
                .filter(status__in=Booking.OPEN + (Booking.Status.IN_PROGRESS,))
                .order_by("starts_at", "id")[:5]
            ),
            provider=actions.provider_of(user),
        )
    return render(request, "eldercare/home.html", context)


# ----------------------------------------------------------------------------- booking flow


def _answers(request) -> dict:
    return dict(request.session.get(SESSION_KEY) or {})


def _resolve(user, data: dict) -> dict:
    """The answers so far as objects, in order; the first missing or no longer valid answer
    ends the chain (so a changed service drops a provider that does not offer it)."""
    out: dict = {}
    elder = next((p for p in elders_for(user) if str(p.pk) == str(data.get("elder"))), None)
    if elder is None:
        return out
    out["elder"] = elder
    service = (
        _services_for(elder).filter(pk=data["service"]).first()
        if str(data.get("service", "")).isdigit()
        else None
    )
    if service is None:
        return out
    out["service"] = service
    days = {d.isoformat(): d for d in booking_days()}
    day = days.get(data.get("day"))
    if day is None:
        return out
    out["day"] = day
    try:
        time = dt.time.fromisoformat(data.get("time") or "")
    except ValueError:
        return out
    out["time"] = time
    provider = (
        actions.providers_for(elder, service).filter(pk=data["provider"]).first()
        if str(data.get("provider", "")).isdigit()
        else None
    )
    if provider is None:
        return out
    out["provider"] = provider
    return out


def _services_for(elder):
    """Services some provider offers where the elder lives."""
    from .models import covering_codes

    return (
        ServiceType.objects.filter(
            is_active=True,
            providers__is_active=True,
            providers__coverage__in=covering_codes(elder.residence_region_id),
        )
        .distinct()
        .order_by("category", "code")
    )


def _step_url(step):
    return reverse("eldercare:book-step", args=[step])


@login_required
@require_GET
def book_start(request):
    request.session.pop(SESSION_KEY, None)
    return redirect(_step_url("who"))


@login_required
@require_http_methods(["GET", "POST"])
def book_step(request, step):
    if step not in STEPS:
        raise Http404
    user = request.user
    elders = elders_for(user)
    if not elders:
        messages.info(
            request,
            _(
                "To book, your account must be verified with your real name, or linked to the "
                "elder you care for."
            ),
        )
        return redirect("eldercare:family")
    data = _answers(request)
    resolved = _resolve(user, data)
    index = STEPS.index(step)
    # Skipped ahead (or an answer became invalid): go back to the first open question.
    needed = ("elder", "service", "day", "time", "provider")[:index]
    for n, key in enumerate(needed):
        if key not in resolved:
            return redirect(_step_url(STEPS[n]))
    post = request.POST if request.method == "POST" else None
    context = {
        "step": step,
        "number": index + 1,
        "total": len(STEPS),
        "title": STEP_TITLES[step],
        "back_url": _step_url(STEPS[index - 1]) if index else reverse("eldercare:home"),
        "answers": resolved,
    }
    if step == "who":
        form = WhoForm(post, elders=elders, user=user, initial={"elder": data.get("elder")})
        key = "elder"
    elif step == "service":
        services = list(_services_for(resolved["elder"]))
        if not services:
            messages.error(
                request,
                _(
                    "No provider offers home-care services where %(name)s lives yet. Please call "
                    "your community office or 12345."
                )
                % {"name": resolved["elder"].name},
            )
        form = ServiceForm(post, services=services, initial={"service": data.get("service")})
        key = "service"
    elif step == "day":
        form = DayForm(post, initial={"day": data.get("day")})
        key = "day"
    elif step == "time":
        form = TimeForm(
            post,
            duration=resolved["service"].duration_minutes,
            initial={"time": data.get("time")},
        )
        key = "time"
    elif step == "provider":
        providers = list(
            with_ratings(actions.providers_for(resolved["elder"], resolved["service"])).order_by(
                "name", "pk"
            )
        )
        form = ProviderForm(post, providers=providers, initial={"provider": data.get("provider")})
        key = "provider"
    else:
        return _confirm(request, resolved, context)
    if post is not None and form.is_valid():
        data[key] = form.cleaned_data[key]
        request.session[SESSION_KEY] = data
        return redirect(_step_url(STEPS[index + 1]))
    context.update(form=form, field=form[key])
    return render(request, "eldercare/book_step.html", context)


def _confirm(request, resolved, context):
    elder = resolved["elder"]
    starts_at = timezone.make_aware(dt.datetime.combine(resolved["day"], resolved["time"]))
    form = ConfirmForm(
        request.POST if request.method == "POST" else None, initial={"address": elder.address}
    )
    if request.method == "POST" and form.is_valid():
        booked = run_action(
            request,
            lambda: actions.do_book_service(
                acting_user=request.user,
                elder=elder,
                service_type=resolved["service"],
                provider=resolved["provider"],
                starts_at=starts_at,
                address=form.cleaned_data["address"],
                note=form.cleaned_data["note"],
            ),
            done=lambda booking: (
                _("Booked. Booking number %(ref)s. The provider will confirm soon.")
                % {"ref": booking.reference}
            ),
        )
        if booked:
            request.session.pop(SESSION_KEY, None)
            return redirect("eldercare:booking-detail", booked.value.pk)
    service = resolved["service"]
    context.update(
        form=form,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=service.duration_minutes),
        service=service,
    )
    return render(request, "eldercare/book_confirm.html", context)


# ----------------------------------------------------------------------------- bookings


@login_required
@require_GET
def booking_list(request):
    page = keyset_page(
        list_bookings_for_citizen(request.user),
        order=("-starts_at", "-id"),
        after=get_cursor(request),
        size=20,
    )
    return render(request, "eldercare/booking_list.html", {"page": page})


@login_required
@require_GET
def booking_detail(request, pk):
    booking = access_citizen_booking(request.user, pk)
    return render(
        request,
        "eldercare/booking_detail.html",
        {
            "booking": booking,
            "rating": getattr(booking, "rating", None),
            "can_cancel": booking.is_open,
            "can_rate": booking.status == Booking.Status.COMPLETED
            and not hasattr(booking, "rating"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, pk):
    """GET asks to confirm (a page, not a pop-up); POST cancels."""
    booking = access_citizen_booking(request.user, pk)
    form = OptionalReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        run_action(
            request,
            lambda: actions.do_cancel_booking(
                booking, acting_user=request.user, reason=form.cleaned_data["reason"]
            ),
            done=_("The visit is cancelled."),
        )
        return redirect("eldercare:booking-detail", booking.pk)
    return render(request, "eldercare/booking_cancel.html", {"booking": booking, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def booking_rate(request, pk):
    booking = access_citizen_booking(request.user, pk)
    if hasattr(booking, "rating") or booking.status != Booking.Status.COMPLETED:
        messages.info(request, _("This visit cannot be rated now."))
        return redirect("eldercare:booking-detail", booking.pk)
    form = RateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rated = run_action(
            request,
            lambda: actions.do_rate_booking(
                booking,
                acting_user=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            ),
            done=_("Thank you for your rating."),
        )
        if rated:
            return redirect("eldercare:booking-detail", booking.pk)
    return render(
        request,
        "eldercare/booking_rate.html",
        {"booking": booking, "form": form, "field": form["score"]},
    )


# ----------------------------------------------------------------------------- family


@login_required
@require_http_methods(["GET", "POST"])
def family(request):
    user = request.user
    form = FamilyLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        sent = run_action(
            request,
            lambda: actions.do_request_family_link(acting_user=user, **form.cleaned_data),
            done=_(
                "Your request was sent. It takes effect when the elder agrees, or when their "
                "community office confirms it."
            ),
        )
        if sent:
            return redirect("eldercare:family")
    return render(
        request,
        "eldercare/family.html",
        {
            "form": form,
            "my_links": list_links_for_family(user),
            "links_to_me": list_links_for_elder(user),
        },
    )


@login_required
@require_POST
def family_answer(request, pk):
    link = access_link_as_elder(request.user, pk)
    accept = request.POST.get("answer") == "yes"
    run_action(
        request,
        lambda: actions.do_answer_family_link(link, acting_user=request.user, accept=accept),
        done=(
            _("%(name)s can now act for you.") % {"name": link.family.display_name}
            if accept
            else _("The request was declined.")
        ),
    )
    return redirect("eldercare:family")


@login_required
@require_POST
def family_end(request, pk):
    link = access_link_as_party(request.user, pk)
    run_action(
        request,
        lambda: actions.do_end_family_link(link, acting_user=request.user),
        done=_("The link has ended."),
    )
    return redirect("eldercare:family")


# ----------------------------------------------------------------------------- care plan


@login_required
@require_http_methods(["GET", "POST"])
def careplan_apply(request):
    user = request.user
    elders = elders_for(user)
    if not elders:
        messages.info(request, _("Your account must be verified with your real name first."))
        return redirect("eldercare:family")
    form = CarePlanRequestForm(
        request.POST if request.method == "POST" else None, elders=elders, user=user
    )
    if request.method == "POST" and form.is_valid():
        elder = access_elder(user, form.cleaned_data["elder"])
        requested = run_action(
            request,
            lambda: actions.do_request_care_plan(
                acting_user=user, elder=elder, request_note=form.cleaned_data["request_note"]
            ),
            done=lambda plan: (
                _("Your request %(ref)s was received.") % {"ref": plan.case.reference}
            ),
        )
        if requested:
            plan = requested.value
            if user.person_id in (plan.case.applicant_id, plan.case.beneficiary_id):
                return redirect("cases:case-detail", plan.case.pk)
            return redirect("eldercare:home")
    return render(request, "eldercare/careplan_apply.html", {"form": form, "field": form["elder"]})


# ----------------------------------------------------------------------------- age allowance


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, pk):
    invite = access_invitation(request.user, pk)
    if request.method == "POST":
        accept = request.POST.get("answer") == "yes"
        try:
            invite = actions.do_answer_invitation(invite, acting_user=request.user, accept=accept)
        except (ValidationError, PermissionDenied) as exc:
            error_messages(request, exc)
        else:
            if accept:
                messages.success(
                    request,
                    _("Thank you. The age allowance is opened: %(ref)s.")
                    % {"ref": invite.case.reference},
                )
            else:
                messages.info(request, _("Understood. You can ask your community office later."))
            return redirect("eldercare:home")
    return render(request, "eldercare/invitation.html", {"invitation": invite})


# ----------------------------------------------------------------------------- institutions


def _distance_km(lat: float, lng: float):
    """Great-circle distance from a point, in SQL (the spherical law of cosines)."""
    cos_angle = Cos(Radians(lat)) * Cos(Radians(F("latitude"))) * Cos(
        Radians(F("longitude")) - Radians(lng)
    ) + Sin(Radians(lat)) * Sin(Radians(F("latitude")))
    return ExpressionWrapper(
        6371.0 * ACos(Least(Greatest(cos_angle, -1.0), 1.0)), output_field=FloatField()
    )


def _point(request):
    """The visitor's position (`?lat=&lng=`, filled in by the page's script), or None."""
    lat, lng = get_degrees(request, "lat", 90), get_degrees(request, "lng", 180)
    return (lat, lng) if lat is not None and lng is not None else None


@require_GET
def institution_list(request):
    form = InstitutionSearchForm(request.GET or None)
    qs = Institution.objects.active().select_related("region")
    if form.is_valid():
        data = form.cleaned_data
        if data.get("region"):
            qs = qs.in_region(data["region"])
        if data.get("care_level") is not None:
            qs = qs.taking_level(data["care_level"])
        if data.get("free_beds"):
            qs = qs.filter(beds_occupied__lt=F("beds_total"))
    point = _point(request)
    if point:
        qs = qs.annotate(distance=_distance_km(*point)).order_by("distance", "pk")
    else:
        qs = qs.order_by("region_id", "name", "pk")
    rows = list(qs[:100])
    return render(
        request,
        "eldercare/institution_list.html",
        {"form": form, "rows": rows, "point": point, "searched": bool(request.GET)},
    )


@require_GET
def institution_detail(request, pk):
    inst = Institution.objects.active().select_related("region", "operator").filter(pk=pk).first()
    if inst is None:
        raise Http404
    return render(request, "eldercare/institution_detail.html", {"inst": inst})
