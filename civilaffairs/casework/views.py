"""Staff case pages under /staff/cases/: the queues, claim-next, the case page and its actions.

Thin views: every read goes through casework.queries (jurisdiction and confidentiality in one
place, 404 outside it) and every change through an action. An action's refusal becomes a
message and a redirect back; nothing is saved (each action is atomic).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import grants_for, log_access, require_staff
from civilaffairs.accounts.models import AccessLog, StaffRole, User
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.feedback import error_messages, run_action
from civilaffairs.lib.jinja import url_maker
from civilaffairs.lib.params import get_choice, get_cursor, safe_next

from . import actions
from .document_actions import do_add_document
from .forms import (
    AssignForm,
    BulkAssignForm,
    CaseIdsField,
    DocumentUploadForm,
    NoteForm,
    PriorityForm,
    QueueFilterForm,
    state_choices,
    step_form,
)
from .models import Case, CaseEvent
from .queries import (
    access_case,
    access_document,
    assignable_staff,
    assignee_name,
    can_supervise_somewhere,
    case_field_history,
    documents_visible_to,
    queue_counts,
    queue_page,
    related_cases,
)
from .registry import all_services
from .scope import Scope
from .workflow import all_workflows

PAGE_SIZE = 25
DETAIL_TEMPLATE = "casework/case_detail.html"


def _outcome_label(outcome: str) -> str:
    return {
        "pass": _("Met"),
        "fail": _("Not met"),
        "refer": _("Needs a person to decide"),
    }.get(outcome, outcome)


def _can_supervise(case: Case, user) -> bool:
    return actions.can_assign(case, user)


# ----------------------------------------------------------------------------- queues


PAGE_SIZES = (10, 20, 25, 50, 100)


def _page_size(request) -> int:
    """Rows per page from `?size=` when it is one of PAGE_SIZES, else the default."""
    return get_choice(request, "size", PAGE_SIZES, default=PAGE_SIZE)


def _filter_fields(form, registered) -> str:
    """The filter form's fields (Django's forms and crispy's field template). Unfiltered they
    are the same for everyone who reads the page in one language, being built from the
    services and workflows registered in code, so they are kept in the fragment cache per
    language and per number of services and workflows registered."""
    if form is not None:
        return render_to_string("casework/_queue_filter_fields.html", {"form": form})
    key = "queue-filter-fields:{}:{}:{}".format(get_language(), *registered)
    fragments = caches["template_fragments"]
    html = fragments.get(key)
    if html is None:
        html = render_to_string("casework/_queue_filter_fields.html", {"form": QueueFilterForm()})
        fragments.set(key, html, None)
    return mark_safe(html)  # noqa: S308 (rendered by Django's engine, which escaped it)


def _queue(request, which: str):
    """A staff queue: the counts above it (cached briefly when long: queries.queue_counts),
    one keyset page of its rows, and the filter form. Rendered whole by Jinja2
    (jinja2/casework/case_list.jinja; lib/jinja.py says why)."""
    user = request.user
    require_staff(user)
    # The form is built only when a filter was given: unfiltered there is nothing to check.
    filtered = any(request.GET.get(name) for name in QueueFilterForm.base_fields)
    form = QueueFilterForm(request.GET) if filtered else None
    filters = form.filters() if form else {}
    # One GROUP BY for the whole (filtered) queue, before the state filter narrows it.
    counts, counted_at = queue_counts(user, which, filters)
    page = queue_page(user, which, filters, after=get_cursor(request), size=_page_size(request))
    query = request.GET.copy()
    query.pop("after", None)
    filter_query = query.urlencode()
    # The counts link to one state each, with the other filters kept.
    query.pop("state", None)
    can_bulk = bool(page.rows) and can_supervise_somewhere(user)
    total = sum(n for _name, _label, n in counts)
    return render(
        request,
        "casework/case_list.jinja",
        {
            "which": which,
            "filtered": filtered,
            "filter_fields": _filter_fields(form, (len(all_services()), len(all_workflows()))),
            "page": page,
            "rows": page.rows,
            "counts": counts,
            "counts_heading": ngettext("%(n)s case by status", "%(n)s cases by status", total)
            % {"n": total},
            "counted_at": counted_at,
            "counts_seconds": settings.QUEUE_COUNTS_SECONDS,
            "counts_query": query.urlencode(),
            "filter_query": filter_query,
            "continued": bool(request.GET.get("after")),
            "can_bulk": can_bulk,
            # A row's "Take" is offered for the cases of the offices the user works in.
            "my_offices": Scope.of(user).offices if which == "office" else (),
            "columns": 7 + can_bulk + (which == "office"),
            "claim_next_url": reverse("casework:claim-next"),
            "bulk_assign_url": reverse("casework:bulk-assign"),
            "case_url": url_maker("casework:case-detail"),
            "claim_url": url_maker("casework:case-claim"),
        },
        using="jinja2",
    )


@login_required
@require_GET
def queue_mine(request):
    return _queue(request, "mine")


@login_required
@require_GET
def queue_office(request):
    return _queue(request, "office")


@login_required
@require_POST
def claim_next(request):
    require_staff(request.user)
    case = actions.do_claim_next(acting_user=request.user)
    if case is None:
        messages.info(request, _("No case is waiting in your office queue."))
        return redirect("casework:queue-office")
    messages.success(request, _("Case %(ref)s is now yours.") % {"ref": case.reference})
    return redirect("casework:case-detail", case.pk)


@login_required
@require_POST
def bulk_assign(request):
    user = request.user
    require_staff(user)
    if not can_supervise_somewhere(user):
        raise PermissionDenied
    back = safe_next(request, reverse("casework:queue-office"))
    try:
        ids = CaseIdsField(required=False).clean(request.POST.getlist("case"))
    except ValidationError:
        ids = []  # the form below says what is wrong
    picked = list(
        Case.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("office", "applicant")
        .order_by("reference")
    )
    if len(picked) != len(ids):
        # A case outside the user's scope is answered like one that does not exist.
        raise Http404
    roles = assignable_staff(user, office_ids={c.office_id for c in picked})
    if "assignee" not in request.POST:
        # Step one, from the queue page: the ticked cases; now choose among the staff of
        # their offices (the queue page itself lists nobody: a province has thousands).
        if not ids:
            messages.error(request, _("Tick at least one case in the list."))
            return redirect(back)
        form = BulkAssignForm(initial={"case": ids}, roles=roles)
        return render(
            request, "casework/bulk_assign.html", {"form": form, "cases": picked, "next": back}
        )
    form = BulkAssignForm(request.POST, roles=roles)
    refs = {c.pk: c.reference for c in picked}
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    done, errors = actions.do_bulk_assign(ids, assignee, acting_user=user)
    if done:
        messages.success(
            request,
            _("%(n)d case(s) assigned to %(name)s.") % {"n": done, "name": assignee.display_name},
        )
    for pk, why in errors:
        messages.error(
            request, _("%(ref)s was not assigned: %(why)s") % {"ref": refs.get(pk, pk), "why": why}
        )
    return redirect(back)


# ----------------------------------------------------------------------------- case page


def details_html(request, case: Case, partial: str = "_case_details.html") -> str:
    """The domain's own block, when the domain ships `<app_label>/<partial>` (staff pages use
    `_case_details.html`, the citizen's page `_citizen_details.html`); nothing otherwise."""
    details = case.details()
    if details is None:
        return ""
    try:
        template = select_template([f"{details._meta.app_label}/{partial}"])
    except TemplateDoesNotExist:
        return ""
    return template.render({"case": case, "details": details}, request)


