"""A provider's own pages: its bookings (never another provider's), each visit's steps
(accept or decline, assign a worker, check in, check out), and its workers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.lib.feedback import error_messages, run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_choice, get_cursor

from . import actions
from .forms import AssignWorkerForm, ReasonForm, WorkerForm
from .models import Booking
from .queries import (
    access_provider_booking,
    access_provider_worker,
    list_bookings_for_provider,
    list_workers_for_provider,
    provider_rating_summary,
    require_provider,
)

FILTERS = {
    "new": (Booking.Status.REQUESTED,),
    "open": (Booking.Status.ACCEPTED, Booking.Status.ASSIGNED, Booking.Status.IN_PROGRESS),
    "done": (Booking.Status.COMPLETED,),
    "closed": (Booking.Status.DECLINED, Booking.Status.CANCELLED),
}


@login_required
@require_GET
def booking_list(request):
    provider = require_provider(request.user)
    which = get_choice(request, "show", FILTERS, default="new")
    qs = list_bookings_for_provider(request.user).filter(status__in=FILTERS[which])
    order = ("-starts_at", "-id") if which in ("done", "closed") else ("starts_at", "id")
    page = keyset_page(qs, order=order, after=get_cursor(request), size=25)
    return render(
        request,
        "eldercare/provider_booking_list.html",
        {"provider": provider, "page": page, "which": which, "filters": list(FILTERS)},
    )


def _workers_for(booking):
    return booking.provider.workers.filter(is_active=True, services=booking.service_type).order_by(
        "name"
    )


@login_required
@require_GET
def booking_detail(request, pk):
    booking = access_provider_booking(request.user, pk)
    return render(
        request,
        "eldercare/provider_booking_detail.html",
        {
            "booking": booking,
            "assign_form": AssignWorkerForm(
                workers=_workers_for(booking), initial={"worker": booking.worker_id}
            ),
            "decline_form": ReasonForm(),
            "rating": getattr(booking, "rating", None),
        },
    )


@login_required
@require_POST
def booking_action(request, pk, action):
    booking = access_provider_booking(request.user, pk)
    user = request.user
    try:
        if action == "accept":
            actions.do_accept_booking(booking, acting_user=user)
            done = _("Accepted.")
        elif action == "decline":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Please write the reason; the elder will read it."))
            actions.do_decline_booking(
                booking, acting_user=user, reason=form.cleaned_data["reason"]
            )
            done = _("Declined.")
        elif action == "assign":
            form = AssignWorkerForm(request.POST, workers=_workers_for(booking))
            if not form.is_valid():
                raise ValidationError(_("Please choose a worker."))
            actions.do_assign_worker(booking, form.cleaned_data["worker"], acting_user=user)
            done = _("Worker assigned.")
        elif action == "check-in":
            actions.do_check_in(booking, acting_user=user)
            done = _("Checked in at %(time)s.") % {"time": timezone.localtime().strftime("%H:%M")}
        elif action == "check-out":
            actions.do_check_out(booking, acting_user=user)
            done = _("Checked out at %(time)s.") % {"time": timezone.localtime().strftime("%H:%M")}
        else:
            raise PermissionDenied
    except ValidationError as exc:
        error_messages(request, exc)
    else:
        messages.success(request, done)
    return redirect("eldercare:provider-booking", booking.pk)


@login_required
@require_GET
def ratings(request):
    """What elders and their families thought of the provider's visits: the average, how many,
    and the latest ratings with their comments."""
    provider = require_provider(request.user)
    return render(
        request,
        "eldercare/provider_ratings.html",
        {"provider": provider, "summary": provider_rating_summary(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def worker_list(request):
    provider = require_provider(request.user)
    form = WorkerForm(request.POST if request.method == "POST" else None, provider=provider)
    if request.method == "POST" and form.is_valid():
        added = run_action(
            request,
            lambda: actions.do_add_worker(provider, acting_user=request.user, **form.cleaned_data),
            done=_("Worker added."),
        )
        if added:
            return redirect("eldercare:provider-workers")
    return render(
        request,
        "eldercare/provider_worker_list.html",
        {
            "provider": provider,
            "workers": list_workers_for_provider(request.user).order_by("-is_active", "name"),
            "form": form,
            "institutions": provider.institutions.order_by("name"),
        },
    )


@login_required
@require_POST
def worker_active(request, pk):
    worker = access_provider_worker(request.user, pk)
    active = request.POST.get("active") == "1"
    actions.do_set_worker_active(worker, acting_user=request.user, active=active)
    messages.success(request, _("Saved."))
    return redirect("eldercare:provider-workers")
