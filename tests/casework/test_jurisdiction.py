"""Every staff case URL, tried from another county and by a citizen: 404 (or 403), never data,
never a change. The right member of staff gets the page or the change."""

import pytest
from django.urls import reverse

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.actions import do_assign_case
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case, CaseEvent, Document
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text

from .conftest import ELSEWHERE, make_case, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, private_media):
    case = make_case()
    do_assign_case(case, world.caseworker, acting_user=world.supervisor)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def document(world, case):
    return do_add_document(case, pdf_upload(), "income_proof", acting_user=world.caseworker)


def _request(client, method, name, case, document, data=None):
    args = {
        "casework:case-detail": [case.pk],
        "casework:case-transition": [case.pk, "accept"],
        "casework:case-assign": [case.pk],
        "casework:case-priority": [case.pk],
        "casework:case-note": [case.pk],
        "casework:document-upload": [case.pk],
        "casework:document-download": [document.pk],
    }.get(name, [])
    url = reverse(name, args=args)
    return getattr(client, method)(url, data or {})


def _payload(name, world, case):
    return {
        "casework:case-assign": {"assign-assignee": world.caseworker.pk},
        "casework:bulk-assign": {"case": [case.pk], "assignee": world.caseworker.pk},
        "casework:case-priority": {"prio-priority": 2},
        "casework:case-note": {"note-text": "looked at it"},
        "casework:document-upload": {"kind": "other", "file": pdf_upload("x.pdf")},
    }.get(name)


CASE_URLS = [
    ("get", "casework:case-detail"),
    ("post", "casework:case-transition"),
    ("post", "casework:case-assign"),
    ("post", "casework:case-priority"),
    ("post", "casework:bulk-assign"),
    ("post", "casework:case-note"),
    ("post", "casework:document-upload"),
    ("get", "casework:document-download"),
]


def _snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return (
        case.state,
        case.assignee_id,
        case.priority,
        CaseEvent.objects.filter(case=case).count(),
        Document.objects.filter(case=case).count(),
    )


@pytest.mark.parametrize("who", ["other_caseworker", "other_approver"])
@pytest.mark.parametrize(("method", "name"), CASE_URLS)
def test_staff_of_another_county_get_404_and_change_nothing(
    client, world, case, document, who, method, name
):
    before = _snapshot(case)
    sign_in(client, getattr(world, who))
    response = _request(client, method, name, case, document, _payload(name, world, case))
    # A caseworker elsewhere is not a supervisor at all: bulk assignment is forbidden outright.
    expected = 403 if (name == "casework:bulk-assign" and who == "other_caseworker") else 404
    assert response.status_code == expected
    assert _snapshot(case) == before


def test_choosing_whom_to_assign_a_case_of_another_county_is_404(client, world, case):
    """Step one of bulk assignment (no assignee yet) lists the staff of the cases' offices: an
    approver of another county must not learn them, nor that the case exists."""
    sign_in(client, world.other_approver)
    response = client.post(reverse("casework:bulk-assign"), {"case": [case.pk]})
    assert response.status_code == 404
    assert world.caseworker.username not in response.content.decode()


@pytest.mark.parametrize(("method", "name"), CASE_URLS)
def test_a_citizen_cannot_use_staff_case_urls(client, world, case, document, method, name):
    before = _snapshot(case)
    sign_in(client, world.citizen)
    response = _request(client, method, name, case, document, _payload(name, world, case))
    assert response.status_code == 403
    assert _snapshot(case) == before


