"""The citizen's side under /my/: my applications, one application's progress, withdrawing,
adding evidence, and the inbox.

A citizen reads only their own cases (Case.objects.of_citizen) and only the public part of the
timeline: internal steps and notes are never shown, and staff appear by role, not by name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, safe_next, to_id

from . import actions
from .forms import DocumentUploadForm, WithdrawForm
from .models import Case, CaseEvent
from .queries import (
    access_citizen_case,
    access_citizen_document,
    list_cases_for_citizen,
    list_notifications_for_citizen,
    unread_count_for,
)
from .views import add_document_from_form, details_html, file_response

DETAIL_TEMPLATE = "casework/mycase_detail.html"
WITHDRAW = "withdraw"


def _withdraw_transition(case: Case, user):
    """The workflow's citizen transition named "withdraw", when it may be fired now."""
    t = case.workflow.transitions.get(WITHDRAW)
    if t is None or not t.citizen or case.state not in t.sources:
        return None
    return t if actions.can_fire(case, t, user) else None


def _who(event: CaseEvent, user) -> str:
    if event.actor_id is None:
        return _("Automatic")
    if event.actor_id == user.pk:
        return _("You")
    # Staff are never named to the citizen; the office acts.
    return _("Civil affairs office")


def _title(event: CaseEvent, case: Case) -> str:
    if event.kind == CaseEvent.Kind.TRANSITION and event.to_state:
        state = case.workflow.states.get(event.to_state)
        if state is not None:
            return state.citizen_label or state.label
    return {
        CaseEvent.Kind.SCREENING: _("Automatic pre-check"),
        CaseEvent.Kind.ROUTING: _("Sent to an office"),
        CaseEvent.Kind.NOTE: _("Message from the caseworker"),
        CaseEvent.Kind.DECISION: _("Decision"),
        CaseEvent.Kind.PAYMENT: _("Payment"),
        CaseEvent.Kind.DOCUMENT: _("Document"),
        CaseEvent.Kind.CREATED: _("Application started"),
    }.get(event.kind, event.get_kind_display())


@login_required
@require_GET
def my_cases(request):
    page = keyset_page(
        list_cases_for_citizen(request.user),
        order=("-created_at", "-id"),
        after=get_cursor(request),
        size=50,
    )
    return render(request, "casework/mycase_list.html", {"page": page})


def _detail_context(request, case: Case, upload_form=None) -> dict:
    user = request.user
    upload_form = upload_form or DocumentUploadForm()
    events = list(case.events.filter(public=True).order_by("at", "id"))
    screening = next((e for e in reversed(events) if e.kind == CaseEvent.Kind.SCREENING), None)
    return {
        "case": case,
        "service": case.service_def,
        "timeline": [
            {"at": e.at, "title": _title(e, case), "who": _who(e, user), "message": e.text}
            for e in events
        ],
        "screening_message": screening.text if screening else "",
        "documents": case.documents.filter(shared_with_applicant=True).order_by(
            "uploaded_at", "id"
        ),
        "can_withdraw": _withdraw_transition(case, user) is not None,
        "details_html": details_html(request, case, "_citizen_details.html"),
        "upload_form": upload_form,
        "upload_fields": [upload_form["kind"], upload_form["file"]],
    }


@login_required
@require_GET
def case_detail(request, pk):
    case = access_citizen_case(request.user, pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, case))


@login_required
@require_http_methods(["GET", "POST"])
def case_withdraw(request, pk):
    """GET asks to confirm (no pop-up); POST withdraws."""
    case = access_citizen_case(request.user, pk)
    t = _withdraw_transition(case, request.user)
    if t is None:
        messages.error(request, _("This application can no longer be withdrawn online."))
        return redirect("cases:case-detail", case.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        return render(
            request,
            "casework/mycase_withdraw.html",
            {"case": case, "service": case.service_def, "form": form},
            status=200 if request.method == "GET" else 400,
        )
    run_action(
        request,
        lambda: actions.do_transition(
            case, WITHDRAW, acting_user=request.user, reason=form.cleaned_data["reason"]
        ),
        done=_("Your application has been withdrawn."),
        denied=_("This application can no longer be withdrawn online."),
    )
    return redirect("cases:case-detail", case.pk)


@login_required
@require_POST
def document_upload(request, pk):
    case = access_citizen_case(request.user, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    stored = add_document_from_form(request, case, form)
    if request.POST.get("next"):  # posted from a domain page: back there, messages say how it went
        return redirect(safe_next(request, reverse("cases:case-detail", args=[case.pk])))
    if not stored:
        return render(request, DETAIL_TEMPLATE, _detail_context(request, case, form), status=400)
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#documents")


@login_required
@require_GET
def document_download(request, pk):
    return file_response(access_citizen_document(request.user, pk))


@login_required
@require_GET
def inbox(request):
    page = keyset_page(
        list_notifications_for_citizen(request.user),
        order=("-created_at", "-id"),
        after=get_cursor(request),
        size=20,
    )
    return render(
        request,
        "casework/notification_list.html",
        {"page": page, "unread": unread_count_for(request)},
    )


@login_required
@require_POST
def inbox_read(request):
    """Mark one message (`id`) or all of them read."""
    person = request.user.person
    if person is None:
        # An account with no person bound has no inbox: refused, like any page of a role the
        # user does not hold (a 404 is for a row outside the user's scope).
        raise PermissionDenied
    ids = None
    if request.POST.get("id"):
        one = to_id(request.POST["id"])
        if one is None:
            raise Http404
        ids = [one]
    n = actions.do_mark_notifications_read(person, acting_user=request.user, ids=ids)
    if ids is None:
        messages.success(request, _("All messages are marked as read."))
    elif n:
        messages.success(request, _("Message marked as read."))
    return redirect("cases:inbox")
