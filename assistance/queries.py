"""Every scoped read of social assistance (house rule 2): a row outside the reader's reach
answers 404, exactly as a row that does not exist."""

import datetime as dt

from django.http import Http404
from django.utils import timezone

from civilaffairs.lib.lookup import get_or_404

from .models import AssistanceApplication


def access_draft(user, pk) -> AssistanceApplication:
    """A draft the user may fill in: their own, or one they started for someone as staff."""
    app = get_or_404(
        AssistanceApplication.objects.select_related("case", "case__applicant", "case__household"),
        pk,
    )
    case = app.case
    if not (
        (user.person_id and user.person_id == case.applicant_id) or case.created_by_id == user.pk
    ):
        raise Http404
    return app


def on_public_notice(today: dt.date | None = None):
    """Applications on public notice now (公示): anyone may read them and object."""
    today = today or timezone.localdate()
    return AssistanceApplication.objects.filter(
        case__state="notice", notice_end__gte=today
    ).select_related("case__applicant", "case__region")


def access_on_notice(pk) -> AssistanceApplication:
    """An application still on public notice, for an objection; 404 once the notice is over."""
    return get_or_404(on_public_notice(), pk)
