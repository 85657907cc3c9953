"""Bulk import of legacy records: checking, matching, applying, the report of refused rows,
resuming after a crash, and the queue of possible duplicates."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from civilaffairs.imports import run
from civilaffairs.imports.actions import do_start_import
from civilaffairs.imports.models import Candidate, ImportBatch, ImportRow
from civilaffairs.people.models import Household, Person, Region
from tests.auth import sign_in

from .conftest import _id, csv_file, row

VILLAGE = "640104001002"
OTHER_VILLAGE = "640104001003"


def import_file(user, upload, region="640104001", django_capture_on_commit_callbacks=None):
    batch = do_start_import(acting_user=user, region=Region.objects.get(code=region), upload=upload)
    return batch


def finish(batch) -> ImportBatch:
    assert run.run_batch(batch.pk) == "done"
    batch.refresh_from_db()
    return batch


def registry_snapshot():
    """What the register holds, by identity rather than by key (keys differ between runs)."""
    people = sorted(
        (
            p.name,
            p.id_number or "",
            p.sex,
            p.birth_date,
            p.hukou_region_id,
            p.residence_region_id,
            p.phone,
            p.marital_status,
        )
        for p in Person.objects.active()
    )
    houses = sorted(
        tuple(
            sorted(
                (m.person.name, m.relation)
                for m in h.memberships.filter(end_date__isnull=True).select_related("person")
            )
        )
        for h in Household.objects.all()
    )
    return people, houses


def legacy_rows(world):
    zhang, li = world["zhang"], world["li"]
    bad = _id(dt.date(1960, 1, 1), seq=5)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # a wrong check digit
    new_head = _id(dt.date(1950, 3, 3), seq=7)
    return [
        # 2: a new household of two: head and spouse
        row(
            "赵刚",
            new_head,
            "男",
            "",
            "640104",
            VILLAGE,
            household_no="H1",
            relation="02",
            phone="13911110000",
            marital_status="20",
            hukou_type="城镇",
        ),
        row(
            "钱芳",
            _id(dt.date(1952, 4, 4), "F", 9),
            "女",
            "1952-04-04",
            "",
            VILLAGE,
            household_no="H1",
            relation="10",
            marital_status="20",
        ),
        # 4: 张伟 is known: a new phone number
        row("张伟", zhang.id_number, "", "", "", VILLAGE, phone="13988887777"),
        # 5: a wrong check digit
        row("孙丽", bad, "女", "", "", VILLAGE),
        # 6: an unknown region, a date that is not one
        row("周杰", "", "男", "1980-13-01", "640199", ""),
        # 7: outside the importer's township (another township of the county)
        row("吴敏", _id(dt.date(1975, 5, 5), "F", 13), "", "", "640104", "640104002001"),
        # 8: the same number as line 2
        row("赵刚", new_head, "男", "", "", VILLAGE),
        # 9: a household with no head
        row(
            "郑和",
            _id(dt.date(1999, 9, 9), seq=15),
            "",
            "",
            "",
            VILLAGE,
            household_no="H2",
            relation="20",
        ),
        # 10: 李娜's number under another name: held for a decision
        row("李拉", li.id_number, "", "", "", VILLAGE),
        # 11: no number; sounds like 王小明 on the register, same birth date and village
        row("王晓明", "", "男", "1990/06/01", VILLAGE, VILLAGE),
        # 12: no number and nothing alike: a new record without a document
        row("冯宝宝", "", "女", "20200202", VILLAGE, VILLAGE),
        # 13: a blank line is skipped
        [""] * 14,
        # 14: a member of H1 after the others
        row(
            "赵小刚",
            _id(dt.date(1980, 8, 8), seq=17),
            "",
            "",
            "",
            VILLAGE,
            household_no="H1",
            relation="20",
        ),
    ]


def test_an_import_checks_matches_and_applies(world, importer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch = import_file(importer, csv_file(legacy_rows(world)))
    assert len(queued) == 1  # the worker is asked once the batch is saved
    batch = finish(batch)
    assert batch.total_rows == 13
    states = dict(ImportRow.objects.filter(batch=batch).values_list("line", "state"))
    assert states == {
        2: "created",
        3: "created",
        4: "updated",
        5: "refused",
        6: "refused",
        7: "refused",
        8: "refused",
        9: "refused",
        10: "conflict",
        11: "created",
        12: "created",
        14: "created",
    }
    problems = {
        line: [p[0] for p in ps]
        for line, ps in ImportRow.objects.filter(batch=batch, state="refused").values_list(
            "line", "problems"
        )
    }
    assert problems == {
        5: ["id_check_digit"],
        6: ["birth_invalid", "region_unknown"],
        7: ["outside_area"],
        8: ["duplicate_id"],
        9: ["household_no_head"],
    }
    # The new household: head, spouse and son, with the head's facts.
    zhao = Person.objects.get(name="赵刚")
    assert (zhao.sex, zhao.birth_date, zhao.phone) == ("M", dt.date(1950, 3, 3), "13911110000")
    assert zhao.marital_status == "married"
    house = Household.objects.get(head=zhao)
    assert house.hukou_type == "urban" and house.region_id == VILLAGE
    assert sorted(
        (m.person.name, m.relation) for m in house.memberships.select_related("person")
    ) == [("赵刚", "02"), ("赵小刚", "20"), ("钱芳", "10")]
    # Each new record carries its history, by the importer.
    assert zhao.history.get().history_user_id == importer.pk
    # The known person: only the phone changed, through people.actions (history with reason).
    world["zhang"].refresh_from_db()
    assert world["zhang"].phone == "13988887777"
    assert world["zhang"].history.first().history_change_reason == f"import {batch.pk} line 4"
    # The same number under another name is not applied; it waits, as does 王晓明 ~ 王小明.
    world["li"].refresh_from_db()
    assert world["li"].name == "李娜"
    pairs = {
        (c.row.line, c.kind, c.person_id)
        for c in Candidate.objects.filter(row__batch=batch, decision="pending")
    }
    xiaoming = Person.objects.get(name="王晓明")
    assert xiaoming.id_number is None and xiaoming.id_type == "none"
    assert pairs == {(10, "conflict", world["li"].pk), (11, "similar", world["wang"].pk)}
    assert Person.objects.get(name="冯宝宝").birth_date == dt.date(2020, 2, 2)


def test_the_refused_rows_report_says_why_in_the_readers_language(
    client, world, importer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        batch = finish(import_file(importer, csv_file(legacy_rows(world))))
    sign_in(client, importer)
    url = reverse("imports:refused", args=[batch.pk])
    for language, header, words in (
        ("zh-hans", "行号", "校验位"),
        ("en", "Line", "check digit"),
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert lines[0][0] == header
        assert [r[0] for r in lines[1:]] == ["5", "6", "7", "8", "9"]
        assert words in lines[1][1]
        assert lines[1][2] == "孙丽"  # the row as it was read
        # …with its ID number masked (the line number finds it in the file).
        assert lines[1][3].startswith("640104") and "*" * 11 in lines[1][3]


@pytest.mark.parametrize("chunk", [2, 3])
def test_a_crash_halfway_gives_the_registry_of_a_clean_run(
    world, importer, settings, chunk, django_capture_on_commit_callbacks
):
    settings.IMPORT_CHUNK_ROWS = chunk
    rows = legacy_rows(world)
    with django_capture_on_commit_callbacks(execute=False):
        clean = import_file(importer, csv_file(rows))
        crashing = import_file(importer, csv_file(rows))
    sid = transaction.savepoint()
    finish(clean)
    expected = registry_snapshot()
    expected_states = sorted(ImportRow.objects.filter(batch=clean).values_list("line", "state"))
    transaction.savepoint_rollback(sid)
    assert registry_snapshot() != expected

    # Each run commits one chunk and dies inside the next (its writes rolled back with it),
    # in every phase; a new run goes on from there.
    run.crash_after = 1
    runs = 0
    while True:
        runs += 1
        try:
            if run.run_batch(crashing.pk) == "done":
                break
        except run.CrashForTests:
            continue
        finally:
            assert runs < 100
    assert runs > 4
    run.crash_after = None
    assert registry_snapshot() == expected
    assert (
        sorted(ImportRow.objects.filter(batch=crashing).values_list("line", "state"))
        == expected_states
    )
    # No row was staged twice.
    assert ImportRow.objects.filter(batch=crashing).count() == 12


def test_a_second_runner_waits_for_the_first(importer, world):
    """A runner in another session (another worker) holds the batch: this one leaves it."""
    import psycopg
    from django.db import connection

    batch = import_file(importer, csv_file(legacy_rows(world)))
    # Django's own connection parameters: with `make test`'s embedded PostgreSQL the host is a
    # socket directory given as an option, which HOST/PORT alone miss (the test then reached
    # the machine's default socket, where the test database is not).
    other = psycopg.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", [run._LOCK_SPACE, batch.pk])
        assert run.run_batch(batch.pk) == "busy"
        assert ImportRow.objects.filter(batch=batch).count() == 0
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [run._LOCK_SPACE, batch.pk])
    finally:
        other.close()
    assert run.run_batch(batch.pk) == "done"


def test_the_same_file_twice_changes_nothing_the_second_time(world, importer):
    rows = legacy_rows(world)
    finish(import_file(importer, csv_file(rows)))
    before = registry_snapshot()
    second = finish(import_file(importer, csv_file(rows)))
    assert registry_snapshot() == before
    states = dict(ImportRow.objects.filter(batch=second).values_list("line", "state"))
    assert states[2] == states[3] == states[4] == states[14] == "unchanged"
    # Lines without a number are the same person by name, birth date, sex and region.
    assert states[12] == "unchanged"


def test_gb18030_and_xlsx_files_are_read(importer):
    from openpyxl import Workbook

    from tests.imports.conftest import HEADER

    legacy = csv_file([row("陈红", "", "女", "1966-06-06", VILLAGE, VILLAGE)], encoding="gb18030")
    finish(import_file(importer, legacy))
    assert Person.objects.filter(name="陈红", birth_date=dt.date(1966, 6, 6)).exists()

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row("林峰", "", "男", dt.datetime(1977, 7, 7), int(VILLAGE), ""))
    out = io.BytesIO()
    book.save(out)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("legacy.xlsx", out.getvalue())
    finish(import_file(importer, upload))
    assert Person.objects.get(name="林峰").birth_date == dt.date(1977, 7, 7)
