"""What the elder-care case steps write besides the case's state (Transition.handler).

The engine (casework.actions.do_transition) has locked the case, checked who may act and
validated the step's form (eldercare.forms) before a handler runs; a handler writes the domain's
rows, refuses with ValidationError (nothing is saved), and returns the timeline's message."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.lib.history import save_with_history as _save

from .models import ADL_ITEMS, Alert, CareAssessment, CarePlan, HomeVisit, care_level_for


def _plan(case) -> CarePlan:
    """The case's plan, locked with it."""
    return CarePlan.objects.select_for_update(of=("self",)).get(case=case)


def record_assessment(case, data, acting_user):
    """The ability assessment; the care level follows from it (models.care_level_for). Taken
    again before the plan is sent, it replaces the first (both stay in the history)."""
    plan = _plan(case)
    if data["assessed_on"] > timezone.localdate():
        raise ValidationError({"assessed_on": _("The date cannot be in the future.")})
    adl = {}
    for key, _label, scores in ADL_ITEMS:
        value = data.get(f"adl_{key}")
        if value not in scores:
            raise ValidationError({f"adl_{key}": _("Choose one of the listed scores.")})
        adl[key] = value
    score = sum(adl.values())
    assessment = _save(
        CareAssessment(
            elder=case.beneficiary,
            case=case,
            assessed_on=data["assessed_on"],
            assessed_by=acting_user,
            adl=adl,
            adl_score=score,
            cognition=data["cognition"],
            living_situation=data["living_situation"],
            notes=(data.get("notes") or "").strip(),
            care_level=care_level_for(score, data["cognition"]),
        ),
        acting_user,
    )
    plan.assessment = assessment
    plan.care_level = assessment.care_level
    _save(plan, acting_user, "assessed")
    return {
        "message": lambda: (
            _("Your ability assessment is recorded: %(level)s.")
            % {"level": assessment.get_care_level_display()}
        ),
        "data": {"adl_score": score, "care_level": assessment.care_level},
    }


def propose_plan(case, data, acting_user):
    """The drafted plan goes to the county. What it holds (provider, goals, recurring visits)
    is edited on the plan's page while the case is "assessed"; here it must be complete."""
    plan = _plan(case)
    if plan.assessment_id is None:
        raise ValidationError(_("Record the ability assessment first."))
    if plan.provider_id is None:
        raise ValidationError(_("Choose the provider of the plan."))
    if not plan.items.exists():
        raise ValidationError(_("Add at least one recurring service to the plan."))
    return {"message": lambda: _("Your care plan is drafted and sent to the county for approval.")}


def approve_plan(case, data, acting_user):
    """The county approves the plan from a start day; its visits are booked after commit
    (workflow: _after_plan_approved)."""
    plan = _plan(case)
    starts_on = data["starts_on"]
    if starts_on < timezone.localdate():
        raise ValidationError({"starts_on": _("The plan cannot start in the past.")})
    if plan.ends_on and plan.ends_on < starts_on:
        raise ValidationError({"starts_on": _("The plan would end before it starts.")})
    plan.starts_on = starts_on
    _save(plan, acting_user, "approved")
    return {
        "message": lambda: (
            _("Your care plan is approved and starts on %(day)s.") % {"day": starts_on.isoformat()}
        )
    }


def record_visit(case, data, acting_user):
    """The urgent home visit took place: when and what was found; the alerts that raised it
    are handled by it."""
    visit = HomeVisit.objects.select_for_update(of=("self",)).get(case=case)
    if data["visited_at"] > timezone.now():
        raise ValidationError({"visited_at": _("The time cannot be in the future.")})
    visit.visited_at = data["visited_at"]
    visit.finding = data["finding"]
    visit.notes = (data.get("notes") or "").strip()
    _save(visit, acting_user, "visited")
    for alert in Alert.objects.select_for_update().filter(
        visit_case=case, status=Alert.Status.OPEN
    ):
        alert.status = Alert.Status.HANDLED
        _save(alert, acting_user, "visited")
    return {
        "message": lambda: (
            _("The home visit took place: %(finding)s.") % {"finding": visit.get_finding_display()}
        )
    }