def _timeline(case: Case) -> list:
    """Every event, internal ones included, with its state change (or new assignee) in words."""
    labels = dict(state_choices(case.service))
    events = list(case.events.select_related("actor__person"))
    assignee_ids = {
        e.data.get("to") for e in events if e.kind == CaseEvent.Kind.ASSIGNMENT and e.data.get("to")
    }
    names = {
        u.pk: u.display_name
        for u in User.objects.filter(pk__in=assignee_ids).select_related("person")
    }
    rows = []
    for e in events:
        change = ""
        if e.kind == CaseEvent.Kind.ASSIGNMENT:
            to = e.data.get("to")
            change = (
                _("to %(name)s") % {"name": names.get(to, to)}
                if to
                else _("back to the office queue")
            )
        elif e.to_state:
            to = labels.get(e.to_state, e.to_state)
            change = f"{labels.get(e.from_state, e.from_state)} → {to}" if e.from_state else to
        rows.append((e, change))
    return rows


def step_forms(case: Case, user, bound: dict | None = None) -> list:
    """The steps `user` may take on the case now, each with its form (the one sent back with
    errors when `bound` has it): for casework/_step_forms.html, on the case page or a domain's
    workspace."""
    bound = bound or {}
    return [
        (t, bound.get(f"t-{t.name}") or step_form(t, case, user=user))
        for t in case.workflow.transitions_from(case.state)
        if actions.can_fire(case, t, user)
    ]


