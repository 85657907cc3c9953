"""Payments are paid (issue #16, item 3): a county's batch is prepared from the ledger,
approved by a second person, exported as the bank file (docs/bank-file.md), and the bank's
result file marks each payment paid, failed or returned; failed ones wait for a new account
and go into a later batch; nobody is paid twice; the citizen sees each payment's real status.
Before, every payment stayed "scheduled" for ever."""

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.timezone import localdate

from civilaffairs.accounts.models import AccessLog, StaffRole
from civilaffairs.benefits import actions, bankfile
from civilaffairs.benefits.models import BatchLine, DisbursementBatch, Payment
from civilaffairs.casework.models import Notification
from civilaffairs.people.actions import do_record_death
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text

from .test_process import approved_dibao

pytestmark = pytest.mark.django_db

ACCOUNT = "6222021234567890"  # what fill_dibao declares


@pytest.fixture
def granted(assistance_setup, household):
    """王秀英's 低保, approved: its first month is owed."""
    p = assistance_setup
    app = approved_dibao(p, household)
    p.clerk = staff("county_clerk", "640104", StaffRole.Role.CASEWORKER)
    p.county_region = Region.objects.get(code="640104")
    p.payment = Payment.objects.get(entitlement__case=app.case)
    p.app = app
    return p


def month_of(payment):
    return payment.month


def prepared(p):
    return actions.do_prepare_batch(p.county_region, month_of(p.payment), acting_user=p.clerk)


def exported(p):
    batch = prepared(p)
    actions.do_approve_batch(batch, acting_user=p.approver)
    data = actions.do_export_batch(batch, acting_user=p.clerk)
    batch.refresh_from_db()
    return batch, data


def results(batch, *rows):
    return bankfile.result_file(batch.reference, rows)


def test_a_batch_goes_from_the_ledger_to_the_bank_and_back_and_the_citizen_sees_paid(
    client, granted
):
    p = granted
    assert p.app.case.entitlements.get().bank_account == ACCOUNT  # the declared account
    batch = prepared(p)
    assert batch.status == "draft" and batch.line_count == 1 and batch.total == p.payment.amount
    assert batch.reference == f"PAY-640104-{p.payment.month:%Y%m}-01"
    # Four eyes: the one who prepared it does not approve it.
    with pytest.raises(ValidationError):
        actions.do_approve_batch(batch, acting_user=p.clerk)
    actions.do_approve_batch(batch, acting_user=p.approver)
    data = actions.do_export_batch(batch, acting_user=p.clerk)
    batch.refresh_from_db()
    assert batch.status == "exported" and len(batch.checksum) == 64

    # The file: header, one payment with the whole numbers the bank needs, trailer.
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    person = p.citizen.person
    assert rows[0] == [
        "H", "DISB", "1", batch.reference, "640104", f"{batch.month:%Y-%m}", "1",
        f"{p.payment.amount:.2f}",
    ]  # fmt: skip
    assert rows[1] == [
        "D", f"{batch.reference}-00001", person.name, person.id_number, "宁夏银行", ACCOUNT,
        f"{p.payment.amount:.2f}",
    ]  # fmt: skip
    signed = text[: text.rindex("T,")]
    assert rows[2] == [
        "T",
        "1",
        f"{p.payment.amount:.2f}",
        hashlib.sha256(signed.encode()).hexdigest(),
    ]
    assert text.endswith("\r\n")
    # Logged, and the same bytes when asked again.
    assert (
        AccessLog.objects.filter(action=AccessLog.Action.EXPORT, detail=batch.reference).count()
        == 1
    )
    assert actions.do_export_batch(batch, acting_user=p.approver) == data
    p.payment.refresh_from_db()
    assert p.payment.status == "sent"

    # The bank pays.
    paid_on = dt.date.today()
    answer = results(batch, (f"{batch.reference}-00001", "PAID", paid_on, "", ""))
    counts = actions.do_import_results(batch, answer, acting_user=p.clerk)
    assert counts["paid"] == 1
    batch.refresh_from_db()
    p.payment.refresh_from_db()
    assert batch.status == "closed" and p.payment.status == "paid"
    assert p.payment.paid_at.date() == paid_on
    # Read again: nothing changes.
    assert actions.do_import_results(batch, answer, acting_user=p.clerk)["paid"] == 0
    # The citizen sees it paid.
    sign_in(client, p.citizen)
    page = page_text(client.get(reverse("cases:case-detail", args=[p.app.case.pk])))
    assert "已发放" in page and paid_on.isoformat() in page


