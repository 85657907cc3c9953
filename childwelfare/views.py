"""Child-welfare pages: the staff worklist, children's records (every opening logged), the
report of a child, the steps of an intake case (category, assessment, plan, review), visits,
alerts, the resource catalogue, the allowance, and the guardian's own pages.

Thin views: reads through `queries` (404 outside the user's scope), changes through `actions`.
"""

import contextlib
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import access_person, grants_for, require_staff
from civilaffairs.casework.models import Case
from civilaffairs.casework.registry import get_service
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_choice, get_cursor
from civilaffairs.people.actions import find_person
from civilaffairs.people.models import Person

from . import actions, queries
from .facts import find_parents
from .forms import (
    AlertResolveForm,
    CategoryForm,
    ChildFilterForm,
    DirectorForm,
    GuardianForm,
    ItemUpdateForm,
    ParentCircumstanceForm,
    ParentsForm,
    ProfileForm,
    ReportFindForm,
    ReportForm,
    VisitForm,
)
from .models import (
    PAYMENTS_PREFETCH,
    AllowanceGrant,
    Category,
    ChildProfile,
    Guardian,
    ParentCircumstance,
    SupportItem,
    SupportPlan,
)

INTAKE = actions.INTAKE
ALLOWANCE = actions.ALLOWANCE
PAGE_SIZE = 25


def _child_url(profile) -> str:
    return reverse("childwelfare:child-detail", args=[profile.pk])


def _temporary_assistance_link(person_pk: int) -> str | None:
    """Temporary assistance for a child is the social-assistance process; we only link to it
    through the platform's service registry (never importing that domain)."""
    try:
        service = get_service("assistance.linshi")
    except KeyError:
        return None
    if not service.assisted_url_name:
        return None
    try:
        return reverse(service.assisted_url_name, args=[person_pk])
    except NoReverseMatch:
        return None


# --------------------------------------------------------------------------- worklist


@login_required
@require_GET
def home(request):
    user = request.user
    require_staff(user)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=14)
    children = queries.children_visible_to(user)
    context = {
        "waiting": list(queries.list_waiting_cases(user)[:50]),
        "alerts": list(
            queries.alerts_visible_to(user)
            .open()
            .select_related("profile__person", "profile__director")
            .order_by("-raised_at")[:20]
        ),
        "due": list(
            children.active()
            .filter(next_visit_due__lte=soon)
            .select_related(*queries.CHILD_ROW_RELATED)
            .order_by("next_visit_due", "pk")[:50]
        ),
        "counts": {
            "children": children.active().count(),
            "overdue": children.visit_overdue(today).count(),
        },
        "today": today,
    }
    return render(request, "childwelfare/home.html", context)


@login_required
@require_GET
def child_list(request):
    user = request.user
    require_staff(user)
    form = ChildFilterForm(request.GET or None)
    qs = queries.children_visible_to(user).open().select_related(*queries.CHILD_ROW_RELATED)
    if form.is_valid():
        if form.cleaned_data["category"]:
            qs = qs.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["overdue"]:
            qs = qs.visit_overdue(timezone.localdate())
    page = keyset_page(qs, order=("-pk",), after=get_cursor(request), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "childwelfare/child_list.html",
        {
            "form": form,
            "page": page,
            "filter_query": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def child_detail(request, pk):
    user = request.user
    profile = queries.access_child(user, pk, request=request, purpose="record")
    child = profile.person
    today = timezone.localdate()
    plan = (
        SupportPlan.objects.filter(profile=profile, status=SupportPlan.Status.ACTIVE)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=SupportItem.objects.select_related("resource", "owner__person"),
            ),
            "reviews",
        )
        .first()
    )
    assessment = profile.assessments.prefetch_related("areas").select_related("assessor").first()
    parents = []
    circumstances = {
        c.person_id: c
        for c in ParentCircumstance.objects.filter(person__in=[p.pk for p in profile.parents()])
    }
    for label, parent in ((_("Father"), profile.father), (_("Mother"), profile.mother)):
        parents.append(
            {
                "label": label,
                "person": parent,
                "circ": circumstances.get(getattr(parent, "pk", None)),
            }
        )
    grants = list(
        AllowanceGrant.objects.filter(profile=profile)
        .select_related("case")
        .prefetch_related(PAYMENTS_PREFETCH)
        .order_by("-case__created_at")
    )
    can_work = queries.can_work_on(user, profile)
    context = {
        "profile": profile,
        "child": child,
        "age": child.age_on(today),
        "parents": parents,
        "guardians": list(profile.guardians.select_related("person")),
        "changes": list(profile.category_changes.select_related("changed_by")),
        "cases": list(Case.objects.filter(child_intake__profile=profile).order_by("-created_at"))
        + [g.case for g in grants],
        "plan": plan,
        "assessment": assessment,
        "visits": list(profile.visits.select_related("visitor")[:20]),
        "alerts": list(profile.alerts.open()),
        "grants": grants,
        "can_work": can_work,
        "can_apply_allowance": can_work
        and profile.category in Category.allowance()
        and not any(g.case.is_open for g in grants),
        "temporary_assistance_url": _temporary_assistance_link(child.pk) if can_work else None,
        "item_form": ItemUpdateForm(),
        "today": today,
        "overdue": profile.visit_overdue(today),
    }
    return render(request, "childwelfare/child_detail.html", context)


