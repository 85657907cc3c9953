"""Every change to a child's record, intake, assessment, plan, visit, alert and allowance.

Each action is atomic, locks what it reads and then writes, takes `acting_user` keyword-only
(None only for the system: beat tasks and pre-screening) and checks the actor's right itself,
so no view, task or admin action can skip the check. Case changes go through the platform's
engine (`casework.actions.do_transition`), which writes the timeline.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.accounts.access import has_role, is_staff_member
from civilaffairs.accounts.models import StaffRole
from civilaffairs.benefits.actions import do_stop_for_case
from civilaffairs.casework.actions import (
    add_event,
    do_create_case,
    do_record_screening,
    do_submit_case,
    do_transition,
)
from civilaffairs.casework.models import Case, CaseEvent
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.masking import mask_name
from civilaffairs.people.models import Person, Region
from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.models import Outcome, Parameter, Program

from . import queries
from .facts import find_parents
from .models import (
    ALLOWANCE_PROGRAM,
    CATEGORY_PROGRAMS,
    PRESCREEN_ORDER,
    Alert,
    AllowanceGrant,
    Category,
    CategoryChange,
    ChildProfile,
    Guardian,
    IntakeReport,
    NeedsAssessment,
    ParentCircumstance,
    Resource,
    SupportItem,
    SupportPlan,
    Visit,
)

log = logging.getLogger(__name__)

INTAKE = "childwelfare.intake"
ALLOWANCE = "childwelfare.allowance"
ADULT_AGE = 18
# Used only when an administrator has not set the category's parameter for the region (and
# logged, so the gap is noticed): a child under protection is never left without a schedule.
DEFAULT_VISIT_DAYS = 30
DEFAULT_REVIEW_MONTHS = 6


def lock_profile(profile) -> ChildProfile:
    pk = profile.pk if isinstance(profile, ChildProfile) else profile
    return ChildProfile.objects.select_for_update().select_related("person").get(pk=pk)


def _require_worker(user, profile):
    if user is None or not queries.can_work_on(user, profile):
        raise PermissionDenied(_("Only child-welfare staff of the child's area may do this."))


def _require_visitor(user, profile):
    if user is None or not queries.can_visit(user, profile):
        raise PermissionDenied(_("You are not responsible for this child."))


def eighteenth_birthday(person: Person) -> dt.date:
    born = person.birth_date
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February: of age on 1 March
        return dt.date(born.year + ADULT_AGE, 3, 1)


# --------------------------------------------------------------------------- parameters


def program_parameter(program_code: str, key: str, region_code: str, as_of: dt.date) -> Decimal:
    program = Program.objects.filter(code=program_code).first()
    return Parameter.objects.for_program(program).value_for(key, region_code, as_of)


def category_parameter(profile, key: str, default, as_of: dt.date | None = None):
    """A parameter of the category's program for the child's region (e.g. how often the
    director visits a child without a carer)."""
    code = CATEGORY_PROGRAMS.get(profile.category)
    if code is None:
        return None
    as_of = as_of or timezone.localdate()
    try:
        return int(program_parameter(code, key, profile.person.residence_region_id, as_of))
    except MissingParameter:
        log.warning(
            "no %s for %s in %s; using %s", key, code, profile.person.residence_region_id, default
        )
        return default


def visit_interval_days(profile, as_of=None) -> int | None:
    return category_parameter(profile, "visit_interval_days", DEFAULT_VISIT_DAYS, as_of)


def review_months_for(profile, as_of=None) -> int:
    return category_parameter(profile, "plan_review_months", DEFAULT_REVIEW_MONTHS, as_of) or (
        DEFAULT_REVIEW_MONTHS
    )


def _schedule_next_visit(profile: ChildProfile, from_day: dt.date):
    days = visit_interval_days(profile) if profile.is_protected else None
    profile.next_visit_due = from_day + dt.timedelta(days=days) if days else None


# --------------------------------------------------------------------------- staff e-mail


def _email_staff(region_code: str, subject: str, body: str, roles):
    """On commit: mail the staff whose jurisdiction covers the child (no personal data beyond
    a masked name; the record itself is opened in the portal, where the view is logged)."""

    def send():
        recipients = [u.email for u in queries.staff_covering(region_code, roles) if u.email]
        if recipients:
            send_mail(subject, body, None, recipients, fail_silently=True)

    transaction.on_commit(send)


# --------------------------------------------------------------------------- the record


def _new_profile(child: Person, acting_user) -> ChildProfile:
    father, mother = find_parents(child)
    director = None
    if acting_user is not None and has_role(acting_user, StaffRole.Role.CHILDREN_DIRECTOR):
        director = (
            queries.directors_for(child.residence_region_id).filter(pk=acting_user.pk).first()
        )
    profile = ChildProfile(
        person=child,
        father=father,
        mother=mother,
        director=director,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    return _save(profile, acting_user, "record opened")


def _set_circumstances(profile: ChildProfile, circumstances: dict, acting_user):
    """circumstances: {person pk: {field: value}} for the child's identified parents only."""
    allowed = {p.pk for p in profile.parents()}
    fields = {"working_away", "working_away_since", "working_in", "restricted_liberty", "missing"}
    for person_pk, values in (circumstances or {}).items():
        if int(person_pk) not in allowed:
            raise ValidationError(_("Circumstances can be recorded for the child's parents only."))
        unknown = set(values) - fields
        if unknown:
            raise ValueError(f"not a parent circumstance: {sorted(unknown)}")
        row = ParentCircumstance.objects.select_for_update().filter(
            person_id=person_pk
        ).first() or ParentCircumstance(person_id=person_pk)
        for k, v in values.items():
            setattr(row, k, v)
        _save(row, acting_user)