def test_a_failed_payment_waits_for_a_new_account_and_is_paid_by_a_later_batch_once(
    client, granted
):
    p = granted
    batch, _data = exported(p)
    line = f"{batch.reference}-00001"
    actions.do_import_results(
        batch,
        results(batch, (line, "FAILED", dt.date.today(), "AC04", "账户已销户")),
        acting_user=p.clerk,
    )
    p.payment.refresh_from_db()
    assert p.payment.status == "failed" and p.payment.held
    # The citizen is told, in her language, and sees it on her page.
    note = Notification.objects.get(person=p.citizen.person, title="一笔款项未能发放")
    assert "**** 7890" in note.body and ACCOUNT not in note.body
    sign_in(client, p.citizen)
    page = page_text(client.get(reverse("cases:case-detail", args=[p.app.case.pk])))
    assert "发放失败" in page
    # Held: no batch takes it until there is a new account.
    with pytest.raises(ValidationError):
        prepared(p)
    sign_in(client, p.clerk)
    held = page_text(client.get(reverse("benefits:held")))
    assert p.app.case.reference in held and "AC04 账户已销户" in held  # the code, read in Chinese
    # An account number typed as the bank's name is refused (found by fuzzing the form).
    response = client.post(
        reverse("benefits:account", args=[p.payment.entitlement_id]),
        {"bank_name": "9" * 20, "bank_account": "9" * 20, "reason": "原账户已销户"},
    )
    assert "请填写银行名称" in page_text(response, 400)
    response = client.post(
        reverse("benefits:account", args=[p.payment.entitlement_id]),
        {
            "bank_name": "黄河农村商业银行",
            "bank_account": "62310 0000 1111 2222",
            "reason": "原账户已销户",
        },
    )
    assert response.status_code == 302
    second = prepared(p)
    assert second.reference.endswith("-02")
    assert second.lines.get().bank_account == "62310000011112222"
    actions.do_approve_batch(second, acting_user=p.approver)
    actions.do_export_batch(second, acting_user=p.clerk)
    actions.do_import_results(
        second,
        results(second, (f"{second.reference}-00001", "PAID", dt.date.today(), "", "")),
        acting_user=p.clerk,
    )
    p.payment.refresh_from_db()
    assert p.payment.status == "paid" and not p.payment.held
    # Once: one line paid for the payment, ever.
    assert BatchLine.objects.filter(payment=p.payment, result="paid").count() == 1
    # The first batch stays reconciled with its failure.
    batch.refresh_from_db()
    assert batch.status == "closed"


def test_no_payment_is_ever_on_two_live_lines(granted):
    p = granted
    batch = prepared(p)
    with pytest.raises(ValidationError):
        prepared(p)  # nothing left to take
    line = batch.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchLine.objects.create(
            batch=batch, payment=p.payment, line_no=2, reference="x", amount=line.amount,
            payee_name="x", id_number="x", bank_name="x", bank_account="x",
        )  # fmt: skip
    # A cancelled batch frees its payments.
    actions.do_cancel_batch(batch, acting_user=p.clerk, reason="金额有误，重新制作")
    assert prepared(p).line_count == 1


