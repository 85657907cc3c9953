"""Running a batch: its phases, each in chunks that commit with the batch's counters.

    staging   read the file, check each row, COPY the rows in (with their problems)
    checking  what only the whole file shows: a number twice, a household without one head
    matching  each valid row against the register: the same ID number, or similar people
    applying  write the register: new people and households, changed facts of known people
    done

`run_batch` may be called again at any time (a worker that died, beat's resume): each phase
starts from what the last committed chunk left, so a second run gives what one clean run gives,
and no row is ever half applied (a row's person, household and state commit together). One
runner at a time holds the batch's advisory lock.
"""

import contextlib
import datetime as dt
import json
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from civilaffairs.lib.masking import mask_id_number, mask_phone
from civilaffairs.people.actions import do_add_member, do_create_household, do_update_person
from civilaffairs.people.models import Household, Membership, Person, Region

from . import matching
from .checks import FileProblem, RowChecker, read_rows
from .models import Candidate, ImportBatch, ImportHousehold, ImportRow

log = logging.getLogger(__name__)

_LOCK_SPACE = 7_241  # pg advisory lock namespace of import batches
# What an imported row may change on a person already on the register (people.actions
# PERSON_EDITABLE, less the name: a different name is a conflict a person decides).
UPDATABLE = (
    "hukou_region",
    "residence_region",
    "address",
    "phone",
    "ethnicity",
    "marital_status",
    "disability_grade",
)


class CrashForTests(Exception):
    """Raised by tests (through `crash_after`) to stop a run half-way like a dying worker."""


# Tests set this to a number of chunks after which the run stops (never set otherwise).
crash_after: int | None = None


def run_batch(batch_id: int) -> str:
    """Take the batch as far as it goes; returns its phase. Safe to call twice at once (the
    second returns at once) and after a crash (it goes on where the last chunk committed)."""
    with _batch_lock(batch_id) as held:
        if not held:
            return "busy"
        batch = ImportBatch.objects.select_related("region", "uploaded_by").get(pk=batch_id)
        chunks = _ChunkCounter()
        try:
            if batch.phase == ImportBatch.Phase.STAGING:
                _stage(batch, chunks)
            if batch.phase == ImportBatch.Phase.CHECKING:
                _check_file(batch)
            if batch.phase == ImportBatch.Phase.MATCHING:
                _match(batch, chunks)
            if batch.phase == ImportBatch.Phase.APPLYING:
                _apply(batch, chunks)
        except FileProblem as problem:
            _set(
                batch,
                phase=ImportBatch.Phase.FAILED,
                failure=[problem.code, problem.params],
                finished_at=timezone.now(),
            )
        return batch.phase


@contextlib.contextmanager
def _batch_lock(batch_id: int):
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_SPACE, batch_id])
        held = cur.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_SPACE, batch_id])


class _ChunkCounter:
    def __init__(self):
        self.n = 0

    def tick(self):
        self.n += 1
        if crash_after is not None and self.n > crash_after:
            raise CrashForTests(f"stopped after {crash_after} chunks")


def _set(batch: ImportBatch, **values):
    values["heartbeat_at"] = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(**values)
    for k, v in values.items():
        setattr(batch, k, v)


# ----------------------------------------------------------------------------- staging


def _copy_text(value) -> str:
    """A value in COPY's text format: \\N for NULL, backslashes doubled. The checks collapsed
    every run of whitespace in a cell (tabs and line breaks too) to one space, and JSON writes
    control characters as escapes, so a backslash is all that needs escaping."""
    if value is None:
        return "\\N"
    if type(value) is not str:
        value = value.isoformat() if isinstance(value, dt.date) else str(value)
    return value.replace("\\", "\\\\") if "\\" in value else value


def _area(batch: ImportBatch) -> str:
    return batch.region.prefix


def _open(batch: ImportBatch):
    return batch.file.storage.open(batch.file.name, "rb")