@transaction.atomic
def do_set_parent_circumstance(
    profile: ChildProfile, parent: Person, *, acting_user, **fields
) -> ParentCircumstance:
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    _set_circumstances(profile, {parent.pk: fields}, acting_user)
    return ParentCircumstance.objects.get(person=parent)


@transaction.atomic
def do_set_parents(profile: ChildProfile, *, acting_user, father=None, mother=None) -> ChildProfile:
    """Correct the parents the master record gave (or add one it did not know)."""
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    for parent, sex in ((father, Person.Sex.MALE), (mother, Person.Sex.FEMALE)):
        if parent is not None and (parent.pk == profile.person_id or parent.sex != sex):
            raise ValidationError(_("%(name)s cannot be this parent.") % {"name": parent.name})
    profile.father, profile.mother = father, mother
    return _save(profile, acting_user, "parents set")


PROFILE_EDITABLE = {
    "school",
    "school_grade",
    "school_notes",
    "health_notes",
    "guardian_consent_on",
}


@transaction.atomic
def do_update_profile(profile: ChildProfile, *, acting_user, **changes) -> ChildProfile:
    unknown = set(changes) - PROFILE_EDITABLE
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    profile = lock_profile(profile)
    _require_visitor(acting_user, profile)
    for k, v in changes.items():
        setattr(profile, k, v)
    profile.full_clean(exclude=["person", "father", "mother", "director", "created_by"])
    return _save(profile, acting_user, "profile updated")


@transaction.atomic
def do_assign_director(profile: ChildProfile, *, acting_user, director) -> ChildProfile:
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if (
        director is not None
        and not queries.directors_for(profile.person.residence_region_id)
        .filter(pk=director.pk)
        .exists()
    ):
        raise ValidationError(
            _("%(name)s is not a children's director for the child's area.")
            % {"name": director.display_name}
        )
    profile.director = director
    return _save(profile, acting_user, "director assigned")


