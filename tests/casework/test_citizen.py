"""The citizen's pages: only their own cases, only the public timeline, staff by role only."""

import pytest
from django.urls import reverse

from civilaffairs.casework.actions import (
    do_add_note,
    do_assign_case,
    do_record_screening,
    do_transition,
    notify_event,
)
from civilaffairs.casework.document_actions import do_add_document
from civilaffairs.casework.models import Case, CaseEvent, Notification
from tests.auth import sign_in
from tests.factories import UserFactory
from tests.pages import page_text

from .conftest import make_case, pdf_upload, resident

pytestmark = pytest.mark.django_db

STAFF_NAME = "Zhang Weiguo"


class FakeScreening:
    def to_json(self):
        return {
            "outcome": "fail",
            "ruleset_id": 7,
            "ruleset_version": 3,
            "facts": {"income_per_person": "900.00"},
            "parameters": {"local_standard": "760.00"},
            "results": [
                {
                    "rule_name": "Income below the local standard",
                    "outcome": "fail",
                    "reason": "Income per person 900.00 yuan is above the standard 760.00 yuan.",
                },
                {"rule_name": "Lives in the area", "outcome": "pass", "reason": ""},
            ],
        }


@pytest.fixture
def named_caseworker(world):
    world.caseworker.first_name = STAFF_NAME
    world.caseworker.save()
    return world.caseworker


@pytest.fixture
def my_case(world, named_caseworker):
    world.citizen.language = "en"  # the pre-check summary is written in the applicant's language
    world.citizen.save(update_fields=["language"])
    case = make_case(world.citizen.person)
    do_record_screening(case, program="test", result=FakeScreening())
    do_assign_case(case, named_caseworker, acting_user=world.supervisor)
    do_add_note(case, acting_user=named_caseworker, text="SECRET: neighbour says he drinks")
    do_add_note(
        case, acting_user=named_caseworker, text="Please bring your bank statement.", public=True
    )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def strangers_case(world):
    return make_case(resident(name="赵四"))


def test_my_applications_lists_my_cases_with_the_citizen_label_only(
    client, world, my_case, strangers_case
):
    sign_in(client, world.citizen)
    page = page_text(client.get(reverse("cases:my-cases")))
    assert my_case.reference in page and strangers_case.reference not in page
    assert "Being checked" in page  # the citizen label of "screened"
    assert "Test service" in page


CITIZEN_CASE_URLS = [
    ("get", "cases:case-detail"),
    ("get", "cases:case-withdraw"),
    ("post", "cases:case-withdraw"),
    ("post", "cases:document-upload"),
]


@pytest.mark.parametrize(("method", "name"), CITIZEN_CASE_URLS)
def test_another_citizens_case_is_404_and_unchanged(
    client, world, strangers_case, private_media, method, name
):
    sign_in(client, world.citizen)
    data = {"kind": "other", "file": pdf_upload()} if "upload" in name else {}
    response = getattr(client, method)(reverse(name, args=[strangers_case.pk]), data)
    assert response.status_code == 404
    assert Case.objects.get(pk=strangers_case.pk).state == "screened"
    assert not strangers_case.documents.exists()


@pytest.mark.parametrize(("method", "name"), CITIZEN_CASE_URLS)
def test_staff_get_404_on_citizen_urls_of_cases_that_are_not_theirs(
    client, world, my_case, private_media, method, name
):
    sign_in(client, world.caseworker)
    assert getattr(client, method)(reverse(name, args=[my_case.pk])).status_code == 404


def test_a_citizen_without_a_verified_person_sees_no_cases(client, world, my_case):
    sign_in(client, UserFactory())
    page = page_text(client.get(reverse("cases:my-cases")))
    assert my_case.reference not in page
    assert client.get(reverse("cases:case-detail", args=[my_case.pk])).status_code == 404
    assert client.get(reverse("cases:inbox")).status_code == 200
    assert client.post(reverse("cases:inbox-read")).status_code == 403


def test_the_citizen_never_sees_internal_events_or_staff_names(client, world, my_case):
    sign_in(client, world.citizen)
    page = page_text(client.get(reverse("cases:case-detail", args=[my_case.pk])))
    assert "Please bring your bank statement." in page
    assert "SECRET" not in page
    assert STAFF_NAME not in page
    assert "Civil affairs office" in page
    # The internal "screen" transition (to a non-public state) is not on the timeline.
    internal = CaseEvent.objects.filter(case=my_case, public=False)
    assert internal.filter(transition="screen").exists()
    assert "Screened" not in page
    # The staff page shows everything, internal steps marked as such.
    sign_in(client, world.caseworker)
    staff_page = client.get(reverse("casework:case-detail", args=[my_case.pk])).content.decode()
    assert "SECRET" in staff_page and ">internal</span>" in staff_page


def test_the_screening_is_explained_in_plain_words_to_the_citizen_and_fully_to_staff(
    client, world, my_case
):
    sign_in(client, world.citizen)
    page = client.get(reverse("cases:case-detail", args=[my_case.pk])).content.decode()
    assert "some conditions do not seem to be met" in page
    assert "Income per person 900.00 yuan is above the standard 760.00 yuan." in page
    sign_in(client, world.caseworker)
    page = client.get(reverse("casework:case-detail", args=[my_case.pk])).content.decode()
    for text in (
        "Income below the local standard",
        "Not met",
        "Lives in the area",
        "income_per_person",
        "900.00",
        "local_standard",
        "760.00",
        "rule set version 3",
    ):
        assert text in page, text
    # The applicant's ID number is masked on the staff page.
    person = world.citizen.person
    assert person.id_number not in page and person.masked_id_number in page


