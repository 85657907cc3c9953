"""Staging a legacy file: each row checked while COPY sends it, the checks that need the whole
file, the row count, and a file that turns unreadable part-way."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civilaffairs.imports import run
from civilaffairs.imports.actions import do_start_import
from civilaffairs.imports.checks import FIELDS, RowChecker, _cell
from civilaffairs.imports.models import ImportBatch, ImportRow
from civilaffairs.people.models import Region
from tests.auth import sign_in

from .conftest import _id, csv_file, row

VILLAGE = "640104001002"


def start(user, upload) -> ImportBatch:
    return do_start_import(
        acting_user=user, region=Region.objects.get(code="640104001"), upload=upload
    )


def problems_by_line(batch) -> dict:
    refused = ImportRow.objects.filter(batch=batch, state="refused")
    return dict(refused.values_list("line", "problems"))


@pytest.mark.parametrize("chunk", [2, 5000])
def test_each_check_of_the_whole_file(
    importer, settings, chunk, django_capture_on_commit_callbacks
):
    """The same ID number, the same person without one, and each way a household can lack
    its one head; across chunk boundaries as within one chunk."""
    settings.IMPORT_CHUNK_ROWS = chunk
    head = _id(dt.date(1950, 1, 1), seq=21)
    rows = [
        row("甲", head, household_no="H1", relation="02", residence=VILLAGE),  # 2
        row("乙", "", "女", "1960-02-02", VILLAGE, VILLAGE),  # 3
        row("甲", head, residence=VILLAGE),  # 4: the number of line 2
        row("乙", "", "女", "1960-02-02", VILLAGE, VILLAGE),  # 5: line 3 once more
        row("乙", "", "女", "1960-02-02", "640104001003", VILLAGE),  # 6: another hukou: not
        row("丙", _id(dt.date(1961, 1, 1), seq=23), household_no="H2", relation="02",
            residence=VILLAGE),  # 7
        row("丁", _id(dt.date(1962, 1, 1), seq=25), household_no="H2", relation="02",
            residence=VILLAGE),  # 8: H2's second head
        row("戊", "12345", household_no="H3", relation="02", residence=VILLAGE),  # 9: refused head
        row("己", _id(dt.date(1990, 1, 1), seq=27), household_no="H3", relation="20",
            residence=VILLAGE),  # 10
        row("庚", _id(dt.date(1991, 1, 1), seq=29), household_no="H4", relation="20",
            residence=VILLAGE),  # 11: no head
        row("辛", _id(dt.date(1992, 1, 1), seq=31), household_no="H1", relation="20",
            residence=VILLAGE),  # 12: a member of H1, whose head is line 2
        row("甲", head, household_no="H5", relation="02", residence=VILLAGE),  # 13
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        batch = start(importer, csv_file(rows))
    assert run.run_batch(batch.pk) == "done"
    batch.refresh_from_db()
    assert (batch.total_rows, batch.staged_rows) == (12, 12)
    assert problems_by_line(batch) == {
        4: [["duplicate_id", {"line": 2}]],
        5: [["duplicate_person", {"line": 3}]],
        7: [["household_two_heads", {"key": "H2", "line": None}]],
        8: [["household_two_heads", {"key": "H2", "line": None}]],
        9: [["id_length", {"n": 5}]],
        10: [["household_head_refused", {"key": "H3", "line": 9}]],
        11: [["household_no_head", {"key": "H4", "line": None}]],
        # H5's only head repeats line 2's number: refused as that, and so H5 has none.
        13: [["duplicate_id", {"line": 2}]],
    }
    assert dict(ImportRow.objects.filter(batch=batch).values_list("line", "state"))[12] == (
        "created"
    )


CELLS = [
    "  王 秀英 ",
    "王\t秀英",
    "王  秀英",
    "王\u3000秀英",
    "王秀英\n",
    "",
    " ",
    None,
    19580312,
    1958.0,
    dt.date(1958, 3, 12),
    dt.datetime(1958, 3, 12, 8, 0),
]


@pytest.mark.parametrize("cell", CELLS, ids=repr)
def test_a_cell_reads_the_same_on_the_fast_path_as_cell_by_cell(cell):
    """A row is read in one step when its cells are plain text, else cell by cell: the values
    are the same either way, whatever the cell holds and wherever it stands."""
    checker = RowChecker({}, "", dt.date(2026, 12, 6))
    fields = list(FIELDS)
    for position in (0, 6, len(fields) - 1):
        cells = ["x"] * len(fields)
        cells[position] = cell
        expected = dict(zip(fields, map(_cell, cells), strict=True))
        assert checker._read(fields, cells) == expected
    # A file without some columns, and a line shorter than its header.
    fields = ["name", None, "id_number", "phone"]
    for cells in ([cell, "skip", "1", "2"], ["a", "b", cell], [cell]):
        expected = dict.fromkeys(FIELDS, "")
        expected.update({f: _cell(c) for f, c in zip(fields, cells, strict=False) if f})
        assert checker._read(fields, cells) == expected


def test_the_rows_are_counted_by_their_line_breaks_first_and_exactly_once_staged(
    importer, settings, django_capture_on_commit_callbacks
):
    """The progress bar's total is known at once from the line breaks (never fewer than the
    rows), and exact once the rows are staged: here a cell holds a line break and the lines
    end in CR LF."""
    text = (
        "姓名,公民身份号码,性别,出生日期,居住地区划代码\r\n"
        '"王秀英",,女,1960-01-01,640104001002\r\n'
        '"李\n娜",,女,1961-01-01,640104001002\r\n'
        '"张伟",,男,1962-01-01,640104001002\r\n'
    )
    upload = SimpleUploadedFile("legacy.csv", text.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):
        batch = start(importer, upload)
    assert run._count_rows(batch) == 5  # four breaks of lines, one in a cell
    assert run.run_batch(batch.pk) == "done"
    batch.refresh_from_db()
    assert batch.total_rows == 3
    assert ImportRow.objects.get(batch=batch, line=3).name == "李 娜"
    assert batch.progress() == (3, 3)


@pytest.mark.parametrize(("rows", "fails"), [(3, False), (4, True)])
def test_the_row_limit_counts_rows_not_line_breaks(
    importer, settings, rows, fails, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 3
    lines = [f'"王{i}\n秀英",,女,1960-01-0{i + 1},640104001002' for i in range(rows)]
    text = "姓名,公民身份号码,性别,出生日期,居住地区划代码\n" + "\n".join(lines) + "\n"
    upload = SimpleUploadedFile("legacy.csv", text.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):
        batch = start(importer, upload)
    phase = run.run_batch(batch.pk)
    batch.refresh_from_db()
    if fails:
        assert (phase, batch.failure) == ("failed", ["too_many_rows", {"limit": 3}])
    else:
        assert (phase, batch.total_rows) == ("done", 3)


def test_a_file_that_turns_unreadable_part_way_fails_with_its_reason(
    client, importer, settings, django_capture_on_commit_callbacks
):
    """A byte that is no UTF-8 far into the file (past what the encoding is guessed from) is
    found while a chunk is being sent: the chunk goes back, the batch fails and says why in
    the reader's language; the chunks before it stay as they were."""
    settings.IMPORT_CHUNK_ROWS = 100
    line = "王秀英,,女,1960-01-01,640104001002\n"
    good = ("姓名,公民身份号码,性别,出生日期,居住地区划代码\n" + line * 3000).encode()
    assert len(good) > 1 << 16
    data = good + "李娜,,女,1961-01-01,640104001002\n".encode("gb18030") + line.encode()
    upload = SimpleUploadedFile("legacy.csv", data, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):
        batch = start(importer, upload)
    assert run.run_batch(batch.pk) == "failed"
    batch.refresh_from_db()
    assert batch.failure == ["encoding", {}]
    # Whole chunks only (the text is decoded some kilobytes at a time, so the chunk that
    # went back may have begun a little before the bad line).
    staged = batch.staged_rows
    assert staged % 100 == 0 and 2500 <= staged <= 3000
    assert ImportRow.objects.filter(batch=batch).count() == staged
    sign_in(client, importer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("imports:detail", args=[batch.pk]))
    assert page.status_code == 200
    assert "neither UTF-8 nor GB18030" in page.content.decode()