# --------------------------------------------------------------------------- record edits


def _form_page(request, profile, form, title, instructions="", back=None):
    return render(
        request,
        "childwelfare/form_page.html",
        {
            "profile": profile,
            "form": form,
            "title": title,
            "instructions": instructions,
            "back": back or _child_url(profile),
        },
    )


@login_required
def child_edit(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="edit")
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        saved = run_action(
            request,
            lambda: actions.do_update_profile(
                profile, acting_user=request.user, **{k: form.cleaned_data[k] for k in form.fields}
            ),
            done=_("Saved."),
        )
        if saved:
            return redirect(_child_url(profile))
    return _form_page(request, profile, form, _("School and health"))


@login_required
def child_category(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="category")
    form = CategoryForm(request.POST or None, initial={"category": profile.category})
    if request.method == "POST" and form.is_valid():
        changed = run_action(
            request,
            lambda: actions.do_change_category(
                profile, acting_user=request.user, **form.cleaned_data
            ),
            done=_("The category was changed."),
        )
        if changed:
            return redirect(_child_url(profile))
    return _form_page(
        request,
        profile,
        form,
        _("Change the category"),
        _(
            "A change is kept in the record's history. An allowance the new category does not give ends today."
        ),
    )


@login_required
def child_director(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="director")
    form = DirectorForm(
        request.POST or None,
        directors=queries.directors_for(profile.person.residence_region_id),
        initial={"director": profile.director_id},
    )
    if request.method == "POST" and form.is_valid():
        saved = run_action(
            request,
            lambda: actions.do_assign_director(
                profile, acting_user=request.user, director=form.cleaned_data["director"]
            ),
            done=_("Saved."),
        )
        if saved:
            return redirect(_child_url(profile))
    return _form_page(request, profile, form, _("Children's director"))


@login_required
def guardian_add(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="guardian")
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        if data["id_number"]:
            person = find_person(id_number=data["id_number"])
            if person is None:
                form.add_error(
                    "id_number",
                    _("Nobody with this ID number is in the register; register them first."),
                )
        if not form.errors:
            added = run_action(
                request,
                lambda: actions.do_add_guardian(
                    profile,
                    acting_user=request.user,
                    relation=data["relation"],
                    person=person,
                    institution_name=data["institution_name"],
                    phone=data["phone"] or (person.phone if person else ""),
                    is_de_facto_carer=data["is_de_facto_carer"],
                ),
                done=_("Guardian added."),
            )
            if added:
                return redirect(_child_url(profile))
    return _form_page(request, profile, form, _("Add a guardian"))


@login_required
@require_POST
def guardian_end(request, pk):
    require_staff(request.user)
    guardian = Guardian.objects.filter(
        pk=pk, profile__in=queries.children_visible_to(request.user).values("pk")
    ).first()
    if guardian is None:
        raise Http404
    queries.access_child(request.user, guardian.profile_id, request=request, purpose="guardian")
    run_action(
        request,
        lambda: actions.do_end_guardian(guardian, acting_user=request.user),
        done=_("The guardianship was ended."),
    )
    return redirect("childwelfare:child-detail", guardian.profile_id)


