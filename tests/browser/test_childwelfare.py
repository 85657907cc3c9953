"""Child welfare in a real browser: a community children's director reports a left-behind
child, the child-welfare worker confirms the category the rules suggested, assesses the needs
and builds a plan from the resources matched to them, and the director records a visit.

The screening worker is simulated in-process: `enqueue_screening` runs the screening at once
(the live server's transactions commit, so the category pre-screen follow-up runs as in
production).
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from childwelfare.forms import ParentCircumstanceForm, ReportFindForm, ReportForm, VisitForm
from childwelfare.models import Area, ChildProfile, ParentCircumstance, Score, SupportItem, Visit
from civilaffairs.accounts.forms import LoginForm
from civilaffairs.casework import actions as casework_actions
from civilaffairs.casework.models import Case
from tests.auth import pass_second_factor
from tests.childwelfare.conftest import confirmed, family, set_working_away, setup_childwelfare
from tests.factories import PASSWORD

from .conftest import label_of, label_pattern, load_axe, t

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.childwelfare.urls_for_tests")]

ZH, EN = "zh-hans", "en"


@pytest.fixture
def world(personas_tx, monkeypatch):
    def screen_now(case_id):
        casework_actions.do_screen_and_route(case_id)
        return True

    monkeypatch.setattr(casework_actions, "enqueue_screening", screen_now)
    return setup_childwelfare(personas_tx)


def url(live_server, name, *args) -> str:
    return live_server.url + reverse(name, args=args or None)


def log_in(page, live_server, username, language=ZH):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
    page.goto(url(live_server, "accounts:login"))
    page.get_by_label(label_pattern(label_of(LoginForm, "username", language))).fill(username)
    page.get_by_label(label_pattern(label_of(LoginForm, "password", language))).fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t("Log in", language), exact=True).click()
    pass_second_factor(page, username)


def click(page, text, language=ZH):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=t(text, language), exact=True).click()


def need_group(page, area):
    """The plan's fieldset for the need found in one area (its legend starts with the area)."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(t(Area(area).label)) + ":"))