@pytest.mark.parametrize(("method", "name"), [*CASE_URLS, ("get", "casework:queue-mine")])
def test_anonymous_visitors_are_sent_to_log_in(client, world, case, document, method, name):
    response = _request(client, method, name, case, document)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("method", "name", "who", "status"),
    [
        ("get", "casework:case-detail", "caseworker", 200),
        ("post", "casework:case-transition", "caseworker", 302),
        ("post", "casework:case-assign", "supervisor", 302),
        ("post", "casework:case-priority", "supervisor", 302),
        ("post", "casework:bulk-assign", "supervisor", 302),
        ("post", "casework:case-note", "caseworker", 302),
        ("post", "casework:document-upload", "caseworker", 302),
        ("get", "casework:document-download", "caseworker", 200),
        ("get", "casework:case-detail", "approver", 200),
        ("get", "casework:case-detail", "supervisor", 200),
        ("get", "casework:document-download", "approver", 200),
    ],
)
def test_the_right_staff_can_use_each_case_url(
    client, world, case, document, method, name, who, status
):
    before = _snapshot(case)
    sign_in(client, getattr(world, who))
    response = _request(client, method, name, case, document, _payload(name, world, case))
    assert response.status_code == status
    if method == "post":
        assert _snapshot(case) != before


def test_queues_of_another_county_do_not_list_the_case(client, world, private_media):
    waiting = make_case()
    mine = make_case()
    do_assign_case(mine, world.caseworker, acting_user=world.supervisor)
    for who in ("other_caseworker", "other_approver"):
        sign_in(client, getattr(world, who))
        for name in ("casework:queue-mine", "casework:queue-office"):
            page = page_text(client.get(reverse(name)))
            assert waiting.reference not in page and mine.reference not in page
    sign_in(client, world.caseworker)
    assert mine.reference in client.get(reverse("casework:queue-mine")).content.decode()
    assert waiting.reference in client.get(reverse("casework:queue-office")).content.decode()


def test_claim_next_from_another_county_never_takes_this_countys_case(client, world):
    waiting = make_case()
    elsewhere = make_case(code=ELSEWHERE)
    sign_in(client, world.other_caseworker)
    response = client.post(reverse("casework:claim-next"))
    assert response["Location"] == reverse("casework:case-detail", args=[elsewhere.pk])
    response = client.post(reverse("casework:claim-next"), follow=True)
    assert "No case is waiting" in response.content.decode()
    assert Case.objects.get(pk=waiting.pk).assignee_id is None


def test_citizens_cannot_open_queues_or_claim(client, world):
    waiting = make_case()
    sign_in(client, world.citizen)
    assert client.get(reverse("casework:queue-mine")).status_code == 403
    assert client.get(reverse("casework:queue-office")).status_code == 403
    assert client.post(reverse("casework:claim-next")).status_code == 403
    assert Case.objects.get(pk=waiting.pk).assignee_id is None


def test_a_document_above_the_staff_members_level_is_not_served(client, world, case, document):
    Document.objects.filter(pk=document.pk).update(confidentiality=3)  # sensitive
    sign_in(client, world.caseworker)
    url = reverse("casework:document-download", args=[document.pk])
    assert client.get(url).status_code == 404
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert url not in page


def test_staff_of_another_line_of_work_in_the_same_area_see_no_general_case(client, world, case):
    """A marriage registrar or a child-welfare worker holds a grant over the same county, but
    general cases (Service.staff_roles: the casework roles) are not theirs: the case is as
    invisible to them as one in another county, in the queues, on its page and to claim-next."""
    for role in (StaffRole.Role.REGISTRAR, StaffRole.Role.CHILD_WELFARE):
        other = staff(f"other_{role}", "640104", role)
        assert not Case.objects.visible_to(other).filter(pk=case.pk).exists()
        sign_in(client, other)
        assert client.get(reverse("casework:case-detail", args=[case.pk])).status_code == 404
        office = page_text(client.get(reverse("casework:queue-office")))
        assert case.reference not in office
    assert Case.objects.visible_to(world.approver).filter(pk=case.pk).exists()


def test_a_jurisdiction_is_one_term_however_many_services_its_roles_work(world):
    """The supervisor works general and marriage cases with the same grant: one region term
    (with child welfare, which is not theirs, left out), not one per group of services."""
    sql = str(Case.objects.visible_to(world.supervisor).query)
    assert sql.count("LIKE") == 1, sql
    assert "childwelfare.intake" in sql and "marriage.registration" not in sql
