"""Social assistance's own figures (assistance/figures.py through insight.registry): a 低保
household taken through the whole process and a 临时救助 paid, counted and checked against
the ledger and the register; seen in the county, not from another one; written in files
with small cells suppressed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from civilaffairs.benefits.models import Entitlement, Payment
from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case
from civilaffairs.insight.actions import do_count_month
from civilaffairs.insight.queries import DomainCounts
from civilaffairs.insight.registry import get_figures
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import StaffRole, staff

from .test_linshi import accepted_linshi, amount
from .test_process import approved_dibao

pytestmark = pytest.mark.django_db


def counts(month, code="640104"):
    return DomainCounts(get_figures("assistance"), Region.objects.get(code=code), month, 2)


def test_a_dibao_household_is_counted_by_cause_size_and_its_start(assistance_setup, household):
    p = assistance_setup
    app = approved_dibao(p, household)
    case = Case.objects.get(pk=app.case.pk)
    decided = timezone.localtime(case.decided_at)
    start = Entitlement.objects.filter(case=case).values_list("start_month", flat=True).first()
    with time_machine.travel(decided + dt.timedelta(minutes=5)):
        do_count_month(decided.date())
        if start != decided.date().replace(day=1):
            do_count_month(start)
    month = decided.date().replace(day=1)
    figures = counts(month)
    # The household of two (the citizen and her grandson), on 低保 for old age.
    assert figures.of("cause") == {app.hardship_cause: 1} == {"old_age": 1}
    members = case.household.current_members().count()
    assert figures.of("size") == {str(members): 1} == {"2": 1}
    # It began to be paid in its first month of entitlement.
    assert counts(start).of("flow").get("new") == 1
    # The township and the city hold it too; the other county does not.
    assert counts(month, "640104001").of("cause") == {"old_age": 1}
    assert counts(month, "640100").of("cause") == {"old_age": 1}
    assert counts(month, "640105").of("cause") == {}


def test_one_off_help_is_counted_with_its_amount(assistance_setup, household):
    p = assistance_setup
    approver = staff("town_approver_fig", "640104001", StaffRole.Role.APPROVER)
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("2550"))
    do_transition(Case.objects.get(pk=app.case.pk), "approve", acting_user=approver)
    month = timezone.localdate().replace(day=1)
    do_count_month(month)
    paid = Payment.objects.filter(entitlement__case=app.case, month=month)
    figures = counts(month)
    assert figures.of("one_off") == {"expenditure": 1}
    assert figures.amounts["one_off"] == {"expenditure": sum(p.amount for p in paid)}
    assert figures.amounts["one_off"]["expenditure"] == Decimal("2550.00")


def test_the_page_the_files_and_who_may_see_them(client, assistance_setup, household):
    p = assistance_setup
    approver = staff("town_approver_fig2", "640104001", StaffRole.Role.APPROVER)
    app = accepted_linshi(p, household)
    do_transition(app.case, "propose_amount", acting_user=p.caseworker, values=amount("2550"))
    do_transition(Case.objects.get(pk=app.case.pk), "approve", acting_user=approver)
    do_count_month(timezone.localdate())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    sign_in(client, p.approver)
    url = "/staff/figures/assistance/"
    response = client.get(url)
    assert response.status_code == 200
    assert "Figures: social assistance" in response.content.decode()
    assert client.get(url, {"region": "640105"}).status_code == 404
    response = client.get(url, {"download": "one_off", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Kind of hardship", "People helped", "Amount (yuan)"]
    # One person helped: "<5", and the amount left out with it.
    assert lines[1] == ["Large necessary expense", "<5", ""]
    registrar = staff("registrar_fig", "640104", StaffRole.Role.REGISTRAR)
    sign_in(client, registrar)
    assert client.get(url).status_code == 403