def test_a_wrong_result_file_is_refused_whole_with_every_problem_and_nothing_stored(granted):
    p = granted
    batch, _data = exported(p)
    line = f"{batch.reference}-00001"
    good = results(batch, (line, "PAID", dt.date.today(), "", ""))
    tampered = good.replace(b"PAID", b"FAIL")
    with pytest.raises(ValidationError) as refused:
        actions.do_import_results(batch, tampered, acting_user=p.clerk)
    text = " ".join(refused.value.messages)
    assert "校验值与文件内容不符" in text and "PAID、FAILED 或 RETURNED" in text
    for bad, expected in (
        (results(batch, ("PAY-X-00009", "PAID", dt.date.today(), "", "")), "不是本批次的款项"),
        (bankfile.result_file("PAY-640105-202612-01", []), "不是本批次"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b"", "文件为空"),
        (results(batch, (line, "FAILED", dt.date.today(), "", "")), "原因代码"),
        # A payment the bank dates tomorrow is a mistake in the file (found walking the batch).
        (results(batch, (line, "PAID", localdate() + dt.timedelta(days=1), "", "")), "晚于今天"),
    ):
        with pytest.raises(ValidationError) as refused:
            actions.do_import_results(batch, bad, acting_user=p.clerk)
        assert expected in " ".join(refused.value.messages), bad
    p.payment.refresh_from_db()
    assert p.payment.status == "sent"
    assert batch.lines.get().result == "pending"
    # A paid line cannot fail afterwards (it can be returned).
    actions.do_import_results(batch, good, acting_user=p.clerk)
    with pytest.raises(ValidationError) as refused:
        actions.do_import_results(
            batch,
            results(batch, (line, "FAILED", dt.date.today(), "AC01", "")),
            acting_user=p.clerk,
        )
    assert "不能变为" in " ".join(refused.value.messages)
    actions.do_import_results(
        batch, results(batch, (line, "RETURNED", dt.date.today(), "AC06", "")), acting_user=p.clerk
    )
    p.payment.refresh_from_db()
    assert p.payment.status == "returned" and p.payment.held


def test_a_payment_stopped_before_the_money_goes_is_taken_out_of_the_batch(granted):
    p = granted
    batch = prepared(p)
    do_record_death(
        p.citizen.person,
        acting_user=p.caseworker,
        date_of_death=dt.date.today() - dt.timedelta(days=1),
    )
    p.payment.refresh_from_db()
    assert p.payment.status == "stopped"
    with pytest.raises(ValidationError) as refused:
        actions.do_approve_batch(batch, acting_user=p.approver)  # nothing left to pay
    assert "请作废该批次" in str(refused.value)
    actions.do_cancel_batch(batch, acting_user=p.approver, reason="收款人已去世")
    assert batch.lines.get().result == "withdrawn"
    with pytest.raises(ValidationError):
        prepared(p)  # a stopped payment is never taken again


def test_the_monthly_batch_is_prepared_once_per_county(granted):
    p = granted
    assert actions.do_prepare_due_batches(p.payment.month) == 1
    assert actions.do_prepare_due_batches(p.payment.month) == 0
    batch = DisbursementBatch.objects.get()
    assert batch.prepared_by is None and batch.county_id == "640104"


