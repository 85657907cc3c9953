"""A transition owns its step: its form, its handler, its one `who`, its parties.

A second test service ("test.steps") has a step with a form (an amount and a date) whose
handler writes what it was given, and tells a second party.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from civilaffairs.casework.actions import StepInvalid, do_create_case, do_transition
from civilaffairs.casework.forms import StepForm
from civilaffairs.casework.models import Case, CaseEvent, Notification
from civilaffairs.casework.registry import Service, register_service
from civilaffairs.casework.workflow import State, Transition, Workflow, register_workflow
from civilaffairs.people.models import Region
from tests.auth import sign_in
from tests.factories import PersonFactory, UserFactory

from .conftest import CW, HOME, give_offices_the_service

STEPS = "test.steps"
handled: list = []


class AssessForm(StepForm):
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), max_digits=8)
    visit_date = forms.DateField(label="Visit date")

    def initial_for(self, case):
        return {"amount": Decimal("12.50")}

    def clean_visit_date(self):
        day = self.cleaned_data["visit_date"]
        if day > dt.date.today():
            raise forms.ValidationError("The visit cannot be in the future.")
        return day


def write_assessment(case, data, acting_user):
    if data["amount"] > 1000:
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.NOTE, message="half-way")
        raise ValidationError({"amount": "Above the ceiling for this area."})
    handled.append((case.pk, data["amount"], data["visit_date"]))
    return {"message": f"Assessed at {data['amount']}", "data": {"amount": str(data["amount"])}}


def the_partner(case):
    return case.beneficiary


def register_steps_service():
    register_service(Service(code=STEPS, domain="assistance", name="Steps", reference_prefix="TQ"))
    register_workflow(
        STEPS,
        Workflow.build(
            STEPS,
            [
                State("draft", "Draft", public=False, queued=False),
                State("submitted", "Submitted", queued=False),
                State("assessed", "Assessed", citizen_label="Assessed"),
                State("done", "Done", terminal=True, outcome="approved", queued=False),
            ],
            [
                Transition(
                    "assess",
                    ("submitted",),
                    "assessed",
                    "Assess",
                    roles=(CW,),
                    form=AssessForm,
                    handler=write_assessment,
                    notify=(the_partner,),
                ),
                Transition("finish", ("assessed",), "done", "Finish", roles=(CW,)),
            ],
        ),
    )


@pytest.fixture(autouse=True)
def steps_service(world):
    register_steps_service()
    for office in (world.township, world.county):
        from civilaffairs.accounts.actions import do_update_office

        do_update_office(office, acting_user=None, services=[*office.services, STEPS])
    give_offices_the_service(world)
    handled.clear()
    return world


def steps_case(world, *, partner=None) -> Case:
    applicant = PersonFactory(hukou_region=Region.objects.get(code=HOME))
    case = do_create_case(
        acting_user=None,
        service=STEPS,
        region=Region.objects.get(code=HOME),
        applicant=applicant,
        beneficiary=partner or applicant,
    )
    do_transition(case, "submit", acting_user=None)
    return Case.objects.get(pk=case.pk)


def test_submitting_is_a_step_of_the_workflow(world):
    wf = Workflow.build(
        "x", [State("draft", "D", queued=False), State("submitted", "S", queued=False)], []
    )
    assert wf.transitions["submit"].sources == ("draft",)
    case = steps_case(world)
    assert case.state == "submitted" and case.submitted_at is not None and case.due_at
    event = case.events.get(transition="submit")
    assert case.reference in event.message and event.public


def test_a_step_refuses_what_its_form_refuses_and_saves_nothing(world):
    case = steps_case(world)
    with pytest.raises(StepInvalid) as caught:
        do_transition(
            case, "assess", acting_user=world.caseworker, values={"amount": "-3", "visit_date": ""}
        )
    assert set(caught.value.form.errors) == {"amount", "visit_date"}
    case.refresh_from_db()
    assert case.state == "submitted"
    assert handled == []
    assert not case.events.filter(transition="assess").exists()


def test_a_step_writes_through_its_handler_and_tells_every_party(
    world, django_capture_on_commit_callbacks
):
    partner_account = UserFactory(username="13800000077", email="partner@example.cn", language="en")
    partner = partner_account.person or PersonFactory(hukou_region=Region.objects.get(code=HOME))
    if partner_account.person_id is None:
        partner_account.person = partner
        partner_account.save()
    case = steps_case(world, partner=partner)
    with django_capture_on_commit_callbacks(execute=True):
        do_transition(
            case,
            "assess",
            acting_user=world.caseworker,
            values={"amount": "20.00", "visit_date": "2026-11-30"},
        )
    case.refresh_from_db()
    assert case.state == "assessed"
    assert handled == [(case.pk, Decimal("20.00"), dt.date(2026, 11, 30))]
    event = case.events.get(transition="assess")
    assert event.data == {"amount": "20.00"} and event.message == "Assessed at 20.00"
    told = Notification.objects.filter(event=event)
    assert {n.person_id for n in told} == {case.applicant_id, partner.pk}
    to_partner = told.get(person=partner)
    assert to_partner.title == f"Application {case.reference}: Assessed"  # in English
    assert to_partner.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["partner@example.cn"]]


def test_a_party_hears_of_an_event_once(world):
    from civilaffairs.casework.notify import notify

    case = steps_case(world)
    event = case.events.get(transition="submit")
    first = Notification.objects.get(event=event, person=case.applicant)
    assert notify(case.applicant, "again", event=event).pk == first.pk
    assert Notification.objects.filter(event=event, person=case.applicant).count() == 1


def test_only_who_the_step_names_may_take_it(world):
    case = steps_case(world)
    values = {"amount": "20.00", "visit_date": "2026-11-30"}
    for user in (world.approver, world.other_caseworker, world.citizen, None):
        with pytest.raises(PermissionDenied):
            do_transition(case, "assess", acting_user=user, values=values)
    assert Case.objects.get(pk=case.pk).state == "submitted"


def test_the_case_page_shows_the_steps_form_and_posts_it(client, world):
    case = steps_case(world)
    sign_in(client, world.caseworker)
    page = client.get(f"/staff/cases/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="t-assess-amount"' in html and 'value="12.50"' in html  # initial_for
    url = f"/staff/cases/{case.pk}/transition/assess/"
    sent_back = client.post(url, {"t-assess-amount": "abc", "t-assess-visit_date": "2026-11-30"})
    assert sent_back.status_code == 400
    assert "Enter a number." in sent_back.content.decode()
    assert Case.objects.get(pk=case.pk).state == "submitted"
    done = client.post(url, {"t-assess-amount": "30", "t-assess-visit_date": "2026-11-30"})
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "assessed"
    assert handled[-1][1] == Decimal("30")


def test_a_user_without_the_role_is_told_no_and_nothing_moves(client, world):
    case = steps_case(world)
    sign_in(client, world.approver)
    answer = client.post(
        f"/staff/cases/{case.pk}/transition/assess/",
        {"t-assess-amount": "30", "t-assess-visit_date": "2026-11-30"},
    )
    assert answer.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "submitted"
    assert handled == []


def test_a_workflow_that_the_engine_cannot_run_is_refused_at_start_up():
    states = [
        State("draft", "D", queued=False),
        State("submitted", "S", queued=False),
        State("end", "E", terminal=True, queued=False),  # no outcome
    ]
    with pytest.raises(ValueError, match="no outcome"):
        Workflow.build("x", states, [])
    states[2] = State("end", "E", terminal=True, outcome="done", queued=False)
    with pytest.raises(ValueError, match="not a casework StepForm"):
        Workflow.build(
            "x",
            states,
            [Transition("go", ("submitted",), "end", "Go", system=True, form=forms.Form)],
        )
    with pytest.raises(ValueError, match="nobody may take"):
        Workflow.build("x", states, [Transition("go", ("submitted",), "end", "Go", who=None)])


def test_a_refused_step_loses_nothing_already_saved(world):
    case = steps_case(world)
    with pytest.raises(ValidationError):
        do_transition(case, "finish", acting_user=world.caseworker)
    case.refresh_from_db()
    assert case.state == "submitted"
    assert case.events.filter(kind=CaseEvent.Kind.TRANSITION).count() == 1


def test_start_up_checks_find_a_service_without_a_workflow():
    from civilaffairs.casework import registry
    from civilaffairs.casework.checks import services_and_workflows

    assert services_and_workflows() == []
    register_service(
        Service(code="test.orphan", domain="assistance", name="O", reference_prefix="TO")
    )
    try:
        assert [e.id for e in services_and_workflows()] == ["casework.E001"]
    finally:
        registry._services.pop("test.orphan")


def test_a_handlers_refusal_is_shown_on_the_form_and_undoes_its_writes(world):
    case = steps_case(world)
    with pytest.raises(StepInvalid) as caught:
        do_transition(
            case,
            "assess",
            acting_user=world.caseworker,
            values={"amount": "9999", "visit_date": "2026-11-30"},
        )
    assert caught.value.form.errors["amount"] == ["Above the ceiling for this area."]
    assert not case.events.filter(message="half-way").exists()


def test_the_inbox_reads_what_the_system_wrote_in_the_readers_language(client, world):
    """A message the system writes (a callable) is kept in every language: the citizen who
    switches to English reads it in English; what was typed stays as typed (issue #16, 13)."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from civilaffairs.casework.notify import notify
    from tests.pages import page_text

    citizen = UserFactory(username="13800009999", person=PersonFactory(name="赵敏"))
    written = notify(citizen.person, lambda: _("Report received."))
    typed = notify(citizen.person, "请携带户口簿原件。")
    assert written.title == "已收到报告。" and written.translations["en"]["title"] == (
        "Report received."
    )
    assert typed.translations is None
    sign_in(client, citizen)
    inbox = reverse("cases:inbox")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = page_text(client.get(inbox))
    assert "已收到报告。" in page and "请携带户口簿原件。" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_text(client.get(inbox))
    assert "Report received." in page and "已收到报告。" not in page
    assert "请携带户口簿原件。" in page