def axe_violations(page) -> list:
    load_axe(page)
    return page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
        }"""
    )


def test_a_director_reports_a_child_the_worker_assesses_and_plans_and_a_visit_is_recorded(
    world, page, live_server
):
    father, mother, child = family()

    # The community children's director reports the child.
    log_in(page, live_server, "director")
    page.goto(url(live_server, "childwelfare:report-find"))
    page.get_by_label(label_pattern(label_of(ReportFindForm, "id_number"))).fill(child.id_number)
    page.get_by_label(label_pattern(label_of(ReportFindForm, "name"))).fill(child.name)
    click(page, "Find the child")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Report a child"))
    page.get_by_label(label_pattern(label_of(ReportForm, "concern"))).fill(
        "父母都在广东打工，孩子跟奶奶生活，最近成绩下滑、不爱说话。"
    )
    away = t("works away from home")
    page.get_by_label(f"{father.name}: {away}").check()
    page.get_by_label(f"{mother.name}: {away}").check()
    assert axe_violations(page) == []
    click(page, "Send the report")
    case = Case.objects.get(service="childwelfare.intake")
    expect(page.locator(".messages")).to_contain_text(case.reference)
    case.refresh_from_db()
    assert case.state == "screened" and case.office == world.p.township

    # The child-welfare worker finds it waiting, confirms the suggested category…
    log_in(page, live_server, "childworker")
    page.goto(url(live_server, "childwelfare:home"))
    assert axe_violations(page) == []
    row = page.get_by_role("row").filter(has_text=case.reference)
    with page.expect_navigation():
        row.get_by_role("link", name=t("Confirm the category")).click()
    # Every step is taken on the case page, each with its own form.
    expect(page).to_have_url(url(live_server, "casework:case-detail", case.pk))
    left_behind = page.get_by_label(t("Left-behind child (留守儿童)"), exact=True)
    expect(left_behind).to_be_checked()  # suggested by the rules from the register
    assert axe_violations(page) == []
    page.get_by_label(label_pattern(t("Children's director responsible"))).select_option(
        str(world.director.pk)
    )
    click(page, "Confirm the category")

    # …assesses the five areas…
    expect(
        page.get_by_role("heading", level=3, name=t("Record the needs assessment"))
    ).to_be_visible()
    scores = {
        Area.LIVING: Score.SOME,
        Area.EDUCATION: Score.CLEAR,
        Area.HEALTH: Score.NONE,
        Area.PSYCHOLOGY: Score.CLEAR,
        Area.SAFETY: Score.SOME,
    }
    assert axe_violations(page) == []
    for area, score in scores.items():
        group = page.get_by_role("group", name=t(Area(area).label), exact=True)
        group.get_by_label(t(Score(score).label), exact=True).check()
    page.get_by_role("group", name=t(Area.EDUCATION.label), exact=True).get_by_role("textbox").fill(
        "数学成绩下滑，作业无人辅导。"
    )
    click(page, "Record the needs assessment")

    # …and builds the plan from the matched resources.
    expect(
        page.get_by_role("heading", level=3, name=t("Put the support plan in force"))
    ).to_be_visible()
    education = need_group(page, Area.EDUCATION)
    expect(education.get_by_role("radio", name=re.compile("^凤凰北街街道儿童之家"))).to_be_checked()
    expect(page.locator("main")).not_to_contain_text("西夏区")  # another county's resource
    education.get_by_label(label_pattern(t("What will be done"))).fill("每周三次课后作业辅导")
    counselling = need_group(page, Area.PSYCHOLOGY)
    counselling.get_by_role("radio", name=re.compile("^银川市阳光青少年心理咨询中心")).check()
    assert axe_violations(page) == []
    click(page, "Put the support plan in force")
    expect(page.locator(".messages")).to_contain_text(t("Put the support plan in force"))

    profile = ChildProfile.objects.get(person=child)
    page.goto(url(live_server, "childwelfare:child-detail", profile.pk))
    assert axe_violations(page) == []
    items = page.get_by_role("table", name=t("Items of the plan"))
    expect(items).to_contain_text("凤凰北街街道儿童之家")
    expect(items).to_contain_text("银川市阳光青少年心理咨询中心")
    case.refresh_from_db()
    assert case.state == "supported"
    assert {i.resource.name for i in SupportItem.objects.filter(plan__profile=profile)} == {
        "凤凰北街街道儿童之家",
        "银川市阳光青少年心理咨询中心",
    }

    # The director visits the child.
    log_in(page, live_server, "director")
    page.goto(url(live_server, "childwelfare:child-detail", profile.pk))
    with page.expect_navigation():
        page.get_by_role("link", name=t("Record a visit"), exact=True).click()
    assert axe_violations(page) == []
    page.get_by_label(label_pattern(label_of(VisitForm, "people_seen"))).fill("奶奶、班主任")
    page.get_by_label(label_pattern(label_of(VisitForm, "concerns"))).fill("情绪有所好转。")
    click(page, "Save")
    expect(page.locator(".messages")).to_contain_text(t("The visit was recorded."))
    expect(page.get_by_role("table", name=t("Visits, newest first"))).to_contain_text(
        "奶奶、班主任"
    )
    assert Visit.objects.filter(profile=profile, visitor=world.director).count() == 1


def test_a_guardian_sees_the_childs_plan_and_allowance_and_the_pages_pass_axe(
    world, page, live_server
):
    from childwelfare import actions
    from tests.childwelfare.conftest import approve_allowance, confirmed, orphan_family
    from tests.factories import UserFactory

    granny, child = orphan_family()
    confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    actions.do_add_guardian(
        profile, acting_user=world.childworker, relation="grandparent", person=granny
    )
    allowance = actions.do_apply_allowance(profile, acting_user=world.childworker)
    approve_allowance(allowance, acting_user=world.childworker)
    _f, _m, other_child = family()
    confirmed(world, other_child, "poor_family")
    UserFactory(username="13995110001", phone="13995110001", person=granny)

    log_in(page, live_server, "13995110001")
    page.goto(url(live_server, "childwelfare:my-children"))
    assert axe_violations(page) == []
    expect(page.locator("main")).not_to_contain_text(other_child.name)
    with page.expect_navigation():
        page.get_by_role("link", name=child.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(child.name)
    expect(page.get_by_role("table", name=t("Payments"))).to_contain_text("1450.00")
    assert axe_violations(page) == []
    not_mine = ChildProfile.objects.get(person=other_child)
    assert page.goto(url(live_server, "childwelfare:my-child", not_mine.pk)).status == 404


def circumstances(*parents) -> dict:
    """What the database holds of each parent's circumstances, by person."""
    fields = [
        "working_away",
        "working_away_since",
        "working_in",
        "restricted_liberty",
        "missing",
        "note",
    ]
    rows = ParentCircumstance.objects.filter(person__in=parents)
    return {row.person_id: {f: getattr(row, f) for f in fields} for row in rows}


