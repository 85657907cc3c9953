"""Every change an import makes outside run.py's phases: starting a batch, and the reviewer's
decision on a possible duplicate (merging goes through people.actions, keeping both
records' histories)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.people.actions import do_merge_persons, do_update_person
from civilaffairs.people.models import Person, Region

from .models import Candidate, ImportBatch, ImportRow
from .run import _changes


def do_start_import(*, acting_user, region: Region, upload) -> ImportBatch:
    """Keep the file and queue the batch; the worker reads it (tasks.run_import_task)."""
    from .tasks import run_import_task

    with transaction.atomic():
        batch = ImportBatch(uploaded_by=acting_user, region=region, file_name=upload.name[:200])
        batch.file.save(f"batch-{timezone.now():%Y%m%d%H%M%S}.dat", upload, save=False)
        batch.save()
        transaction.on_commit(lambda: run_import_task.delay(batch.pk))
    return batch


def _decide(candidate: Candidate, decision: str, acting_user, note: str = ""):
    candidate.decision = decision
    candidate.decided_by = acting_user
    candidate.decided_at = timezone.now()
    candidate.note = (note or "")[:200]
    candidate.save(update_fields=["decision", "decided_by", "decided_at", "note"])


def _lock_pending(candidate: Candidate) -> Candidate:
    locked = Candidate.objects.select_for_update().select_related("row").get(pk=candidate.pk)
    if locked.decision != Candidate.Decision.PENDING:
        raise ValidationError(_("This pair has been decided already."))
    return locked


@transaction.atomic
def do_merge_candidate(
    candidate: Candidate, *, acting_user, survivor: Person, duplicate: Person, reason, keep
):
    """The two records are one person: fold one into the other (people.actions), and close
    every other open pair that named the record that went away."""
    candidate = _lock_pending(candidate)
    pair = {candidate.person_id, candidate.row.person_id}
    if {survivor.pk, duplicate.pk} != pair:
        raise ValidationError(_("These are not the two records of this pair."))
    merge = do_merge_persons(survivor, duplicate, acting_user=acting_user, reason=reason, keep=keep)
    _decide(candidate, Candidate.Decision.MERGED, acting_user, reason)
    ImportRow.objects.filter(person=duplicate).update(person=survivor)
    Candidate.objects.filter(decision=Candidate.Decision.PENDING).filter(
        Q(person=duplicate) | Q(row__person=duplicate)
    ).update(decision=Candidate.Decision.GONE, decided_at=timezone.now())
    return merge


@transaction.atomic
def do_keep_apart(candidate: Candidate, *, acting_user, note: str):
    """Two people after all; the decision and its reason are kept with the pair."""
    if not (note or "").strip():
        raise ValidationError(_("Please say why these are two people."))
    candidate = _lock_pending(candidate)
    _decide(candidate, Candidate.Decision.APART, acting_user, note)
    return candidate


@transaction.atomic
def do_apply_conflicting_row(candidate: Candidate, *, acting_user, note: str):
    """The row's ID number is on the register under another name and the reviewer found the
    row right (a changed or corrected name): the record takes the row's name and facts."""
    candidate = _lock_pending(candidate)
    row = ImportRow.objects.select_for_update().get(pk=candidate.row_id)
    person = candidate.person
    changes = _changes(row, person)
    changes["name"] = row.name
    do_update_person(
        person, acting_user=acting_user, reason=f"import {row.batch_id} line {row.line}", **changes
    )
    row.state, row.person = ImportRow.State.UPDATED, person
    row.save(update_fields=["state", "person"])
    _decide(candidate, Candidate.Decision.APPLIED, acting_user, note)


@transaction.atomic
def do_keep_record(candidate: Candidate, *, acting_user, note: str):
    """The register's record is right; the row is not applied (its line stays in the batch's
    report with this decision)."""
    if not (note or "").strip():
        raise ValidationError(_("Please say why the register's record is kept."))
    candidate = _lock_pending(candidate)
    ImportRow.objects.filter(pk=candidate.row_id).update(state=ImportRow.State.KEPT)
    _decide(candidate, Candidate.Decision.KEPT, acting_user, note)