@login_required
def child_parents(request, pk):
    """The child's parents as the record identifies them, and what staff know of them."""
    user = request.user
    profile = queries.access_child(user, pk, request=request, purpose="parents")
    parents = profile.parents()
    existing = {c.person_id: c for c in ParentCircumstance.objects.filter(person__in=parents)}
    forms_ = [
        (
            parent,
            ParentCircumstanceForm(
                request.POST or None,
                prefix=f"p{parent.pk}",
                instance=existing.get(parent.pk) or ParentCircumstance(person=parent),
            ),
        )
        for parent in parents
    ]
    ids_form = ParentsForm(request.POST if request.POST.get("set_parents") else None)
    if request.method == "POST" and request.POST.get("set_parents"):
        if ids_form.is_valid():
            # A number names the parent, a tick removes the one recorded; neither keeps it.
            found = {}
            for key in ("father", "mother"):
                value = ids_form.cleaned_data[f"{key}_id_number"].strip()
                if ids_form.cleaned_data[f"remove_{key}"]:
                    found[key] = None
                elif value:
                    found[key] = find_person(id_number=value)
                    if found[key] is None:
                        ids_form.add_error(
                            f"{key}_id_number",
                            _("Nobody with this ID number is in the register."),
                        )
            if not found and not ids_form.errors:
                ids_form.add_error(
                    None, _("Give a parent's ID number, or tick the parent to remove.")
                )
            if not ids_form.errors:
                saved = run_action(
                    request,
                    lambda: actions.do_set_parents(profile, acting_user=user, **found),
                    done=_("Saved."),
                )
                if saved:
                    return redirect("childwelfare:child-parents", profile.pk)
    elif request.method == "POST" and all(f.is_valid() for _p, f in forms_):
        circumstances = {
            parent.pk: {k: form.cleaned_data[k] for k in form.fields} for parent, form in forms_
        }
        saved = run_action(
            request,
            lambda: actions.do_set_parent_circumstances(profile, circumstances, acting_user=user),
            done=_("Saved."),
        )
        if saved:
            return redirect(_child_url(profile))
    return render(
        request,
        "childwelfare/parents_form.html",
        {
            "profile": profile,
            "forms": forms_,
            "ids_form": ids_form,
            # Correcting who the parents are is the worker's (do_set_parents), not a director's.
            "may_correct": queries.can_work_on(user, profile),
        },
    )


@login_required
def visit_new(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="visit")
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recorded = run_action(
            request,
            lambda: actions.do_record_visit(profile, acting_user=request.user, **form.cleaned_data),
        )
        if recorded:
            if form.cleaned_data["safety_concern"]:
                messages.warning(
                    request,
                    _(
                        "The safety concern was escalated to the child-welfare staff and supervisors."
                    ),
                )
            messages.success(request, _("The visit was recorded."))
            return redirect(_child_url(profile))
    return _form_page(
        request,
        profile,
        form,
        _("Record a visit"),
        _(
            "Write down who you saw and anything that worries you. Tick the safety box only for a serious risk to the child now: it alerts the staff at once."
        ),
    )


@login_required
@require_POST
def item_update(request, pk):
    require_staff(request.user)
    item = (
        SupportItem.objects.filter(
            pk=pk, plan__profile__in=queries.children_visible_to(request.user).values("pk")
        )
        .select_related("plan")
        .first()
    )
    if item is None:
        raise Http404
    queries.access_child(request.user, item.plan.profile_id, request=request, purpose="plan item")
    form = ItemUpdateForm(request.POST)
    if form.is_valid():
        run_action(
            request,
            lambda: actions.do_update_item(item, acting_user=request.user, **form.cleaned_data),
            done=_("Saved."),
        )
    return redirect("childwelfare:child-detail", item.plan.profile_id)


@login_required
@require_POST
def allowance_apply(request, pk):
    profile = queries.access_child(request.user, pk, request=request, purpose="allowance")
    run_action(
        request,
        lambda: actions.do_apply_allowance(profile, acting_user=request.user),
        done=lambda case: _("Allowance application %(ref)s submitted.") % {"ref": case.reference},
    )
    return redirect(_child_url(profile))


# --------------------------------------------------------------------------- report a child


@login_required
def report_find(request):
    """Step 1: the child by ID number and name, in the reporter's jurisdiction."""
    require_staff(request.user)
    form = ReportFindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = (
            Person.objects.visible_to(request.user)
            .filter(
                id_number=form.cleaned_data["id_number"], name=form.cleaned_data["name"].strip()
            )
            .first()
        )
        if person is None:
            form.add_error(
                None,
                _(
                    "No child with this ID number and name lives in your area. Check both, or ask the township office to register the child."
                ),
            )
        else:
            return redirect("childwelfare:report-person", person_pk=person.pk)
    return render(request, "childwelfare/report_find.html", {"form": form})