def _detail_context(request, case: Case, bound: dict | None = None) -> dict:
    user = request.user
    bound = bound or {}
    screening = case.screenings.first()
    can_assign = case.is_open and case.office_id is not None and _can_supervise(case, user)
    assign_form = priority_form = None
    if can_assign:
        assign_form = bound.get("assign") or AssignForm(
            roles=assignable_staff(user, case=case),
            initial={"assignee": case.assignee_id},
        )
        priority_form = bound.get("prio") or PriorityForm(initial={"priority": case.priority})
    upload_form = bound.get("doc") or DocumentUploadForm()
    note_form = bound.get("note") or NoteForm()
    works_here = (
        case.is_open
        and case.office_id is not None
        and any(g.office_id == case.office_id for g in grants_for(user))
    )
    return {
        "case": case,
        "can_claim": works_here
        and case.assignee_id is None
        and case.state in case.workflow.queued(),
        "can_release": case.is_open and case.assignee_id == user.pk,
        # "In the office queue" only where the case waits in one (a granted allowance does not).
        "in_queue": case.is_open and case.state in case.workflow.queued(),
        "assignee_name": assignee_name(case),
        "service": case.service_def,
        "transition_forms": step_forms(case, user, bound),
        "next_url": bound.get("next_url", ""),
        "screening": screening,
        # The program by the service's name in the reader's language (its rules are the
        # service's), rather than its code ("dibao").
        "screening_program": (
            case.service_def.name
            if screening and screening.program == case.service_def.program
            else (screening.program if screening else "")
        ),
        "screening_rows": [
            {**r, "outcome_label": _outcome_label(r.get("outcome", ""))}
            for r in (screening.rows if screening else [])
        ],
        "events": _timeline(case),
        "field_history": case_field_history(case),
        "documents": documents_visible_to(user, case).select_related("uploaded_by__person"),
        "related_cases": related_cases(user, case),
        "details_html": details_html(request, case),
        "upload_form": upload_form,
        "upload_fields": [upload_form["kind"], upload_form["file"]],
        "note_form": note_form,
        "note_fields": [note_form["text"], note_form["public"]],
        "assign_form": assign_form,
        "priority_form": priority_form,
    }


def _render_detail(request, case, bound, status=400):
    return render(request, DETAIL_TEMPLATE, _detail_context(request, case, bound), status=status)


def _back_to(request, case: Case):
    """The case page, or the queue when the action moved the case out of the user's sight.
    Asks the database again (not case.is_visible_to): the action may have moved the case."""
    if Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
        return redirect("casework:case-detail", case.pk)
    return redirect("casework:queue-mine")


@login_required
@require_GET
def case_detail(request, pk):
    case = access_case(request.user, pk)
    if case.confidentiality >= Confidentiality.SENSITIVE:
        log_access(request.user, AccessLog.Action.VIEW_RECORD, case, request=request)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, case))


@login_required
@require_POST
def case_transition(request, pk, name):
    case = access_case(request.user, pk)
    t = case.workflow.transitions.get(name)
    if t is None:
        raise Http404
    form = step_form(t, case, request.POST, request.FILES, user=request.user)
    # A domain's workspace (the registry's counter) posts the step with its own address to
    # come back to; a form sent back with errors is shown on the case page, which keeps it.
    back = safe_next(request, "")
    try:
        actions.do_transition(case, name, acting_user=request.user, form=form)
    except actions.StepInvalid as exc:
        messages.error(request, _("“%(action)s” was not done; see below.") % {"action": t.label})
        return _render_detail(request, case, {f"t-{t.name}": exc.form, "next_url": back})
    except ValidationError as exc:
        error_messages(request, exc)
        return redirect(back or reverse("casework:case-detail", args=[case.pk]))
    except PermissionDenied:
        messages.error(request, _("You may not do this on this case."))
        return redirect(back or reverse("casework:case-detail", args=[case.pk]))
    messages.success(request, _("Done: %(action)s.") % {"action": t.label})
    if back and Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
        return redirect(back)
    return _back_to(request, case)


