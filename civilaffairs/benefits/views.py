"""Payouts in the staff workspace (/staff/payments/): the county's batches, their approval,
the bank file out and the bank's results in, and the payments waiting for an account. Every
view asks queries.py for what the user may see (another county's batch is a 404) and an
action for every change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import require_role, scope_q
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.lib.paging import keyset_page
from civilaffairs.people.models import Region

from . import actions, queries
from .forms import AccountForm, CancelBatchForm, PrepareBatchForm, ResultFileForm
from .models import BatchLine, Entitlement, Payment


def _counties(user):
    """The counties whose payouts the user works: those their grants cover."""
    return (
        Region.objects.current()
        .filter(
            scope_q(user, region_field="code", roles=queries.PAYOUT_ROLES),
            level=Region.Level.COUNTY,
        )
        .order_by("code")
    )


@login_required
@require_GET
def batch_list(request):
    require_role(request.user, queries.PAYOUT_ROLES)
    counties = list(_counties(request.user))
    month = timezone.localdate().replace(day=1)
    page = keyset_page(
        queries.batches_visible_to(request.user).select_related("county"),
        order=("-month", "-pk"),
        after=request.GET.get("after"),
    )
    return render(
        request,
        "benefits/batch_list.html",
        {
            "page": page,
            "counties": queries.county_summary([c.code for c in counties], month, counties),
            "form": PrepareBatchForm(counties=counties, initial={"month": f"{month:%Y-%m}"}),
        },
    )


@login_required
@require_POST
def batch_prepare(request):
    require_role(request.user, queries.PAYOUT_ROLES)
    counties = list(_counties(request.user))
    form = PrepareBatchForm(request.POST, counties=counties)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("benefits:batches")
    county = next(c for c in counties if c.code == form.cleaned_data["county"])
    made = []

    def prepare():
        made.append(
            actions.do_prepare_batch(county, form.cleaned_data["month"], acting_user=request.user)
        )

    if run_action(request, prepare, form=form):
        batch = made[0]
        messages.success(
            request,
            _("Batch %(ref)s prepared: %(n)s payments, %(total)s yuan. It now needs approval.")
            % {"ref": batch.reference, "n": batch.line_count, "total": batch.total},
        )
        return redirect("benefits:batch", pk=batch.pk)
    return redirect("benefits:batches")


@login_required
@require_GET
def batch_detail(request, pk):
    require_role(request.user, queries.PAYOUT_ROLES)
    batch = queries.access_batch(request.user, pk)
    result = request.GET.get("result", "")
    lines = batch.lines.all()
    if result in BatchLine.Result.values:
        lines = lines.filter(result=result)
    page = keyset_page(lines, order=("line_no",), after=request.GET.get("after"), size=50)
    return render(
        request,
        "benefits/batch_detail.html",
        {
            "batch": batch,
            "page": page,
            "result": result,
            "results": BatchLine.Result.choices,
            "filter_query": f"result={result}" if result else "",
            "totals": queries.totals(batch),
            "may_approve": queries.may_approve(request.user, batch)
            and batch.prepared_by_id != request.user.pk,
            "cancel_form": CancelBatchForm(),
            "result_form": ResultFileForm(),
        },
    )


def _batch_action(request, pk, roles=queries.PAYOUT_ROLES):
    require_role(request.user, roles)
    return queries.access_batch(request.user, pk)


@login_required
@require_POST
def batch_approve(request, pk):
    batch = _batch_action(request, pk)
    if not queries.may_approve(request.user, batch):
        raise PermissionDenied
    run_action(
        request,
        lambda: actions.do_approve_batch(batch, acting_user=request.user),
        done=_("Batch %(ref)s approved: it can be exported.") % {"ref": batch.reference},
    )
    return redirect("benefits:batch", pk=batch.pk)


@login_required
@require_POST
def batch_cancel(request, pk):
    batch = _batch_action(request, pk)
    form = CancelBatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the reason for cancelling."))
        return redirect("benefits:batch", pk=batch.pk)
    run_action(
        request,
        lambda: actions.do_cancel_batch(
            batch, acting_user=request.user, reason=form.cleaned_data["reason"]
        ),
        done=_("Batch %(ref)s cancelled; its payments wait for another.")
        % {"ref": batch.reference},
    )
    return redirect("benefits:batch", pk=batch.pk)


@login_required
@require_POST
def batch_export(request, pk):
    batch = _batch_action(request, pk)
    exported = run_action(
        request, lambda: actions.do_export_batch(batch, acting_user=request.user, request=request)
    )
    if not exported:
        return redirect("benefits:batch", pk=batch.pk)
    response = HttpResponse(exported.value, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch.reference}.csv"'
    response["Cache-Control"] = "no-store"  # whole ID and account numbers
    return response


@login_required
@require_POST
def batch_results(request, pk):
    batch = _batch_action(request, pk)
    form = ResultFileForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, error)
        return redirect("benefits:batch", pk=batch.pk)
    run_action(
        request,
        lambda: actions.do_import_results(
            batch, form.cleaned_data["file"].read(), acting_user=request.user
        ),
        done=lambda counts: (
            _("Results read: %(paid)s paid, %(failed)s failed, %(returned)s returned.")
            % {
                "paid": counts.get("paid", 0),
                "failed": counts.get("failed", 0),
                "returned": counts.get("returned", 0),
            }
        ),
    )
    return redirect("benefits:batch", pk=batch.pk)


@login_required
@require_GET
def held_list(request):
    """Payments a batch cannot take: failed or returned ones waiting for a new account or a new
    try, and due ones without an account."""
    require_role(request.user, queries.PAYOUT_ROLES)
    scope = scope_q(
        request.user, region_field="entitlement__case__region_id", roles=queries.PAYOUT_ROLES
    )
    month = timezone.localdate().replace(day=1)
    waiting = Payment.objects.filter(scope).filter(
        pk__in=queries.without_account("", month).values("pk")
    ) | Payment.objects.filter(scope, held=True)
    page = keyset_page(
        waiting.select_related("entitlement__person", "entitlement__case").prefetch_related(
            "lines"
        ),
        order=("month", "pk"),
        after=request.GET.get("after"),
    )
    return render(request, "benefits/held_list.html", {"page": page})


def _entitlement(user, pk) -> Entitlement:
    require_role(user, queries.PAYOUT_ROLES)
    return get_or_404(
        Entitlement.objects.filter(
            scope_q(user, region_field="case__region_id", roles=queries.PAYOUT_ROLES)
        ).select_related("person", "case"),
        pk,
    )


@login_required
def account_change(request, pk):
    entitlement = _entitlement(request.user, pk)
    form = AccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        released = []
        if run_action(
            request,
            lambda: released.append(
                actions.do_change_account(
                    entitlement, acting_user=request.user, **form.cleaned_data
                )
            ),
            form=form,
        ):
            messages.success(
                request,
                _("The account is changed; %(n)s held payments go into the next batch.")
                % {"n": released[0]},
            )
            return redirect("benefits:held")
    return render(
        request,
        "benefits/account_form.html",
        {"entitlement": entitlement, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def payment_retry(request, pk):
    require_role(request.user, queries.PAYOUT_ROLES)
    payment = get_or_404(
        Payment.objects.filter(
            scope_q(
                request.user,
                region_field="entitlement__case__region_id",
                roles=queries.PAYOUT_ROLES,
            )
        ),
        pk,
    )
    run_action(
        request,
        lambda: actions.do_retry_payment(payment, acting_user=request.user),
        done=_("The payment goes into the next batch, to the same account."),
    )
    return redirect(reverse("benefits:held"))
