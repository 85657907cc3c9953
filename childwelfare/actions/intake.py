"""Intake: a report of a child in difficulty opens (or joins) an intake case, and the system
pre-screens which category the child may fall under."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import is_staff_member
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_record_screening,
    do_submit_case,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.people.models import Person
from civilaffairs.rules.models import Outcome, Program

from ..models import CATEGORY_PROGRAMS, PRESCREEN_ORDER, Category, ChildProfile, IntakeReport
from .common import ADULT_AGE, INTAKE
from .record import _new_profile, _set_circumstances
from .visits import escalate

log = logging.getLogger(__name__)


@transaction.atomic
def do_report_child(
    child: Person,
    *,
    acting_user,
    reporter_kind: str,
    concern: str,
    reporter_name: str = "",
    reporter_contact: str = "",
    safety_concern: bool = False,
    circumstances: dict | None = None,
) -> Case:
    """A member of staff reports a child (for themselves, a school, the police, a neighbour…).

    Opens the child's record when there is none and an intake case that the rules pre-screen
    and route to the child's community office. A second report while one is open is added to
    it rather than opening another. A serious safety concern is escalated at once.
    """
    if acting_user is None or not is_staff_member(acting_user):
        raise PermissionDenied
    if not Person.objects.visible_to(acting_user).filter(pk=child.pk).exists():
        raise PermissionDenied
    child = Person.objects.select_for_update().get(pk=child.pk)
    if not child.is_alive:
        raise ValidationError(_("This person has died."))
    if child.age_on(timezone.localdate()) >= ADULT_AGE:
        raise ValidationError(_("Only children under 18 are reported here."))
    if reporter_kind not in IntakeReport.ReporterKind.values:
        raise ValidationError({"reporter_kind": _("Say who reported the child.")})
    concern = concern.strip()
    if not concern:
        raise ValidationError({"concern": _("Please describe what gives concern.")})

    profile = ChildProfile.objects.select_for_update().filter(person=child).first()
    if profile is None:
        profile = _new_profile(child, acting_user)
    if circumstances:
        _set_circumstances(profile, circumstances, acting_user)

    open_intake = (
        IntakeReport.objects.select_related("case")
        .filter(profile=profile, case__closed_at__isnull=True)
        .first()
    )
    if open_intake is not None:
        # The report is added to the open one (its text on our row, with history; the case
        # timeline only says that it came, since the platform shows it to more people).
        report = IntakeReport.objects.select_for_update().get(pk=open_intake.pk)
        report.concern += "\n\n" + _("%(date)s, %(who)s: %(concern)s") % {
            "date": timezone.localdate(),
            "who": IntakeReport.ReporterKind(reporter_kind).label,
            "concern": concern,
        }
        report.safety_concern = report.safety_concern or safety_concern
        _save(report, acting_user, "another report")
        case = Case.objects.select_for_update().get(pk=open_intake.case_id)
        add_event(
            case,
            CaseEvent.Kind.NOTE,
            actor=acting_user,
            message=lambda: (
                _("Another report received (%(who)s).")
                % {"who": IntakeReport.ReporterKind(reporter_kind).label}
            ),
            data={"reporter_kind": reporter_kind, "safety_concern": safety_concern},
        )
        if safety_concern:
            escalate(profile, acting_user=acting_user, message=concern, case=case)
        return case

    case = do_create_case(
        acting_user=acting_user,
        service=INTAKE,
        region=child.residence_region,
        # No applicant or beneficiary: a report about a child is never announced to anyone.
        household=child.current_household(),
        channel=Case.Channel.ASSISTED,
        priority=Case.Priority.URGENT if safety_concern else Case.Priority.NORMAL,
    )
    IntakeReport.objects.create(
        case=case,
        profile=profile,
        reporter_kind=reporter_kind,
        reporter_name=reporter_name.strip()[:60],
        reporter_contact=reporter_contact.strip()[:60],
        concern=concern,
        safety_concern=safety_concern,
    )
    if safety_concern:
        escalate(profile, acting_user=acting_user, message=concern, case=case)
    # A reporter without the child-welfare level (a township caseworker, say) cannot see the
    # case they just opened; the system submits it on their behalf (they are on the report
    # and on the "created" event).
    submitter = acting_user if case.is_visible_to(acting_user) else None
    return do_submit_case(case, acting_user=submitter, message=lambda: _("Report received."))


def prescreen_after_screening(case_id: int):
    """The intake workflow's follow-up after the platform routed the case. Never raises: a
    failure leaves the report for the sweep (tasks.prescreen_sweep_task)."""
    try:
        do_prescreen_category(case_id)
    except Exception:
        log.exception("category pre-screening of case %s failed; the sweep will retry", case_id)


def _difficulty_kind(facts: dict) -> str:
    if facts.get("child_disability"):
        return Category.DISABLED
    if facts.get("child_serious_illness"):
        return Category.SERIOUSLY_ILL
    if facts.get("child_household_assisted"):
        return Category.POOR_FAMILY
    return Category.OTHER_DIFFICULTY


@transaction.atomic
def do_prescreen_category(case_id: int) -> str:
    """Run each category's rules over the child's master-record facts, store every screening
    on the case (the suggested category's last, so the case page shows it), and suggest the
    first category, by precedence, whose rules pass. Idempotent."""
    from civilaffairs.rules.engine import evaluate

    from ..facts import fact_context

    report = (
        IntakeReport.objects.select_for_update().select_related("case").filter(case_id=case_id)
    ).first()
    if report is None or report.prescreened_at is not None:
        return "skipped"
    case = report.case
    ctx = fact_context(case)
    results = []
    for code in PRESCREEN_ORDER:
        program = Program.objects.filter(code=code, is_active=True).first()
        if program is not None:
            results.append((code, evaluate(program, ctx)))
    winner = next((code for code, r in results if r.outcome == Outcome.PASS), None)
    for code, result in sorted(results, key=lambda cr: cr[0] == winner):
        do_record_screening(case, program=code, result=result, reason="category")
    suggested = ""
    if winner == "child_difficulty":
        suggested = _difficulty_kind(ctx.values)
    elif winner is not None:
        suggested = next(c for c, p in CATEGORY_PROGRAMS.items() if p == winner)
    report.suggested_category = suggested
    report.prescreened_at = timezone.now()
    _save(report, None, "pre-screened")
    referred = [code for code, r in results if r.outcome == Outcome.REFER]
    add_event(
        case,
        CaseEvent.Kind.NOTE,
        message=(
            (
                lambda: (
                    _("Suggested category: %(category)s.") % {"category": Category(suggested).label}
                )
            )
            if suggested
            else (lambda: _("The rules suggest no category; a worker decides."))
        ),
        data={"suggested": suggested, "referred": referred},
    )
    return suggested or "none"


def lock_intake(case) -> IntakeReport:
    return (
        IntakeReport.objects.select_for_update()
        .select_related("case", "profile")
        .get(case_id=case.pk if isinstance(case, Case) else case)
    )
