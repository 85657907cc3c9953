"""One open case of a program per household (issue #16, item 2): a household already on 低保, or
with an application being handled, is refused a second one on every channel, with the case it
already has named; the staff case page lists the household's other cases."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assistance import actions
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Membership
from tests.auth import sign_in
from tests.factories import UserFactory
from tests.pages import page_text

from .conftest import fill_dibao
from .test_process import approved_dibao, submitted_dibao

pytestmark = pytest.mark.django_db


def grandson_account(household):
    grandson = household.memberships.get(relation=Membership.Relation.GRANDCHILD).person
    return UserFactory(person=grandson)


def test_a_household_receiving_dibao_is_refused_a_new_application_on_every_channel(
    assistance_setup, household
):
    p = assistance_setup
    granted = approved_dibao(p, household)
    assert granted.case.is_in_force
    # Online, by the same person.
    with pytest.raises(ValidationError) as refused:
        actions.do_start_application("dibao", acting_user=p.citizen, person=p.citizen.person)
    assert granted.case.reference in str(refused.value)
    assert "申请变更或复核" in str(refused.value)  # what to do instead
    # By another member of the household.
    grandson = grandson_account(household)
    with pytest.raises(ValidationError):
        actions.do_start_application("dibao", acting_user=grandson, person=grandson.person)
    # Assisted, by a caseworker at the office.
    with pytest.raises(ValidationError):
        actions.do_start_application(
            "dibao",
            acting_user=p.caseworker,
            person=p.citizen.person,
            channel=Case.Channel.ASSISTED,
        )
    assert Case.objects.filter(service="assistance.dibao").count() == 1
    # Another program is another matter: temporary assistance may be asked for.
    actions.do_start_application("linshi", acting_user=p.citizen, person=p.citizen.person)


def test_a_draft_begun_before_another_members_application_is_refused_at_submission(
    assistance_setup, household
):
    p = assistance_setup
    grandson = grandson_account(household)
    late = actions.do_start_application("dibao", acting_user=grandson, person=grandson.person)
    first = submitted_dibao(p, household)  # the grandmother sends hers first
    fill_dibao(late, grandson)
    with pytest.raises(ValidationError) as refused:
        actions.do_submit_application(late, acting_user=grandson)
    assert first.case.reference in str(refused.value)
    assert Case.objects.get(pk=late.case_id).state == "draft"  # nothing lost: still a draft


def test_the_citizen_is_told_on_the_page_and_staff_see_the_households_other_cases(
    client, assistance_setup, household
):
    p = assistance_setup
    granted = approved_dibao(p, household)
    sign_in(client, p.citizen)
    response = client.post(reverse("assistance:apply-dibao"), follow=True)
    html = page_text(response)
    assert granted.case.reference in html and "申请变更或复核" in html
    assert Case.objects.filter(service="assistance.dibao").count() == 1

    linshi = actions.do_start_application("linshi", acting_user=p.citizen, person=p.citizen.person)
    actions.do_save_draft(linshi, acting_user=p.citizen, declaration=True)
    sign_in(client, p.caseworker)
    page = page_text(client.get(reverse("casework:case-detail", args=[granted.case.pk])))
    assert "本户的其他案件" not in page  # the draft is nobody's business yet
    fill_dibao(linshi, p.citizen)
    actions.do_save_draft(linshi, acting_user=p.citizen, emergency_type="emergency")
    actions.do_submit_application(linshi, acting_user=p.citizen)
    page = page_text(client.get(reverse("casework:case-detail", args=[linshi.case.pk])))
    assert "本户的其他案件" in page and granted.case.reference in page