@pytest.mark.parametrize("language", [ZH, EN])
def test_the_worker_records_the_parents_circumstances_a_wrong_date_first(
    world, page, live_server, language
):
    """Both parents were reported working away; the worker learns that the father works in
    Dongguan since March 2023 and the mother is out of contact. A mistyped year (five digits,
    which the browser's date field lets through) is refused beside the field, nothing is
    saved and what was typed stays; corrected, both parents are saved together."""
    father, mother, child = family()
    set_working_away(father, mother)
    confirmed(world, child, "left_behind")
    profile = ChildProfile.objects.get(person=child)
    before = circumstances(father, mother)

    def label(name):
        return label_pattern(label_of(ParentCircumstanceForm, name, language))

    def parent_group(parent):
        # Each parent's fields are a group named "Father: 马某 · 6401…" (or Mother).
        role = t("Father" if parent.sex == "M" else "Mother", language)
        return page.get_by_role(
            "group", name=re.compile("^" + re.escape(f"{role}: {parent.name} · "))
        )

    # From the list of children to the child's record, and from it to the parents.
    log_in(page, live_server, "childworker", language)
    page.goto(url(live_server, "childwelfare:child-list"))
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=child.name, exact=True).click()
    expect(page).to_have_url(url(live_server, "childwelfare:child-detail", profile.pk))
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Parents", language), exact=True).click()
    expect(page).to_have_url(url(live_server, "childwelfare:child-parents", profile.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{t('Parents', language)} · {child.name}"
    )
    assert axe_violations(page) == []
    dad, mum = parent_group(father), parent_group(mother)
    expect(dad.get_by_label(label("working_away"))).to_be_checked()
    expect(mum.get_by_label(label("working_away"))).to_be_checked()

    # A wrong form: the father's year typed with a digit too many.
    dad.get_by_label(label("working_away_since")).fill("20233-03-01")
    dad.get_by_label(label("working_in")).fill("广东省东莞市")
    dad.get_by_label(label("note")).fill("每年春节回家")
    mum.get_by_label(label("working_away")).uncheck()
    mum.get_by_label(label("missing")).check()
    click(page, "Save", language)
    expect(page).to_have_url(url(live_server, "childwelfare:child-parents", profile.pk))
    # The error is written under the field and tied to it (what a screen reader reads out).
    wrong_date = t("Enter a valid date.", language)
    since = dad.get_by_label(label("working_away_since"))
    expect(page.locator(f"#div_id_p{father.pk}-working_away_since")).to_contain_text(wrong_date)
    expect(since).to_have_accessible_description(wrong_date)
    expect(since).to_have_value("20233-03-01")
    expect(page.locator(".messages")).to_have_count(0)
    assert axe_violations(page) == []
    # Nothing of either parent changed, and everything typed is still on the page.
    assert circumstances(father, mother) == before
    expect(dad.get_by_label(label("working_in"))).to_have_value("广东省东莞市")
    expect(mum.get_by_label(label("working_away"))).not_to_be_checked()
    expect(mum.get_by_label(label("missing"))).to_be_checked()

    # Corrected: both parents are saved together and the worker is back on the child's record.
    since.fill("2023-03-01")
    click(page, "Save", language)
    expect(page).to_have_url(url(live_server, "childwelfare:child-detail", profile.pk))
    expect(page.locator(".messages")).to_contain_text(t("Saved.", language))
    assert circumstances(father, mother) == {
        father.pk: {
            "working_away": True,
            "working_away_since": dt.date(2023, 3, 1),
            "working_in": "广东省东莞市",
            "restricted_liberty": False,
            "missing": False,
            "note": "每年春节回家",
        },
        mother.pk: {
            "working_away": False,
            "working_away_since": None,
            "working_in": "",
            "restricted_liberty": False,
            "missing": True,
            "note": "",
        },
    }
    parents = page.get_by_role("table", name=t("Parents", language))
    father_row = parents.get_by_role("row").filter(has_text=father.name)
    mother_row = parents.get_by_role("row").filter(has_text=mother.name)
    expect(father_row).to_contain_text(f"{t('works away from home', language)} (广东省东莞市)")
    expect(father_row).to_contain_text("每年春节回家")
    expect(mother_row).to_contain_text(t("out of contact", language))
    expect(mother_row).not_to_contain_text(t("works away from home", language))
    assert axe_violations(page) == []

    # The parents page, opened again and reloaded, shows what was saved.
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Parents", language), exact=True).click()
    page.reload()
    dad, mum = parent_group(father), parent_group(mother)
    expect(dad.get_by_label(label("working_away"))).to_be_checked()
    expect(dad.get_by_label(label("working_away_since"))).to_have_value("2023-03-01")
    expect(dad.get_by_label(label("working_in"))).to_have_value("广东省东莞市")
    expect(dad.get_by_label(label("note"))).to_have_value("每年春节回家")
    expect(dad.get_by_label(label("missing"))).not_to_be_checked()
    expect(dad.get_by_label(label("restricted_liberty"))).not_to_be_checked()
    expect(mum.get_by_label(label("working_away"))).not_to_be_checked()
    expect(mum.get_by_label(label("working_away_since"))).to_have_value("")
    expect(mum.get_by_label(label("working_in"))).to_have_value("")
    expect(mum.get_by_label(label("missing"))).to_be_checked()
    expect(mum.get_by_label(label("restricted_liberty"))).not_to_be_checked()


@pytest.mark.parametrize("language", [ZH, EN])
def test_the_worker_corrects_one_parent_and_the_other_is_kept(world, page, live_server, language):
    """The register gave the wrong mother: the worker types the right one's ID number, leaves
    the father's field empty and sets the parents; the father stays. Asking to name and remove
    the father at once is refused beside the tick, in the page's language."""
    from tests.childwelfare.conftest import person

    father, mother, child = family()
    confirmed(world, child, "left_behind")
    profile = ChildProfile.objects.get(person=child)
    right_mother = person("王丽", "F", dt.date(1989, 1, 5))
    log_in(page, live_server, "childworker", language)
    page.goto(url(live_server, "childwelfare:child-detail", profile.pk))
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=t("Parents", language), exact=True).click()
    mother_field = page.get_by_label(t("Mother's ID number", language), exact=True)
    mother_field.fill(right_mother.id_number)
    click(page, "Set the parents", language)
    expect(page.locator(".messages")).to_contain_text(t("Saved.", language))
    profile.refresh_from_db()
    assert (profile.father_id, profile.mother_id) == (father.pk, right_mother.pk)
    expect(page.get_by_role("group", name=re.compile(re.escape(right_mother.name)))).to_be_visible()
    expect(page.get_by_role("group", name=re.compile(re.escape(father.name)))).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label(t("Father's ID number", language), exact=True).fill(father.id_number)
    remove = page.get_by_label(t("Remove the father from the record (not known)", language))
    remove.check()
    click(page, "Set the parents", language)
    refused = t("Give an ID number or remove the parent, not both.", language)
    expect(remove).to_have_accessible_description(re.compile(re.escape(refused)))
    profile.refresh_from_db()
    assert profile.father_id == father.pk and mother.pk != profile.mother_id
    assert axe_violations(page) == []
