"""What the child-welfare case steps write besides the case's state (Transition.handler).

The engine (casework.actions.do_transition) has locked the case, checked who may act and
validated the step's form (childwelfare.forms) before a handler runs. A handler writes the
child's record, refuses with ValidationError (nothing is saved) and returns the timeline's
message: the intake's events are internal (a child's report is never announced), the
allowance's decision is told to the guardian who applied."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civilaffairs.benefits.actions import do_grant
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import add_months, first_of_next_month
from civilaffairs.people.models import Person
from civilaffairs.rules.exceptions import MissingParameter

from . import actions, queries
from .models import (
    Area,
    AssessmentArea,
    Category,
    NeedsAssessment,
    PlanReview,
    Score,
    SupportItem,
    SupportPlan,
)


def _intake(case):
    """The intake report and the child's profile, locked (the engine holds the case's lock)."""
    report = actions.lock_intake(case)
    return report, actions.lock_profile(report.profile)


def confirm_category(case, data, acting_user):
    """The worker decides the category the rules only suggested; the needs assessment is next."""
    report, profile = _intake(case)
    director = data.get("director")
    if director is not None and director.pk != profile.director_id:
        actions.do_assign_director(profile, acting_user=acting_user, director=director)
        profile.refresh_from_db()
    category = data["category"]
    why = (data.get("reason") or "").strip() or _("Confirmed at intake %(ref)s.") % {
        "ref": case.reference
    }
    actions.change_category(profile, category, acting_user=acting_user, reason=why)
    label = Category(category).label
    return {
        "message": lambda: _("Category: %(category)s.") % {"category": label},
        "data": {"category": category, "suggested": report.suggested_category},
    }


def close_no_need(case, data, acting_user):
    """The report found no need for protection. A child new to the record is recorded as
    needing none; a child already known keeps the category and support it has (changing those
    is done on the child's page, with its own reason). Closed because the child died, the
    category is left as it was: no one found that the child needed no protection."""
    _report, profile = _intake(case)
    died = Person.objects.filter(pk=profile.person_id, date_of_death__isnull=False).exists()
    if profile.category == Category.PENDING and not died:
        actions.change_category(
            profile, Category.NONE, acting_user=acting_user, reason=data["reason"].strip()
        )
    return None


def record_assessment(case, data, acting_user):
    """The needs in the five areas; an urgent safety need escalates at once."""
    report, profile = _intake(case)
    areas = {area: (data[f"{area}_score"], data.get(f"{area}_notes") or "") for area in Area.values}
    assessment = _save(
        NeedsAssessment(
            profile=profile,
            case=case,
            assessed_on=data["assessed_on"],
            assessor=acting_user,
            summary=(data.get("summary") or "").strip(),
        ),
        acting_user,
    )
    for area, (score, notes) in areas.items():
        if score not in Score.values:
            raise ValidationError({f"{area}_score": _("Unknown score.")})
        _save(
            AssessmentArea(assessment=assessment, area=area, score=score, notes=notes.strip()),
            acting_user,
        )
    safety_score, safety_notes = areas[Area.SAFETY]
    if safety_score == Score.URGENT:
        actions.escalate(
            profile,
            acting_user=acting_user,
            message=safety_notes or _("Urgent safety need found in the needs assessment."),
            case=case,
        )
    needing = [a for a in Area.values if areas[a][0] >= Score.CLEAR]

    def message():  # in each reader's language, the areas' names too
        if not needing:
            return _("No area needs support.")
        separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
        names = separator.join(str(Area(a).label) for a in needing)
        return _("Needs found: %(areas)s.") % {"areas": names}

    return {"message": message}


def activate_plan(case, data, acting_user):
    """The support plan from the assessment, in force at once; it replaces a plan in force
    and is reviewed at the category's interval."""
    _report, profile = _intake(case)
    items = data["items"]
    region = profile.person.residence_region_id
    owners = set(queries.item_owners_for(region).values_list("pk", flat=True))
    today = timezone.localdate()
    assessment = case.child_assessments.order_by("-assessed_on", "-id").first()
    for old in SupportPlan.objects.select_for_update().filter(
        profile=profile, status=SupportPlan.Status.ACTIVE
    ):
        old.status, old.ended_on = SupportPlan.Status.ENDED, today
        _save(old, acting_user, "replaced")
    months = actions.review_months_for(profile)
    plan = _save(
        SupportPlan(
            profile=profile,
            case=case,
            assessment=assessment,
            review_months=months,
            next_review_on=add_months(today, months),
            created_by=acting_user,
        ),
        acting_user,
    )
    for item in items:
        need, resource, owner = item["need"], item.get("resource"), item["owner"]
        if owner is None or owner.pk not in owners:
            raise ValidationError(
                {
                    f"{need}_owner": _(
                        "The person responsible must be child-welfare staff or a director of "
                        "the area."
                    )
                }
            )
        if resource is not None:
            resource = actions.check_resource(resource, need, region)
        _save(
            SupportItem(
                plan=plan,
                need=need,
                resource=resource,
                description=(item.get("description") or "").strip()[:300],
                owner=owner,
                due_on=item["due_on"],
            ),
            acting_user,
        )
    n, following = len(items), plan.next_review_on
    return {
        "message": lambda: (
            _("Support plan with %(n)d item(s); next review %(date)s.")
            % {"n": n, "date": following}
        )
    }


def complete_review(case, data, acting_user):
    """Each item's progress and what the review found; the next review is set from the
    child's category."""
    _report, profile = _intake(case)
    plan = (
        SupportPlan.objects.select_for_update()
        .filter(profile=profile, status=SupportPlan.Status.ACTIVE)
        .first()
    )
    if plan is None:
        raise ValidationError(_("The child has no support plan in force."))
    updates = data.get("item_updates") or {}
    for item in plan.items.all():
        if item.pk in updates:
            status, note = updates[item.pk]
            actions.do_update_item(item, acting_user=acting_user, status=status, progress=note)
    today = timezone.localdate()
    plan.review_months = actions.review_months_for(profile)
    plan.next_review_on = add_months(today, plan.review_months)
    _save(plan, acting_user, "reviewed")
    _save(
        PlanReview(
            plan=plan,
            reviewed_on=today,
            reviewer=acting_user,
            progress=data["progress"].strip(),
            next_review_on=plan.next_review_on,
        ),
        acting_user,
    )
    following = plan.next_review_on
    return {"message": lambda: _("Plan reviewed; next review %(date)s.") % {"date": following}}


def approve_allowance(case, data, acting_user):
    """Approve at the regional standard in force today, paid from the following month until
    the last month the child is under 18 on its first day; the entitlement goes on the
    benefits ledger with its first payment."""
    grant = actions.lock_grant(case)
    if grant.profile.category not in Category.allowance():
        raise ValidationError(_("The child's category no longer gives this allowance."))
    today = timezone.localdate()
    grant.care_setting = actions.care_setting_for(grant.profile)
    try:
        grant.monthly_amount = actions.allowance_amount(grant, today)
    except MissingParameter:
        raise ValidationError(_("No allowance standard is set for this area.")) from None
    grant.category = grant.profile.category
    grant.start_month = first_of_next_month(today)
    adult = actions.eighteenth_birthday(grant.profile.person)
    grant.last_month = (adult - dt.timedelta(days=1)).replace(day=1)
    if grant.start_month > grant.last_month:
        raise ValidationError(_("The child turns 18 before the first payment."))
    _save(grant, acting_user, "approved")
    do_grant(
        case,
        acting_user=acting_user,
        person=grant.profile.person,
        program=case.service,
        monthly_amount=grant.monthly_amount,
        start_month=grant.start_month,
        end_month=grant.last_month,  # never past the month before the 18th birthday
        reason="approved",
        pay_through=grant.start_month,  # the first payment now; the monthly run does the rest
    )
    amount, first, last = grant.monthly_amount, grant.start_month, grant.last_month
    return {
        "message": lambda: (
            _("Approved: %(amount)s yuan a month from %(month)s until %(last)s.")
            % {"amount": amount, "month": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m")}
        )
    }
