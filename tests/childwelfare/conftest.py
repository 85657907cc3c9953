"""Child-welfare fixtures: the personas' offices handle every service, the real child-welfare
rules and resource catalogue are seeded, and child-welfare staff are added:

    childworker        child-welfare worker, 兴庆区 (640104), sensitive level
    director           children's director, 凤凰北街街道 (640104001)
    other_director     another children's director of the same township
    other_childworker  child-welfare worker of 西夏区 (640105): another county

Families live in 崇安社区 (640104001002), in the caseworker's township.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from childwelfare import actions
from childwelfare.forms import AssessmentForm, ReviewForm, SupportPlanForm
from childwelfare.models import AllowanceGrant, NeedsAssessment, PlanReview, SupportPlan
from childwelfare.seed import seed_programs, seed_resources
from civilaffairs.accounts.actions import do_update_office
from civilaffairs.accounts.models import StaffRole, User
from civilaffairs.casework.actions import do_screen_and_route, do_transition
from civilaffairs.casework.registry import all_services
from civilaffairs.people.actions import do_record_death
from civilaffairs.people.models import Membership, Person, Region
from tests.factories import PersonFactory, make_household, office_for, staff

HOME = "640104001002"
CW = StaffRole.Role.CHILD_WELFARE
DIRECTOR = StaffRole.Role.CHILDREN_DIRECTOR


@dataclass
class World:
    p: object  # the shared personas
    childworker: User
    director: User
    other_director: User
    other_childworker: User


def setup_childwelfare(personas) -> World:
    codes = [s.code for s in all_services()]
    for office in (personas.township, personas.county, personas.city, personas.other_township):
        do_update_office(office, acting_user=None, services=codes)
    do_update_office(office_for("640105"), acting_user=None, services=codes)
    seed_programs(log=lambda *a: None)
    seed_resources(log=lambda *a: None)
    return World(
        p=personas,
        childworker=staff("childworker", "640104", CW, email="childworker@example.cn"),
        director=staff("director", "640104001", DIRECTOR),
        other_director=staff("other_director", "640104001", DIRECTOR),
        other_childworker=staff("other_childworker", "640105", CW),
    )


@pytest.fixture
def world(personas):
    return setup_childwelfare(personas)


def person(name, sex, born, region=HOME, **kw):
    return PersonFactory(
        name=name,
        sex=sex,
        birth_date=born,
        hukou_region=Region.objects.get(code=region),
        **kw,
    )


def family(*, child_born=dt.date(2016, 4, 10), region=HOME, child_sex="M"):
    """Father (head), mother (spouse) and their child, in one household."""
    father = person("张建军", "M", dt.date(1985, 3, 2), region)
    mother = person("李秀梅", "F", dt.date(1987, 7, 9), region)
    child = person("张小宇", child_sex, child_born, region)
    make_household(
        father,
        (mother, Membership.Relation.SPOUSE),
        (child, Membership.Relation.SON if child_sex == "M" else Membership.Relation.DAUGHTER),
    )
    return father, mother, child


def orphan_family(*, child_born=dt.date(2015, 9, 12)):
    """A grandmother (head) with her son and daughter-in-law, both deceased, and their child."""
    granny = person("马桂兰", "F", dt.date(1958, 4, 9))
    father = person("马志强", "M", dt.date(1984, 8, 2))
    mother = person("王慧", "F", dt.date(1986, 2, 20))
    child = person("马欣怡", "F", child_born)
    make_household(
        granny,
        (father, Membership.Relation.SON),
        (mother, Membership.Relation.DAUGHTER),  # 儿媳 is in the 30s decade of GB/T 4761
        (child, Membership.Relation.GRANDCHILD),
    )
    do_record_death(father, acting_user=None, date_of_death=dt.date(2022, 6, 3))
    do_record_death(mother, acting_user=None, date_of_death=dt.date(2022, 6, 3))
    return granny, child


def report(child, user, **kw):
    kw.setdefault("reporter_kind", "director")
    kw.setdefault("concern", "孩子需要关注。")
    return actions.do_report_child(child, acting_user=user, **kw)


def screen(case):
    """What the screening worker does: route, then the category pre-screen (run directly here;
    in production it is the workflow's on-commit follow-up)."""
    do_screen_and_route(case.pk)
    actions.do_prescreen_category(case.pk)
    case.refresh_from_db()
    return case


# The case steps, as the case page takes them (casework.actions.do_transition with the step's
# form values); each returns what the step wrote.


def confirm(case, *, acting_user, category, director=None, reason=""):
    if category == "none":
        return do_transition(case, "close_no_need", acting_user=acting_user, reason=reason)
    values = {"category": category, "director": getattr(director, "pk", "") or ""}
    return do_transition(case, "confirm", acting_user=acting_user, values=values, reason=reason)


def assess(case, *, acting_user, assessed_on, areas, summary=""):
    values = AssessmentForm.values(assessed_on=assessed_on, areas=areas, summary=summary)
    do_transition(case, "record_assessment", acting_user=acting_user, values=values)
    return NeedsAssessment.objects.filter(case=case).latest("id")


def build_plan(case, *, acting_user, items):
    values = SupportPlanForm.values(items)
    do_transition(case, "activate_plan", acting_user=acting_user, values=values)
    return SupportPlan.objects.filter(case=case).latest("id")


def review(case, *, acting_user, progress, item_updates=None):
    values = ReviewForm.values(progress=progress, item_updates=item_updates)
    do_transition(case, "complete_review", acting_user=acting_user, values=values)
    return PlanReview.objects.filter(plan__case=case).latest("id")


def approve_allowance(case, *, acting_user):
    do_transition(case, "approve", acting_user=acting_user)
    return AllowanceGrant.objects.get(case=case)


def reported_and_screened(w, child, **kw):
    return screen(report(child, w.director, **kw))


def confirmed(w, child, category, **kw):
    case = reported_and_screened(w, child, **kw)
    confirm(case, acting_user=w.childworker, category=category, director=w.director)
    case.refresh_from_db()
    return case


AREAS_NEEDING_EDUCATION_AND_COUNSELLING = {
    "living": (1, "奶奶照料。"),
    "education": (2, "成绩下滑。"),
    "health": (0, ""),
    "psychology": (2, "情绪低落。"),
    "safety": (1, ""),
}


def in_support(w, child, category="left_behind"):
    """A child with a confirmed category, an assessment and a plan in force."""
    from childwelfare.models import Resource

    case = confirmed(w, child, category)
    assess(
        case,
        acting_user=w.childworker,
        assessed_on=timezone.localdate(),
        areas=AREAS_NEEDING_EDUCATION_AND_COUNSELLING,
    )
    region = child.residence_region_id
    items = [
        {
            "need": need,
            "resource": Resource.objects.matching(need, region).first(),
            "owner": w.director,
            "due_on": timezone.localdate() + dt.timedelta(days=30),
        }
        for need in ("education_aid", "counselling")
    ]
    build_plan(case, acting_user=w.childworker, items=items)
    case.refresh_from_db()
    return case


def set_working_away(*parents: Person):
    from childwelfare.models import ParentCircumstance

    for parent in parents:
        ParentCircumstance.objects.update_or_create(person=parent, defaults={"working_away": True})