def change_category(profile: ChildProfile, category: str, *, acting_user, reason: str):
    """Record a category change on a locked profile, reschedule visits, and end an allowance
    the new category no longer gives."""
    if category not in Category.values or category == Category.PENDING:
        raise ValidationError(_("Choose a category."))
    if category == profile.category:
        return profile
    today = timezone.localdate()
    before = profile.category
    CategoryChange.objects.create(
        profile=profile,
        from_category=before,
        to_category=category,
        changed_on=today,
        reason=reason[:300],
        changed_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    profile.category = category
    profile.category_since = today
    was_scheduled = profile.next_visit_due
    _schedule_next_visit(profile, today)
    if was_scheduled and profile.next_visit_due and was_scheduled < profile.next_visit_due:
        # A stricter schedule starts now; a looser one never postpones a visit already due.
        profile.next_visit_due = was_scheduled
    if category == Category.NONE and before != Category.PENDING:
        _end_support(profile, acting_user=acting_user, reason=reason)
    _save(profile, acting_user, f"category {before} → {category}")
    if category not in Category.allowance():
        for grant in AllowanceGrant.objects.filter(
            profile=profile, case__state="in_payment"
        ).select_related("case"):
            _end_allowance(
                grant,
                acting_user=acting_user,
                reason=_("The child's category changed to “%(category)s”.")
                % {"category": Category(category).label},
            )
    return profile


@transaction.atomic
def do_change_category(profile: ChildProfile, *, acting_user, category: str, reason: str):
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason for the change.")})
    return change_category(profile, category, acting_user=acting_user, reason=reason.strip())


@transaction.atomic
def do_add_guardian(
    profile: ChildProfile,
    *,
    acting_user,
    relation: str,
    person: Person | None = None,
    institution_name: str = "",
    phone: str = "",
    is_de_facto_carer: bool = True,
    start_date: dt.date | None = None,
) -> Guardian:
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    institution_name = institution_name.strip()
    if (person is None) == (not institution_name):
        raise ValidationError(_("A guardian is either a person or an institution."))
    if person is not None and person.pk == profile.person_id:
        raise ValidationError(_("A child cannot be their own guardian."))
    if person is not None and not person.is_alive:
        raise ValidationError(_("%(name)s has died.") % {"name": person.name})
    if (
        person is not None
        and profile.guardians.filter(person=person, end_date__isnull=True).exists()
    ):
        raise ValidationError(_("%(name)s is already a guardian.") % {"name": person.name})
    guardian = Guardian(
        profile=profile,
        person=person,
        institution_name=institution_name if person is None else "",
        relation=Guardian.Relation.INSTITUTION if person is None else relation,
        phone=phone.strip(),
        is_de_facto_carer=is_de_facto_carer,
        start_date=start_date or timezone.localdate(),
    )
    guardian.full_clean(exclude=["profile", "person"])
    return _save(guardian, acting_user)


@transaction.atomic
def do_end_guardian(guardian: Guardian, *, acting_user, end_date: dt.date | None = None):
    guardian = Guardian.objects.select_for_update().select_related("profile").get(pk=guardian.pk)
    _require_worker(acting_user, guardian.profile)
    if guardian.end_date is None:
        guardian.end_date = max(end_date or timezone.localdate(), guardian.start_date)
        _save(guardian, acting_user)
    return guardian


# --------------------------------------------------------------------------- intake


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
            message=_("Another report received (%(who)s).")
            % {"who": IntakeReport.ReporterKind(reporter_kind).label},
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
    return do_submit_case(case, acting_user=submitter, message=_("Report received."))


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

    from .facts import fact_context

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
            _("Suggested category: %(category)s.") % {"category": Category(suggested).label}
            if suggested
            else _("The rules suggest no category; a worker decides.")
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


# --------------------------------------------------------------------------- assessment, plan


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
                reason=_("The support plan is due for its review."),
            )
            started += 1
    return started


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
            message=_("Serious safety concern escalated (alert %(id)s).") % {"id": alert.pk},
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


# --------------------------------------------------------------------------- allowance


def care_setting_for(profile: ChildProfile) -> str:
    carer = (
        profile.guardians.filter(end_date__isnull=True, is_de_facto_carer=True)
        .order_by("start_date", "id")
        .first()
    )
    if carer is not None and carer.is_institution:
        return AllowanceGrant.CareSetting.INSTITUTION
    return AllowanceGrant.CareSetting.DISPERSED


def allowance_amount(grant: AllowanceGrant, as_of: dt.date | None = None) -> Decimal:
    key = f"allowance_{grant.care_setting}"
    return program_parameter(
        ALLOWANCE_PROGRAM, key, grant.case.region_id, as_of or timezone.localdate()
    ).quantize(Decimal("0.01"))


@transaction.atomic
def do_apply_allowance(profile: ChildProfile, *, acting_user) -> Case:
    """The worker applies for the child's basic living allowance; the guardian who looks after
    the child is the applicant (and is told of the decision), the child the beneficiary."""
    profile = lock_profile(profile)
    _require_worker(acting_user, profile)
    if profile.category not in Category.allowance():
        raise ValidationError(
            _("The allowance is for orphans and children without a de-facto carer.")
        )
    if AllowanceGrant.objects.filter(profile=profile, case__closed_at__isnull=True).exists():
        raise ValidationError(_("An allowance case for this child is already open."))
    child = profile.person
    carer = (
        profile.guardians.filter(end_date__isnull=True, person__isnull=False)
        .order_by("-is_de_facto_carer", "start_date", "id")
        .first()
    )
    case = do_create_case(
        acting_user=acting_user,
        service=ALLOWANCE,
        region=child.residence_region,
        applicant=carer.person if carer else None,
        beneficiary=child,
        household=child.current_household(),
        channel=Case.Channel.ASSISTED,
    )
    _save(
        AllowanceGrant(
            case=case,
            profile=profile,
            category=profile.category,
            care_setting=care_setting_for(profile),
        ),
        acting_user,
    )
    return do_submit_case(case, acting_user=acting_user)


def lock_grant(case) -> AllowanceGrant:
    return (
        AllowanceGrant.objects.select_for_update()
        .select_related("case", "profile__person")
        .get(case_id=case.pk if isinstance(case, Case) else case)
    )


def _end_allowance(grant: AllowanceGrant, *, acting_user, reason: str):
    grant = lock_grant(grant.case)
    if grant.case.state != "in_payment":
        return grant
    today = timezone.localdate()
    grant.ended_on, grant.end_reason = today, reason[:200]
    _save(grant, acting_user, "ended")
    do_stop_for_case(grant.case, acting_user=acting_user, on=today, reason=reason)
    do_transition(grant.case, "end", acting_user=acting_user, reason=reason)
    return grant


