"""Staff pages of imports: upload and follow a batch, the report of refused rows, and the
queue of possible duplicates with the two records side by side."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civilaffairs.accounts.access import access_person
from civilaffairs.lib.feedback import error_messages
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor
from civilaffairs.people.forms import MergeForm

from . import actions
from .access import (
    REGISTRY_ROLES,
    access_batch,
    access_candidate,
    batches_of,
    candidates_of,
    import_prefixes,
    require_importer,
    require_reviewer,
)
from .checks import COLUMNS, problem_text
from .forms import NoteForm, UploadForm
from .matching import REASONS
from .models import Candidate, ImportRow


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request):
    require_importer(request.user)
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        prefixes=import_prefixes(request.user),
    )
    if request.method == "POST" and form.is_valid():
        batch = actions.do_start_import(
            acting_user=request.user,
            region=form.cleaned_data["region"],
            upload=form.cleaned_data["file"],
        )
        messages.success(request, _("The file was received; it is being read now."))
        return redirect("imports:detail", batch.pk)
    page = keyset_page(
        batches_of(request.user).select_related("region", "uploaded_by"),
        order=("-pk",),
        after=get_cursor(request),
        size=20,
    )
    status = 400 if form.is_bound else 200
    return render(request, "imports/batch_list.html", {"form": form, "page": page}, status=status)


@login_required
@require_GET
def template_csv(request):
    """An empty file with the columns (Chinese names, which the legacy systems' exports use)
    and one example row."""
    require_importer(request.user)
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so that Excel reads the Chinese header as UTF-8
    writer = csv.writer(out)
    writer.writerow([aliases[0] for _f, aliases, _l in COLUMNS])
    writer.writerow(
        [
            "王秀英",
            "",
            "女",
            "1958-03-12",
            "640104001002",
            "",
            "凤凰北街1号",
            "13900000000",
            "汉族",
            "30",
            "0",
            "H0001",
            "02",
            "城镇",
        ]
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-template.csv"'
    return response


def _counts(batch) -> dict[str, int]:
    counts = dict(
        ImportRow.objects.filter(batch=batch)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return counts


def _batch_context(batch):
    done, total = batch.progress()
    counts = _counts(batch)
    pending = Candidate.objects.filter(
        row__batch=batch, decision=Candidate.Decision.PENDING, person__isnull=False
    ).count()
    return {
        "batch": batch,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 0,
        "counts": [
            (label, counts.get(value, 0), value) for value, label in ImportRow.State.choices
        ],
        "pending": pending,
        "failure": problem_text(*batch.failure) if batch.failure else "",
    }


@login_required
@require_GET
def batch_detail(request, pk):
    batch = access_batch(request.user, pk)
    return render(request, "imports/batch_detail.html", _batch_context(batch))


@login_required
@require_GET
def batch_progress(request, pk):
    """The progress part of the batch page, fetched again every two seconds while it runs."""
    batch = access_batch(request.user, pk)
    return render(request, "imports/_progress.html", _batch_context(batch))


@login_required
@require_GET
def refused_report(request, pk):
    """Every refused (or not applied) row with its line, its reasons in the reader's language
    and the cells as the file had them."""
    batch = access_batch(request.user, pk)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Line"), _("Why it was refused"), _("The row as read")])
    rows = (
        ImportRow.objects.filter(batch=batch, state=ImportRow.State.REFUSED)
        .order_by("line")
        .values_list("line", "problems", "raw")
    )
    for line, problems, raw in rows.iterator(chunk_size=5000):
        reasons = "；".join(problem_text(code, params) for code, params in problems)
        writer.writerow([line, reasons, *["" if c is None else c for c in raw]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-refused.csv"'
    return response


@login_required
@require_GET
def review_queue(request):
    require_reviewer(request.user)
    qs = (
        candidates_of(request.user)
        .filter(decision=Candidate.Decision.PENDING, person__isnull=False)
        .select_related("row", "person", "region")
    )
    page = keyset_page(qs, order=("-score", "pk"), after=get_cursor(request), size=25)
    return render(request, "imports/review_queue.html", {"page": page, "reasons": REASONS})


def _reason_words(candidate) -> list[str]:
    if candidate.kind == Candidate.Kind.CONFLICT:
        return [_("the same ID number")]
    return [str(REASONS.get(r, r)) for r in candidate.reasons]


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    """A pair side by side. A similar person: merge the two records (people's merge form,
    field by field) or keep them apart, with the reason. The same ID number under another
    name: take the row's name and facts, or keep the record as it is."""
    candidate = access_candidate(request.user, pk)
    if candidate.person_id is None or candidate.decision != Candidate.Decision.PENDING:
        messages.info(request, _("This pair has been decided already."))
        return redirect("imports:review-queue")
    existing = access_person(request.user, candidate.person_id, roles=REGISTRY_ROLES)
    imported = None
    if candidate.kind == Candidate.Kind.SIMILAR:
        imported = access_person(request.user, candidate.row.person_id, roles=REGISTRY_ROLES)
        if existing.merged_into_id or imported.merged_into_id:
            messages.info(request, _("One of these records has been merged already."))
            return redirect("imports:review-queue")
    action = request.POST.get("action", "") if request.method == "POST" else ""
    merge_form = (
        MergeForm(request.POST if action == "merge" else None, a=existing, b=imported)
        if imported
        else None
    )
    note_form = NoteForm(request.POST if action in ("apart", "apply", "keep") else None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "merge" and merge_form is not None and merge_form.is_valid():
                arguments = merge_form.merge_arguments()
                merge = actions.do_merge_candidate(
                    candidate,
                    acting_user=request.user,
                    survivor=arguments["survivor"],
                    duplicate=arguments["duplicate"],
                    reason=arguments["reason"],
                    keep=arguments["keep"],
                )
                messages.success(
                    request,
                    _("Record no. %(dup)s was merged into record no. %(kept)s.")
                    % {"dup": merge.merged_id, "kept": merge.survivor_id},
                )
                return redirect("imports:review-queue")
            if action in ("apart", "apply", "keep") and note_form.is_valid():
                do = {
                    "apart": actions.do_keep_apart,
                    "apply": actions.do_apply_conflicting_row,
                    "keep": actions.do_keep_record,
                }[action]
                if (action == "apart") != (imported is not None):
                    raise ValidationError(_("This choice is not open for this pair."))
                do(candidate, acting_user=request.user, note=note_form.cleaned_data["note"])
                messages.success(request, _("Your decision was recorded."))
                return redirect("imports:review-queue")
            if action not in ("merge", "apart", "apply", "keep"):
                messages.error(request, _("Please choose one of the buttons."))
        except ValidationError as exc:
            error_messages(request, exc, form=merge_form if action == "merge" else note_form)
    return render(
        request,
        "imports/review.html",
        {
            "candidate": candidate,
            "existing": existing,
            "imported": imported,
            "row": candidate.row,
            "reasons": _reason_words(candidate),
            "form": merge_form,
            "rows": merge_form.bound_rows() if merge_form else [],
            "note_form": note_form,
            "action": action,
            "back": reverse("imports:review-queue"),
        },
        status=status,
    )


@login_required
@require_POST
def batch_resume(request, pk):
    """Queue a batch again at once (beat would, after IMPORT_STALL_SECONDS)."""
    from .tasks import run_import_task

    batch = access_batch(request.user, pk)
    if not batch.finished:
        run_import_task.delay(batch.pk)
        messages.info(request, _("The import will go on where it stopped."))
    return redirect("imports:detail", batch.pk)
