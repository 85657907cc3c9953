"""The needs assessment and the support plan: suggested resources, items' progress and the
plan's periodic review."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import do_transition
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save

from .. import queries
from ..models import NeedsAssessment, Resource, SupportItem, SupportPlan


def plan_suggestions(assessment: NeedsAssessment, region_code: str, *, limit: int = 5):
    """For each area that needs support: the area, the support it needs and the resources that
    offer it where the child lives and still have room (nearest first)."""
    out = []
    for area in assessment.areas.all():
        if not area.needs_support:
            continue
        matches = list(Resource.objects.matching(area.need, region_code)[:limit])
        out.append({"area": area, "need": area.need, "resources": matches})
    return out


def check_resource(resource: Resource, need: str, region_code: str) -> Resource:
    """Lock the resource and check it still fits: offers the support, serves the area, has a
    free place (two plans cannot take its last place at once)."""
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    fits = (
        Resource.objects.matching(need, region_code).filter(pk=locked.pk).exists()
        if locked.is_active
        else False
    )
    if not fits:
        raise ValidationError(
            _("%(name)s cannot take this child for this support (full, or not in the area).")
            % {"name": locked.name}
        )
    return locked


@transaction.atomic
def do_update_item(item: SupportItem, *, acting_user, status: str, progress: str = ""):
    item = SupportItem.objects.select_for_update().select_related("plan__profile").get(pk=item.pk)
    if acting_user is None or (
        item.owner_id != acting_user.pk and not queries.can_work_on(acting_user, item.plan.profile)
    ):
        raise PermissionDenied
    if status not in SupportItem.Status.values:
        raise ValidationError(_("Unknown status."))
    item.status = status
    if progress.strip():
        item.progress = progress.strip()
    item.completed_on = timezone.localdate() if status == SupportItem.Status.DONE else None
    return _save(item, acting_user, "progress")


def do_start_due_plan_reviews(*, today: dt.date | None = None) -> int:
    """Open the review of every plan whose date has come: the case goes back to the worker's
    queue. Each in its own transaction; a case already in review is not picked again."""
    today = today or timezone.localdate()
    started = 0
    due = SupportPlan.objects.filter(
        status=SupportPlan.Status.ACTIVE, next_review_on__lte=today, case__state="supported"
    ).values_list("case_id", flat=True)
    for case_id in list(due):
        with transaction.atomic():
            do_transition(
                Case(pk=case_id),
                "start_review",
                acting_user=None,
                reason=lambda: _("The support plan is due for its review."),
            )
            started += 1
    return started
