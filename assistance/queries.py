"""Every scoped read of social assistance (house rule 2): a row outside the reader's reach
answers 404, exactly as a row that does not exist."""

import datetime as dt

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from civilaffairs.casework.models import Case
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


def open_case_of_program(kind: str, person, *, household=None, excluding=None) -> Case | None:
    """The household's open case of this program other than a draft: an application being
    handled, or a grant being paid (it stays open for its reviews). A household already on
    低保 asks for a change or a review of that case, not for a new grant; a person without a
    household is looked up as the applicant or the beneficiary."""
    household = household if household is not None else person.current_household()
    cases = Case.objects.open().filter(service=f"assistance.{kind}").exclude(state="draft")
    if household is not None:
        cases = cases.filter(household=household)
    else:
        cases = cases.filter(Q(applicant=person) | Q(beneficiary=person))
    if excluding is not None:
        cases = cases.exclude(pk=excluding.pk)
    return cases.order_by("created_at", "pk").first()
