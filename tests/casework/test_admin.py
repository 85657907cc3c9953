"""The admin shows the case engine read-only; holidays are edited there and reset the calendar."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from civilaffairs.casework.actions import do_assign_case
from civilaffairs.casework.calendar import cache_key, forget_calendar, working_calendar
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case, Holiday
from tests.auth import sign_in
from tests.pages import page_text

from .conftest import make_case, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    sign_in(client, world.admin)
    return client


@pytest.fixture
def case(world, private_media):
    case = make_case(world.citizen.person)
    do_assign_case(case, world.caseworker, acting_user=world.supervisor)
    do_add_document(
        case, pdf_upload("王秀英收入.pdf"), "income_proof", acting_user=world.caseworker
    )
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("model", ["case", "document", "notification", "screening", "holiday"])
def test_the_admin_lists_the_case_engine(admin_client, case, model):
    response = admin_client.get(reverse(f"admin:casework_{model}_changelist"))
    assert response.status_code == 200


def test_cases_are_read_only_in_the_admin(admin_client, case, world):
    assert admin_client.get(reverse("admin:casework_case_add")).status_code == 403
    url = reverse("admin:casework_case_change", args=[case.pk])
    page = admin_client.get(url).content.decode()
    assert case.reference in page and 'name="_save"' not in page
    assert world.citizen.person.id_number not in page
    before = Case.objects.get(pk=case.pk).state
    admin_client.post(url, {"state": "approved"})
    assert Case.objects.get(pk=case.pk).state == before
    assert (
        admin_client.post(reverse("admin:casework_case_delete", args=[case.pk])).status_code == 403
    )
    listing = admin_client.get(reverse("admin:casework_case_changelist") + f"?q={case.reference}")
    assert case.reference in listing.content.decode()


def test_documents_in_the_admin_show_no_file_link_and_a_masked_name(admin_client, case):
    doc = case.documents.get()
    page = page_text(admin_client.get(reverse("admin:casework_document_changelist")))
    assert "王秀英收入" not in page and "王****.pdf" in page
    assert doc.file.name not in page
    detail = admin_client.get(reverse("admin:casework_document_change", args=[doc.pk]))
    assert doc.file.name not in page_text(detail)


def test_saving_a_holiday_in_the_admin_clears_the_cached_calendar(admin_client, world):
    working_calendar()
    assert cache.get(cache_key()) is not None
    response = admin_client.post(
        reverse("admin:casework_holiday_add"),
        {"date": "2031-10-01", "name": "国庆节", "is_workday": ""},
    )
    assert response.status_code == 302
    assert Holiday.objects.filter(date="2031-10-01").exists()
    assert cache.get(cache_key()) is None


def test_the_holiday_list_warns_while_next_years_holidays_are_not_loaded(admin_client):
    """Appointments are not offered in a year whose holidays are not loaded: the administrator
    reads so on the holiday list until they add next year's."""
    url = reverse("admin:casework_holiday_changelist")
    with time_machine.travel(dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)):
        Holiday.objects.filter(date__year=2027).delete()
        forget_calendar()
        html = admin_client.get(url).content.decode()
        assert "The public holidays of 2027 are not loaded" in html
        assert "The public holidays of 2026" not in html
        admin_client.post(
            reverse("admin:casework_holiday_add"),
            {"date": "2027-01-01", "name": "元旦", "is_workday": ""},
        )
        html = admin_client.get(url).content.decode()
        assert "are not loaded" not in html


def test_an_office_is_given_the_services_it_handles_in_the_admin(admin_client, world):
    """The office form (casework/admin.py: it lists the services the domains registered)
    creates and changes an office through accounts' actions, history included."""
    from civilaffairs.accounts.models import Office
    from civilaffairs.casework.registry import service_choices
    from tests.casework.conftest import SERVICE

    add = reverse("admin:accounts_office_add")
    page = page_text(admin_client.get(add))
    assert dict(service_choices())[SERVICE] in page
    form = {
        "name": "测试街道民政服务站",
        "region": "640104001",
        "level": "4",
        "services": [SERVICE],
        "address": "",
        "phone": "",
        "opening_hours": "",
        "is_active": "on",
    }
    response = admin_client.post(add, form)
    assert response.status_code == 302, page_text(response, 200)
    office = Office.objects.get(name="测试街道民政服务站")
    assert office.services == [SERVICE] and office.region_prefix == "640104001"
    response = admin_client.post(
        reverse("admin:accounts_office_change", args=[office.pk]), {**form, "services": []}
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.services == []
    assert office.history.count() == 2
    bad = admin_client.post(add, {**form, "name": "另一站", "services": ["no.such_service"]})
    assert "Select a valid choice" in page_text(bad, 200)
    assert not Office.objects.filter(name="另一站").exists()
