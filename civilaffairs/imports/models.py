"""Bulk imports of persons and households from a legacy system.

A batch goes through its phases in order (staging → checking → matching → applying → done);
each phase works in chunks, and each chunk commits its rows together with the batch's
counters, so that a batch whose worker died is taken up where it stopped (tasks.py) and never
applies half a row. Rows are staged with COPY as they were read, each with the problems found
in it; a refused row stays, with its reasons, for the report the importer downloads.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civilaffairs.people.models import Household, Person, Region


class ImportBatch(models.Model):
    class Phase(models.TextChoices):
        STAGING = "staging", _("Reading the file")
        CHECKING = "checking", _("Checking the rows")
        MATCHING = "matching", _("Looking for existing records")
        APPLYING = "applying", _("Writing to the register")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Stopped: the file could not be read")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # Rows must lie in this region's subtree (the importer's jurisdiction, chosen on upload).
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default="staging")
    # Lines read so far (the staging phase resumes after the last line committed).
    total_rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    staged_rows = models.PositiveIntegerField(default=0)
    matched_rows = models.PositiveIntegerField(default=0)
    applied_rows = models.PositiveIntegerField(default=0)
    # What the file-level problem was (FAILED): a code of checks.FILE_PROBLEMS and its params.
    failure = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        permissions = [
            ("run_import", _("Can import persons and households from a legacy system")),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.pk})"

    @property
    def finished(self) -> bool:
        return self.phase in (self.Phase.DONE, self.Phase.FAILED)

    def progress(self) -> tuple[int, int]:
        """(done, of): the rows through the current phase, for the progress bar. Each phase
        counts the same rows, so the bar runs 0-100 % once per phase and says which it is."""
        total = self.total_rows or 0
        done = {
            self.Phase.STAGING: self.staged_rows,
            self.Phase.CHECKING: self.staged_rows,
            self.Phase.MATCHING: self.matched_rows,
            self.Phase.APPLYING: self.applied_rows,
        }.get(self.phase, total)
        return min(done, total), total


class ImportRow(models.Model):
    class State(models.TextChoices):
        VALID = "valid", _("Waiting")
        REFUSED = "refused", _("Refused")
        CREATED = "created", _("New record")
        UPDATED = "updated", _("Record updated")
        UNCHANGED = "unchanged", _("Already on the register")
        CONFLICT = "conflict", _("Held: the ID number is on the register under another name")
        KEPT = "kept", _("Not applied: the register's record was kept")

    # No foreign-key constraint in the database: PostgreSQL checks one with a trigger per
    # inserted row at commit, which took as long as the COPY itself (7 µs a row, 7 s of a
    # million-row import). Rows are written only by the runner of their batch, which holds
    # the batch's lock and reads it first, and leave with it (Django's CASCADE deletes them
    # before the batch). Nor an index of its own: the (batch, line) constraint's serves.
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        related_name="rows",
        db_constraint=False,
        db_index=False,
    )
    line = models.PositiveIntegerField(_("line"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="valid")
    # [[code, params], ...] of checks.ROW_PROBLEMS; empty for a valid row.
    problems = models.JSONField(default=list, blank=True)
    # The line as read, for the report of refused rows (the importer's own data, their area).
    raw = models.JSONField(default=list, blank=True)
    # The values after checking (normalised; empty where the file had nothing).
    id_number = models.CharField(max_length=18, blank=True)
    name = models.CharField(max_length=60, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    hukou_region = models.CharField(max_length=12, blank=True)
    residence_region = models.CharField(max_length=12, blank=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    ethnicity = models.CharField(max_length=20, blank=True)
    marital_status = models.CharField(max_length=12, blank=True)
    disability_grade = models.PositiveSmallIntegerField(null=True, blank=True)
    household_no = models.CharField(max_length=40, blank=True)
    relation = models.CharField(max_length=2, blank=True)
    hukou_type = models.CharField(max_length=10, blank=True)
    # Set in the matching phase: whether this row's candidates have been looked for.
    matched = models.BooleanField(default=False)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="import_row_line"),
        ]
        indexes = [
            models.Index(fields=["batch", "state", "line"], name="import_row_state"),
            # Households, a chunk of them at a time (run._apply).
            models.Index(fields=["batch", "household_no", "line"], name="import_row_household"),
            # Earlier lines that may be the same person (run._similar).
            models.Index(fields=["batch", "birth_date"], name="import_row_birth"),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.line}"

    @property
    def is_head(self) -> bool:
        return self.relation == "02"

    @property
    def home_region(self) -> str:
        """Where the person lives (else holds hukou): where the row belongs."""
        return self.residence_region or self.hukou_region


class ImportHousehold(models.Model):
    """The household a legacy household number became, so that its members (in later chunks,
    or after a crash) join the same one."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="households")
    key = models.CharField(max_length=40)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "key"], name="import_household_key"),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.key}"


class Candidate(models.Model):
    """A record that may be the same person as an imported row: waits in the adjudication queue
    until a reviewer merges the two or keeps them apart."""

    class Kind(models.TextChoices):
        SIMILAR = "similar", _("Similar person")
        CONFLICT = "conflict", _("Same ID number, another name")

    class Decision(models.TextChoices):
        PENDING = "pending", _("To decide")
        MERGED = "merged", _("Merged")
        APART = "apart", _("Kept apart")
        APPLIED = "applied", _("Row applied to the record")
        KEPT = "kept", _("Record kept as it was")
        GONE = "gone", _("No longer open (a record was merged elsewhere)")

    row = models.ForeignKey(ImportRow, on_delete=models.CASCADE, related_name="candidates")
    # The existing record (or, for a near-duplicate inside the file, the earlier line's row,
    # whose person is set once both are applied).
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    earlier_row = models.ForeignKey(
        ImportRow, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SIMILAR)
    score = models.PositiveSmallIntegerField(_("score"))
    # Why they look alike: codes of matching.REASONS.
    reasons = models.JSONField(default=list)
    # Where the pair belongs (the imported row's residence region): the reviewer's scope.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["row", "person"], condition=Q(person__isnull=False), name="candidate_pair"
            ),
        ]
        indexes = [
            models.Index(
                fields=["region", "-score", "id"],
                name="candidate_pending",
                condition=Q(decision="pending"),
            )
        ]

    def __str__(self):
        return f"{self.row} ~ {self.person_id}"
