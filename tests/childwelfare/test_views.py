"""The child-welfare pages: the narrowest access in the portal, an access-log row for every
opening of a child's record, guardians who see their own children only, every staff URL refused
outside the user's area, and list pages at a fixed number of queries."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from childwelfare import actions
from childwelfare.models import Alert, ChildProfile, Guardian, IntakeReport, SupportItem, Visit
from civilaffairs.accounts.models import AccessLog
from civilaffairs.casework.actions import do_create_case
from civilaffairs.casework.models import Case
from tests.auth import sign_in
from tests.childwelfare.conftest import (
    confirmed,
    family,
    in_support,
    orphan_family,
    report,
    reported_and_screened,
    screen,
    set_working_away,
)
from tests.factories import UserFactory
from tests.pages import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.childwelfare.urls_for_tests")]


def view_logs(user, profile):
    return AccessLog.objects.filter(
        user=user,
        action=AccessLog.Action.VIEW_RECORD,
        content_type__model="childprofile",
        object_id=str(profile.pk),
    )


@pytest.fixture
def supported(world):
    """A left-behind child with a plan in force, the director assigned."""
    father, mother, child = family()
    set_working_away(father, mother)
    case = in_support(world, child)
    return case, ChildProfile.objects.get(person=child)


# ----------------------------------------------------------------- access and its log


def test_every_view_of_a_childs_record_is_logged(client, world, supported):
    case, profile = supported
    sign_in(client, world.childworker)
    url = reverse("childwelfare:child-detail", args=[profile.pk])
    for n in (1, 2):
        response = client.get(url, REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200
        assert view_logs(world.childworker, profile).count() == n
    entry = view_logs(world.childworker, profile).first()
    assert entry.ip_address == "10.1.2.3" and entry.at is not None
    # The pages of the child's cases and of its forms are logged against the record too.
    client.get(reverse("childwelfare:visit-new", args=[profile.pk]))
    client.get(reverse("casework:case-detail", args=[case.pk]))
    assert view_logs(world.childworker, profile).count() == 3
    assert AccessLog.objects.filter(
        user=world.childworker, content_type__model="case", object_id=str(case.pk)
    ).exists()  # the platform's case page logs a sensitive case


def test_the_record_shows_masked_numbers(client, world, supported):
    _case, profile = supported
    sign_in(client, world.childworker)
    page = page_text(client.get(reverse("childwelfare:child-detail", args=[profile.pk])))
    assert profile.person.name in page
    assert profile.person.id_number not in page
    assert profile.person.masked_id_number in page
    assert profile.father.id_number not in page


def test_a_caseworker_with_only_the_assistance_role_cannot_open_a_childs_record(
    client, world, supported
):
    case, profile = supported
    sign_in(client, world.p.caseworker)  # same township, caseworker role, confidential level
    assert client.get(reverse("childwelfare:child-detail", args=[profile.pk])).status_code == 404
    assert client.get(reverse("casework:case-detail", args=[case.pk])).status_code == 404
    step = reverse("casework:case-transition", args=[case.pk, "close"])
    assert client.post(step, {"t-close-reason": "x"}).status_code == 404
    page = page_text(client.get(reverse("childwelfare:child-list")))
    assert profile.person.name not in page
    assert not view_logs(world.p.caseworker, profile).exists()
    # Nor through the platform's queues.
    assert not Case.objects.visible_to(world.p.caseworker).filter(pk=case.pk).exists()


def test_a_director_sees_only_the_children_assigned_to_them(client, world, supported):
    _case, profile = supported
    url = reverse("childwelfare:child-detail", args=[profile.pk])
    sign_in(client, world.other_director)
    assert client.get(url).status_code == 404
    sign_in(client, world.director)
    assert client.get(url).status_code == 200
    # The assigned director may record a visit but not change the category.
    response = client.post(
        reverse("childwelfare:child-category", args=[profile.pk]),
        {"category": "no_carer", "reason": "x"},
    )
    assert response.status_code == 200
    assert ChildProfile.objects.get(pk=profile.pk).category == "left_behind"


def test_child_cases_on_the_platforms_pages_follow_the_childs_record(client, world, supported):
    """Region and level alone would let every children's director of the township open the
    case; the service's staff scope narrows it to those who may open the child's record."""
    case, profile = supported
    case_url = reverse("casework:case-detail", args=[case.pk])
    sign_in(client, world.other_director)  # same township, same role, not this child's
    assert client.get(case_url).status_code == 404
    assert not Case.objects.visible_to(world.other_director).filter(pk=case.pk).exists()
    for queue in ("casework:queue-office", "casework:queue-mine"):
        assert case.reference not in page_text(client.get(reverse(queue)))
    assert not view_logs(world.other_director, profile).exists()
    # The assigned director and the child-welfare worker of the county still see it.
    for user in (world.director, world.childworker):
        assert Case.objects.visible_to(user).filter(pk=case.pk).exists()
        sign_in(client, user)
        assert client.get(case_url).status_code == 200
    # A 低保 case of the same township is the casework roles' (Service.staff_roles), not a
    # children's director's, whoever the child is.
    dibao = do_create_case(
        acting_user=None,
        service="assistance.dibao",
        region=profile.person.hukou_region,
        applicant=profile.father or profile.person,
    )
    assert not Case.objects.visible_to(world.other_director).filter(pk=dibao.pk).exists()
    assert not Case.objects.visible_to(world.director).filter(pk=dibao.pk).exists()
    assert Case.objects.visible_to(world.p.caseworker).filter(pk=dibao.pk).exists()


def test_a_guardian_sees_their_child_and_nobody_elses(client, world):
    granny, child = orphan_family()
    confirmed(world, child, "orphan")
    mine = ChildProfile.objects.get(person=child)
    actions.do_add_guardian(
        mine, acting_user=world.childworker, relation="grandparent", person=granny
    )
    father, mother, other_child = family()
    set_working_away(father, mother)
    confirmed(world, other_child, "left_behind")
    other = ChildProfile.objects.get(person=other_child)
    actions.do_add_guardian(other, acting_user=world.childworker, relation="father", person=father)

    user = UserFactory(username="granny", person=granny)
    sign_in(client, user)
    listing = page_text(client.get(reverse("childwelfare:my-children")))
    assert child.name in listing and other_child.name not in listing
    assert client.get(reverse("childwelfare:my-child", args=[mine.pk])).status_code == 200
    assert client.get(reverse("childwelfare:my-child", args=[other.pk])).status_code == 404
    assert view_logs(user, mine).count() == 1
    # A guardian is not staff: the staff pages are refused.
    assert client.get(reverse("childwelfare:child-detail", args=[mine.pk])).status_code == 403
    # An ended guardianship ends the access.
    actions.do_end_guardian(
        Guardian.objects.get(profile=mine, person=granny), acting_user=world.childworker
    )
    assert client.get(reverse("childwelfare:my-child", args=[mine.pk])).status_code == 404


def test_another_citizen_sees_no_child(client, world):
    granny, child = orphan_family()
    confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    actions.do_add_guardian(
        profile, acting_user=world.childworker, relation="grandparent", person=granny
    )
    sign_in(client, world.p.citizen)
    assert child.name not in page_text(client.get(reverse("childwelfare:my-children")))
    assert client.get(reverse("childwelfare:my-child", args=[profile.pk])).status_code == 404


# ----------------------------------------------------------------- jurisdiction on every URL


def staff_urls(case, profile, alert, item, guardian, allowance_case):
    return [
        ("get", reverse("childwelfare:child-detail", args=[profile.pk])),
        ("get", reverse("childwelfare:child-edit", args=[profile.pk])),
        ("get", reverse("childwelfare:child-category", args=[profile.pk])),
        ("get", reverse("childwelfare:child-director", args=[profile.pk])),
        ("get", reverse("childwelfare:child-parents", args=[profile.pk])),
        ("get", reverse("childwelfare:guardian-add", args=[profile.pk])),
        ("get", reverse("childwelfare:visit-new", args=[profile.pk])),
        ("post", reverse("childwelfare:allowance-apply", args=[profile.pk])),
        ("post", reverse("childwelfare:guardian-end", args=[guardian.pk])),
        ("post", reverse("childwelfare:item-update", args=[item.pk])),
        ("post", reverse("casework:case-transition", args=[case.pk, "close"])),
        ("post", reverse("casework:case-transition", args=[allowance_case.pk, "approve"])),
        ("get", reverse("casework:case-detail", args=[allowance_case.pk])),
        ("get", reverse("childwelfare:alert-resolve", args=[alert.pk])),
        ("get", reverse("casework:case-detail", args=[case.pk])),
    ]


@pytest.fixture
def everything(world):
    granny, child = orphan_family()
    case = in_support(world, child, category="orphan")
    profile = ChildProfile.objects.get(person=child)
    guardian = actions.do_add_guardian(
        profile, acting_user=world.childworker, relation="grandparent", person=granny
    )
    allowance = actions.do_apply_allowance(profile, acting_user=world.childworker)
    alert = actions.do_record_visit(
        profile,
        acting_user=world.director,
        visited_on=timezone.localdate(),
        concerns="危险",
        safety_concern=True,
    ).alerts.get()
    item = SupportItem.objects.filter(plan__profile=profile).first()
    return case, profile, alert, item, guardian, allowance


@pytest.mark.parametrize("who", ["other_childworker", "other_director"])
def test_staff_from_elsewhere_get_404_on_every_child_welfare_url(client, world, everything, who):
    user = getattr(world, who)
    sign_in(client, user)
    for method, url in staff_urls(*everything):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (who, url, response.status_code)
    assert not AccessLog.objects.filter(user=user).exists()


def test_anyone_on_the_staff_may_report_a_child_of_their_area_without_seeing_the_record(
    client, world, everything
):
    _case, profile, *_ = everything
    url = reverse("childwelfare:report-person", args=[profile.person_id])
    sign_in(client, world.other_childworker)  # another county
    assert client.get(url).status_code == 404
    sign_in(client, world.other_director)  # the same township, not the child's director
    page = page_text(client.get(url))
    assert profile.person.name in page  # as on the person registry page
    assert profile.get_category_display() not in page
    assert not view_logs(world.other_director, profile).exists()


def test_citizens_get_403_on_the_staff_urls(client, world, everything):
    sign_in(client, world.p.citizen)
    for method, url in staff_urls(*everything):
        assert getattr(client, method)(url).status_code == 403, url
    assert client.get(reverse("childwelfare:home")).status_code == 403


def test_the_responsible_worker_opens_every_url(client, world, everything):
    sign_in(client, world.childworker)
    for method, url in staff_urls(*everything):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_alert_lists_are_scoped_and_show_masked_names(client, world, everything):
    _case, profile, alert, *_ = everything
    sign_in(client, world.p.supervisor)  # the city supervisor: alerts, not records
    page = page_text(client.get(reverse("childwelfare:alert-list")))
    assert profile.masked_name in page and profile.person.name not in page
    assert client.get(reverse("childwelfare:child-detail", args=[profile.pk])).status_code == 404
    sign_in(client, world.other_childworker)
    assert profile.masked_name not in page_text(client.get(reverse("childwelfare:alert-list")))


# ----------------------------------------------------------------- query counts


def _many_children(world, n):
    for i in range(n):
        father, mother, child = family(child_born=dt.date(2014, 1, 1 + i))
        set_working_away(father, mother)
        case = confirmed(world, child, "left_behind")
        if i % 2:
            profile = ChildProfile.objects.get(person=child)
            actions.do_record_visit(
                profile,
                acting_user=world.director,
                visited_on=timezone.localdate(),
                concerns="x",
                safety_concern=True,
            )
        assert case.state == "assessing"
        report(family(child_born=dt.date(2013, 2, 1 + i))[2], world.director)


@pytest.mark.parametrize(
    "name",
    [
        "childwelfare:home",
        "childwelfare:child-list",
        "childwelfare:alert-list",
        "childwelfare:resource-list",
    ],
)
def test_list_pages_cost_the_same_for_few_and_many_rows(
    client, world, name, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, world.childworker)
    url = reverse(name)
    _many_children(world, 1)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many_children(world, 4)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


# ----------------------------------------------------------------- the steps through the pages


def test_a_report_through_the_pages_reaches_the_worker(client, world):
    father, mother, child = family()
    sign_in(client, world.director)
    response = client.post(
        reverse("childwelfare:report-find"), {"id_number": child.id_number, "name": child.name}
    )
    assert response["Location"] == reverse("childwelfare:report-person", args=[child.pk])
    page = client.get(response["Location"]).content.decode()
    assert father.name in page and mother.name in page
    response = client.post(
        response["Location"],
        {
            "reporter_kind": "director",
            "concern": "父母外出打工，孩子无人辅导。",
            f"p{father.pk}_working_away": "on",
            f"p{mother.pk}_working_away": "on",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(child_intake__profile__person=child)
    screen(case)
    assert IntakeReport.objects.get(case=case).suggested_category == "left_behind"

    sign_in(client, world.childworker)
    home = client.get(reverse("childwelfare:home")).content.decode()
    assert case.reference in home
    # Every step on the case page, through the engine.
    page = client.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert 'name="t-confirm-category"' in page

    def step(name, data):
        url = reverse("casework:case-transition", args=[case.pk, name])
        return client.post(url, {f"t-{name}-{k}": v for k, v in data.items()})

    response = step("confirm", {"category": "left_behind", "director": world.director.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "assessing"
    data = {"assessed_on": timezone.localdate().isoformat(), "summary": "需要学业支持"}
    for area, score in (
        ("living", 1),
        ("education", 2),
        ("health", 0),
        ("psychology", 1),
        ("safety", 0),
    ):
        data[f"{area}_score"] = str(score)
        data[f"{area}_notes"] = ""
    response = step("record_assessment", {**data, "education_score": ""})
    assert response.status_code == 400  # a missing score: shown again, nothing saved
    assert not case.child_assessments.exists()
    response = step("record_assessment", data)
    assert response.status_code == 302
    page = page_text(client.get(reverse("casework:case-detail", args=[case.pk])))
    assert "凤凰北街街道儿童之家" in page and "西夏区" not in page
    ticked = re.search(r'<input[^>]*name="t-activate_plan-education_aid_include"[^>]*>', page)
    assert " checked" in ticked.group(0)  # the need the assessment found comes ticked
    home_resource = __import__("childwelfare.models", fromlist=["Resource"]).Resource.objects.get(
        name="凤凰北街街道儿童之家"
    )
    response = step(
        "activate_plan",
        {
            "education_aid_include": "on",
            "education_aid_resource": home_resource.pk,
            "education_aid_description": "课后辅导",
            "education_aid_owner": world.director.pk,
            "education_aid_due_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    profile = ChildProfile.objects.get(person=child)
    case.refresh_from_db()
    assert case.state == "supported"
    assert [i.need for i in profile.plans.get().items.all()] == ["education_aid"]

    sign_in(client, world.director)
    response = client.post(
        reverse("childwelfare:visit-new", args=[profile.pk]),
        {
            "visited_on": timezone.localdate().isoformat(),
            "place": "home",
            "child_seen": "on",
            "people_seen": "奶奶",
            "concerns": "",
        },
    )
    assert response.status_code == 302
    assert Visit.objects.filter(profile=profile, visitor=world.director).exists()
    assert not Alert.objects.filter(profile=profile).exists()


def test_the_person_page_offers_a_report_through_the_service_registry(client, world):
    _f, _m, child = family()
    sign_in(client, world.director)
    page = client.get(reverse("staff:person-detail", args=[child.pk])).content.decode()
    assert reverse("childwelfare:report-person", args=[child.pk]) in page


def test_the_childs_page_links_temporary_assistance_through_the_registry(client, world, supported):
    _case, profile = supported
    sign_in(client, world.childworker)
    page = client.get(reverse("childwelfare:child-detail", args=[profile.pk])).content.decode()
    assert reverse("assistance:assisted-start", args=[profile.person_id]) in page


def test_the_case_page_shows_the_childs_block(client, world):
    _granny, child = orphan_family()
    case = reported_and_screened(world, child)
    sign_in(client, world.childworker)
    page = client.get(reverse("casework:case-detail", args=[case.pk])).content.decode()
    assert reverse("casework:case-transition", args=[case.pk, "confirm"]) in page
    assert "child_orphan" in page


def test_an_administrator_keeps_the_catalogue_in_the_admin(client, world):
    from childwelfare.models import Resource

    sign_in(client, world.p.admin)
    assert client.get(reverse("admin:childwelfare_resource_add")).status_code == 200
    response = client.post(
        reverse("admin:childwelfare_resource_add"),
        {
            "name": "兴庆区爱心助学社",
            "kind": "charity",
            "needs": ["education_aid", "counselling"],
            "region": "640104",
            "capacity": "5",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    resource = Resource.objects.get(name="兴庆区爱心助学社")
    assert resource.region_prefix == "640104"
    assert resource.needs == ["counselling", "education_aid"]
    assert resource.history.first().history_user == world.p.admin


def test_the_owner_of_an_item_updates_its_progress(client, world, supported):
    _case, profile = supported
    item = SupportItem.objects.filter(plan__profile=profile).first()
    sign_in(client, world.director)  # the item's owner
    response = client.post(
        reverse("childwelfare:item-update", args=[item.pk]),
        {"status": "in_progress", "progress": "已开始辅导"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "in_progress" and item.progress == "已开始辅导"


# ----------------------------------------------------------------- the parents' circumstances


@pytest.mark.parametrize("language,saved", [("zh-hans", "已保存。"), ("en", "Saved.")])
def test_the_parents_circumstances_are_saved_together_or_not_at_all(
    client, world, supported, language, saved
):
    from childwelfare.models import ParentCircumstance

    _case, profile = supported
    father, mother = profile.parents()
    before = {c.person_id: (c.working_away, c.missing) for c in ParentCircumstance.objects.all()}
    sign_in(client, world.childworker)
    client.cookies["lang"] = language
    url = reverse("childwelfare:child-parents", args=[profile.pk])
    post = {
        f"p{father.pk}-working_away": "on",
        f"p{father.pk}-working_in": "广东省东莞市",
        f"p{mother.pk}-missing": "on",
        f"p{mother.pk}-working_away_since": "not a date",
    }
    # One parent's form is wrong: the page comes back and neither parent is changed.
    response = client.post(url, post)
    page_text(response)
    after = {c.person_id: (c.working_away, c.missing) for c in ParentCircumstance.objects.all()}
    assert after == before
    # Both right: saved together, said in the page's language.
    post[f"p{mother.pk}-working_away_since"] = ""
    response = client.post(url, post, follow=True)
    assert saved in page_text(response)
    rows = {c.person_id: c for c in ParentCircumstance.objects.filter(person__in=[father, mother])}
    assert rows[father.pk].working_away and rows[father.pk].working_in == "广东省东莞市"
    assert rows[mother.pk].missing and not rows[mother.pk].working_away


def test_a_parents_note_is_kept_and_shown_on_the_childs_page(client, world, supported):
    from childwelfare.models import ParentCircumstance

    _case, profile = supported
    father, mother = profile.parents()
    sign_in(client, world.childworker)
    client.cookies["lang"] = "en"
    response = client.post(
        reverse("childwelfare:child-parents", args=[profile.pk]),
        {f"p{father.pk}-note": "每年春节回家", f"p{mother.pk}-missing": "on"},
        follow=True,
    )
    page = page_text(response)
    assert "Saved." in page and "每年春节回家" in page  # on the child's page
    assert ParentCircumstance.objects.get(person=father).note == "每年春节回家"


@pytest.mark.parametrize(
    "language,future,unticked",
    [
        ("en", "The date cannot be in the future.", "Tick “works away from home”"),
        ("zh-hans", None, None),
    ],
)
def test_a_parents_dates_and_place_must_make_sense(
    client, world, supported, language, future, unticked
):
    from django.utils import translation

    from childwelfare.models import ParentCircumstance

    if future is None:
        with translation.override(language):
            future = translation.gettext("The date cannot be in the future.")
            unticked = translation.gettext("Tick “works away from home”, or leave this empty.")
    _case, profile = supported
    father, mother = profile.parents()
    before = list(ParentCircumstance.objects.order_by("pk").values())
    sign_in(client, world.childworker)
    client.cookies["lang"] = language
    url = reverse("childwelfare:child-parents", args=[profile.pk])
    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    page = page_text(
        client.post(
            url,
            {
                f"p{father.pk}-working_away": "on",
                f"p{father.pk}-working_away_since": tomorrow,
                f"p{mother.pk}-working_in": "银川市",  # a place, but "works away" not ticked
            },
        )
    )
    assert future in page and unticked in page
    assert tomorrow in page and "银川市" in page  # what was typed is kept
    assert list(ParentCircumstance.objects.order_by("pk").values()) == before


def test_correcting_one_parent_keeps_the_other_and_a_tick_removes_one(client, world, supported):
    from tests.factories import PersonFactory

    _case, profile = supported
    father, mother = profile.parents()
    new_mother = PersonFactory(sex="F", birth_date=dt.date(1990, 5, 5))
    sign_in(client, world.childworker)
    client.cookies["lang"] = "en"
    url = reverse("childwelfare:child-parents", args=[profile.pk])
    form = {"set_parents": "1", "father_id_number": "", "mother_id_number": ""}
    # Nothing given: said, nothing changed.
    page = html.unescape(page_text(client.post(url, form)))
    assert "Give a parent's ID number, or tick the parent to remove." in page
    # The mother corrected, the father's field left empty: he stays.
    response = client.post(url, {**form, "mother_id_number": new_mother.id_number})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.father_id, profile.mother_id) == (father.pk, new_mother.pk)
    # A number and a tick for the same parent: refused on the form.
    page = page_text(
        client.post(url, {**form, "father_id_number": father.id_number, "remove_father": "on"})
    )
    assert "Give an ID number or remove the parent, not both." in page
    # The tick takes the father off the record; the mother stays.
    assert client.post(url, {**form, "remove_father": "on"}).status_code == 302
    profile.refresh_from_db()
    assert (profile.father_id, profile.mother_id) == (None, new_mother.pk)
    assert mother.pk != new_mother.pk


def test_a_director_reads_the_parents_page_without_the_form_to_correct_them(
    client, world, supported
):
    _case, profile = supported
    father, _mother = profile.parents()
    sign_in(client, world.director)
    client.cookies["lang"] = "en"
    url = reverse("childwelfare:child-parents", args=[profile.pk])
    page = page_text(client.get(url))
    assert "Record what the register does not know" in page
    assert "Correct the parents" not in page and "set_parents" not in page
    # Posted anyway, it is refused and the record keeps its father.
    response = client.post(url, {"set_parents": "1", "remove_father": "on"}, follow=True)
    assert "You may not do this." in page_text(response)
    profile.refresh_from_db()
    assert profile.father_id == father.pk