@login_required
@require_POST
def case_claim(request, pk):
    """Take this case from the office queue: for the staff of the office handling it."""
    case = access_case(request.user, pk)
    if not StaffRole.objects.filter(
        user=request.user, office_id=case.office_id, is_active=True
    ).exists():
        raise PermissionDenied
    run_action(
        request,
        lambda: actions.do_claim_case(case, acting_user=request.user),
        done=_("The case is yours now."),
    )
    return redirect("casework:case-detail", pk=case.pk)


@login_required
@require_POST
def case_release(request, pk):
    """Give one's case back to the office queue: only its assignee."""
    case = access_case(request.user, pk)
    if case.assignee_id != request.user.pk:
        raise PermissionDenied
    run_action(
        request,
        lambda: actions.do_release_case(case, acting_user=request.user),
        done=_("The case is back in the office queue."),
    )
    return redirect("casework:case-detail", pk=case.pk)


@login_required
@require_POST
def case_assign(request, pk):
    case = access_case(request.user, pk)
    if not _can_supervise(case, request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, roles=assignable_staff(request.user, case=case))
    if not form.is_valid():
        return _render_detail(request, case, {"assign": form})
    assignee = form.cleaned_data["assignee"]
    run_action(
        request,
        lambda: actions.do_assign_case(case, assignee, acting_user=request.user),
        done=lambda _case: (
            _("The case is back in the office queue.")
            if assignee is None
            else _("The case is now assigned to %(name)s.") % {"name": assignee.display_name}
        ),
        denied=_("You may not assign this case."),
    )
    return _back_to(request, case)


@login_required
@require_POST
def case_priority(request, pk):
    case = access_case(request.user, pk)
    if not _can_supervise(case, request.user):
        raise PermissionDenied
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, case, {"prio": form})
    run_action(
        request,
        lambda: actions.do_set_priority(
            case, form.cleaned_data["priority"], acting_user=request.user
        ),
        done=_("Priority changed."),
        denied=_("You may not change the priority of this case."),
    )
    return redirect("casework:case-detail", case.pk)


@login_required
@require_POST
def case_note(request, pk):
    case = access_case(request.user, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, case, {"note": form})
    run_action(
        request,
        lambda: actions.do_add_note(
            case,
            acting_user=request.user,
            text=form.cleaned_data["text"],
            public=form.cleaned_data["public"],
        ),
        done=_("Note added."),
        denied=_("You may not add a note to this case."),
    )
    return redirect("casework:case-detail", case.pk)


def add_document_from_form(request, case: Case, form: DocumentUploadForm) -> bool:
    """Shared by the staff and citizen pages: True when stored; otherwise the refusal is on the
    form, next to the field, and in the page's messages."""
    if not form.is_valid():
        messages.error(request, _("The document was not added; see below."))
        return False
    try:
        party = bool(request.user.person_id) and request.user.person_id in (
            case.applicant_id,
            case.beneficiary_id,
        )
        do_add_document(
            case,
            form.cleaned_data["file"],
            form.cleaned_data["kind"],
            acting_user=request.user,
            shared=True if party else form.cleaned_data.get("shared", False),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            form.add_error(None, exc)
        else:
            form.add_error("file", exc)
        for text in exc.messages:
            messages.error(request, _("The document was not added: %(why)s") % {"why": text})
        return False
    except PermissionDenied:
        messages.error(request, _("You may not add documents to this case."))
        return False
    messages.success(request, _("Document added."))
    return True


@login_required
@require_POST
def document_upload(request, pk):
    case = access_case(request.user, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    stored = add_document_from_form(request, case, form)
    if request.POST.get("next"):  # posted from a domain page: back there, messages say how it went
        return redirect(safe_next(request, reverse("casework:case-detail", args=[case.pk])))
    if not stored:
        return _render_detail(request, case, {"doc": form})
    return redirect(reverse("casework:case-detail", args=[case.pk]) + "#documents")


def file_response(doc) -> FileResponse:
    """The stored bytes as a download, never rendered inline: the original name as a label
    (Django writes filename* per RFC 5987 for non-ASCII names), the type we checked at upload."""
    try:
        handle = doc.file.storage.open(doc.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=doc.original_name, content_type=doc.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def document_download(request, pk):
    require_staff(request.user)
    doc = access_document(request.user, pk)
    log_access(
        request.user,
        AccessLog.Action.VIEW_RECORD,
        doc,
        detail=f"document of {doc.case.reference}",
        request=request,
    )
    return file_response(doc)