def _count_rows(batch: ImportBatch) -> int:
    """The file's rows, for the progress bar and the size limit. For a CSV file, its line
    breaks: read in C in a blink (a million rows in a fraction of a second), and never fewer
    than the rows (each row after the header follows a break; a cell may hold one more, so
    this may be more). Only a file whose breaks pass the limit is read row by row, to say
    exactly. `_stage` sets the exact number once it has read them all."""
    if not batch.file_name.lower().endswith(".xlsx"):
        breaks = crlf = 0
        last = b""
        with _open(batch) as fh:
            while block := fh.read(1 << 20):
                breaks += block.count(b"\n") + block.count(b"\r")
                crlf += block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
                last = block[-1:]
        if breaks - crlf <= settings.IMPORT_MAX_ROWS:
            return max(breaks - crlf, 1)
    with _open(batch) as fh:
        _fields, rows = read_rows(fh, batch.file_name)
        total = 0
        for _row in rows:
            total += 1
            if total > settings.IMPORT_MAX_ROWS:
                raise FileProblem("too_many_rows", limit=settings.IMPORT_MAX_ROWS)
    if total == 0:
        raise FileProblem("empty")
    return total


def _stage(batch: ImportBatch, chunks: _ChunkCounter):
    """Each chunk of rows is checked *while* COPY sends it: PostgreSQL writes the rows and
    their indexes in its own process as the text arrives, so the database's work and the
    checks run side by side (on two cores) instead of one after the other."""
    size = settings.IMPORT_CHUNK_ROWS
    if not batch.total_rows:
        _set(batch, total_rows=_count_rows(batch))
    regions = dict(Region.objects.values_list("code", "is_current"))
    checker = RowChecker(regions, _area(batch), timezone.localdate())
    with _open(batch) as fh:
        fields, rows = read_rows(fh, batch.file_name)
        done = batch.staged_rows
        for _skipped in zip(range(done), rows, strict=False):
            pass  # committed by an earlier run
        while True:
            source = _CopySource(batch.pk, done, fields, rows, checker, size)
            _commit_staged(batch, source, chunks)
            if source.read_rows < size:
                break
            done += source.read_rows
    if batch.staged_rows == 0:
        raise FileProblem("empty")
    _set(batch, phase=ImportBatch.Phase.CHECKING, total_rows=batch.staged_rows)


class _CopySource:
    """What COPY reads for one chunk: up to `size` rows, checked and written in COPY's text
    format a hundred at a time, each piece written to COPY as it is made. A problem reading
    the file is kept and raised once COPY has returned (an exception inside psycopg's `copy`
    block would cancel the COPY and could hide what it was), so the chunk is rolled back and
    the batch says what was wrong."""

    PIECE = 100  # rows per read: enough text per call, little waiting for the database

    def __init__(self, batch_id, done, fields, rows, checker, size):
        self.batch_id, self.line, self.fields = batch_id, done + 2, fields
        self.rows, self.checker, self.left = rows, checker, size
        self.read_rows, self.problem = 0, None

    def read(self, _size=-1) -> str:
        if self.left == 0 or self.problem is not None:
            return ""  # the chunk is whole: COPY ends here
        out = []
        try:
            for cells in self.rows:
                # A blank line is skipped. (any() first: it answers for nearly every line in
                # C, and only a line of nothing but empty or zero cells is looked at again.)
                if any(cells) or any(c not in (None, "") for c in cells):
                    out.append(
                        _copy_line(self.batch_id, self.line, self.fields, cells, self.checker)
                    )
                self.line += 1
                self.read_rows += 1
                self.left -= 1
                if self.left == 0 or len(out) == self.PIECE:
                    break
        except Exception as problem:  # noqa: BLE001 - raised again once COPY has returned
            self.problem = problem
            return ""
        return "".join(out)


def _copy_line(batch_id, line, fields, cells, checker) -> str:
    values, problems = checker.check(fields, cells)
    # The text columns first, in one join: each is a str whose runs of whitespace the checks
    # collapsed, so only a backslash needs escaping, and one look at the line says whether
    # any has one.
    text = "\t".join(
        (
            values["id_number"],
            values["name"],
            values["sex"],
            values["hukou_region"],
            values["residence_region"],
            values["address"],
            values["phone"],
            values["ethnicity"],
            values["marital_status"],
            values["household_no"],
            values["relation"],
            values["hukou_type"],
        )
    )
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    birth, grade = values["birth_date"], values["disability_grade"]
    if problems:
        refused = (
            "refused",
            _copy_text(json.dumps(problems, ensure_ascii=False)),
            _copy_text(_raw(cells, fields)),
            "t",
        )
    else:
        refused = _VALID
    return (
        "\t".join(
            (
                str(batch_id),
                str(line),
                text,
                "\\N" if birth is None else birth.isoformat(),
                "\\N" if grade is None else str(grade),
                *refused,
            )
        )
        + "\n"
    )


