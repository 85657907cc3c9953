"""The registration authority's pages: its register (organizations registered with the
office or below it in its jurisdiction), one organization's record and history, late filers,
status and charity decisions. (Approving and grading are steps of the case: their forms are on
the staff case page, orgs.workflow.)

Every read goes through orgs.queries (404 outside the jurisdiction); every change through
orgs.actions.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.models import User
from civilaffairs.casework.models import Case
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_choice, get_cursor

from . import actions, queries
from .forms import (
    CharityForm,
    LinkAccountForm,
    RegisterFilterForm,
    StatusForm,
)
from .models import AnnualReport, LateFiling, OrgAccount, OrgApplication
from .views import with_latest_grade

PAGE_SIZE = 25


AUTHORITY_ONLY = _lazy("Only the registration authority may do this.")


@login_required
@require_GET
def org_list(request):
    form = RegisterFilterForm(request.GET or None)
    qs = with_latest_grade(form.apply(queries.list_organizations_for_staff(request.user)))
    late = get_choice(request, "late", ("1", "0")) == "1"
    if late:
        qs = qs.filter(late_filings__filed_at__isnull=True).distinct()
    page = keyset_page(qs, order=("name", "pk"), after=get_cursor(request), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "orgs/staff_org_list.html",
        {"form": form, "page": page, "filter_query": query.urlencode(), "late": late},
    )


def _history(org):
    """The register's history of this organization, newest first, with what changed."""
    records = list(org.history.select_related("history_user").order_by("-history_date")[:30])
    out = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            # By the names people read, not the columns' (legal_representative).
            changes = [str(org._meta.get_field(c.field).verbose_name) for c in delta.changes]
        out.append({"record": newer, "changes": changes})
    return out


def _context(request, org, **extra):
    user = request.user
    visible_cases = Case.objects.visible_to(user)
    return {
        "org": org,
        "applications": OrgApplication.objects.filter(organization=org, case__in=visible_cases)
        .select_related("case")
        .order_by("-case__created_at"),
        "reports": AnnualReport.objects.filter(organization=org, case__in=visible_cases)
        .select_related("case")
        .order_by("-year"),
        "late": LateFiling.objects.filter(organization=org).order_by("-year"),
        "accounts": OrgAccount.objects.filter(organization=org).select_related("user"),
        "history": _history(org),
        "can_decide": queries.holds_authority_grant(user, org.authority_id, queries.DECIDING_ROLES),
        "can_link": queries.holds_authority_grant(user, org.authority_id, queries.AUTHORITY_ROLES),
        "status_form": extra.pop("status_form", None) or StatusForm(org=org),
        "charity_form": extra.pop("charity_form", None)
        or CharityForm(initial={"recognised": "yes" if org.is_charity else "no"}),
        "link_form": extra.pop("link_form", None) or LinkAccountForm(),
        **extra,
    }


@login_required
@require_GET
def org_detail(request, pk):
    org = queries.access_organization_for_staff(request.user, pk)
    return render(request, "orgs/staff_org_detail.html", _context(request, org))


@login_required
@require_POST
def org_status(request, pk):
    org = queries.access_organization_for_staff(request.user, pk)
    form = StatusForm(request.POST, org=org)
    if not form.is_valid():
        return render(
            request,
            "orgs/staff_org_detail.html",
            _context(request, org, status_form=form),
            status=400,
        )
    run_action(
        request,
        lambda: actions.do_set_status(org, acting_user=request.user, **form.cleaned_data),
        done=_("The status is changed."),
        denied=AUTHORITY_ONLY,
    )
    return redirect("orgs:staff-org", org.pk)


@login_required
@require_POST
def org_charity(request, pk):
    org = queries.access_organization_for_staff(request.user, pk)
    form = CharityForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "orgs/staff_org_detail.html",
            _context(request, org, charity_form=form),
            status=400,
        )
    run_action(
        request,
        lambda: actions.do_set_charity(org, acting_user=request.user, **form.cleaned_data),
        done=_("The charity recognition is recorded."),
        denied=AUTHORITY_ONLY,
    )
    return redirect("orgs:staff-org", org.pk)


@login_required
@require_POST
def org_account(request, pk):
    org = queries.access_organization_for_staff(request.user, pk)
    form = LinkAccountForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "orgs/staff_org_detail.html",
            _context(request, org, link_form=form),
            status=400,
        )
    login = form.cleaned_data["login"].strip()
    account = User.objects.filter(Q(username=login) | Q(phone=login), is_active=True).first()
    if account is None:
        messages.error(request, _("No account has this login name or mobile number."))
        return redirect("orgs:staff-org", org.pk)
    run_action(
        request,
        lambda: actions.do_link_account(org, account, acting_user=request.user),
        done=_("The account may now act for the organization."),
        denied=AUTHORITY_ONLY,
    )
    return redirect("orgs:staff-org", org.pk)


@login_required
@require_GET
def late_list(request):
    qs = queries.list_late_filings_for_staff(request.user).filter(filed_at__isnull=True)
    page = keyset_page(
        qs, order=("-year", "organization_id", "id"), after=get_cursor(request), size=PAGE_SIZE
    )
    return render(request, "orgs/staff_late_list.html", {"page": page})
