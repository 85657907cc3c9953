"""Money actually paid, walked in real browsers (issue #16, item 3): two households on 低保;
the county clerk (in Chinese) prepares the month's batch; the approver (in English) approves it
and downloads the bank file; the clerk reads the bank's result file (one paid, one refused:
account closed); 王秀英 (in Chinese) sees her payment paid, the other recipient (in English)
sees hers failed and is told; the clerk gives the new account and the next batch pays it."""

import dataclasses
import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from civilaffairs.accounts.models import StaffRole
from civilaffairs.benefits import bankfile
from civilaffairs.benefits.forms import AccountForm, PrepareBatchForm, ResultFileForm
from civilaffairs.benefits.models import DisbursementBatch, Payment
from civilaffairs.people.models import Region
from tests.assistance.conftest import citizen_household, setup_assistance
from tests.assistance.test_process import approved_dibao
from tests.factories import PersonFactory, UserFactory, make_household, staff

from .conftest import label_of, label_pattern, log_in, press, t

pytestmark = [pytest.mark.browser]

ZH, EN = "zh-hans", "en"


def test_a_batch_is_paid_by_the_bank_and_each_recipient_sees_what_happened(
    contexts, personas_tx, tmp_path
):
    p = setup_assistance(personas_tx)
    first = approved_dibao(p, citizen_household(p))
    region = Region.objects.get(code="640104001002")
    other_person = PersonFactory(name="马兰花", hukou_region=region, residence_region=region)
    other_user = UserFactory(username="13900000002", person=other_person, language="en")
    second = approved_dibao(
        dataclasses.replace(p, citizen=other_user), make_household(other_person)
    )
    clerk = staff("county_clerk", "640104", StaffRole.Role.CASEWORKER)
    month = Payment.objects.get(entitlement__case=first.case).month

    # 1. The county clerk prepares the batch of the month.
    office = contexts(ZH)
    log_in(office, clerk.username, ZH, reverse("benefits:batches"))
    expect(office.locator("main h1")).to_have_text(t("Payments to the bank", ZH))
    office.get_by_label(label_pattern(label_of(PrepareBatchForm, "county", ZH))).select_option(
        "640104"
    )
    month_field = office.get_by_label(label_pattern(label_of(PrepareBatchForm, "month", ZH)))
    month_field.fill("2026/12")
    press(office, t("Prepare the batch", ZH))
    expect(office.locator(".alert-danger")).to_contain_text(
        t("Write the month as YYYY-MM, e.g. 2026-12.", ZH)
    )
    office.get_by_label(label_pattern(label_of(PrepareBatchForm, "month", ZH))).fill(
        f"{month:%Y-%m}"
    )
    press(office, t("Prepare the batch", ZH))
    batch = DisbursementBatch.objects.get()
    expect(office.locator("main h1")).to_contain_text(batch.reference)
    expect(office.locator("main")).to_contain_text("王秀英")
    expect(office.locator("main")).to_contain_text("马兰花")
    assert "6222021234567890" not in office.content()  # masked on the page
    # The one who prepared it cannot approve it.
    expect(
        office.locator("main").get_by_role("button", name=t("Approve the batch", ZH))
    ).to_have_count(0)

    # 2. The approver (in English) approves and downloads the bank file.
    approver = contexts(EN)
    log_in(approver, p.approver.username, EN, reverse("benefits:batch", args=[batch.pk]))
    press(approver, t("Approve the batch", EN))
    expect(approver.locator(".alert-success")).to_contain_text(batch.reference)
    with approver.expect_download() as download:
        approver.locator("main").get_by_role("button", name=t("Export the bank file", EN)).click()
    path = tmp_path / "bank.csv"
    download.value.save_as(path)
    sent = path.read_bytes().decode("utf-8")
    assert sent.startswith(f"H,DISB,1,{batch.reference},640104,")
    assert "6222021234567890" in sent and sent.count("\r\nD,") == 2
    approver.reload()
    expect(approver.locator("main")).to_contain_text(
        t("Sent to the bank, awaiting its results", EN)
    )

    # 3. The bank pays one and refuses the other; the clerk reads its result file.
    lines = {line.payee_name: line.reference for line in batch.lines.all()}
    answer = tmp_path / "result.csv"
    answer.write_bytes(
        bankfile.result_file(
            batch.reference,
            [
                (lines["王秀英"], "PAID", dt.date.today(), "", ""),
                (lines["马兰花"], "FAILED", dt.date.today(), "AC04", "账户已销户"),
            ],
        )
    )
    office.reload()
    office.get_by_label(label_pattern(label_of(ResultFileForm, "file", ZH))).set_input_files(
        str(answer)
    )
    press(office, t("Read the results", ZH))
    expect(office.locator(".alert-success")).to_contain_text("发放成功 1 笔，失败 1 笔")
    expect(office.locator("main")).to_contain_text(t("Reconciled", ZH))
    expect(office.locator("main")).to_contain_text(t("The figures add up to the batch total.", ZH))

    # 4. Each recipient sees what happened, in her language.
    wang = contexts(ZH)
    log_in(wang, p.citizen.username, ZH)
    wang.goto(reverse("cases:case-detail", args=[first.case.pk]))
    expect(wang.get_by_role("table", name=t("Payments", ZH))).to_contain_text(t("Paid", ZH))
    ma = contexts(EN)
    log_in(ma, other_user.username, EN)
    ma.goto(reverse("cases:case-detail", args=[second.case.pk]))
    payments = ma.get_by_role("table", name=t("Payments", EN))
    expect(payments).to_contain_text("Failed")
    expect(payments).to_contain_text(t("the office will contact you about the account", EN))
    ma.goto(reverse("cases:inbox"))
    expect(ma.locator("main")).to_contain_text(t("A payment could not be made", EN))
    assert "**** 7890" in ma.locator("main").inner_text()

    # 5. The clerk gives the new account; the next batch pays it.
    office.goto(reverse("benefits:held"))
    row = office.locator("main tbody tr").filter(has_text="马兰花")
    expect(row).to_contain_text("AC04 " + t("Closed account number", ZH))
    with office.expect_navigation():
        row.get_by_role("link", name=t("Give a new account", ZH)).click()
    office.get_by_label(label_pattern(label_of(AccountForm, "bank_name", ZH))).fill("黄河农商银行")
    office.get_by_label(label_pattern(label_of(AccountForm, "bank_account", ZH))).fill(
        "6231000011112222"
    )
    office.get_by_label(label_pattern(label_of(AccountForm, "reason", ZH))).fill("原账户已销户")
    press(office, t("Save the new account", ZH))
    expect(office.locator(".alert-success")).to_contain_text("1")
    office.goto(reverse("benefits:batches"))
    office.get_by_label(label_pattern(label_of(PrepareBatchForm, "month", ZH))).fill(
        f"{month:%Y-%m}"
    )
    press(office, t("Prepare the batch", ZH))
    again = DisbursementBatch.objects.exclude(pk=batch.pk).get()
    assert [line.payee_name for line in again.lines.all()] == ["马兰花"]
    assert re.fullmatch(r"PAY-640104-\d{6}-02", again.reference)
