"""What the assistance actions share: the lock on an application, who may edit a draft, and
the rule that a person holds one application of a kind at a time."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .. import queries
from ..models import AssistanceApplication

CENT = Decimal("0.01")
NOTICE_WORKING_DAYS = 7


def _lock(app) -> AssistanceApplication:
    return AssistanceApplication.objects.select_for_update().select_related("case").get(pk=app.pk)


def _require_draft_access(app, user):
    case = app.case
    if case.state != case.workflow.initial:
        raise ValidationError(
            _("This application has been submitted and can no longer be changed.")
        )
    if user.person_id and user.person_id == case.applicant_id:
        return
    if case.created_by_id == user.pk:
        return
    raise PermissionDenied


def _refuse_a_second(kind: str, person, *, household=None, excluding=None):
    """One open case of a program per household, whatever the channel (online, assisted, at
    the counter): a second application would be pre-screened as eligible and paid twice."""
    other = queries.open_case_of_program(kind, person, household=household, excluding=excluding)
    if other is None:
        return
    if other.is_in_force:
        message = _(
            "The household already receives %(program)s (case %(ref)s). Ask the township office "
            "for a change or a review of that case instead of applying again."
        )
    else:
        message = _(
            "The household already has an application for %(program)s being handled (case "
            "%(ref)s). It can be followed on its page; a second one is not needed."
        )
    raise ValidationError(
        message % {"program": AssistanceApplication.Kind(kind).label, "ref": other.reference}
    )