# The columns COPY writes, in the order _copy_line writes them.
COPY_COLUMNS = (
    "batch_id",
    "line",
    "id_number",
    "name",
    "sex",
    "hukou_region",
    "residence_region",
    "address",
    "phone",
    "ethnicity",
    "marital_status",
    "household_no",
    "relation",
    "hukou_type",
    "birth_date",
    "disability_grade",
    "state",
    "problems",
    "raw",
    "matched",
)
_VALID = ("valid", "[]", "[]", "f")

_MASKS = {"id_number": mask_id_number, "phone": mask_phone}


def _raw(cells, fields) -> str:
    """The refused line as read, for the report (cut to what a person can read), with the
    ID and phone numbers masked: the report is read by every importer of the area, and the
    line number finds the row in the file."""
    raw = []
    for i, cell in enumerate(cells[: len(fields) + 5]):
        text = None if cell is None else str(cell)[:200]
        mask = _MASKS.get(fields[i]) if i < len(fields) else None
        raw.append(mask(text) if mask and text else text)
    return json.dumps(raw, ensure_ascii=False)


def _commit_staged(batch: ImportBatch, source: _CopySource, chunks):
    with transaction.atomic():
        with connection.cursor() as cur:
            # A staged chunk need not wait for its WAL to reach the disk: if PostgreSQL stops
            # before it does, the chunk and the batch's count of staged rows are lost together
            # and the resumed run stages that chunk again. Staging touches nothing else (no
            # person, no message), so nothing outside can have seen it. SET LOCAL lasts to the
            # end of the outermost transaction: _stage runs in none (a task, the demo loader).
            cur.execute("SET LOCAL synchronous_commit TO OFF")
            with cur.cursor.copy(
                f"COPY imports_importrow ({', '.join(COPY_COLUMNS)}) FROM STDIN"
            ) as copy:
                while piece := source.read():
                    copy.write(piece)
        if source.problem is not None:
            raise source.problem  # the chunk goes back with the transaction
        if source.read_rows == 0:
            return
        if chunks is not None:
            chunks.tick()  # inside the transaction: a crash here loses this chunk only
        _set(batch, staged_rows=batch.staged_rows + source.read_rows)


# ----------------------------------------------------------------------------- checking

# A line that repeats an earlier valid line: the same ID number, or (both without one) the
# same name, sex, birth date and hukou region. The rows are grouped by one key (a number has
# no tab; the checks left none in a cell, so the other fields joined by tabs cannot meet a
# number or each other by chance): a hash of a million keys, where a window over them
# sorted them (a second more at a million rows). Each later line is refused, naming the first.
_DUPLICATES = """
    UPDATE imports_importrow r
       SET state = 'refused', matched = true,
           problems = r.problems || jsonb_build_array(jsonb_build_array(
               CASE WHEN r.id_number <> '' THEN 'duplicate_id' ELSE 'duplicate_person' END,
               jsonb_build_object('line', d.first_line)))
      FROM (SELECT CASE WHEN id_number <> '' THEN id_number
                        ELSE name || E'\\t' || sex || E'\\t' || coalesce(birth_date::text, '')
                             || E'\\t' || hukou_region END AS key,
                   min(line) AS first_line
              FROM imports_importrow
             WHERE batch_id = %(batch)s AND state = 'valid'
             GROUP BY 1 HAVING count(*) > 1) d
     WHERE r.batch_id = %(batch)s AND r.state = 'valid' AND r.line > d.first_line
       AND d.key = CASE WHEN r.id_number <> '' THEN r.id_number
                        ELSE r.name || E'\\t' || r.sex || E'\\t' || coalesce(r.birth_date::text, '')
                             || E'\\t' || r.hukou_region END
"""
# Per household number, once the duplicates are out: how many valid heads, and a refused
# head's line; each valid row of a household with no head or two is refused.
_HOUSEHOLDS = """
    UPDATE imports_importrow r
       SET state = 'refused', matched = true,
           problems = r.problems || jsonb_build_array(jsonb_build_array(
               CASE WHEN h.heads > 1 THEN 'household_two_heads'
                    WHEN h.refused_line IS NOT NULL THEN 'household_head_refused'
                    ELSE 'household_no_head' END,
               jsonb_build_object('key', r.household_no, 'line', h.refused_line)))
      FROM (SELECT household_no,
                   count(*) FILTER (WHERE relation = '02' AND state = 'valid') AS heads,
                   min(line) FILTER (WHERE relation = '02' AND state = 'refused') AS refused_line
              FROM imports_importrow
             WHERE batch_id = %(batch)s AND household_no <> ''
             GROUP BY household_no) h
     WHERE r.batch_id = %(batch)s AND r.state = 'valid' AND r.household_no = h.household_no
       AND h.heads <> 1
"""


