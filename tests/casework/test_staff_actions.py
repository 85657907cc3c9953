"""The staff case page: transitions, notes, assignment; refusals save nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.actions import do_assign_case, do_bulk_assign, do_transition
from civilaffairs.casework.models import Case, CaseEvent
from tests.auth import sign_in
from tests.factories import staff
from tests.pages import page_text

from .conftest import CW, make_case, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world):
    case = make_case()
    do_assign_case(case, world.caseworker, acting_user=world.supervisor)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def colleague(world):
    return staff("colleague", "640104001", CW)


def _state(case):
    case = Case.objects.get(pk=case.pk)
    return (
        case.state,
        case.assignee_id,
        case.closed_at,
        case.outcome,
        CaseEvent.objects.filter(case=case).count(),
        case.history.count(),
    )


def _transition(client, case, name, reason=None):
    data = {} if reason is None else {f"t-{name}-reason": reason}
    return client.post(reverse("casework:case-transition", args=[case.pk, name]), data)


def test_the_case_page_offers_only_the_transitions_the_user_may_fire(
    client, world, case, colleague
):
    sign_in(client, world.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert page.count("<h1") == 1
    for name in ("accept", "refuse"):
        assert reverse("casework:case-transition", args=[case.pk, name]) in page
    for name in ("approve", "withdraw", "screen"):
        assert reverse("casework:case-transition", args=[case.pk, name]) not in page
    # A colleague does not act on a case that is someone else's.
    sign_in(client, colleague)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert "/transition/" not in page


def test_a_refusal_without_a_reason_saves_nothing_and_says_why_next_to_the_field(
    client, world, case
):
    before = _state(case)
    sign_in(client, world.caseworker)
    response = _transition(client, case, "refuse", reason="  ")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please write the reason; the applicant will read it." in page
    assert 'aria-invalid="true"' in page or "is-invalid" in page
    assert _state(case) == before
    # The action itself refuses too, whoever calls it.
    with pytest.raises(ValidationError):
        do_transition(case, "refuse", acting_user=world.caseworker, reason="")
    assert _state(case) == before
    # Nor is a number a reason the applicant can read ("-1" stopped a benefit while fuzzing).
    response = _transition(client, case, "refuse", reason="-1")
    assert response.status_code == 400
    assert "Please write the reason in words" in response.content.decode()
    assert _state(case) == before


def test_a_refusal_with_a_reason_closes_the_case_and_tells_the_applicant(client, world, case):
    sign_in(client, world.caseworker)
    response = _transition(client, case, "refuse", reason="Income above the standard.")
    assert response.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert case.state == "refused" and case.outcome == "refused" and case.closed_at
    assert case.outcome_reason == "Income above the standard."


def test_an_action_refused_by_the_engine_is_a_message_and_nothing_is_saved(
    client, world, case, colleague
):
    before = _state(case)
    sign_in(client, world.approver)
    response = _transition(client, case, "approve")  # not possible while "screened"
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "This action is not possible now" in page
    sign_in(client, colleague)
    response = _transition(client, case, "accept")  # the case is someone else's
    page = client.get(response["Location"]).content.decode()
    assert "You may not do this on this case." in page
    assert _state(case) == before
    assert _transition(client, case, "no-such-thing").status_code == 404


def test_the_workflow_runs_from_acceptance_to_approval(client, world, case):
    sign_in(client, world.caseworker)
    _transition(client, case, "accept")
    sign_in(client, world.approver)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert reverse("casework:case-transition", args=[case.pk, "approve"]) in page
    _transition(client, case, "approve")
    case = Case.objects.get(pk=case.pk)
    assert case.state == "approved" and case.outcome == "approved" and not case.is_open


def test_a_supervisor_reassigns_a_case_to_staff_of_its_office(client, world, case, colleague):
    sign_in(client, world.supervisor)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert 'name="assign-assignee"' in page
    assert "colleague" in page and "other_caseworker" not in page  # only the case's office
    response = client.post(
        reverse("casework:case-assign", args=[case.pk]), {"assign-assignee": colleague.pk}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assignee == colleague
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNMENT).last()
    assert event.actor == world.supervisor and event.data["to"] == colleague.pk
    # Back to the office queue.
    client.post(reverse("casework:case-assign", args=[case.pk]), {"assign-assignee": ""})
    assert Case.objects.get(pk=case.pk).assignee is None


def test_a_supervisor_cannot_assign_to_staff_of_another_office(client, world, case):
    before = _state(case)
    sign_in(client, world.supervisor)
    response = client.post(
        reverse("casework:case-assign", args=[case.pk]),
        {"assign-assignee": world.other_caseworker.pk},
    )
    assert response.status_code == 400
    assert _state(case) == before


def test_a_case_is_not_handed_to_staff_of_its_office_who_cannot_open_it(client, world, case):
    """A marriage registrar of the same office was offered for an assistance case; assigned,
    the case left the queue for someone who gets 404 on it (found walking the 临时救助 case
    as the approver)."""
    registrar = staff("same_office_registrar", "640104001", StaffRole.Role.REGISTRAR)
    colleague = staff("same_office_cw", "640104001", CW)
    sign_in(client, world.supervisor)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert f'<option value="{colleague.pk}"' in page
    assert f'<option value="{registrar.pk}"' not in page
    before = _state(case)
    response = client.post(
        reverse("casework:case-assign", args=[case.pk]), {"assign-assignee": registrar.pk}
    )
    assert response.status_code == 400
    assert _state(case) == before
    # The action refuses it too (bulk assignment offers the staff of several offices at once).
    with pytest.raises(ValidationError, match="cannot work on this case"):
        do_assign_case(case, registrar, acting_user=world.supervisor)
    assert _state(case) == before
    done, errors = do_bulk_assign([case.pk], registrar, acting_user=world.supervisor)
    assert done == 0 and "cannot work on this case" in errors[0][1]
    assert _state(case) == before


def test_a_caseworker_cannot_reassign(client, world, case, colleague):
    before = _state(case)
    sign_in(client, world.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert 'name="assign-assignee"' not in page
    response = client.post(
        reverse("casework:case-assign", args=[case.pk]), {"assign-assignee": colleague.pk}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("casework:bulk-assign"), {"case": [case.pk], "assignee": colleague.pk}
    )
    assert response.status_code == 403
    assert _state(case) == before
    assert 'id="bulk-form"' not in page_text(client.get(reverse("casework:queue-office")))


def test_a_supervisor_assigns_ticked_cases_in_bulk(client, world, colleague):
    applicant = resident()
    cases = [make_case(applicant) for _ in range(3)]
    untouched = make_case(applicant)
    sign_in(client, world.supervisor)
    page = client.get(reverse("casework:queue-office")).content.decode()
    assert 'id="bulk-form"' in page and f'value="{cases[0].pk}"' in page
    response = client.post(
        reverse("casework:bulk-assign"),
        {"case": [c.pk for c in cases], "assignee": colleague.pk, "next": "/staff/cases/office/"},
        follow=True,
    )
    assert "3 case(s) assigned to" in response.content.decode()
    assert set(Case.objects.filter(assignee=colleague).values_list("pk", flat=True)) == {
        c.pk for c in cases
    }
    assert Case.objects.get(pk=untouched.pk).assignee is None


def test_bulk_assignment_offers_the_staff_of_the_ticked_cases_offices(client, world, colleague):
    """Step one from the queue page: the ticked cases, and only the people of their offices
    (a province-wide list of staff would be useless and slow)."""
    home = make_case()
    elsewhere_worker = staff("elsewhere_cw", "640105001", CW)
    sign_in(client, world.supervisor)
    queue = page_text(client.get(reverse("casework:queue-office")))
    assert 'name="assignee"' not in queue  # the queue page lists no staff
    response = client.post(
        reverse("casework:bulk-assign"), {"case": [home.pk], "next": "/staff/cases/office/"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert home.reference in page
    assert f'<option value="{colleague.pk}"' in page
    assert f'<option value="{elsewhere_worker.pk}"' not in page
    assert f'name="case" value="{home.pk}"' in page
    assert not Case.objects.filter(pk=home.pk, assignee__isnull=False).exists()
    # Step two assigns.
    client.post(reverse("casework:bulk-assign"), {"case": [home.pk], "assignee": colleague.pk})
    assert Case.objects.get(pk=home.pk).assignee == colleague


def test_choosing_whom_to_assign_without_a_ticked_case_says_so(client, world):
    sign_in(client, world.supervisor)
    response = client.post(reverse("casework:bulk-assign"), {}, follow=True)
    assert "Tick at least one case in the list." in response.content.decode()


def test_bulk_assignment_reports_each_case_it_could_not_assign(client, world, colleague):
    home = make_case()
    elsewhere = make_case(code="640105001002")
    sign_in(client, world.supervisor)
    # The colleague works in the home township only: the other county's case is refused.
    response = client.post(
        reverse("casework:bulk-assign"),
        {"case": [home.pk, elsewhere.pk], "assignee": colleague.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "1 case(s) assigned" in page
    assert f"{elsewhere.reference} was not assigned" in page
    assert Case.objects.get(pk=elsewhere.pk).assignee is None


def test_a_bulk_assignment_without_a_ticked_case_says_so(client, world, colleague):
    sign_in(client, world.supervisor)
    response = client.post(reverse("casework:bulk-assign"), {"assignee": colleague.pk}, follow=True)
    assert "Tick at least one case in the list." in response.content.decode()


def test_notes_are_internal_unless_the_applicant_should_read_them(client, world, case):
    sign_in(client, world.caseworker)
    url = reverse("casework:case-note", args=[case.pk])
    client.post(url, {"note-text": "Visited; the roof leaks."})
    client.post(url, {"note-text": "Please send your rent contract.", "note-public": "on"})
    notes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE).order_by("id")
    assert [(n.message, n.public) for n in notes] == [
        ("Visited; the roof leaks.", False),
        ("Please send your rent contract.", True),
    ]
    response = client.post(url, {"note-text": "   "})
    assert response.status_code == 400 and "The note is empty." in response.content.decode()
    assert notes.count() == 2


def test_a_supervisor_sets_the_priority_and_the_queue_follows(client, world, case):
    sign_in(client, world.supervisor)
    client.post(reverse("casework:case-priority", args=[case.pk]), {"prio-priority": 2})
    assert Case.objects.get(pk=case.pk).priority == Case.Priority.URGENT
    sign_in(client, world.caseworker)
    assert (
        client.post(
            reverse("casework:case-priority", args=[case.pk]), {"prio-priority": 0}
        ).status_code
        == 403
    )
    assert Case.objects.get(pk=case.pk).priority == Case.Priority.URGENT


def _summary(html: str) -> str:
    return html[html.index('id="summary-heading"') : html.index('id="applicant-heading"')]


def test_the_case_page_names_the_assignee_and_a_beneficiary_other_than_the_applicant(
    client, world, case
):
    """The case page joins region, office and applicant only: the assignee's name and another
    beneficiary are read apart, and only when there is one."""
    sign_in(client, world.supervisor)
    url = reverse("casework:case-detail", args=[case.pk])
    html = page_text(client.get(url))
    assert world.caseworker.display_name in _summary(html)
    assert ">Beneficiary<" not in html
    # Someone else benefits (e.g. a child): named on the page, ID number masked.
    child = resident(name="王小明")
    Case.objects.filter(pk=case.pk).update(beneficiary=child)
    html = page_text(client.get(url))
    assert ">Beneficiary<" in html and "王小明" in html
    assert child.id_number not in html and child.masked_id_number in html
    # Back in the office queue: nobody named.
    do_assign_case(case, None, acting_user=world.supervisor)
    html = client.get(url).content.decode()
    assert "Nobody (in the office queue)" in _summary(html)
    assert world.caseworker.display_name not in _summary(html)
    # A state no queue holds is not said to be in one (a granted allowance read "in the
    # office queue" and was in none; found walking the age allowance).
    not_queued = next(
        name for name, st in case.workflow.states.items() if not st.queued and not st.terminal
    )
    Case.objects.filter(pk=case.pk).update(state=not_queued)
    html = page_text(client.get(url))
    assert "Nobody (not waiting in a queue at this stage)" in _summary(html)
    assert "Nobody (in the office queue)" not in html


def test_a_note_sent_back_with_an_error_keeps_the_text_and_the_empty_form_is_the_same_each_time(
    client, world, case
):
    """The empty note and upload forms come from the fragment cache (case_detail.html); a
    form sent back with an error is rendered with what was typed and its message."""
    sign_in(client, world.caseworker)
    url = reverse("casework:case-detail", args=[case.pk])
    first = client.get(url).content.decode()
    again = client.get(url).content.decode()
    fields = 'name="note-text"'
    assert fields in first and 'name="kind"' in first and 'name="file"' in first
    assert first.split(fields)[1][:200] == again.split(fields)[1][:200]
    long_note = "很长的笔记" * 900  # over the 4,000 characters a note may hold
    response = client.post(reverse("casework:case-note", args=[case.pk]), {"note-text": long_note})
    assert response.status_code == 400
    html = response.content.decode()
    assert long_note in html and "at most 4000 characters" in html
