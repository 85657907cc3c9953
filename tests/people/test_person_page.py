"""A person's page lists their cases across every service (applicant, beneficiary or member
of the case's household) at a fixed number of queries; the person page and the staff case
page show field history as "field: old → new" with who and when, personal numbers masked
(issue #16 item 9)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance import actions as assistance_actions
from civilaffairs.casework.actions import do_create_case, do_set_priority
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Membership, Region
from tests.assistance.conftest import citizen_household, fill_dibao, setup_assistance
from tests.casework.conftest import give_offices_the_service, make_case

from .conftest import HOME, resident, visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    setup_assistance(world)
    give_offices_the_service(world)
    household = citizen_household(world)
    return world, household


def dibao(p):
    app = assistance_actions.do_start_application(
        "dibao", acting_user=p.citizen, person=p.citizen.person
    )
    fill_dibao(app, p.citizen)
    assistance_actions.do_submit_application(app, acting_user=p.citizen)
    return app


def test_the_person_page_lists_every_case_of_every_service(scene, as_user):
    p, household = scene
    grandson = household.memberships.get(relation=Membership.Relation.GRANDCHILD).person
    app = dibao(p)  # the grandmother applies; the grandson is a member of the household
    own = make_case(grandson, until="submitted")  # the test service: he applies himself
    for_him = do_create_case(
        acting_user=None,
        service="assistance.linshi",
        region=Region.objects.get(code=HOME),
        applicant=resident(),
        beneficiary=grandson,
    )
    unrelated = make_case(until="submitted")
    page = visible(as_user(p.caseworker).get(reverse("staff:person-detail", args=[grandson.pk])))
    for case, role in (
        (app.case, "Household member"),
        (own, "Applicant"),
        (for_him, "Beneficiary"),
    ):
        case = Case.objects.get(pk=case.pk)
        assert case.reference in page
        assert f"{case.reference} {case.service_def.name} {case.get_state_display()}" in page
        assert role in page
    assert unrelated.reference not in page
    html = as_user(p.caseworker).get(reverse("staff:person-detail", args=[grandson.pk]))
    assert reverse("casework:case-detail", args=[app.case.pk]) in html.content.decode()


def test_the_cases_of_another_area_or_service_are_not_listed(scene, as_user):
    p, household = scene
    app = dibao(p)
    # A registrar of the county may read the person, not the 低保 case.
    from civilaffairs.accounts.models import StaffRole
    from tests.factories import staff

    registrar = staff("registrar2", "640104", StaffRole.Role.REGISTRAR)
    page = visible(
        as_user(registrar).get(reverse("staff:person-detail", args=[p.citizen.person.pk]))
    )
    assert app.case.reference not in page
    assert "No cases you may see." in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_person_page_costs_the_same_queries_for_one_case_or_twenty(scene, as_user):
    p, household = scene
    person = p.citizen.person
    client = as_user(p.caseworker)
    url = reverse("staff:person-detail", args=[person.pk])
    make_case(person, until="submitted")
    client.get(url)  # caches warmed (the region names, the user's grants)
    few = _queries(client, url)
    dibao(p)
    for _ in range(15):
        make_case(person, until="submitted")
    for _ in range(4):
        make_case(resident(), until="submitted").household  # noqa: B018 (someone else's)
    assert _queries(client, url) == few
    page = visible(client.get(url))
    assert page.count("Applicant") >= 17


def test_the_person_page_pages_the_cases_by_keyset(scene, as_user):
    p, household = scene
    person = p.citizen.person
    refs = [make_case(person, until="submitted").reference for _ in range(23)]
    client = as_user(p.caseworker)
    url = reverse("staff:person-detail", args=[person.pk])
    first = client.get(url)
    cursor = first.context["cases"].next_cursor
    assert cursor
    second = visible(client.get(url, {"after": cursor}))
    seen = [r for r in refs if r in visible(first)] + [r for r in refs if r in second]
    assert sorted(seen) == sorted(refs)


def test_the_case_page_shows_field_history_old_to_new_with_numbers_masked(scene, as_user):
    p, household = scene
    app = dibao(p)
    case = Case.objects.get(pk=app.case.pk)
    do_set_priority(case, acting_user=p.supervisor, priority=Case.Priority.URGENT)
    for language in ("en", "zh-hans"):
        response = as_user(p.caseworker, language).get(
            reverse("casework:case-detail", args=[case.pk])
        )
        page = visible(response)
        html = response.content.decode()
        from django.utils import translation

        with translation.override(language):
            priority = str(Case._meta.get_field("priority").verbose_name)
            state = str(Case._meta.get_field("state").verbose_name)
            normal, urgent = str(Case.Priority.NORMAL.label), str(Case.Priority.URGENT.label)
            draft = str(case.workflow.states["draft"].label)
            field_history = translation.gettext("Field history")
            # The reason of each change in words, not the code the action saved.
            said = translation.gettext("reason:")
            reasons = [
                f"{said} {translation.gettext('priority changed')}",
                f"{said} {case.workflow.transitions['submit'].label}",
            ]
        assert field_history in page
        for reason in reasons:
            assert reason in page
        assert f"{said} priority<" not in html and f"{said} submitted<" not in html
        assert f"{priority.capitalize()}: {normal} → {urgent}" in page
        assert f"{state.capitalize()}: {draft} →" in page
        assert "**** 7890" in page  # the bank account of the application, masked
        assert "6222021234567890" not in html
    assert p.supervisor.display_name in page


def test_the_person_history_page_pages_every_change(scene, as_user):
    p, household = scene
    from civilaffairs.people.actions import do_update_person

    person = p.citizen.person
    for n in range(30):
        do_update_person(person, acting_user=p.caseworker, address=f"第{n}号", reason=f"r{n}")
    client = as_user(p.caseworker)
    page = visible(client.get(reverse("staff:person-detail", args=[person.pk])))
    assert "第28号 → 第29号" in page and "All changes" in page
    url = reverse("staff:person-history", args=[person.pk])
    first = client.get(url)
    second = visible(client.get(url, {"after": first.context["page"].next_cursor}))
    text = visible(first) + second
    for n in range(1, 30):
        assert f"第{n - 1}号 → 第{n}号" in text
    assert as_user(p.other_caseworker).get(url).status_code == 404
    assert as_user(p.citizen).get(url).status_code == 403