@transaction.atomic
def _check_file(batch: ImportBatch):
    """The checks that need the whole file, set-based, in two statements: the duplicates,
    then the households (whose heads may just have been refused as duplicates). One
    transaction, so a crash here runs them again from the start."""
    with connection.cursor() as cur:
        # Fresh statistics: without them the planner takes the new rows for a handful and
        # joins them by nested loops (minutes instead of seconds at 100,000 rows).
        cur.execute("ANALYZE imports_importrow")
        # The file's rows are grouped in memory, not on disk; and compiling the two
        # statements to machine code (JIT) took longer than it saved (0.3 s a million rows).
        cur.execute("SET LOCAL work_mem TO '256MB'")
        cur.execute("SET LOCAL jit TO off")
        cur.execute(_DUPLICATES, {"batch": batch.pk})
        cur.execute(_HOUSEHOLDS, {"batch": batch.pk})
    _set(batch, phase=ImportBatch.Phase.MATCHING)


# ----------------------------------------------------------------------------- matching


def _match(batch: ImportBatch, chunks: _ChunkCounter):
    size = settings.IMPORT_CHUNK_ROWS
    area = _area(batch)
    last = 0
    while True:
        with transaction.atomic():
            # By line through the (batch, line) index: each chunk reads only its own rows.
            rows = list(
                ImportRow.objects.filter(batch=batch, line__gt=last, matched=False).order_by(
                    "line"
                )[:size]
            )
            if not rows:
                break
            last = rows[-1].line
            _match_chunk(batch, rows, area)
            ImportRow.objects.filter(pk__in=[r.pk for r in rows]).update(matched=True)
            chunks.tick()
            _set(batch, matched_rows=F("matched_rows") + len(rows))
            batch.refresh_from_db(fields=["matched_rows"])
    _set(batch, phase=ImportBatch.Phase.APPLYING, matched_rows=batch.total_rows)


def _conflict(row: ImportRow, person: Person) -> Candidate:
    """The row's ID number is the person's, under another name: held for a reviewer."""
    return Candidate(
        row=row,
        person=person,
        kind=Candidate.Kind.CONFLICT,
        score=100,
        reasons=["same_id"],
        region_id=row.home_region,
    )


def _area_q(area: str) -> Q:
    if not area:
        return Q()
    return Q(hukou_region_id__startswith=area) | Q(residence_region_id__startswith=area)


def _match_chunk(batch: ImportBatch, rows: list[ImportRow], area: str):
    numbers = [r.id_number for r in rows if r.id_number]
    known = {
        p.id_number: p
        for p in Person.objects.active()
        .filter(id_number__in=numbers)
        .only("id", "id_number", "name")
    }
    look: list[ImportRow] = []
    new: list[Candidate] = []
    for row in rows:
        person = known.get(row.id_number) if row.id_number else None
        if person is not None:
            row.person_id = person.pk
            if person.name != row.name:
                row.state = ImportRow.State.CONFLICT
                new.append(_conflict(row, person))
        else:
            look.append(row)
    if look:
        new.extend(_similar(batch, look, area))
    _save_rows([r for r in rows if r.person_id or r.state != ImportRow.State.VALID])
    Candidate.objects.bulk_create(new)