def test_a_citizen_withdraws_after_confirming(client, world, my_case):
    sign_in(client, world.citizen)
    detail = reverse("cases:case-detail", args=[my_case.pk])
    assert "Withdraw my application" in client.get(detail).content.decode()
    url = reverse("cases:case-withdraw", args=[my_case.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Yes, withdraw it" in confirm.content.decode()
    assert Case.objects.get(pk=my_case.pk).state == "screened"  # a GET changes nothing
    response = client.post(url, {"reason": "I found work."}, follow=True)
    case = Case.objects.get(pk=my_case.pk)
    assert case.state == "withdrawn" and case.outcome == "withdrawn" and not case.is_open
    assert "Your application has been withdrawn." in response.content.decode()
    assert "Withdraw my application" not in page_text(client.get(detail))
    event = CaseEvent.objects.get(case=case, transition="withdraw")
    assert event.actor == world.citizen and event.message == "I found work."


def test_withdrawing_is_refused_once_the_case_moved_on(client, world, my_case, named_caseworker):
    do_transition(my_case, "accept", acting_user=named_caseworker)
    sign_in(client, world.citizen)
    response = client.post(reverse("cases:case-withdraw", args=[my_case.pk]), follow=True)
    assert "can no longer be withdrawn" in response.content.decode()
    assert Case.objects.get(pk=my_case.pk).state == "accepted"


def test_the_citizen_sees_and_downloads_the_documents_of_their_case(
    client, world, my_case, private_media
):
    doc = do_add_document(
        my_case, pdf_upload("证明.pdf"), "other", acting_user=world.caseworker, shared=True
    )
    sign_in(client, world.citizen)
    page = client.get(reverse("cases:case-detail", args=[my_case.pk])).content.decode()
    assert reverse("cases:document-download", args=[doc.pk]) in page
    response = client.get(reverse("cases:document-download", args=[doc.pk]))
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"


def test_a_public_event_lands_in_the_inbox_with_it_and_is_mailed_after_the_commit(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    world.citizen.email = "wang@example.cn"
    world.citizen.save(update_fields=["email"])
    case = make_case(world.citizen.person)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = do_add_note(
            case, acting_user=world.caseworker, text="Please bring your hukou book.", public=True
        )
        # Written in the event's own transaction: nothing waits for a callback.
        note = Notification.objects.get(event=event)
        assert note.person == world.citizen.person and note.emailed_at is None
    assert mailoutbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["wang@example.cn"]]
    assert "Please bring your hukou book." in mailoutbox[0].body
    assert Notification.objects.get(pk=note.pk).emailed_at is not None
    # Asking again (a repair run) neither duplicates the entry nor mails it twice.
    assert notify_event(event.pk).pk == note.pk
    assert Notification.objects.filter(event=event).count() == 1 and len(mailoutbox) == 1
    # An internal note writes nothing to the inbox.
    internal = do_add_note(case, acting_user=world.caseworker, text="internal")
    assert not Notification.objects.filter(event=internal).exists()


def _notify_public_events(case):
    for event in CaseEvent.objects.filter(case=case, public=True):
        notify_event(event.pk)


def test_the_inbox_counts_unread_messages_and_marks_them_read(client, world, my_case):
    _notify_public_events(my_case)
    mine = Notification.objects.filter(person=world.citizen.person)
    total = mine.count()
    assert total >= 3  # received, screening, routing, public note
    sign_in(client, world.citizen)
    home = client.get(reverse("portal:home")).content.decode()
    assert f"Messages ({total} unread)" in home and "My applications" in home
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        inbox = client.get(reverse("cases:inbox")).content.decode()
    assert f"You have {total} unread messages." in inbox
    assert f"Messages ({total} unread)" in inbox  # the header's count, the same one
    assert my_case.reference in inbox
    counts = [q for q in ctx if "COUNT(" in q["sql"] and "casework_notification" in q["sql"]]
    assert len(counts) == 1  # counted once for the header and the page

    first = mine.first()
    client.post(reverse("cases:inbox-read"), {"id": first.pk})
    assert mine.filter(read_at__isnull=True).count() == total - 1
    client.post(reverse("cases:inbox-read"))
    assert not mine.filter(read_at__isnull=True).exists()
    assert "Messages (" not in page_text(client.get(reverse("portal:home")))


def test_a_citizen_cannot_mark_someone_elses_messages_read(client, world, strangers_case):
    _notify_public_events(strangers_case)
    theirs = Notification.objects.exclude(person=world.citizen.person)
    assert theirs.exists()
    sign_in(client, world.citizen)
    for pk in theirs.values_list("pk", flat=True):
        client.post(reverse("cases:inbox-read"), {"id": pk})
    client.post(reverse("cases:inbox-read"))
    assert not theirs.filter(read_at__isnull=False).exists()
    inbox = page_text(client.get(reverse("cases:inbox")))
    assert strangers_case.reference not in inbox


def test_the_inbox_costs_the_same_queries_for_few_or_many_messages(
    client, world, my_case, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _notify_public_events(my_case)
    sign_in(client, world.citizen)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:inbox"))
    for _ in range(6):
        _notify_public_events(make_case(world.citizen.person))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("cases:inbox"))