@login_required
def report_person(request, person_pk):
    """Step 2: who reports and why. Also reached from a person's page in the registry (the
    service's assisted link)."""
    user = request.user
    child = access_person(user, person_pk)
    profile = ChildProfile.objects.filter(person=child).select_related("father", "mother").first()
    if profile is not None:
        parents = profile.parents()
    else:
        parents = [p for p in find_parents(child) if p is not None]
    parents = list(Person.objects.filter(pk__in=[p.pk for p in parents]).order_by("-sex", "pk"))
    kind = "director" if queries.DIRECTOR in {g.role for g in grants_for(user)} else "caseworker"
    form = ReportForm(request.POST or None, parents=parents, initial={"reporter_kind": kind})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reported = run_action(
            request,
            lambda: actions.do_report_child(
                child,
                acting_user=user,
                reporter_kind=data["reporter_kind"],
                reporter_name=data["reporter_name"],
                reporter_contact=data["reporter_contact"],
                concern=data["concern"],
                safety_concern=data["safety_concern"],
                circumstances=form.circumstances(),
            ),
            done=lambda case: (
                _(
                    "Thank you. Report %(ref)s was received and goes to the child-welfare staff of the child's community."
                )
                % {"ref": case.reference}
            ),
        )
        if reported:
            if data["safety_concern"]:
                messages.warning(request, _("The safety concern was escalated at once."))
            return redirect("childwelfare:home")
    return render(
        request,
        "childwelfare/report_form.html",
        {
            "child": child,
            "age": child.age_on(timezone.localdate()),
            "form": form,
            "parents": [(p, [form[n] for n in form.parent_field_names(p)]) for p in parents],
        },
    )


# --------------------------------------------------------------------------- intake steps


def _intake(request, case_pk, purpose):
    case = queries.access_child_case(
        request.user, case_pk, service=INTAKE, request=request, purpose=purpose
    )
    report = case.child_intake
    return case, report, report.profile


# --------------------------------------------------------------------------- alerts, resources


@login_required
@require_GET
def alert_list(request):
    require_staff(request.user)
    show = get_choice(request, "show", ("open", "all"), default="open")
    qs = queries.alerts_visible_to(request.user).select_related(
        "profile__person__residence_region", "profile__director", "resolved_by"
    )
    if show != "all":
        qs = qs.open()
    page = keyset_page(qs, order=("-raised_at", "-pk"), after=get_cursor(request), size=PAGE_SIZE)
    return render(request, "childwelfare/alert_list.html", {"page": page, "show": show})


@login_required
def alert_resolve(request, pk):
    alert = queries.access_alert(request.user, pk)
    form = AlertResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resolved = run_action(
            request,
            lambda: actions.do_resolve_alert(alert, acting_user=request.user, **form.cleaned_data),
            done=_("The alert was resolved."),
        )
        if resolved:
            return redirect("childwelfare:alert-list")
    return render(request, "childwelfare/alert_resolve.html", {"alert": alert, "form": form})


@login_required
@require_GET
def resource_list(request):
    """The catalogue as it serves the user's areas, with the places still free."""
    require_staff(request.user)
    page = keyset_page(
        queries.resources_for(request.user),
        order=("region_prefix", "name", "pk"),
        after=get_cursor(request),
        size=50,
    )
    return render(request, "childwelfare/resource_list.html", {"page": page})


# --------------------------------------------------------------------------- guardians (citizens)


@login_required
@require_GET
def my_children(request):
    children = list(queries.list_children_for_guardian(request.user))
    return render(request, "childwelfare/mychild_list.html", {"children": children})


@login_required
@require_GET
def my_child(request, pk):
    profile = queries.access_child_for_guardian(request.user, pk, request=request)
    plan = (
        SupportPlan.objects.filter(profile=profile, status=SupportPlan.Status.ACTIVE)
        .prefetch_related(
            Prefetch("items", queryset=SupportItem.objects.select_related("resource"))
        )
        .first()
    )
    grants = list(
        AllowanceGrant.objects.filter(profile=profile)
        .select_related("case")
        .prefetch_related(PAYMENTS_PREFETCH)
    )
    linshi_url = None
    with contextlib.suppress(KeyError):
        linshi_url = get_service("assistance.linshi").apply_url
    office = None
    if profile.director_id:
        office = (
            profile.director.staff_roles.filter(is_active=True, role=queries.DIRECTOR)
            .select_related("office")
            .first()
        )
    return render(
        request,
        "childwelfare/mychild_detail.html",
        {
            "profile": profile,
            "child": profile.person,
            "age": profile.person.age_on(timezone.localdate()),
            "plan": plan,
            "grants": grants,
            "visits": list(profile.visits.only("visited_on")[:5]),
            "linshi_url": linshi_url,
            "director_office": office.office if office else None,
        },
    )