def _similar(batch, rows: list[ImportRow], area: str) -> list[Candidate]:
    """Candidates for rows with no known ID number: people of the area born the same day, of
    the same sex, with the same name or one that sounds the same; and earlier lines of the
    file that look the same. A row with a number is compared only with records that have
    none (two different numbers are two people). A record without a number that has the very
    name, birth date, sex and region is this person (people.actions.find_person's rule)."""
    # Rows without a number are compared with everyone born that day; rows with one only with
    # records (and earlier lines) that have none: a small set, with indexes of its own.
    plain = {r.birth_date for r in rows if not r.id_number}
    numbered_rows = {r.birth_date for r in rows if r.id_number}
    people = Person.objects.active().filter(_area_q(area))
    fields = ("id", "name", "sex", "birth_date", "hukou_region_id", "residence_region_id")
    found = list(people.filter(birth_date__in=plain).values_list(*fields, "id_number")) + list(
        people.filter(birth_date__in=numbered_rows - plain, id_number__isnull=True).values_list(
            *fields, "id_number"
        )
    )
    numbered = set()
    by_day: dict[tuple, list] = {}
    for pk, name, sex, birth, hukou, residence, number in found:
        by_day.setdefault((birth, sex), []).append((pk, name, (hukou, residence)))
        if number:
            numbered.add(pk)
    lines = ImportRow.objects.filter(
        batch=batch,
        line__lt=max(r.line for r in rows),
        state__in=[ImportRow.State.VALID, ImportRow.State.CONFLICT],
    )
    fields = ("id", "line", "name", "sex", "birth_date", "residence_region", "hukou_region")
    earlier: dict[tuple, list] = {}
    for values in list(lines.filter(birth_date__in=plain).values_list(*fields, "id_number")) + list(
        lines.filter(birth_date__in=numbered_rows - plain, id_number="").values_list(
            *fields, "id_number"
        )
    ):
        pk, line, name, sex, birth, residence, hukou, number = values
        earlier.setdefault((birth, sex), []).append((pk, line, name, residence or hukou, number))

    out = []
    limit = matching.threshold()

    def pair(row, name, regions, **other):
        points, reasons = matching.score(row.name, row.home_region, name, regions)
        if points >= limit:
            out.append(
                Candidate(
                    row=row, score=points, reasons=reasons, region_id=row.home_region, **other
                )
            )

    for row in rows:
        key = (row.birth_date, row.sex)
        for pk, name, regions in by_day.get(key, ()):
            if row.id_number and pk in numbered:
                continue
            if (
                not row.id_number
                and name == row.name
                and (row.hukou_region or row.home_region) in regions
                and pk not in numbered
            ):
                row.person_id = pk  # the same person by the register's own rule
                break
            pair(row, name, regions, person_id=pk)
        if row.person_id:
            out[:] = [c for c in out if c.row is not row]
            continue
        for pk, line, name, residence, number in earlier.get(key, ()):
            if line >= row.line or (row.id_number and number):
                continue
            pair(row, name, (residence,), earlier_row_id=pk)
    return out


# ----------------------------------------------------------------------------- applying


