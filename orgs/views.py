"""Pages of the social-organization domain for the public, for organizations' accounts, for
donors, and for the needing side of charity matching (organizations and offices).

Thin views: reads go through orgs.queries (404 outside the reader's scope), changes through
orgs.actions; an action's refusal becomes a message, nothing is saved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.accounts.access import grants_for, is_staff_member
from civilaffairs.accounts.models import Office
from civilaffairs.lib import idnumber
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor
from civilaffairs.people.models import Person

from . import actions, ledger, queries
from .forms import (
    ApplicationForm,
    ConfirmForm,
    DeliveryForm,
    DocumentForm,
    EstablishStartForm,
    NeedForm,
    OfferForm,
    ProjectForm,
    RegisterFilterForm,
    ReportForm,
)
from .models import (
    AnnualReport,
    Delivery,
    FiledDocument,
    Grade,
    LateFiling,
    Match,
    Need,
    Organization,
    OrgApplication,
    reporting_year,
)

PAGE_SIZE = 25


def with_latest_grade(qs):
    latest = (
        AnnualReport.objects.filter(organization=OuterRef("pk"))
        .exclude(grade="")
        .order_by("-year", "-pk")
    )
    return qs.annotate(
        latest_grade=Subquery(latest.values("grade")[:1]),
        latest_grade_year=Subquery(latest.values("year")[:1]),
    )


# ============================================================================ public


@require_GET
def register_list(request):
    """The public register: every organization with its status and latest grade."""
    form = RegisterFilterForm(request.GET or None)
    qs = with_latest_grade(
        form.apply(Organization.objects.in_register()).select_related(
            "authority", "domicile_region"
        )
    )
    page = keyset_page(qs, order=("name", "pk"), after=get_cursor(request), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "orgs/register_list.html",
        {"form": form, "page": page, "filter_query": query.urlencode()},
    )


@require_GET
def register_detail(request, pk):
    org = (
        with_latest_grade(Organization.objects.in_register())
        .select_related("authority", "domicile_region", "legal_representative")
        .filter(pk=pk)
        .first()
    )
    if org is None:
        raise Http404
    grades = (
        AnnualReport.objects.filter(organization=org)
        .exclude(grade="")
        .order_by("-year")
        .values("year", "grade")
    )
    return render(
        request,
        "orgs/register_detail.html",
        {
            "org": org,
            "grades": [(g["year"], Grade(g["grade"]).label) for g in grades],
            "late_years": list(
                LateFiling.objects.filter(organization=org, filed_at__isnull=True).values_list(
                    "year", flat=True
                )
            ),
        },
    )


@require_GET
def needs_public(request):
    """Open needs, for donors to see what is wanted: goods, quantity, project, area (never
    finer than the township). No household, note or person appears."""
    today = timezone.localdate()
    qs = (
        Need.objects.filter(status__in=[Need.Status.OPEN, Need.Status.PARTLY], deadline__gte=today)
        .select_related(
            "project", "project__organization", "project__office", "region", "region__parent"
        )
        .only(
            "pk",
            "item",
            "category",
            "quantity",
            "committed",
            "received",
            "unit",
            "urgency",
            "deadline",
            "status",
            "project__name",
            "project__organization__name",
            "project__office__name",
            "region__name",
            "region__level",
            "region__parent__name",
            "region__parent__level",
            "region__parent_id",
        )
    )
    page = keyset_page(
        qs, order=("-urgency", "deadline", "pk"), after=get_cursor(request), size=PAGE_SIZE
    )
    return render(request, "orgs/needs_public.html", {"page": page})


@require_GET
def public_ledger(request):
    page = keyset_page(
        ledger.ledger_queryset(),
        order=("-confirmed_at", "-id"),
        after=get_cursor(request),
        size=PAGE_SIZE,
    )
    ids = [d.pk for d in page.rows]
    rows = ledger.rows(Delivery.objects.filter(pk__in=ids).order_by("-confirmed_at", "-id"))
    return render(
        request,
        "orgs/ledger.html",
        {
            "page": page,
            "rows": rows,
            "totals": ledger.project_totals(),
            "grand": ledger.grand_total(),
        },
    )


# ============================================================================ organizations' accounts


@login_required
@require_GET
def my_orgs(request):
    user = request.user
    orgs = with_latest_grade(queries.list_my_organizations(user)).order_by("name")
    establishing = (
        queries.list_my_applications(user)
        .filter(kind=OrgApplication.Kind.ESTABLISH, organization__isnull=True)
        .exclude(case__state="withdrawn")
        .order_by("-case__created_at")
    )
    return render(
        request,
        "orgs/myorg_list.html",
        {"orgs": orgs, "establishing": establishing},
    )


@login_required
@require_GET
def my_org(request, pk):
    org = queries.access_my_organization(request.user, pk)
    applications = (
        OrgApplication.objects.filter(organization=org)
        .select_related("case")
        .order_by("-case__created_at")
    )
    reports = AnnualReport.objects.filter(organization=org).select_related("case")
    year = reporting_year(timezone.localdate())
    return render(
        request,
        "orgs/myorg_detail.html",
        {
            "org": with_latest_grade(Organization.objects.filter(pk=org.pk))
            .select_related("authority", "domicile_region", "legal_representative")
            .get(),
            "applications": applications,
            "reports": reports,
            "late": LateFiling.objects.filter(organization=org, filed_at__isnull=True),
            "report_year": year,
            "deadline": actions.report_deadline(org, year),
            "has_report": reports.filter(year=year).exclude(case__state="withdrawn").exists(),
            "filing": Organization.objects.filing().filter(pk=org.pk).exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def establish_start(request):
    if not request.user.person_id:
        messages.error(
            request,
            _("Your account is not bound to a person. Please complete real-name verification."),
        )
        return redirect("portal:home")
    form = EstablishStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        started = run_action(
            request,
            lambda: actions.do_start_establishment(acting_user=request.user, **form.cleaned_data),
            form=form,
            form_only=True,
            denied_status=403,
        )
        if started:
            return redirect("orgs:application-edit", started.value.pk)
    return render(request, "orgs/establish_start.html", {"form": form})


@login_required
@require_POST
def change_start(request, pk, kind):
    org = queries.access_my_organization(request.user, pk)
    if kind not in (OrgApplication.Kind.CHANGE, OrgApplication.Kind.DEREGISTER):
        raise Http404
    started = run_action(
        request, lambda: actions.do_start_change(org, acting_user=request.user, kind=kind)
    )
    if not started:
        return redirect("orgs:my-org", org.pk)
    return redirect("orgs:application-edit", started.value.pk)


def _is_applicant(user, case) -> bool:
    return bool(user.person_id and user.person_id == case.applicant_id)


def _filed(case):
    return FiledDocument.objects.filter(document__case=case).select_related("document")


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request, pk):
    app = queries.access_my_application(request.user, pk)
    case = app.case
    editable = case.state in actions.EDITABLE_STATES and _is_applicant(request.user, case)
    form = ApplicationForm(request.POST or None, app=app) if editable else None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid() and _save_application(request, app, form):
            messages.success(request, _("Saved."))
            return redirect("orgs:application-edit", app.pk)
    app.refresh_from_db()
    return render(
        request,
        "orgs/application_edit.html",
        {
            "app": app,
            "case": case,
            "form": form,
            "editable": editable,
            "doc_form": DocumentForm(kind=app.kind, org_type=app.org_type) if editable else None,
            "documents": _filed(case),
            "missing": actions.missing_for_submission(app) if editable else [],
            "changes": actions.proposed_changes_described(app) if app.kind == "change" else [],
            "is_applicant": _is_applicant(request.user, case),
        },
    )


def _save_application(request, app, form) -> bool:
    data = dict(form.cleaned_data)
    rep_name = data.pop("representative_name", "")
    rep_number = data.pop("representative_id_number", "")
    fields = {
        k: v
        for k, v in data.items()
        if k in actions.EDITABLE_FIELDS[app.kind] and not (k == "domicile_region" and v is None)
    }
    representative = (rep_name, rep_number) if rep_name and rep_number else None
    saved = run_action(
        request,
        lambda: actions.do_save_application(
            app, acting_user=request.user, representative=representative, **fields
        ),
        form=form,
        form_only=True,
    )
    return saved.ok


@login_required
@require_POST
def application_document(request, pk):
    app = queries.access_my_application(request.user, pk)
    form = DocumentForm(request.POST, request.FILES, kind=app.kind, org_type=app.org_type)
    _attach(request, app.case, form)
    return redirect(reverse("orgs:application-edit", args=[app.pk]) + "#documents")


def _attach(request, case, form):
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, _("The document was not added: %(why)s") % {"why": text})
        return
    run_action(
        request,
        lambda: actions.do_attach_document(
            case, form.cleaned_data["file"], form.cleaned_data["purpose"], acting_user=request.user
        ),
        done=_("Document added."),
    )


@login_required
@require_POST
def application_submit(request, pk):
    app = queries.access_my_application(request.user, pk)
    submitted = run_action(
        request,
        lambda: actions.do_submit_application(app, acting_user=request.user),
        done=lambda _case: (
            _("Application %(ref)s was sent to %(office)s.")
            % {
                "ref": app.case.reference,
                "office": app.case.office or _("the registration authority"),
            }
        ),
    )
    if not submitted:
        return redirect("orgs:application-edit", app.pk)
    return redirect("cases:case-detail", app.case.pk)


@login_required
@require_POST
def report_start(request, pk):
    org = queries.access_my_organization(request.user, pk)
    started = run_action(request, lambda: actions.do_start_report(org, acting_user=request.user))
    if not started:
        return redirect("orgs:my-org", org.pk)
    return redirect("orgs:report-edit", started.value.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, pk):
    report = queries.access_my_report(request.user, pk)
    case = report.case
    editable = case.state in actions.EDITABLE_STATES and _is_applicant(request.user, case)
    form = ReportForm(request.POST or None, instance=report) if editable else None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            fields = {k: form.cleaned_data[k] for k in form.fields}
            if run_action(
                request,
                lambda: actions.do_save_report(report, acting_user=request.user, **fields),
                done=_("Saved."),
                form=form,
                form_only=True,
                denied_status=403,
            ):
                return redirect("orgs:report-edit", report.pk)
    report.refresh_from_db()
    return render(
        request,
        "orgs/report_edit.html",
        {
            "report": report,
            "case": case,
            "form": form,
            "editable": editable,
            "doc_form": DocumentForm(kind="report", org_type=None) if editable else None,
            "documents": _filed(case),
            "missing": actions.missing_for_report(report) if editable else [],
            "deadline": actions.report_deadline(report.organization, report.year),
            "is_applicant": _is_applicant(request.user, case),
        },
    )


@login_required
@require_POST
def report_document(request, pk):
    report = queries.access_my_report(request.user, pk)
    form = DocumentForm(request.POST, request.FILES, kind="report", org_type=None)
    _attach(request, report.case, form)
    return redirect(reverse("orgs:report-edit", args=[report.pk]) + "#documents")


@login_required
@require_POST
def report_submit(request, pk):
    report = queries.access_my_report(request.user, pk)
    submitted = run_action(
        request,
        lambda: actions.do_submit_report(report, acting_user=request.user),
        done=lambda _report: (
            _("The annual report %(ref)s was sent to the registration authority.")
            % {"ref": report.case.reference}
        ),
    )
    if not submitted:
        return redirect("orgs:report-edit", report.pk)
    return redirect("cases:case-detail", report.case.pk)


# ============================================================================ charity: needing side


def _runners(user) -> list[tuple[str, str]]:
    """Who the user may run a project for: their charities, their offices."""
    out = [
        (f"org:{o.pk}", o.name)
        for o in queries.list_my_organizations(user).order_by("name")
        if o.may_publish_needs
    ]
    office_ids = sorted({g.office_id for g in grants_for(user) if g.role in queries.NEED_ROLES})
    for office in Office.objects.filter(pk__in=office_ids).order_by("region_id"):
        out.append((f"office:{office.pk}", office.name))
    return out


@login_required
@require_GET
def charity_home(request):
    """The needing side's page: its projects and needs, with what is proposed and on its way."""
    user = request.user
    if not _runners(user) and not queries.list_needs_for_requester(user).exists():
        # Neither an organization's account nor staff of an office: not a page of theirs.
        raise PermissionDenied
    needs = queries.list_needs_for_requester(user).order_by("status", "-urgency", "deadline", "pk")
    page = keyset_page(
        needs, order=("-created_at", "-id"), after=get_cursor(request), size=PAGE_SIZE
    )
    return render(
        request,
        "orgs/charity_home.html",
        {
            "page": page,
            "projects": queries.list_projects_for_requester(user).filter(is_open=True)[:50],
            "can_create": bool(_runners(user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request):
    runners = _runners(request.user)
    if not runners:
        raise PermissionDenied
    form = ProjectForm(request.POST or None, runners=runners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        kind, _sep, key = data["runner"].partition(":")
        runner = {}
        if kind == "org":
            runner["organization"] = queries.access_my_organization(request.user, key)
        else:
            office = Office.objects.filter(pk=key).first()
            if office is None:
                raise Http404
            runner["office"] = office
        if run_action(
            request,
            lambda: actions.do_create_project(
                acting_user=request.user,
                name=data["name"],
                region=data["region"],
                description=data["description"],
                **runner,
            ),
            done=_("Project created. Now add what it needs."),
            form=form,
            form_only=True,
            denied_status=404,
        ):
            return redirect("orgs:need-new")
    return render(request, "orgs/project_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def need_new(request):
    user = request.user
    projects = list(queries.list_projects_for_requester(user).filter(is_open=True).order_by("name"))
    if not projects:
        if _runners(user):
            messages.info(request, _("Create a project first: every need belongs to one."))
            return redirect("orgs:project-new")
        raise PermissionDenied
    staff = is_staff_member(user)
    form = NeedForm(request.POST or None, projects=projects, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        project = next((p for p in projects if p.pk == data.pop("project")), None)
        if project is None:
            raise Http404
        household = None
        number = data.pop("household_id_number", "")
        if number:
            household = _household_of(user, number)
            if household is None:
                form.add_error(
                    "household_id_number",
                    _("No household in your area has a member with this ID number."),
                )
        created = not form.errors and run_action(
            request,
            lambda: actions.do_create_need(project, acting_user=user, household=household, **data),
            form=form,
            form_only=True,
            denied_status=404,
        )
        if created:
            need = created.value
            proposals = actions.do_propose_matches(need, acting_user=user)
            messages.success(
                request,
                _("The need is published. %(n)d offer(s) proposed now.") % {"n": len(proposals)},
            )
            return redirect("orgs:need-detail", need.pk)
    return render(request, "orgs/need_form.html", {"form": form})


def _household_of(user, number):
    person = (
        Person.objects.visible_to(user).filter(id_number=idnumber.normalize(number)).first()
        if is_staff_member(user)
        else None
    )
    return person.current_household() if person is not None else None


@login_required
@require_GET
def need_detail(request, pk):
    need = queries.access_need_for_requester(request.user, pk)
    matches = (
        need.matches.select_related("offer", "offer__region")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("sent_on", "pk"))
        )
        .order_by("-proposed_at", "-pk")
    )
    return render(
        request,
        "orgs/need_detail.html",
        {
            "need": need,
            "matches": matches,
            "delivery_form": DeliveryForm(needing_side=True),
        },
    )


def _need_action(request, pk, fn, success):
    need = queries.access_need_for_requester(request.user, pk)
    run_action(request, lambda: fn(need), done=success)
    return redirect("orgs:need-detail", need.pk)


@login_required
@require_POST
def need_propose(request, pk):
    return _need_action(
        request,
        pk,
        lambda need: actions.do_propose_matches(need, acting_user=request.user),
        lambda made: (
            _("%(n)d offer(s) proposed.") % {"n": len(made)}
            if made
            else _("No matching offer at the moment; the daily run will look again.")
        ),
    )


@login_required
@require_POST
def need_close(request, pk):
    return _need_action(
        request,
        pk,
        lambda need: actions.do_close_need(need, acting_user=request.user),
        _("The need is closed."),
    )


def _match_for_either(user, pk) -> tuple[Match, str]:
    """A match the user acts on as the needing side or as the donor."""
    try:
        return queries.access_match_for_requester(user, pk), "need"
    except Http404:
        return queries.access_match_for_donor(user, pk), "donor"


def _back(side, match):
    if side == "need":
        return redirect("orgs:need-detail", match.need_id)
    return redirect("orgs:offer-detail", match.offer_id)


@login_required
@require_POST
def match_accept(request, pk):
    match = queries.access_match_for_requester(request.user, pk)
    run_action(
        request,
        lambda: actions.do_accept_match(match, acting_user=request.user),
        done=_("Accepted. The donor is asked to deliver."),
    )
    return redirect("orgs:need-detail", match.need_id)


@login_required
@require_POST
def match_decline(request, pk):
    match = queries.access_match_for_requester(request.user, pk)
    run_action(
        request,
        lambda: actions.do_decline_match(match, acting_user=request.user),
        done=_("Declined. The goods are free for other needs."),
    )
    return redirect("orgs:need-detail", match.need_id)


@login_required
@require_POST
def match_close(request, pk):
    match, side = _match_for_either(request.user, pk)
    run_action(
        request,
        lambda: actions.do_close_match(match, acting_user=request.user),
        done=_("The match is closed; what was not delivered is released."),
    )
    return _back(side, match)


@login_required
@require_POST
def match_delivery(request, pk):
    match, side = _match_for_either(request.user, pk)
    form = DeliveryForm(request.POST, needing_side=side == "need")
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return _back(side, match)
    run_action(
        request,
        lambda: actions.do_record_delivery(match, acting_user=request.user, **form.cleaned_data),
        done=_("Delivery recorded."),
    )
    return _back(side, match)


@login_required
@require_POST
def delivery_confirm(request, pk):
    delivery = queries.access_delivery_for_requester(request.user, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the quantity received."))
    else:
        run_action(
            request,
            lambda: actions.do_confirm_receipt(
                delivery,
                acting_user=request.user,
                received_quantity=form.cleaned_data["received_quantity"],
            ),
            done=_("Receipt confirmed. It now appears in the public ledger."),
        )
    return redirect("orgs:need-detail", delivery.match.need_id)


# ============================================================================ donors


@login_required
@require_http_methods(["GET", "POST"])
def offer_new(request):
    user = request.user
    initial = {"donor_name": user.display_name if user.person_id else ""}
    form = OfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        made = run_action(
            request,
            lambda: actions.do_create_offer(acting_user=user, **form.cleaned_data),
            done=_("Thank you. Your offer is registered; you will be told when it is matched."),
            form=form,
            form_only=True,
            denied_status=403,
        )
        if made:
            return redirect("orgs:offer-detail", made.value.pk)
    return render(request, "orgs/offer_form.html", {"form": form})


MATCH_PREFETCH = Prefetch(
    "matches",
    queryset=Match.objects.exclude(status__in=[Match.Status.DECLINED, Match.Status.CANCELLED])
    .select_related(
        "need",
        "need__project",
        "need__project__organization",
        "need__project__office",
        "need__region",
        "need__region__parent",
    )
    .order_by("proposed_at", "pk"),
)


@login_required
@require_GET
def my_donations(request):
    """The donor's offers and where each went: project, who runs it, area, quantities."""
    offers = queries.list_my_offers(request.user).prefetch_related(MATCH_PREFETCH)
    page = keyset_page(offers, order=("-created_at", "-id"), after=get_cursor(request), size=20)
    return render(request, "orgs/donation_list.html", {"page": page})


@login_required
@require_GET
def offer_detail(request, pk):
    offer = queries.access_my_offer(request.user, pk)
    matches = (
        offer.matches.exclude(status__in=[Match.Status.DECLINED])
        .select_related(
            "need__project",
            "need__project__organization",
            "need__project__office",
            "need__region",
            "need__region__parent",
        )
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("sent_on", "pk"))
        )
        .order_by("proposed_at", "pk")
    )
    return render(
        request,
        "orgs/offer_detail.html",
        {"offer": offer, "matches": matches, "delivery_form": DeliveryForm(needing_side=False)},
    )


@login_required
@require_POST
def offer_withdraw(request, pk):
    offer = queries.access_my_offer(request.user, pk)
    run_action(
        request,
        lambda: actions.do_withdraw_offer(offer, acting_user=request.user),
        done=_("Your offer is withdrawn."),
    )
    return redirect("orgs:offer-detail", offer.pk)
