"""The staff pages of imports: who may open them, the upload form's answers, and the reviewer's
decisions on possible duplicates (merge, keep apart; take a conflicting row or keep the
record), each logged with who, when and why."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civilaffairs.imports import run
from civilaffairs.imports.actions import do_start_import
from civilaffairs.imports.models import Candidate, ImportBatch, ImportRow
from civilaffairs.people.models import Person, PersonMerge, Region
from tests.auth import sign_in
from tests.pages import page_text

from .conftest import csv_file, row
from .test_import import VILLAGE, legacy_rows


def _imported(importer, rows) -> ImportBatch:
    batch = do_start_import(
        acting_user=importer, region=Region.objects.get(code="640104001"), upload=csv_file(rows)
    )
    assert run.run_batch(batch.pk) == "done"
    return batch


@pytest.fixture
def batch(world, importer):
    return _imported(importer, legacy_rows(world))


def _pair(batch, kind):
    return Candidate.objects.get(row__batch=batch, kind=kind, decision="pending")


def test_only_an_importer_opens_the_import_pages(client, personas, importer, batch):
    sign_in(client, personas.approver)  # a registry role, no import permission
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 403
    sign_in(client, personas.citizen)
    assert client.get(reverse("imports:list")).status_code == 403
    # Another township's caseworker with the permission: the batch is not in their area.
    other = personas.other_caseworker
    other.user_permissions.add(Permission.objects.get(codename="run_import"))
    sign_in(client, type(other).objects.get(pk=other.pk))
    assert client.get(reverse("imports:list")).status_code == 200
    for name in ("imports:detail", "imports:progress", "imports:refused"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    assert client.post(reverse("imports:resume", args=[batch.pk])).status_code == 404
    sign_in(client, importer)
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 200
    # The county's approver, given the permission, sees the township's batch.
    approver = personas.approver
    approver.user_permissions.add(Permission.objects.get(codename="run_import"))
    sign_in(client, type(approver).objects.get(pk=approver.pk))
    assert client.get(reverse("imports:detail", args=[batch.pk])).status_code == 200


@pytest.mark.parametrize(
    ("language", "missing", "kind"),
    [("zh-hans", "缺少以下列", "请上传"), ("en", "lacks the columns", "Please upload")],
)
def test_the_upload_form_refuses_a_wrong_file_in_the_readers_language(
    client, importer, language, missing, kind
):
    sign_in(client, importer)
    url = reverse("imports:list")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    headers = {}
    wrong = csv_file([["a", "b"]], header=["foo", "bar"])
    response = client.post(url, {"region": "640104001", "file": wrong}, headers=headers)
    assert response.status_code == 400
    assert missing in response.content.decode()
    text = csv_file([row("张三")], name="legacy.txt")
    response = client.post(url, {"region": "640104001", "file": text}, headers=headers)
    assert response.status_code == 400
    assert kind in response.content.decode()
    # An area outside the importer's jurisdiction is not a choice.
    good = csv_file([row("张三", "", "男", "1980-01-01", VILLAGE)])
    response = client.post(url, {"region": "640105001", "file": good}, headers=headers)
    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0


def test_an_upload_starts_a_batch_and_its_page_follows_it(
    client, importer, django_capture_on_commit_callbacks
):
    sign_in(client, importer)
    good = csv_file([row("张三", "", "男", "1980-01-01", VILLAGE)])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("imports:list"), {"region": "640104001", "file": good})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert len(queued) == 1
    page = client.get(reverse("imports:progress", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page  # still running: the fragment asks again
    run.run_batch(batch.pk)
    page = client.get(reverse("imports:progress", args=[batch.pk])).content.decode()
    assert "hx-trigger" not in page
    assert reverse("imports:refused", args=[batch.pk]) in page


def test_a_reviewer_merges_a_similar_pair_keeping_both_histories(client, personas, batch, world):
    pair = _pair(batch, "similar")
    imported = pair.row.person
    sign_in(client, personas.other_caseworker)
    assert client.get(reverse("imports:review-queue")).content.decode().count("王晓明") == 0
    assert client.get(reverse("imports:review", args=[pair.pk])).status_code == 404
    sign_in(client, personas.citizen)
    assert client.get(reverse("imports:review", args=[pair.pk])).status_code == 403

    sign_in(client, personas.caseworker)
    queue = client.get(reverse("imports:review-queue"))
    assert queue.status_code == 200 and "王晓明" in queue.content.decode()
    page = client.get(reverse("imports:review", args=[pair.pk]))
    assert page.status_code == 200
    assert "王小明" in page.content.decode() and "王晓明" in page.content.decode()
    # Without a reason nothing happens.
    response = client.post(
        reverse("imports:review", args=[pair.pk]), {"action": "merge", "survivor": "a"}
    )
    assert response.status_code == 400
    assert Person.objects.get(pk=imported.pk).merged_into_id is None
    response = client.post(
        reverse("imports:review", args=[pair.pk]),
        {"action": "merge", "survivor": "a", "reason": "同一人，旧系统名字写错", "keep_name": "b"},
    )
    assert response.status_code == 302
    wang = Person.objects.get(pk=world["wang"].pk)
    assert wang.name == "王晓明"  # the imported spelling was chosen
    assert Person.objects.get(pk=imported.pk).merged_into_id == wang.pk
    merge = PersonMerge.objects.get(merged=imported)
    assert merge.acting_user == personas.caseworker
    assert imported.history.count() >= 2 and wang.history.count() >= 2
    pair.refresh_from_db()
    assert (pair.decision, pair.decided_by, pair.note) == (
        "merged",
        personas.caseworker,
        "同一人，旧系统名字写错",
    )
    assert ImportRow.objects.get(pk=pair.row_id).person_id == wang.pk
    # Decided: the page sends the reviewer back to the queue.
    again = client.post(reverse("imports:review", args=[pair.pk]), {"action": "apart", "note": "x"})
    assert again.status_code == 302
    pair.refresh_from_db()
    assert pair.decision == "merged"


def test_a_reviewer_keeps_a_pair_apart_with_a_reason(client, personas, batch):
    pair = _pair(batch, "similar")
    sign_in(client, personas.caseworker)
    url = reverse("imports:review", args=[pair.pk])
    assert client.post(url, {"action": "apart", "note": ""}).status_code == 400
    assert client.post(url, {"action": "apply", "note": "x"}).status_code == 400
    assert client.post(url, {"action": "apart", "note": "两人，父亲与儿子同名"}).status_code == 302
    pair.refresh_from_db()
    assert pair.decision == "apart" and pair.note == "两人，父亲与儿子同名"
    assert Person.objects.active().filter(name__in=["王小明", "王晓明"]).count() == 2


@pytest.mark.parametrize(
    ("choice", "name", "state"), [("apply", "李拉", "updated"), ("keep", "李娜", "kept")]
)
def test_a_conflicting_row_is_applied_or_not_as_the_reviewer_decides(
    client,
    personas,
    batch,
    world,
    choice,
    name,
    state,
):
    pair = _pair(batch, "conflict")
    sign_in(client, personas.caseworker)
    url = reverse("imports:review", args=[pair.pk])
    assert client.post(url, {"action": "merge", "reason": "x"}).status_code == 400
    response = client.post(url, {"action": choice, "note": "户籍民警核实"})
    assert response.status_code == 302
    assert Person.objects.get(pk=world["li"].pk).name == name
    assert ImportRow.objects.get(pk=pair.row_id).state == state
    pair.refresh_from_db()
    assert pair.decision == ("applied" if choice == "apply" else "kept")


def test_the_queue_and_the_batch_list_read_the_same_number_of_queries_for_more_rows(
    client, personas, importer
):
    def rows(n, start):
        return [
            row(f"测试{i}", "", "男", f"19{60 + i % 30}-01-0{1 + i % 9}", VILLAGE, VILLAGE)
            for i in range(start, start + n)
        ]

    def queries(url):
        sign_in(client, personas.caseworker)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    first = _imported(importer, rows(2, 0))
    _imported(importer, rows(2, 0))  # the same people again, without numbers: pairs
    one = (queries(reverse("imports:review-queue")), queries(reverse("imports:list")))
    _imported(importer, rows(6, 10))
    _imported(importer, rows(6, 10))
    many = (queries(reverse("imports:review-queue")), queries(reverse("imports:list")))
    assert Candidate.objects.filter(decision="pending").count() == 0 or one == many
    assert first.pk
    assert one == many


def test_near_duplicates_inside_one_file_are_paired(importer):
    batch = _imported(
        importer,
        [
            row("刘晓燕", "", "女", "1972-03-03", VILLAGE, VILLAGE),
            row("刘小燕", "", "女", "1972-03-03", VILLAGE, VILLAGE),
        ],
    )
    pair = Candidate.objects.get(row__batch=batch)
    assert pair.decision == "pending"
    assert {pair.person.name, pair.row.person.name} == {"刘晓燕", "刘小燕"}
    assert "same_sound" in pair.reasons and pair.score >= 80
    assert Person.objects.filter(birth_date=dt.date(1972, 3, 3)).count() == 2


def test_a_pair_whose_record_lies_outside_the_reviewers_area_is_not_listed(
    client, personas, importer
):
    """A county's import pairs a row of one township with someone of another: the township's
    caseworker neither sees the pair nor opens it; the county's approver does."""
    from tests.factories import PersonFactory

    approver = personas.approver
    approver.user_permissions.add(Permission.objects.get(codename="run_import"))
    approver = type(approver).objects.get(pk=approver.pk)
    other_township = Region.objects.get(code="640104002001")
    PersonFactory(
        name="杜明",
        sex="M",
        birth_date=dt.date(1966, 6, 6),
        hukou_region=other_township,
        id_type=Person.IdType.NONE,
        id_number=None,
    )
    batch = do_start_import(
        acting_user=approver,
        region=Region.objects.get(code="640104"),
        upload=csv_file([row("杜明", "", "男", "1966-06-06", VILLAGE, VILLAGE)]),
    )
    assert run.run_batch(batch.pk) == "done"
    pair = Candidate.objects.get(row__batch=batch)
    sign_in(client, personas.caseworker)
    assert "杜明" not in page_text(client.get(reverse("imports:review-queue")))
    assert client.get(reverse("imports:review", args=[pair.pk])).status_code == 404
    sign_in(client, approver)
    assert "杜明" in client.get(reverse("imports:review-queue")).content.decode()
    assert client.get(reverse("imports:review", args=[pair.pk])).status_code == 200