def _apply(batch: ImportBatch, chunks: _ChunkCounter):
    """Households first, a chunk of whole households at a time (each head before its
    members), then the rows of no household by line; each chunk through an index, and the
    keyset moves on only once its chunk has committed."""
    size = settings.IMPORT_CHUNK_ROWS
    valid = ImportRow.objects.filter(batch=batch, state=ImportRow.State.VALID)
    head_first = Case(When(relation="02", then=Value(0)), default=Value(1))

    def households(after):
        keys = list(
            valid.filter(household_no__gt=after)
            .order_by("household_no")
            .values_list("household_no", flat=True)
            .distinct()[: max(1, size // 3)]
        )
        rows = valid.filter(household_no__in=keys).order_by("household_no", head_first, "line")
        return list(rows.select_related("person")), (keys[-1] if keys else None)

    def single(after):
        rows = list(
            valid.filter(household_no="", line__gt=after)
            .select_related("person")
            .order_by("line")[:size]
        )
        return rows, (rows[-1].line if rows else None)

    for next_chunk, start in ((households, ""), (single, 0)):
        after = start
        while True:
            try:
                with transaction.atomic():
                    rows, last = next_chunk(after)
                    if not rows:
                        break
                    _apply_chunk(batch, rows)
                    chunks.tick()
                    _set(batch, applied_rows=F("applied_rows") + len(rows))
                    batch.refresh_from_db(fields=["applied_rows"])
            except IntegrityError:
                # Someone registered one of these people while the chunk ran: the chunk was
                # rolled back whole; the next pass finds them on the register and updates.
                log.info("import %s: a chunk met a concurrent registration; again", batch.pk)
                _rematch(batch)
                continue
            after = last
    _finish(batch)


def _rematch(batch):
    numbers = ImportRow.objects.filter(
        batch=batch, state=ImportRow.State.VALID, person__isnull=True
    ).exclude(id_number="")
    rows = list(numbers)
    known = {
        p.id_number: p
        for p in Person.objects.active().filter(id_number__in=[r.id_number for r in rows])
    }
    for row in rows:
        person = known.get(row.id_number)
        if person is not None:
            row.person = person
            if person.name != row.name:
                row.state = ImportRow.State.CONFLICT
                if not Candidate.objects.filter(row=row, person=person).exists():
                    _conflict(row, person).save()
            row.save(update_fields=["person", "state"])


def _save_rows(rows: list[ImportRow]):
    """Each row's person and state in one statement (Django's bulk_update writes a CASE with a
    branch per row, which PostgreSQL reads through for every row: quadratic in the chunk)."""
    if not rows:
        return
    with connection.cursor() as cur:
        # Three arrays unnested into the rows to write: one statement of the same text for any
        # number of rows (so PostgreSQL can keep its plan), three parameters.
        cur.execute(
            "UPDATE imports_importrow r SET person_id = v.person_id, state = v.state "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[]) AS v(id, person_id, state) "
            "WHERE r.id = v.id",
            [
                [r.pk for r in rows],
                [r.person_id for r in rows],
                [r.state for r in rows],
            ],
        )


def _new_person(row: ImportRow) -> Person:
    # Without a hukou region: the ID number's address code (as people.actions does), else
    # where the person lives.
    hukou = row.hukou_region or row.id_number[:6] or row.residence_region
    return Person(
        name=row.name,
        id_type=Person.IdType.RESIDENT_ID if row.id_number else Person.IdType.NONE,
        id_number=row.id_number or None,
        sex=row.sex,
        birth_date=row.birth_date,
        hukou_region_id=hukou,
        residence_region_id=row.residence_region or hukou,
        address=row.address,
        phone=row.phone,
        ethnicity=row.ethnicity,
        marital_status=row.marital_status or Person.MaritalStatus.UNMARRIED,
        disability_grade=row.disability_grade or 0,
    )


def _changes(row: ImportRow, person: Person) -> dict:
    out = {}
    for field in UPDATABLE:
        value = getattr(row, field)
        if value in ("", None):
            continue
        current = getattr(person, Person._meta.get_field(field).attname)
        if value != current:
            out[field] = Region(code=value) if field.endswith("_region") else value
    return out


def _apply_chunk(batch: ImportBatch, rows: list[ImportRow]):
    user = batch.uploaded_by
    reason = f"import {batch.pk}"
    # New people: in one statement each for the rows and their history.
    fresh = [r for r in rows if r.person_id is None]
    people = [_new_person(r) for r in fresh]
    if people:
        bulk_create_with_history(
            people, Person, default_user=user, default_change_reason=reason, batch_size=1000
        )
        for row, person in zip(fresh, people, strict=True):
            row.person, row.person_id, row.state = person, person.pk, ImportRow.State.CREATED
            row.is_new = True
    # Known people: their changed facts, one action each (history, domains told).
    for row in rows:
        if getattr(row, "is_new", False):
            continue
        row.is_new = False
        changes = _changes(row, row.person)
        if changes:
            do_update_person(
                row.person, acting_user=user, reason=f"{reason} line {row.line}", **changes
            )
            row.state = ImportRow.State.UPDATED
        else:
            row.state = ImportRow.State.UNCHANGED
    _households(batch, [r for r in rows if r.household_no])
    _save_rows(rows)


def _households(batch: ImportBatch, rows: list[ImportRow]):
    """Heads come before their members (the chunk's order): a head's household is theirs if
    they already head one, else a new one; a member joins the head's household unless already
    in it. Wholly new people in new households go in by bulk statements (no case can know
    them yet, so no domain needs telling); anything touching a known person goes through
    people.actions."""
    if not rows:
        return
    user = batch.uploaded_by
    keys = {r.household_no for r in rows}
    mapped: dict[str, int | Household] = {
        h.key: h.household_id
        for h in ImportHousehold.objects.filter(batch=batch, key__in=keys).only(
            "key", "household_id"
        )
    }
    current = {
        m.person_id: m
        for m in Membership.objects.filter(
            person_id__in=[r.person_id for r in rows], end_date__isnull=True
        )
    }
    today = timezone.localdate()
    pending = _Pending(batch)
    for row in rows:
        if row.is_head:
            if row.household_no not in mapped:
                mapped[row.household_no] = _head_household(
                    row, current.get(row.person_id), pending, user
                )
            continue
        if row.household_no not in mapped:
            # The head's row is held for a decision (its ID number is on the register under
            # another name): the register's record of that number heads the household.
            head = (
                ImportRow.objects.filter(batch=batch, household_no=row.household_no, relation="02")
                .select_related("person")
                .first()
            )
            head.is_new = False
            head_current = Membership.objects.filter(
                person_id=head.person_id, end_date__isnull=True
            ).first()
            mapped[row.household_no] = _head_household(head, head_current, pending, user)
        target = mapped[row.household_no]
        mine = current.get(row.person_id)
        if row.is_new:
            where = (
                {"household": target} if isinstance(target, Household) else {"household_id": target}
            )
            pending.members.append(
                Membership(
                    person_id=row.person_id,
                    relation=row.relation,
                    start_date=today,
                    **where,
                )
            )
            continue
        if isinstance(target, Household):
            pending.flush()
            target = mapped[row.household_no] = target.pk
        if mine is not None and mine.household_id == target:
            continue
        do_add_member(
            Household.objects.get(pk=target),
            row.person,
            acting_user=user,
            relation=row.relation,
            start_date=today,
        )
    pending.flush()


def _head_household(row: ImportRow, mine, pending: "_Pending", user) -> "int | Household":
    """The household a head's household number becomes: the one they head already, a new one
    built in bulk for a new person, or one made through people.actions for a known person."""
    if mine is not None and mine.relation == Membership.Relation.HEAD:
        pending.links.append((row.household_no, mine.household_id))
        return mine.household_id
    region_id = row.residence_region or row.hukou_region or row.id_number[:6]
    hukou_type = row.hukou_type or Household.HukouType.URBAN
    if row.is_new:
        house = Household(
            head_id=row.person_id, region_id=region_id, address=row.address, hukou_type=hukou_type
        )
        pending.houses.append(house)
        pending.members.append(
            Membership(
                household=house,
                person_id=row.person_id,
                relation=Membership.Relation.HEAD,
                start_date=timezone.localdate(),
            )
        )
        pending.links.append((row.household_no, house))
        return house
    pending.flush()
    household = do_create_household(
        acting_user=user,
        head=row.person,
        region=Region(code=region_id),
        address=row.address,
        hukou_type=hukou_type,
    )
    pending.links.append((row.household_no, household.pk))
    return household.pk


class _Pending:
    """New households and memberships of a chunk, written in bulk (with their history)."""

    def __init__(self, batch):
        self.batch = batch
        self.houses: list[Household] = []
        self.members: list[Membership] = []
        self.links: list[tuple[str, int | Household]] = []

    def flush(self):
        _flush(self.batch, self.houses, self.members, self.links)
        self.houses, self.members, self.links = [], [], []


def _flush(batch, houses, members, links):
    user = batch.uploaded_by
    reason = f"import {batch.pk}"
    if houses:
        bulk_create_with_history(houses, Household, default_user=user, default_change_reason=reason)
    for m in members:
        if m.household_id is None:
            m.household_id = m.household.pk
    if members:
        bulk_create_with_history(
            members, Membership, default_user=user, default_change_reason=reason
        )
    ImportHousehold.objects.bulk_create(
        [
            ImportHousehold(
                batch=batch, key=key, household_id=h.pk if isinstance(h, Household) else h
            )
            for key, h in links
        ],
        ignore_conflicts=True,
    )


def _finish(batch: ImportBatch):
    """Near-duplicates inside the file point at the earlier line's person, now it exists;
    a pair that turned out to be one record needs no decision."""
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(
                """
                UPDATE imports_candidate c SET person_id = e.person_id
                  FROM imports_importrow e, imports_importrow r
                 WHERE c.earlier_row_id = e.id AND c.row_id = r.id AND r.batch_id = %s
                   AND c.person_id IS NULL
                """,
                [batch.pk],
            )
        Candidate.objects.filter(
            row__batch=batch, decision=Candidate.Decision.PENDING, kind=Candidate.Kind.SIMILAR
        ).filter(Q(person__isnull=True) | Q(person_id=F("row__person_id"))).update(
            decision=Candidate.Decision.GONE
        )
        _set(
            batch,
            phase=ImportBatch.Phase.DONE,
            applied_rows=batch.total_rows,
            finished_at=timezone.now(),
        )