def test_staff_work_the_batches_in_the_browser_flow(client, granted):
    p = granted
    sign_in(client, p.clerk)
    page = page_text(client.get(reverse("benefits:batches")))
    assert "兴庆区" in page
    month = f"{p.payment.month:%Y-%m}"
    response = client.post(reverse("benefits:batch-prepare"), {"county": "640104", "month": month})
    batch = DisbursementBatch.objects.get()
    assert response["Location"] == reverse("benefits:batch", args=[batch.pk])
    detail = page_text(client.get(response["Location"]))
    assert "王秀英" in detail and "**** 7890" in detail and ACCOUNT not in detail
    assert p.citizen.person.id_number not in detail
    # Bad input gets a message, not a 500.
    response = client.post(
        reverse("benefits:batch-prepare"), {"county": "640104", "month": "12/2026"}
    )
    assert "请按 YYYY-MM 填写月份" in page_text(client.get(response["Location"]))
    response = client.post(reverse("benefits:batch-prepare"), {"county": "640105", "month": month})
    assert response.status_code == 302 and DisbursementBatch.objects.count() == 1
    sign_in(client, p.approver)
    client.post(reverse("benefits:batch-approve", args=[batch.pk]))
    response = client.post(reverse("benefits:batch-export", args=[batch.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{batch.reference}.csv"'
    assert ACCOUNT.encode() in response.content
    upload = io.BytesIO(b"not a result file")
    upload.name = "result.csv"
    response = client.post(reverse("benefits:batch-results", args=[batch.pk]), {"file": upload})
    assert "文件" in page_text(client.get(response["Location"]))
    batch.refresh_from_db()
    assert batch.status == "exported"
    answer = io.BytesIO(
        results(batch, (f"{batch.reference}-00001", "PAID", dt.date.today(), "", ""))
    )
    answer.name = "result.csv"
    response = client.post(reverse("benefits:batch-results", args=[batch.pk]), {"file": answer})
    page = page_text(client.get(response["Location"]))
    assert "已读取结果：发放成功 1 笔" in page and "已对账" in page


def test_batches_are_seen_and_worked_only_in_their_county(client, granted):
    p = granted
    batch = prepared(p)
    urls_get = [reverse("benefits:batch", args=[batch.pk])]
    urls_post = [
        reverse(name, args=[batch.pk])
        for name in ("benefits:batch-approve", "benefits:batch-export", "benefits:batch-cancel")
    ]
    account_urls = [
        reverse("benefits:account", args=[p.payment.entitlement_id]),
        reverse("benefits:payment-retry", args=[p.payment.pk]),
    ]
    for user in (p.other_approver, p.caseworker):  # another county; a township
        sign_in(client, user)
        for url in urls_get:
            assert client.get(url).status_code == 404, url
        for url in urls_post:
            assert client.post(url, {"reason": "x"}).status_code == 404, url
        assert batch.reference not in page_text(client.get(reverse("benefits:batches")))
    # The household's account is taken by its township (where the household comes), never
    # by another county.
    assert client.get(account_urls[0]).status_code == 200
    sign_in(client, p.other_approver)
    assert client.get(account_urls[0]).status_code == 404
    assert client.post(account_urls[1]).status_code == 404
    sign_in(client, p.citizen)
    for url in [reverse("benefits:batches"), reverse("benefits:held"), *urls_get, account_urls[0]]:
        assert client.get(url).status_code == 403, url
    batch.refresh_from_db()
    assert batch.status == "draft"
    # The city supervisor sees it and may approve; the clerk may not approve.
    sign_in(client, p.supervisor)
    assert client.get(urls_get[0]).status_code == 200
    sign_in(client, p.clerk)
    assert client.post(reverse("benefits:batch-approve", args=[batch.pk])).status_code == 403


def test_the_batch_pages_cost_the_same_queries_for_any_number_of_lines(client, granted):
    p = granted
    batch = prepared(p)
    sign_in(client, p.clerk)
    url = reverse("benefits:batch", args=[batch.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    # Forty more lines on the batch (made directly: the page reads lines, not how they came).
    line = batch.lines.get()
    BatchLine.objects.bulk_create(
        BatchLine(
            batch=batch, payment=line.payment, line_no=n, reference=f"r{n}", amount=1,
            payee_name="某某", id_number="640104195803120022", bank_name="b",
            bank_account="6222000000000000", result="withdrawn",
        )
        for n in range(2, 42)
    )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(one)
    for name in ("benefits:batches", "benefits:held"):
        client.get(reverse(name))
        with CaptureQueriesContext(connection) as listed:
            assert client.get(reverse(name)).status_code == 200
        assert len(listed) < 20, name


def test_a_batch_month_is_this_month_or_next_and_a_slip_of_the_year_is_said_so():
    from django.utils import translation

    from civilaffairs.benefits.forms import PrepareBatchForm

    with translation.override("en"):
        later = PrepareBatchForm({"county": "", "month": "2999-01"}).errors["month"][0]
        slip = PrepareBatchForm({"county": "", "month": "1999-01"}).errors["month"][0]
    assert "not later ones" in later
    assert "too far in the past" in slip
