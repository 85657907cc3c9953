"""Child welfare through its actions: category pre-screening from the master record, routing,
assessment and plan with matched resources, visits and alerts (time travel), the allowance."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from childwelfare import actions
from childwelfare.models import (
    Alert,
    AllowanceGrant,
    CategoryChange,
    ChildProfile,
    IntakeReport,
    ParentCircumstance,
    Resource,
    SupportItem,
)
from civilaffairs.accounts.actions import do_create_office
from civilaffairs.accounts.models import Office
from civilaffairs.benefits.actions import do_schedule_month
from civilaffairs.benefits.models import Payment
from civilaffairs.casework.actions import do_screen_and_route
from civilaffairs.casework.models import Case, Screening
from civilaffairs.people.actions import do_update_person
from civilaffairs.people.models import Region
from tests.childwelfare.conftest import (
    HOME,
    approve_allowance,
    assess,
    build_plan,
    confirm,
    confirmed,
    family,
    in_support,
    orphan_family,
    person,
    report,
    reported_and_screened,
    review,
    set_working_away,
)
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def suggested(case) -> str:
    return IntakeReport.objects.get(case=case).suggested_category


# ----------------------------------------------------------------- pre-screening the category


def test_both_parents_deceased_in_the_master_record_suggests_orphan(world):
    _granny, child = orphan_family()
    case = reported_and_screened(world, child)
    assert suggested(case) == "orphan"
    screening = Screening.objects.get(case=case, program="child_orphan")
    assert screening.outcome == "pass"
    assert screening.facts["child_parents_deceased"] == 2
    # The suggested category's screening is stored last: it is the one the case page shows.
    assert case.screenings.first().program == "child_orphan"


def test_both_parents_working_away_suggests_left_behind(world):
    father, mother, child = family()
    case = reported_and_screened(
        world,
        child,
        circumstances={
            father.pk: {"working_away": True, "working_in": "广东省东莞市"},
            mother.pk: {"working_away": True},
        },
    )
    assert suggested(case) == "left_behind"
    assert ParentCircumstance.objects.get(person=father).working_in == "广东省东莞市"


def test_one_parent_working_away_is_not_left_behind(world):
    father, _mother, child = family()
    set_working_away(father)
    case = reported_and_screened(world, child)
    assert suggested(case) == ""
    assert Screening.objects.get(case=case, program="child_left_behind").outcome == "fail"


def test_left_behind_ends_at_16(world):
    father, mother, child = family(child_born=dt.date(2009, 1, 5))  # 17
    set_working_away(father, mother)
    assert suggested(reported_and_screened(world, child)) == ""


def test_one_parent_dead_and_the_other_in_custody_suggests_no_de_facto_carer(world):
    from civilaffairs.people.actions import do_record_death

    father, mother, child = family()
    do_record_death(father, acting_user=None, date_of_death=dt.date(2024, 1, 1))
    case = reported_and_screened(
        world, child, circumstances={mother.pk: {"restricted_liberty": True}}
    )
    assert suggested(case) == "no_carer"


def test_both_parents_severely_disabled_suggests_no_de_facto_carer(world):
    father, mother, child = family()
    for parent in (father, mother):
        do_update_person(parent, acting_user=None, disability_grade=1)
    assert suggested(reported_and_screened(world, child)) == "no_carer"


def test_a_disabled_child_is_a_child_in_difficulty(world):
    _father, _mother, child = family()
    do_update_person(child, acting_user=None, disability_grade=2)
    assert suggested(reported_and_screened(world, child)) == "disabled"


def test_a_child_in_a_household_on_dibao_is_a_child_in_a_poor_family(world):
    from civilaffairs.casework.actions import do_create_case

    father, _mother, child = family()
    dibao = do_create_case(
        acting_user=None,
        service="assistance.dibao",
        region=father.residence_region,
        applicant=father,
        household=father.current_membership().household,
    )
    Case.objects.filter(pk=dibao.pk).update(state="approved")
    assert suggested(reported_and_screened(world, child)) == "poor_family"


def test_without_identified_parents_the_rules_refer_rather_than_guess(world):
    child = person("王小丫", "F", dt.date(2017, 1, 1))  # in no household
    case = reported_and_screened(world, child)
    assert suggested(case) == ""
    assert Screening.objects.get(case=case, program="child_orphan").outcome == "refer"
    assert ChildProfile.objects.get(person=child).father is None


def test_the_parents_are_found_through_households_and_relations(world):
    from childwelfare.facts import find_parents

    father, mother, child = family()
    assert find_parents(child) == (father, mother)
    granny = person("老奶奶", "F", dt.date(1950, 1, 1))
    uncle = person("叔叔", "M", dt.date(1980, 1, 1))
    cousin = person("堂妹", "F", dt.date(2015, 1, 1))
    make_household(granny, (uncle, "20"), (cousin, "40"))
    assert find_parents(cousin) == (uncle, None)  # the mother is not in the household


def test_the_pre_screen_runs_on_commit_after_the_platform_routes_the_case(
    world, django_capture_on_commit_callbacks
):
    _granny, child = orphan_family()
    case = report(child, world.director)
    with django_capture_on_commit_callbacks(execute=True):
        do_screen_and_route(case.pk)
    assert suggested(case) == "orphan"
    # The sweep finds nothing left to do, and a second run changes nothing.
    assert actions.do_prescreen_category(case.pk) == "skipped"


def test_the_sweep_pre_screens_a_report_whose_follow_up_was_lost(world):
    from childwelfare.tasks import prescreen_sweep_task

    _granny, child = orphan_family()
    case = report(child, world.director)
    do_screen_and_route(case.pk)  # on-commit follow-up not run (a worker killed, say)
    assert IntakeReport.objects.get(case=case).prescreened_at is None
    assert prescreen_sweep_task() == 1
    assert suggested(case) == "orphan"


# ----------------------------------------------------------------- intake and routing


def test_a_report_is_routed_to_the_childs_community_office(world):
    community = do_create_office(
        acting_user=None,
        name="崇安社区儿童之家",
        region=Region.objects.get(code=HOME),
        level=Office.Level.COMMUNITY,
        services=["childwelfare.intake"],
    )
    _f, _m, child = family()
    case = reported_and_screened(world, child)
    assert case.office == community
    assert case.state == "screened"
    assert case.reference.startswith("ETBG-")


def test_without_a_community_office_the_report_goes_to_the_township(world):
    _f, _m, child = family()
    case = reported_and_screened(world, child)
    assert case.office == world.p.township


def test_a_report_is_sensitive_and_announced_to_nobody(world):
    _f, _m, child = family()
    case = reported_and_screened(world, child)
    assert case.confidentiality == 3
    assert case.applicant is None and case.beneficiary is None
    assert not case.notifications.exists()


def test_the_reporting_director_becomes_the_childs_director(world):
    _f, _m, child = family()
    report(child, world.director)
    assert ChildProfile.objects.get(person=child).director == world.director


def test_a_caseworker_without_the_child_welfare_role_can_report_but_not_see_the_case(world):
    _f, _m, child = family()
    case = report(child, world.p.caseworker, reporter_kind="caseworker")
    assert case.state == "submitted"
    assert not Case.objects.visible_to(world.p.caseworker).filter(pk=case.pk).exists()
    assert ChildProfile.objects.get(person=child).director is None


def test_a_second_report_is_added_to_the_open_case(world):
    _f, _m, child = family()
    first = reported_and_screened(world, child)
    again = report(
        child, world.p.caseworker, reporter_kind="school", concern="学校发现孩子常缺课。"
    )
    assert again.pk == first.pk
    assert "常缺课" in IntakeReport.objects.get(case=first).concern
    assert first.events.filter(kind="note", data__reporter_kind="school").exists()


def test_a_reporter_adds_what_they_know_of_the_parents_and_never_clears_it(world):
    father, mother, child = family()
    set_working_away(father, mother)
    report(
        child,
        world.p.caseworker,
        reporter_kind="caseworker",
        circumstances={father.pk: {"missing": True}},
    )
    father_circ = ParentCircumstance.objects.get(person=father)
    assert father_circ.working_away and father_circ.missing


def test_staff_outside_the_childs_area_cannot_report_the_child(world):
    _f, _m, child = family()
    with pytest.raises(PermissionDenied):
        report(child, world.p.other_caseworker)


def test_an_adult_cannot_be_reported_as_a_child(world):
    adult = person("成年人", "M", dt.date(2000, 1, 1))
    with pytest.raises(ValidationError):
        report(adult, world.director)


def test_a_safety_concern_in_a_report_escalates_at_once_and_makes_the_case_urgent(
    world, django_capture_on_commit_callbacks
):
    _f, _m, child = family()
    with django_capture_on_commit_callbacks(execute=True):
        case = report(child, world.director, safety_concern=True, concern="孩子身上有伤痕。")
    assert case.priority == Case.Priority.URGENT
    alert = Alert.objects.get(profile__person=child)
    assert alert.kind == Alert.Kind.SAFETY and alert.is_open
    assert "childworker@example.cn" in mail.outbox[0].to


# ----------------------------------------------------------------- category confirmation


def test_the_worker_confirms_the_category_and_the_history_is_kept(world):
    father, mother, child = family()
    set_working_away(father, mother)
    case = confirmed(world, child, "left_behind")
    assert case.state == "assessing"
    profile = ChildProfile.objects.get(person=child)
    assert profile.category == "left_behind"
    assert profile.next_visit_due == timezone.localdate() + dt.timedelta(days=90)
    actions.do_change_category(
        profile, acting_user=world.childworker, category="no_carer", reason="母亲失联。"
    )
    changes = list(CategoryChange.objects.filter(profile=profile).order_by("at"))
    assert [(c.from_category, c.to_category) for c in changes] == [
        ("pending", "left_behind"),
        ("left_behind", "no_carer"),
    ]
    assert profile.history.count() >= 3


def test_a_director_cannot_decide_the_category(world):
    _f, _m, child = family()
    case = reported_and_screened(world, child)
    with pytest.raises(PermissionDenied):
        confirm(case, acting_user=world.director, category="left_behind")


def test_no_protection_needed_closes_the_report_with_the_reason(world):
    _f, _m, child = family()
    case = reported_and_screened(world, child)
    with pytest.raises(ValidationError):
        confirm(case, acting_user=world.childworker, category="none")
    confirm(case, acting_user=world.childworker, category="none", reason="父母在家，照料良好。")
    case.refresh_from_db()
    assert case.state == "no_need" and case.closed_at is not None


# ----------------------------------------------------------------- assessment and plan


def test_plan_items_are_matched_to_resources_by_need_region_and_capacity(world):
    father, mother, child = family()
    set_working_away(father, mother)
    case = confirmed(world, child, "left_behind")
    assessment = assess(
        case,
        acting_user=world.childworker,
        assessed_on=timezone.localdate(),
        areas={
            "living": (0, ""),
            "education": (2, "成绩下滑"),
            "health": (0, ""),
            "psychology": (3, "长期情绪低落"),
            "safety": (1, ""),
        },
    )
    suggestions = actions.plan_suggestions(assessment, HOME)
    by_need = {s["need"]: [r.name for r in s["resources"]] for s in suggestions}
    assert set(by_need) == {"education_aid", "counselling"}
    # Nearest first: the township's children's home before the county's school and the
    # province's foundation; another county's counsellor never.
    assert by_need["education_aid"][0] == "凤凰北街街道儿童之家"
    assert set(by_need["education_aid"]) == {
        "凤凰北街街道儿童之家",
        "兴庆区第二小学课后托管",
        "宁夏儿童少年福利基金会",
    }
    assert "西夏区青少年心理辅导站" not in by_need["counselling"]
    assert "银川市阳光青少年心理咨询中心" in by_need["counselling"]

    # A resource with no free place is not offered, and cannot be forced into a plan.
    school = Resource.objects.get(name="兴庆区第二小学课后托管")
    actions.do_save_resource(school, acting_user=None, capacity=0)
    assert "兴庆区第二小学课后托管" not in [
        r.name for r in Resource.objects.matching("education_aid", HOME)
    ]
    with pytest.raises(ValidationError):
        build_plan(
            case,
            acting_user=world.childworker,
            items=[
                {
                    "need": "education_aid",
                    "resource": school,
                    "owner": world.director,
                    "due_on": timezone.localdate(),
                }
            ],
        )
    # Nor can another county's resource.
    xixia = Resource.objects.get(name="西夏区青少年心理辅导站")
    with pytest.raises(ValidationError):
        build_plan(
            case,
            acting_user=world.childworker,
            items=[
                {
                    "need": "counselling",
                    "resource": xixia,
                    "owner": world.director,
                    "due_on": timezone.localdate(),
                }
            ],
        )
    home = Resource.objects.get(name="凤凰北街街道儿童之家")
    plan = build_plan(
        case,
        acting_user=world.childworker,
        items=[
            {
                "need": "education_aid",
                "resource": home,
                "description": "课后辅导",
                "owner": world.director,
                "due_on": timezone.localdate() + dt.timedelta(days=30),
            },
            {
                "need": "counselling",
                "resource": home,
                "owner": world.childworker,
                "due_on": timezone.localdate() + dt.timedelta(days=14),
            },
        ],
    )
    case.refresh_from_db()
    assert case.state == "supported" and case.outcome == "approved"
    assert plan.items.count() == 2 and plan.review_months == 6
    assert Resource.objects.with_load().get(pk=home.pk).free == home.capacity - 2


def test_the_last_free_place_goes_to_one_plan_only(world):
    home = Resource.objects.get(name="凤凰北街街道儿童之家")
    actions.do_save_resource(home, acting_user=None, capacity=1)
    first = family()[2]
    second = person("第二个孩子", "F", dt.date(2015, 5, 5))
    make_household(person("监护人", "F", dt.date(1960, 1, 1)), (second, "40"))
    cases = [confirmed(world, c, "poor_family") for c in (first, second)]
    for case in cases:
        assess(
            case,
            acting_user=world.childworker,
            assessed_on=timezone.localdate(),
            areas=dict.fromkeys(("living", "education", "health", "psychology", "safety"), (2, "")),
        )
    item = {
        "need": "guardianship_support",
        "resource": home,
        "owner": world.director,
        "due_on": timezone.localdate(),
    }
    build_plan(cases[0], acting_user=world.childworker, items=[item])
    with pytest.raises(ValidationError):
        build_plan(cases[1], acting_user=world.childworker, items=[item])


def test_an_urgent_safety_need_in_the_assessment_escalates(world):
    _f, _m, child = family()
    case = confirmed(world, child, "poor_family")
    assess(
        case,
        acting_user=world.childworker,
        assessed_on=timezone.localdate(),
        areas={
            "living": (1, ""),
            "education": (0, ""),
            "health": (0, ""),
            "psychology": (1, ""),
            "safety": (3, "家中无人照看，曾走失。"),
        },
    )
    assert Alert.objects.filter(profile__person=child, kind="safety").exists()


def test_plans_are_reviewed_at_the_categorys_interval(world):
    _granny, child = orphan_family()
    case = in_support(world, child, category="orphan")
    plan = case.child_plans.get()
    assert plan.review_months == 3
    assert actions.do_start_due_plan_reviews() == 0
    with time_machine.travel(plan.next_review_on + dt.timedelta(hours=12)):
        assert actions.do_start_due_plan_reviews() == 1
        assert actions.do_start_due_plan_reviews() == 0  # already in review
        case.refresh_from_db()
        assert case.state == "review"
        item = plan.items.first()
        done = review(
            case,
            acting_user=world.childworker,
            progress="辅导按计划进行。",
            item_updates={item.pk: ("in_progress", "每周三次")},
        )
        case.refresh_from_db()
        assert case.state == "supported"
        assert done.next_review_on > plan.next_review_on
        assert SupportItem.objects.get(pk=item.pk).status == "in_progress"


# ----------------------------------------------------------------- visits and alerts


def test_an_overdue_visit_raises_one_alert_to_the_supervisor_by_category(
    world, django_capture_on_commit_callbacks
):
    world.p.supervisor.email = "supervisor@example.cn"
    world.p.supervisor.save()
    _granny, orphan = orphan_family()
    father, mother, left_behind = family()
    set_working_away(father, mother)
    confirmed(world, orphan, "orphan")  # visited monthly
    confirmed(world, left_behind, "left_behind")  # every 90 days
    orphan_profile = ChildProfile.objects.get(person=orphan)
    due = orphan_profile.next_visit_due
    assert due == timezone.localdate() + dt.timedelta(days=30)

    with time_machine.travel(dt.datetime.combine(due, dt.time(12)) + dt.timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert actions.do_raise_overdue_visit_alerts() == 1
        assert actions.do_raise_overdue_visit_alerts() == 0  # one open alert per child
        alert = Alert.objects.get()
        assert alert.profile == orphan_profile and alert.kind == Alert.Kind.VISIT_OVERDUE
        assert alert.due_on == due
        # Read in each reader's language, whatever language the sweep ran in (a Chinese
        # alert showed on English pages: found by the language crawl).
        from django.utils import translation

        with translation.override("en"):
            assert alert.text.startswith(f"The visit due on {due} is 1 day(s) overdue")
        with translation.override("zh-hans"):
            assert "逾期" in alert.text and "overdue" not in alert.text
        assert "supervisor@example.cn" in mail.outbox[0].to
        # The left-behind child is not due yet; the supervisor sees the alert, masked.
        assert Alert.objects.visible_to(world.p.supervisor).filter(pk=alert.pk).exists()

        # The director visits: the alert is resolved and the next visit scheduled.
        actions.do_record_visit(
            orphan_profile, acting_user=world.director, visited_on=timezone.localdate()
        )
        alert.refresh_from_db()
        assert not alert.is_open and alert.visit is not None
        orphan_profile.refresh_from_db()
        assert orphan_profile.next_visit_due == timezone.localdate() + dt.timedelta(days=30)


def test_the_beat_task_raises_the_alerts(world):
    from childwelfare.tasks import visit_alerts_task

    _granny, orphan = orphan_family()
    confirmed(world, orphan, "orphan")
    with time_machine.travel(timezone.now() + dt.timedelta(days=45)):
        assert visit_alerts_task() == 1


def test_a_serious_safety_concern_on_a_visit_escalates_immediately(
    world, django_capture_on_commit_callbacks
):
    _granny, child = orphan_family()
    case = confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    with django_capture_on_commit_callbacks(execute=True):
        visit = actions.do_record_visit(
            profile,
            acting_user=world.director,
            visited_on=timezone.localdate(),
            concerns="奶奶住院，孩子独自在家两天。",
            safety_concern=True,
        )
    alert = Alert.objects.get(profile=profile, kind=Alert.Kind.SAFETY)
    assert alert.visit == visit
    # The case timeline says an alert was raised; the text stays on the alert.
    assert case.events.filter(data__alert=alert.pk).exists()
    assert not case.events.filter(message__contains="独自在家").exists()
    assert mail.outbox and "childworker@example.cn" in mail.outbox[0].to
    actions.do_resolve_alert(alert, acting_user=world.childworker, resolution="已安排临时照料。")
    with pytest.raises(PermissionDenied):
        actions.do_resolve_alert(alert, acting_user=world.other_childworker, resolution="x")


def test_only_the_assigned_director_or_a_worker_records_visits(world):
    _granny, child = orphan_family()
    confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    with pytest.raises(PermissionDenied):
        actions.do_record_visit(
            profile, acting_user=world.other_director, visited_on=timezone.localdate()
        )
    with pytest.raises(ValidationError):
        actions.do_record_visit(
            profile,
            acting_user=world.director,
            visited_on=timezone.localdate() + dt.timedelta(days=1),
        )


# ----------------------------------------------------------------- allowance


def allowance_in_payment(world, child, category="orphan"):
    confirmed(world, child, category)
    profile = ChildProfile.objects.get(person=child)
    case = actions.do_apply_allowance(profile, acting_user=world.childworker)
    do_screen_and_route(case.pk)
    case.refresh_from_db()
    assert case.screening_outcome == "pass"
    assert case.office == world.p.county  # the county decides
    approve_allowance(case, acting_user=world.childworker)
    case.refresh_from_db()
    return case


def test_the_allowance_is_paid_at_the_regional_standard_and_stops_at_18(world):
    # Turns 18 on 15 March 2027: paid for March (17 on its first day), not for April.
    _granny, child = orphan_family(child_born=dt.date(2009, 3, 15))
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)):
        case = allowance_in_payment(world, child)
        grant = AllowanceGrant.objects.get(case=case)
        assert case.state == "in_payment"
        assert grant.care_setting == "dispersed"
        assert grant.monthly_amount == Decimal("1450.00")  # 银川市's own value beats 宁夏's
        assert grant.start_month == dt.date(2026, 12, 1)
        assert grant.last_month == dt.date(2027, 3, 1)
    for month in ("2026-12-02", "2027-01-02", "2027-02-02", "2027-03-02"):
        with time_machine.travel(dt.datetime.fromisoformat(month + "T10:00:00+08:00")):
            assert actions.do_end_allowances_at_18(timezone.localdate()) == 0
            do_schedule_month(timezone.localdate())
            do_schedule_month(timezone.localdate())  # idempotent
    assert len(grant.payments) == 4
    with time_machine.travel(dt.datetime(2027, 4, 2, 10, tzinfo=dt.UTC)):
        assert do_schedule_month(timezone.localdate()) == 0
        assert actions.do_end_allowances_at_18(timezone.localdate()) == 1
        assert actions.do_end_allowances_at_18(timezone.localdate()) == 0
    assert dt.date(2027, 4, 1) not in {p.month for p in grant.payments}
    case.refresh_from_db()
    assert case.state == "ended" and case.outcome == "terminated"
    assert "18" in AllowanceGrant.objects.get(pk=grant.pk).end_reason


def test_the_allowance_ends_when_the_category_changes(world):
    _granny, child = orphan_family()
    case = allowance_in_payment(world, child, category="no_carer")
    profile = ChildProfile.objects.get(person=child)
    actions.do_change_category(
        profile, acting_user=world.childworker, category="left_behind", reason="母亲已回家。"
    )
    case.refresh_from_db()
    assert case.state == "ended"
    assert (
        Payment.objects.filter(
            entitlement__case=case, status="scheduled", month__gt=timezone.localdate()
        ).count()
        == 0
    )


def test_the_allowance_is_refused_by_the_rules_for_a_left_behind_child(world):
    father, mother, child = family()
    set_working_away(father, mother)
    confirmed(world, child, "left_behind")
    with pytest.raises(ValidationError):
        actions.do_apply_allowance(
            ChildProfile.objects.get(person=child), acting_user=world.childworker
        )


def test_an_institution_raised_orphan_gets_the_institution_standard(world):
    _granny, child = orphan_family()
    confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    actions.do_add_guardian(
        profile,
        acting_user=world.childworker,
        relation="institution",
        institution_name="银川市儿童福利院",
    )
    case = actions.do_apply_allowance(profile, acting_user=world.childworker)
    do_screen_and_route(case.pk)
    grant = approve_allowance(case, acting_user=world.childworker)
    assert grant.care_setting == "institution"
    assert grant.monthly_amount == Decimal("1800.00")


# ----------------------------------------------------------------- coming of age


def test_records_close_when_the_child_turns_18(world):
    _granny, child = orphan_family(child_born=dt.date(2009, 3, 15))
    case = in_support(world, child, category="orphan")
    with time_machine.travel(dt.datetime(2027, 3, 16, 10, tzinfo=dt.UTC)):
        assert actions.do_close_adult_records() == 1
        assert actions.do_close_adult_records() == 0
    profile = ChildProfile.objects.get(person=child)
    assert profile.closed_on is not None and profile.next_visit_due is None
    case.refresh_from_db()
    assert case.state == "closed"
    assert not profile.plans.filter(status="active").exists()


def test_no_category_any_more_ends_the_support(world):
    _granny, child = orphan_family()
    case = in_support(world, child, category="orphan")
    profile = ChildProfile.objects.get(person=child)
    actions.do_change_category(
        profile, acting_user=world.childworker, category="none", reason="已被收养。"
    )
    case.refresh_from_db()
    profile.refresh_from_db()
    assert case.state == "closed"
    assert profile.next_visit_due is None
    assert not profile.plans.filter(status="active").exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=100)):
        assert actions.do_raise_overdue_visit_alerts() == 0


def test_guardians_are_a_person_or_an_institution(world):
    _granny, child = orphan_family()
    confirmed(world, child, "orphan")
    profile = ChildProfile.objects.get(person=child)
    with pytest.raises(ValidationError):
        actions.do_add_guardian(profile, acting_user=world.childworker, relation="relative")
    with pytest.raises(PermissionDenied):
        actions.do_add_guardian(
            profile, acting_user=world.director, relation="institution", institution_name="福利院"
        )


# ----------------------------------------------------------------- demo data


def test_the_demo_step_builds_the_three_demo_children_and_runs_twice_unchanged(world):
    import random

    from childwelfare.seed import seed_demo

    father, mother, _child = family()
    disabled_family = family(child_born=dt.date(2012, 5, 5))
    assert disabled_family
    seed_demo(random.Random(1), log=lambda *a: None)
    profiles = ChildProfile.objects.order_by("pk")
    assert [p.category for p in profiles] == ["left_behind", "orphan", "pending"]
    orphan = profiles[1]
    assert orphan.allowances.get().case.state == "in_payment"
    assert Alert.objects.filter(profile=orphan, kind="visit_overdue").exists()
    assert ParentCircumstance.objects.get(person=father).working_away
    seed_demo(random.Random(1), log=lambda *a: None)
    assert ChildProfile.objects.count() == 3


def test_a_childs_death_closes_the_record_and_stops_the_allowance_at_once(world):
    from civilaffairs.people.actions import do_record_death

    _granny, child = orphan_family()
    case = allowance_in_payment(world, child)
    profile = ChildProfile.objects.get(person=child)
    do_record_death(child, acting_user=world.childworker, date_of_death=timezone.localdate())
    case.refresh_from_db()
    profile.refresh_from_db()
    assert case.state == "ended" and case.closed_at is not None
    assert profile.closed_on == timezone.localdate()
    assert not Payment.objects.filter(
        entitlement__case=case, status="scheduled", month__gt=timezone.localdate()
    ).exists()
    assert case.entitlements.get().stopped_on == timezone.localdate()


@pytest.mark.parametrize("state", ["screened", "assessing"])
def test_a_death_the_register_records_closes_an_intake_still_being_screened(world, state):
    """A death recorded by the system (an import of the death register: no acting user)
    closes a child's intake that is still at screening or assessment, instead of refusing
    the death; a child new to the record is not written down as needing no protection."""
    from civilaffairs.people.actions import do_record_death

    _granny, child = orphan_family()
    case = reported_and_screened(world, child)
    if state == "assessing":
        Case.objects.filter(pk=case.pk).update(state="assessing")
    profile = ChildProfile.objects.get(person=child)
    category = profile.category
    do_record_death(child, acting_user=None, date_of_death=timezone.localdate())
    case.refresh_from_db()
    profile.refresh_from_db()
    assert case.closed_at is not None and case.state == "no_need"
    assert profile.closed_on == timezone.localdate()
    assert profile.category == category
