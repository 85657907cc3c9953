"""Visits and alerts: safety concerns escalated, visits recorded, overdue visits raised and
alerts resolved."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.models import StaffRole
from civilaffairs.casework.actions import add_event
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.masking import mask_name

from .. import queries
from ..models import Alert, ChildProfile, Visit
from .common import _email_staff, _require_visitor, _schedule_next_visit, lock_profile


def escalate(profile: ChildProfile, *, acting_user, message: str, case=None, visit=None):
    """A serious safety concern: an alert now, mail to the child-welfare staff and supervisors
    of the area, a note on the open intake case."""
    alert = _save(
        Alert(
            profile=profile,
            kind=Alert.Kind.SAFETY,
            message=message[:2000],
            visit=visit,
        ),
        acting_user,
        "safety concern",
    )
    if case is None:
        case = (
            Case.objects.filter(child_intake__profile=profile, closed_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
    if case is not None:
        add_event(
            case,
            CaseEvent.Kind.NOTE,
            actor=acting_user,
            # The text stays on the alert: the case timeline is shown to more staff.
            message=lambda: (
                _("Serious safety concern escalated (alert %(id)s).") % {"id": alert.pk}
            ),
            data={"alert": alert.pk},
        )
    _email_staff(
        profile.person.residence_region_id,
        _("Urgent: safety concern about a child (%(name)s)")
        % {"name": mask_name(profile.person.name)},
        _("A serious safety concern was reported. Open the child-welfare alerts in the portal."),
        [StaffRole.Role.CHILD_WELFARE, StaffRole.Role.SUPERVISOR],
    )
    return alert


@transaction.atomic
def do_report_safety_concern(profile: ChildProfile, *, acting_user, message: str) -> Alert:
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    if not message.strip():
        raise ValidationError({"message": _("Please describe the concern.")})
    return escalate(profile, acting_user=acting_user, message=message.strip())


@transaction.atomic
def do_record_visit(
    profile: ChildProfile,
    *,
    acting_user,
    visited_on: dt.date,
    place: str = Visit.Place.HOME,
    child_seen: bool = True,
    people_seen: str = "",
    concerns: str = "",
    safety_concern: bool = False,
) -> Visit:
    """The director (or a worker) records a visit: the next one is scheduled by the child's
    category, an overdue alert is resolved, and a serious safety concern escalates at once."""
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The date cannot be in the future.")})
    if safety_concern and not concerns.strip():
        raise ValidationError({"concerns": _("Please describe the safety concern.")})
    visit = _save(
        Visit(
            profile=profile,
            visited_on=visited_on,
            visitor=acting_user,
            place=place,
            child_seen=child_seen,
            people_seen=people_seen.strip()[:200],
            concerns=concerns.strip(),
            safety_concern=safety_concern,
        ),
        acting_user,
    )
    if profile.last_visit_on is None or visited_on >= profile.last_visit_on:
        profile.last_visit_on = visited_on
        _schedule_next_visit(profile, visited_on)
        _save(profile, acting_user, "visited")
    now = timezone.now()
    for alert in Alert.objects.select_for_update().filter(
        profile=profile, kind=Alert.Kind.VISIT_OVERDUE, resolved_at__isnull=True
    ):
        alert.resolved_at, alert.resolved_by = now, acting_user
        alert.resolution = _("Visit recorded on %(date)s.") % {"date": visited_on}
        alert.visit = visit
        _save(alert, acting_user, "visited")
    if safety_concern:
        escalate(profile, acting_user=acting_user, message=concerns.strip(), visit=visit)
    return visit


def do_raise_overdue_visit_alerts(*, today: dt.date | None = None) -> int:
    """Raise an alert for every child under protection whose visit is overdue (one open alert
    per child: running twice raises nothing new)."""
    today = today or timezone.localdate()
    raised = 0
    overdue = (
        ChildProfile.objects.visit_overdue(today)
        .exclude(alerts__kind=Alert.Kind.VISIT_OVERDUE, alerts__resolved_at__isnull=True)
        .select_related("person", "director")
    )
    for profile in overdue:
        days = (today - profile.next_visit_due).days
        try:
            with transaction.atomic():
                Alert.objects.create(
                    profile=profile,
                    kind=Alert.Kind.VISIT_OVERDUE,
                    due_on=profile.next_visit_due,
                    message=_(
                        "The visit due on %(date)s is %(days)d day(s) overdue (%(category)s)."
                    )
                    % {
                        "date": profile.next_visit_due,
                        "days": days,
                        "category": profile.get_category_display(),
                    },
                )
                _email_staff(
                    profile.person.residence_region_id,
                    _("Visit overdue: %(name)s") % {"name": mask_name(profile.person.name)},
                    _("A child's visit is overdue. Open the child-welfare alerts in the portal."),
                    [StaffRole.Role.SUPERVISOR, StaffRole.Role.CHILD_WELFARE],
                )
        except IntegrityError:  # raised meanwhile by a concurrent run
            continue
        raised += 1
    return raised


@transaction.atomic
def do_resolve_alert(alert: Alert, *, acting_user, resolution: str) -> Alert:
    alert = Alert.objects.select_for_update().select_related("profile__person").get(pk=alert.pk)
    if acting_user is None or not queries.can_resolve_alert(acting_user, alert):
        raise PermissionDenied
    if alert.resolved_at is not None:
        raise ValidationError(_("This alert has already been resolved."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Please write what was done.")})
    alert.resolved_at, alert.resolved_by, alert.resolution = (
        timezone.now(),
        acting_user,
        resolution.strip(),
    )
    return _save(alert, acting_user, "resolved")
