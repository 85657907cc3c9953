"""A real worker runs an import: an upload is taken up once the batch is saved, and a batch
whose worker died half-way (its heartbeat gone stale) is taken up again by beat's task and
finishes with the register a clean run gives."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from civilaffairs.imports import run
from civilaffairs.imports.actions import do_start_import
from civilaffairs.imports.models import ImportBatch, ImportRow
from civilaffairs.imports.tasks import resume_stalled_task
from civilaffairs.people.models import Household, Person, Region
from tests.factories import make_personas
from tests.imports.conftest import csv_file, row
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VILLAGE = "640104001002"


def _rows():
    return [
        row("赵一", "", "男", "1950-01-01", VILLAGE, VILLAGE, household_no="W1", relation="02"),
        row("钱二", "", "女", "1952-02-02", VILLAGE, VILLAGE, household_no="W1", relation="10"),
        row("孙三", "", "男", "1980-03-03", VILLAGE, VILLAGE, household_no="W1", relation="20"),
        row("李四", "", "女", "1990-04-04", VILLAGE, VILLAGE),
    ]


@pytest.fixture
def importer(worker):
    from tests.conftest import ensure_holidays, ensure_regions

    ensure_regions()
    ensure_holidays()
    user = make_personas().caseworker
    user.user_permissions.add(Permission.objects.get(codename="run_import"))
    return user


def _done(batch):
    return ImportBatch.objects.get(pk=batch.pk).phase == "done"


def test_the_worker_runs_an_upload_and_beat_takes_up_a_batch_whose_worker_died(importer, settings):
    """(One test: a worker and the region table cost half a minute to set up.)"""
    first = do_start_import(
        acting_user=importer,
        region=Region.objects.get(code="640104001"),
        upload=csv_file([row("周五", "", "男", "1960-05-05", VILLAGE, VILLAGE)]),
    )
    try:
        assert wait_for(lambda: _done(first), timeout=60)
        assert Person.objects.filter(name="周五").count() == 1
    finally:
        first.file.delete(save=False)

    settings.IMPORT_CHUNK_ROWS = 1
    run.crash_after = 1
    try:
        with pytest.raises(run.CrashForTests):
            batch = ImportBatch.objects.create(
                uploaded_by=importer,
                region=Region.objects.get(code="640104001"),
                file_name="legacy.csv",
            )
            batch.file.save("legacy.csv", csv_file(_rows()), save=True)
            run.run_batch(batch.pk)
    finally:
        run.crash_after = None
    batch.refresh_from_db()
    assert batch.phase == "staging" and batch.staged_rows == 1
    # Not stalled yet: beat leaves it to its worker.
    assert resume_stalled_task() == []
    ImportBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    try:
        assert resume_stalled_task() == [batch.pk]
        assert wait_for(lambda: _done(batch), timeout=60)
        assert ImportRow.objects.filter(batch=batch).count() == 4
        assert Person.objects.filter(name__in=["赵一", "钱二", "孙三", "李四"]).count() == 4
        assert Household.objects.get(head__name="赵一").memberships.count() == 3
    finally:
        batch.file.delete(save=False)
