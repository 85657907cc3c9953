"""An import walked in a real browser, in Chinese and in English: a county's importer uploads a
legacy file from the staff menu, follows the progress bar (the page asks again by itself) to
the end, finds the report of refused rows, and a colleague decides the possible duplicate it
found with the two records side by side. axe finds nothing serious on any of these pages."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from civilaffairs.imports import run
from civilaffairs.imports.models import Candidate, ImportBatch
from civilaffairs.people.models import Person
from tests.factories import PersonFactory
from tests.imports.conftest import csv_file, row

from .conftest import log_in, t
from .test_childwelfare import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VILLAGE = "640104001002"
NAMES = {"zh-hans": ("王小明", "王晓明"), "en": ("刘小燕", "刘晓燕")}


def test_an_import_from_upload_to_the_decided_duplicate(personas_tx, contexts, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    importer = personas_tx.caseworker
    importer.user_permissions.add(Permission.objects.get(codename="run_import"))
    for language, (known, similar) in NAMES.items():
        born = dt.date(1990, 6, 1) if language == "zh-hans" else dt.date(1972, 3, 3)
        sex = "M" if language == "zh-hans" else "F"
        PersonFactory(
            name=known, sex=sex, birth_date=born, id_type=Person.IdType.NONE, id_number=None
        )
        legacy = csv_file(
            [
                row(similar, "", "男" if sex == "M" else "女", born.isoformat(), VILLAGE, VILLAGE),
                row("错行", "123", "", "", VILLAGE),
            ]
        )
        path = tmp_path / f"legacy-{language}.csv"
        path.write_bytes(legacy.read())

        page = contexts(language)
        log_in(page, importer.username, language)
        page.goto("/staff/")
        page.get_by_role("link", name=t("Imports of legacy records", language)).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Imports of legacy records", language)
        )
        assert axe_violations(page) == []
        page.get_by_label(t("File (CSV or XLSX)", language)).set_input_files(str(path))
        with page.expect_navigation():
            page.get_by_role("button", name=t("Upload and import", language)).click()
        progress = page.locator("#import-progress")
        expect(progress).to_contain_text(t("Reading the file", language))
        # The worker's part, done here; the page notices by itself.
        batch = ImportBatch.objects.order_by("-pk").first()
        assert run.run_batch(batch.pk) == "done"
        expect(progress).to_contain_text(t("Finished", language), timeout=10_000)
        expect(
            page.get_by_role(
                "link", name=t("Download the refused rows with the reasons (CSV)", language)
            )
        ).to_be_visible()
        assert axe_violations(page) == []

        page.get_by_role("link", name=t("Possible duplicates to decide", language)).first.click()
        pair = Candidate.objects.get(row__batch=batch)
        page.locator(f"a[href='/staff/imports/duplicates/{pair.pk}/']").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Are these one person?", language)
        )
        assert axe_violations(page) == []
        page.locator("#id_reason").fill("同一人")
        with page.expect_navigation():
            page.get_by_role(
                "button", name=t("They are one person: merge the records", language)
            ).click()
        expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_be_visible()
        pair.refresh_from_db()
        assert pair.decision == "merged"
        assert Person.objects.active().filter(name__in=[known, similar]).count() == 1
