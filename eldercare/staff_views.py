"""Elder-care pages of the staff workspace. Every read is scoped to the user's jurisdiction
(eldercare.queries); a row elsewhere answers 404."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.casework.models import Case
from civilaffairs.lib.feedback import error_messages, run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor

from . import actions
from .forms import (
    OccupancyForm,
    PlanForm,
    PlanItemForm,
    StaffRequestForm,
)
from .models import AgeAllowance, Alert, CarePlanItem, Provider, covering_codes
from .queries import (
    access_alert,
    access_institution_for_update,
    access_link_for_staff,
    access_person_for_staff,
    access_plan,
    access_provider_for_staff,
    access_visit,
    list_alerts_for_staff,
    list_bookings_for_staff,
    list_institutions_for_staff,
    list_links_for_staff,
    list_providers_for_staff,
    provider_ratings_for_staff,
    require_staff,
)


@login_required
@require_GET
def overview(request):
    user = request.user
    require_staff(user)
    return render(
        request,
        "eldercare/staff_overview.html",
        {
            "pending_links": list_links_for_staff(user).count(),
            "open_alerts": list_alerts_for_staff(user).filter(status=Alert.Status.OPEN).count(),
        },
    )


@login_required
@require_GET
def bookings(request):
    page = keyset_page(
        list_bookings_for_staff(request.user),
        order=("-starts_at", "-id"),
        after=get_cursor(request),
        size=25,
    )
    return render(request, "eldercare/staff_booking_list.html", {"page": page})


@login_required
@require_GET
def family_links(request):
    page = keyset_page(
        list_links_for_staff(request.user),
        order=("requested_at", "id"),
        after=get_cursor(request),
        size=25,
    )
    return render(request, "eldercare/staff_link_list.html", {"page": page})


@login_required
@require_POST
def family_link_confirm(request, pk):
    link = access_link_for_staff(request.user, pk)
    run_action(
        request,
        lambda: actions.do_confirm_family_link(link, acting_user=request.user),
        done=_("The link is confirmed."),
    )
    return redirect("eldercare:staff-links")


@login_required
@require_GET
def alerts(request):
    page = keyset_page(
        list_alerts_for_staff(request.user),
        order=("-created_at", "-id"),
        after=get_cursor(request),
        size=25,
    )
    return render(request, "eldercare/staff_alert_list.html", {"page": page})


@login_required
@require_POST
def alert_handle(request, pk):
    alert = access_alert(request.user, pk)
    run_action(
        request,
        lambda: actions.do_handle_alert(alert, acting_user=request.user),
        done=_("Marked as handled."),
    )
    return redirect("eldercare:staff-alerts")


@login_required
@require_GET
def providers(request):
    """The home-care providers of the area, each with a summary of the ratings the area's elders
    gave it."""
    page = keyset_page(
        list_providers_for_staff(request.user),
        order=("name", "id"),
        after=get_cursor(request),
        size=25,
    )
    return render(request, "eldercare/staff_provider_list.html", {"page": page})


@login_required
@require_GET
def provider_detail(request, pk):
    provider = access_provider_for_staff(request.user, pk)
    return render(
        request,
        "eldercare/staff_provider_detail.html",
        {"provider": provider, "summary": provider_ratings_for_staff(request.user, provider)},
    )


@login_required
@require_POST
def visit_phone(request, pk):
    """One full phone number for the staff who must make an urgent visit (the elder's or an
    emergency contact's), shown once and logged; everyone else reads them masked."""
    visit = access_visit(request.user, pk)
    key = request.POST.get("whose", "elder")
    try:
        contact = actions.do_reveal_visit_phone(
            visit, acting_user=request.user, key=key, request=request
        )
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect("casework:case-detail", visit.case_id)
    template = "eldercare/_visit_phone.html" if request.htmx else "eldercare/visit_phone.html"
    return render(request, template, {"visit": visit, "contact": contact})


@login_required
@require_GET
def institutions(request):
    page = keyset_page(
        list_institutions_for_staff(request.user),
        order=("region_id", "id"),
        after=get_cursor(request),
        size=25,
    )
    return render(request, "eldercare/staff_institution_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def occupancy(request, pk):
    """Shared by the institution's operator (a provider login) and staff of the area."""
    inst = access_institution_for_update(request.user, pk)
    form = OccupancyForm(
        request.POST if request.method == "POST" else None,
        initial={"beds_total": inst.beds_total, "beds_occupied": inst.beds_occupied},
    )
    if request.method == "POST" and form.is_valid():
        updated = run_action(
            request,
            lambda: actions.do_update_occupancy(
                inst, acting_user=request.user, **form.cleaned_data
            ),
            done=_("Occupancy updated."),
        )
        if updated:
            return redirect("eldercare:institution-occupancy", inst.pk)
    return render(request, "eldercare/occupancy_form.html", {"inst": inst, "form": form})


# ----------------------------------------------------------------------------- on behalf


@login_required
@require_http_methods(["GET", "POST"])
def careplan_assisted(request, person_pk):
    person = access_person_for_staff(request.user, person_pk)
    form = StaffRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        opened = run_action(
            request,
            lambda: actions.do_request_care_plan(
                acting_user=request.user,
                elder=person,
                request_note=form.cleaned_data["request_note"],
                channel=Case.Channel.ASSISTED,
            ),
            done=lambda plan: _("Request %(ref)s opened.") % {"ref": plan.case.reference},
        )
        if opened:
            return redirect("casework:case-detail", opened.value.case.pk)
    return render(request, "eldercare/careplan_assisted.html", {"person": person, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def allowance_assisted(request, person_pk):
    """Open the age allowance for someone the daily run missed (e.g. just moved in)."""
    person = access_person_for_staff(request.user, person_pk)
    if request.method == "POST":
        opened = run_action(
            request,
            lambda: actions.do_open_age_allowance(
                person,
                acting_user=request.user,
                mode=AgeAllowance.Mode.STAFF,
                channel=Case.Channel.ASSISTED,
            ),
            done=lambda allowance: (
                _("Age allowance %(ref)s opened.") % {"ref": allowance.case.reference}
            ),
        )
        if opened:
            return redirect("casework:case-detail", opened.value.case.pk)
    return render(request, "eldercare/allowance_assisted.html", {"person": person})


# ----------------------------------------------------------------------------- care plan


def _plan_providers(plan):
    return (
        Provider.objects.filter(
            is_active=True, coverage__in=covering_codes(plan.case.beneficiary.residence_region_id)
        )
        .distinct()
        .order_by("name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = access_plan(request.user, pk)
    user = request.user
    post = request.POST if request.method == "POST" else None
    what = (post or {}).get("what")
    plan_form = PlanForm(
        post if what == "plan" else None,
        providers=_plan_providers(plan),
        initial={"provider": plan.provider_id, "goals": plan.goals, "ends_on": plan.ends_on},
    )
    item_form = PlanItemForm(post if what == "item" else None)
    if post is not None:
        if what == "plan" and plan_form.is_valid():
            saved = run_action(
                request,
                lambda: actions.do_save_plan(plan, acting_user=user, **plan_form.cleaned_data),
                done=_("Saved."),
            )
            if saved:
                return redirect("eldercare:plan-edit", plan.pk)
        if what == "item" and item_form.is_valid():
            added = run_action(
                request,
                lambda: actions.do_add_plan_item(plan, acting_user=user, **item_form.cleaned_data),
                done=_("Visit added to the plan."),
            )
            if added:
                return redirect("eldercare:plan-edit", plan.pk)
        if what == "remove":
            item = plan.items.filter(pk=post.get("item")).first()
            if item is None:
                return redirect("eldercare:plan-edit", plan.pk)
            removed = run_action(
                request,
                lambda: actions.do_remove_plan_item(item, acting_user=user),
                done=_("Visit removed from the plan."),
            )
            if removed:
                return redirect("eldercare:plan-edit", plan.pk)
    items = plan.items.select_related("service_type")
    return render(
        request,
        "eldercare/plan_form.html",
        {
            "plan": plan,
            "case": plan.case,
            "plan_form": plan_form,
            "item_form": item_form,
            "items": items,
            "editable": plan.is_draft,
            "weekdays": CarePlanItem.Weekday,
        },
    )