@transaction.atomic
def do_end_allowance(case: Case, *, acting_user, reason: str) -> AllowanceGrant:
    grant = lock_grant(case)
    if acting_user is not None:
        _require_worker(acting_user, grant.profile)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give the reason.")})
    return _end_allowance(grant, acting_user=acting_user, reason=reason.strip())


def do_end_allowances_at_18(month: dt.date, *, acting_user=None) -> int:
    """End the allowance case of every child who is 18 on the month's first day (the ledger
    already pays no month past the last one). Idempotent: an ended case is not in payment."""
    month = month.replace(day=1)
    ended = 0
    for grant in AllowanceGrant.objects.filter(case__state="in_payment", last_month__lt=month):
        with transaction.atomic():
            _end_allowance(grant, acting_user=acting_user, reason=_("The child turned 18."))
            ended += 1
    return ended


# --------------------------------------------------------------------------- coming of age


def _end_support(profile: ChildProfile, *, acting_user, reason: str):
    """The child no longer needs protection (18, or no category any more): the allowance
    ends, open intake cases close, the plan ends, open alerts are resolved, visits stop."""
    today = timezone.localdate()
    for grant in AllowanceGrant.objects.filter(profile=profile, case__state="in_payment"):
        _end_allowance(grant, acting_user=acting_user, reason=reason)
    for case_id, state in Case.objects.filter(
        child_intake__profile=profile, closed_at__isnull=True
    ).values_list("pk", "state"):
        name = "close_no_need" if state in ("screened", "assessing") else "close"
        if state != "submitted":
            do_transition(Case(pk=case_id), name, acting_user=acting_user, reason=reason)
    for plan in SupportPlan.objects.select_for_update().filter(
        profile=profile, status=SupportPlan.Status.ACTIVE
    ):
        plan.status, plan.ended_on = SupportPlan.Status.ENDED, today
        _save(plan, acting_user, "support ended")
    now = timezone.now()
    for alert in Alert.objects.select_for_update().filter(
        profile=profile, resolved_at__isnull=True
    ):
        alert.resolved_at, alert.resolution = now, reason
        alert.resolved_by = acting_user if getattr(acting_user, "pk", None) else None
        _save(alert, acting_user, "support ended")
    profile.next_visit_due = None


def do_close_adult_records(*, today: dt.date | None = None) -> int:
    """Close the record of every child who has turned 18: open intake cases are closed, the
    plan ends, the allowance ends, open alerts are resolved. Each child in its own transaction."""
    today = today or timezone.localdate()
    # Born on or before this day: 18 today or older (as eighteenth_birthday counts).
    try:
        cutoff = today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # today is 29 February
        cutoff = dt.date(today.year - ADULT_AGE, 2, 28)
    closed = 0
    for pk in list(
        ChildProfile.objects.open()
        .filter(person__birth_date__lte=cutoff)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            profile = lock_profile(pk)
            if profile.closed_on is not None:
                continue
            reason = _("The child turned 18.")
            _end_support(profile, acting_user=None, reason=reason)
            profile.closed_on, profile.closed_reason = today, reason
            _save(profile, None, "turned 18")
            closed += 1
    return closed


def do_close_record_after_death(sender=None, *, person, date_of_death, acting_user, **kwargs):
    """A child's death (people.events.person_died) closes the child's record in the death's own
    transaction: open cases close, the plan ends, alerts are resolved (the ledger has already
    stopped the allowance)."""
    profile = ChildProfile.objects.open().filter(person=person).first()
    if profile is None:
        return
    profile = lock_profile(profile.pk)
    reason = _("The child died on %(date)s.") % {"date": date_of_death.isoformat()}
    _end_support(profile, acting_user=acting_user, reason=reason)
    profile.closed_on, profile.closed_reason = date_of_death, reason
    _save(profile, acting_user, "died")


# --------------------------------------------------------------------------- resources


RESOURCE_FIELDS = {
    "name",
    "kind",
    "needs",
    "region",
    "capacity",
    "contact_name",
    "phone",
    "address",
    "description",
    "is_active",
}


@transaction.atomic
def do_save_resource(resource: Resource | None = None, *, acting_user, **fields) -> Resource:
    """Create or change a catalogue entry (administrators, through the admin)."""
    unknown = set(fields) - RESOURCE_FIELDS
    if unknown:
        raise ValueError(f"not a resource field: {sorted(unknown)}")
    if resource is not None and resource.pk:
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
    else:
        resource = Resource()
    for k, v in fields.items():
        setattr(resource, k, v)
    if isinstance(resource.region, Region):
        resource.sync_region_prefix()
    resource.needs = sorted(set(resource.needs or []))
    if not resource.needs:
        raise ValidationError({"needs": _("Say what support the resource offers.")})
    resource.full_clean(exclude=["region_prefix"])
    return _save(resource, acting_user)
