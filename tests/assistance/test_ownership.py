"""Working a case gives ownership (issue #16, item 7): the caseworker who accepts an unassigned
case from the office queue owns it; a caseworker can take a specific case (not only the next)
and give it back; the case page shows the days left to the promised date."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from civilaffairs.casework.actions import do_screen_and_route, do_transition
from civilaffairs.casework.models import Case, CaseEvent
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text

from .test_process import submitted_dibao

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(assistance_setup, household):
    p = assistance_setup
    app = submitted_dibao(p, household)
    do_screen_and_route(app.case.pk)
    case = Case.objects.get(pk=app.case.pk)
    assert case.state == "screened" and case.office == p.township and case.assignee is None
    return case


def test_accepting_an_unassigned_case_makes_it_yours(assistance_setup, queued):
    p = assistance_setup
    case = do_transition(queued, "accept", acting_user=p.caseworker)
    assert case.assignee == p.caseworker
    event = case.events.get(kind=CaseEvent.Kind.ASSIGNMENT)
    assert event.actor == p.caseworker and event.data["how"] == "worked"
    # A colleague cannot take the next step behind the owner's back.
    colleague = staff("colleague", "640104001", "caseworker")
    assert not case.workflow.transitions["record_investigation"].who(case, colleague)


def test_a_caseworker_takes_a_specific_case_and_gives_it_back(client, assistance_setup, queued):
    p = assistance_setup
    url = reverse("casework:case-detail", args=[queued.pk])
    sign_in(client, p.caseworker)
    page = page_text(client.get(url))
    assert "接手此案件" in page
    response = client.post(reverse("casework:case-claim", args=[queued.pk]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.assignee == p.caseworker
    page = page_text(client.get(url))
    assert "交回办公室队列" in page and "凤凰北街街道民政" in page
    # Someone else of the office cannot take it now; they are told who has it.
    colleague = staff("colleague", "640104001", "caseworker")
    sign_in(client, colleague)
    response = client.post(reverse("casework:case-claim", args=[queued.pk]))
    assert "已经接手此案件" in page_text(client.get(response["Location"]))
    assert client.post(reverse("casework:case-release", args=[queued.pk])).status_code == 403
    queued.refresh_from_db()
    assert queued.assignee == p.caseworker  # only the owner gives it back
    sign_in(client, p.caseworker)
    client.post(reverse("casework:case-release", args=[queued.pk]))
    queued.refresh_from_db()
    assert queued.assignee is None
    assert queued.events.filter(kind="assignment", data__how="release").exists()


def test_taking_a_case_is_for_the_office_that_handles_it(client, assistance_setup, queued):
    p = assistance_setup
    for user in (p.other_caseworker, p.other_approver):
        sign_in(client, user)
        assert client.post(reverse("casework:case-claim", args=[queued.pk])).status_code == 404
    sign_in(client, p.citizen)
    assert client.post(reverse("casework:case-claim", args=[queued.pk])).status_code == 403
    sign_in(client, p.approver)  # sees the case (county), does not work at the township
    assert client.post(reverse("casework:case-claim", args=[queued.pk])).status_code == 403
    queued.refresh_from_db()
    assert queued.assignee is None


def test_the_case_page_shows_the_days_left_and_when_it_is_overdue(client, assistance_setup, queued):
    p = assistance_setup
    sign_in(client, p.caseworker)
    url = reverse("casework:case-detail", args=[queued.pk])
    left = queued.days_left
    assert left > 3
    assert f"剩余 {left} 天" in page_text(client.get(url))
    # The promised date moved near, then past (as the days go by; moved here, so the signed-in
    # session stays valid).
    now = timezone.now()
    Case.objects.filter(pk=queued.pk).update(due_at=now + dt.timedelta(days=2))
    page = client.get(url).content.decode()
    assert "text-bg-warning" in page and "剩余 2 天" in page_text(client.get(url))
    Case.objects.filter(pk=queued.pk).update(due_at=now - dt.timedelta(days=3))
    assert "已超期 3 天" in page_text(client.get(url))


def _row(html: str, reference: str) -> str:
    """The queue row (<tr>…</tr>) that holds a case's reference."""
    at = html.index(reference)
    return html[html.rindex("<tr", 0, at) : html.index("</tr>", at)]


def test_the_office_queue_offers_each_case_to_take_with_its_days_left(
    client, assistance_setup, queued
):
    p = assistance_setup
    claim = reverse("casework:case-claim", args=[queued.pk])
    sign_in(client, p.caseworker)
    html = page_text(client.get(reverse("casework:queue-office")))
    row = _row(html, queued.reference)
    assert f'formaction="{claim}"' in row and 'form="take-form"' in row
    assert f"剩余 {queued.days_left} 天" in row and "text-bg-light" in row
    # The button posts the page's own form (a form cannot sit inside the bulk-assign form).
    assert 'id="take-form"' in html
    # Due soon, then overdue, said in the row as on the case page.
    Case.objects.filter(pk=queued.pk).update(due_at=timezone.now() + dt.timedelta(days=1))
    row = _row(page_text(client.get(reverse("casework:queue-office"))), queued.reference)
    assert "剩余 1 天" in row and "text-bg-warning" in row
    Case.objects.filter(pk=queued.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    row = _row(page_text(client.get(reverse("casework:queue-office"))), queued.reference)
    assert "已超期 2 天" in row and "text-bg-danger" in row
    # Taken from its row: the case is the caseworker's, out of the office queue, in theirs.
    response = client.post(claim)
    assert response.status_code == 302 and response["Location"] == reverse(
        "casework:case-detail", args=[queued.pk]
    )
    queued.refresh_from_db()
    assert queued.assignee == p.caseworker
    assert queued.reference not in page_text(client.get(reverse("casework:queue-office")))
    assert queued.reference in page_text(client.get(reverse("casework:queue-mine")))


def test_the_queue_offers_take_only_to_the_staff_of_the_handling_office(
    client, assistance_setup, queued
):
    p = assistance_setup
    claim = reverse("casework:case-claim", args=[queued.pk])
    # The city supervisor sees the township's case in the queue but does not work there.
    sign_in(client, p.supervisor)
    html = page_text(client.get(reverse("casework:queue-office")))
    assert queued.reference in html and claim not in html
    sign_in(client, p.caseworker)
    html = page_text(client.get(reverse("casework:queue-office")))
    assert claim in html
    # In English, the row's button and its days left speak English.
    client.cookies["lang"] = "en"
    row = _row(page_text(client.get(reverse("casework:queue-office"))), queued.reference)
    assert ">Take<" in row and f"{queued.days_left} days left" in row
