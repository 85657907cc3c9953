"""The age allowance (高龄津贴): who is eligible, invitations, opening, granting,
payments, stopping."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.benefits.actions import do_grant, do_schedule_due, do_stop_for_case
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.actions import (
    do_create_case,
    do_screen_and_route,
    do_submit_case,
    do_transition,
)
from civilaffairs.casework.models import Case
from civilaffairs.casework.notify import notify
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.months import first_of_month, first_of_next_month
from civilaffairs.people.models import Person
from civilaffairs.rules.exceptions import MissingParameter
from civilaffairs.rules.facts import AgeOn
from civilaffairs.rules.models import Parameter, Program

from ..facts import AGE_PROGRAM
from ..models import (
    AgeAllowance,
    AgeAllowanceInvitation,
    FamilyLink,
)
from ..services import AGE_ALLOWANCE
from .common import _lock, acts_for, log

# =========================================================================== age allowance


def age_program() -> Program | None:
    return Program.objects.filter(code=AGE_PROGRAM).first()


def age_param(key: str, region_code: str, on: dt.date, program=None) -> Decimal:
    program = program or age_program()
    return Parameter.objects.for_program(program).value_for(key, region_code, on)


def monthly_amount(age: int, region_code: str, on: dt.date, program=None) -> Decimal:
    """The tier amount for an age: tier 3 (e.g. 100+), tier 2 (90-99), tier 1 (80-89), or 0."""
    program = program or age_program()
    rows = Parameter.objects.for_program(program).resolve(
        [f"tier{n}_{k}" for n in (1, 2, 3) for k in ("age", "amount")], region_code, on
    )
    for n in (3, 2, 1):
        age_row, amount_row = rows.get(f"tier{n}_age"), rows.get(f"tier{n}_amount")
        if age_row is not None and amount_row is not None and age >= age_row.value:
            return amount_row.value.quantize(Decimal("0.01"))
    return Decimal("0.00")


def _threshold_case(rows, field: str = "residence_region_id"):
    """The tier-1 age for each person's residence, nearest region first (SQL CASE); NULL where
    no area above the residence pays the allowance."""
    ordered = sorted(rows, key=lambda r: r.rank, reverse=True)
    return SqlCase(
        *[
            When(**{f"{field}__startswith": r.region_prefix}, then=Value(int(r.value)))
            for r in ordered
        ],
        default=Value(None),
        output_field=IntegerField(),
    )


def newly_eligible(today: dt.date | None = None):
    """Living people, in one query over the master record, who have reached their area's
    first age threshold and have no allowance open or decided and no invitation waiting. A
    stopped allowance (moved away, then back) does not block a new one; a refusal or a
    declined invitation does."""
    today = today or timezone.localdate()
    program = age_program()
    if program is None:
        return Person.objects.none()
    rows = list(Parameter.objects.filter(program=program, key="tier1_age").valid_on(today))
    if not rows:
        return Person.objects.none()
    youngest = min(int(r.value) for r in rows)
    try:
        latest_birth = today.replace(year=today.year - youngest)
    except ValueError:  # 29 February
        latest_birth = dt.date(today.year - youngest, 2, 28)
    blocked_cases = AgeAllowance.objects.filter(
        Q(case__closed_at__isnull=True) | Q(case__outcome__in=["refused", "withdrawn"])
    ).values("person_id")
    blocked_invites = AgeAllowanceInvitation.objects.filter(
        status__in=[AgeAllowanceInvitation.Status.PENDING, AgeAllowanceInvitation.Status.DECLINED]
    ).values("person_id")
    return (
        Person.objects.living()
        .filter(birth_date__lte=latest_birth)
        .annotate(threshold=_threshold_case(rows), age_now=AgeOn("birth_date", today))
        .filter(threshold__isnull=False, age_now__gte=F("threshold"))
        .exclude(pk__in=blocked_cases)
        .exclude(pk__in=blocked_invites)
        .order_by("pk")
    )


def auto_open_for(region_code: str, on: dt.date, program=None) -> bool:
    """Whether the region opens the allowance case itself (1) or invites the person (0).
    A rule parameter rather than a field on some model: it is set per region subtree with the
    nearest ancestor winning, dated (a county can switch from a given day), kept with history
    and edited where the program's other numbers are — exactly what Parameter already is."""
    try:
        return age_param("auto_open", region_code, on, program) >= 1
    except MissingParameter:
        return True  # 免申即享 is the default practice


@transaction.atomic
def do_open_age_allowance(
    person: Person, *, acting_user=None, mode=AgeAllowance.Mode.AUTOMATIC, channel=None
) -> AgeAllowance:
    """Open the allowance case for a person, submit it, pre-screen it with the program's
    rules and grant it at once when they pass; a referral waits for a caseworker."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.is_alive:
        raise ValidationError(_("This person has died."))
    if AgeAllowance.objects.filter(person=person, case__closed_at__isnull=True).exists():
        raise ValidationError(_("An age allowance is already open for this person."))
    today = timezone.localdate()
    try:
        threshold = int(age_param("tier1_age", person.residence_region_id, today))
    except MissingParameter:
        raise ValidationError(_("No age allowance is set for this area.")) from None
    channel = channel or (
        Case.Channel.PROACTIVE if mode == AgeAllowance.Mode.AUTOMATIC else Case.Channel.ONLINE
    )
    case = do_create_case(
        acting_user=acting_user,
        service=AGE_ALLOWANCE,
        region=person.residence_region,
        applicant=person,
        beneficiary=person,
        channel=channel,
    )
    allowance = _save(
        AgeAllowance(case=case, person=person, mode=mode, threshold=threshold), acting_user
    )

    def message():  # in each reader's language (casework.actions.add_event)
        text = (
            _(
                "You have reached the age for the age allowance. It was opened for you; you do "
                "not need to do anything. Reference number: %(ref)s."
            )
            if mode == AgeAllowance.Mode.AUTOMATIC
            else _("Your age allowance was opened. Reference number: %(ref)s.")
        )
        return text % {"ref": case.reference}

    do_submit_case(case, acting_user=None, message=message)
    do_screen_and_route(case.pk)
    case.refresh_from_db()
    if case.screening_outcome == "pass":
        do_grant_age_allowance(allowance, acting_user=None)
    return allowance


@transaction.atomic
def do_grant_age_allowance(allowance: AgeAllowance, *, acting_user) -> AgeAllowance:
    allowance = (
        AgeAllowance.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=allowance.pk)
    )
    allowance.paid_from = _paid_from(allowance)
    _save(allowance, acting_user, "granted")
    do_transition(
        allowance.case,
        "grant",
        acting_user=acting_user,
        public_message=lambda: (
            _("Your age allowance is granted and paid every month from %(month)s.")
            % {"month": allowance.paid_from.strftime("%Y-%m")}
        ),
    )
    do_start_allowance_payments(allowance.case_id)
    return allowance


def _paid_from(allowance: AgeAllowance) -> dt.date:
    """The first month the person is of age on its first day, from this month on (there is no
    back pay for months before the case opened)."""
    month = first_of_month(timezone.localdate())
    person = allowance.person
    if person.age_on(month) >= allowance.threshold:
        return month
    return first_of_next_month(month)


@transaction.atomic
def do_start_allowance_payments(case_id: int) -> int:
    """Set the first month (if the case was granted from the generic case page), put the
    allowance on the benefits ledger and schedule what is due up to this month. Idempotent."""
    allowance = (
        AgeAllowance.objects.select_for_update()
        .select_related("case", "person")
        .get(case_id=case_id)
    )
    if not allowance.case.is_in_force:
        return 0
    if allowance.paid_from is None:
        allowance.paid_from = _paid_from(allowance)
        _save(allowance, None, "granted")
    entitlement = Entitlement.objects.filter(case_id=case_id, program=AGE_ALLOWANCE).first()
    if entitlement is not None:
        return do_schedule_due(entitlement, acting_user=None)
    do_grant(
        allowance.case,
        acting_user=None,
        person=allowance.person,
        program=AGE_ALLOWANCE,
        # The amount follows the age month by month (price_month); this is today's, which also
        # tells the monthly run the entitlement pays.
        monthly_amount=_amount_for(allowance.person, allowance.case.region_id, allowance.paid_from)
        or Decimal("0.01"),
        start_month=allowance.paid_from,
        reason="granted",
    )
    return Entitlement.objects.get(case_id=case_id, program=AGE_ALLOWANCE).payments.count()


def _amount_for(person, region_code: str, month: dt.date, program=None) -> Decimal:
    try:
        return monthly_amount(person.age_on(month), region_code, month, program)
    except MissingParameter:
        return Decimal(0)


def price_month(entitlement, month: dt.date):
    """The benefits ledger's price of one month of an age allowance: the amount for the age the
    person has on the month's first day, in the area of the case; nothing for a month the person
    did not live to begin."""
    person = entitlement.person
    if person.date_of_death is not None and person.date_of_death < month:
        return None
    amount = _amount_for(person, entitlement.case.region_id, month)
    if amount <= 0:
        log.warning("no age-allowance amount for entitlement %s", entitlement.pk)
        return None
    return amount, {"age": person.age_on(month)}


def do_stop_allowances_of_deceased(*, today: dt.date | None = None) -> int:
    """Stop every granted allowance whose person has died, or has moved to where no area pays
    it (deaths and moves are checked against the master record before each month's run).
    Each in its own transaction."""
    today = today or timezone.localdate()
    program = age_program()
    rows = list(Parameter.objects.filter(program=program, key="tier1_age").valid_on(today))
    granted = AgeAllowance.objects.filter(
        case__in=Case.objects.filter(service=AGE_ALLOWANCE).in_force()
    ).select_related("person")
    died = granted.filter(person__date_of_death__isnull=False)
    moved = (
        granted.filter(person__date_of_death__isnull=True)
        .annotate(paying_age=_threshold_case(rows, "person__residence_region_id"))
        .filter(paying_age__isnull=True)
        if rows
        else granted.none()
    )
    stopped = 0
    for allowance, why in [(a, "death") for a in died] + [(a, "moved") for a in moved]:
        person = allowance.person
        with transaction.atomic():
            a = AgeAllowance.objects.select_for_update().get(pk=allowance.pk)
            if why == "death":
                a.stopped_on = person.date_of_death
                # Callables: the timeline reads them in each reader's language (do_transition).
                day = person.date_of_death.isoformat()
                reason = lambda day=day: _("The person died on %(day)s.") % {"day": day}  # noqa: E731
            else:
                a.stopped_on = today
                reason = lambda: _("The person has moved out of the area that pays the allowance.")  # noqa: E731
            a.stop_reason = why
            _save(a, None, why)
            do_transition(a.case, "stop", acting_user=None, reason=reason)
            do_stop_future_payments(a.case_id)
            stopped += 1
    return stopped


def do_stop_future_payments(case_id: int) -> int:
    """Scheduled payments for months after the person died (or after the stop) are stopped."""
    allowance = AgeAllowance.objects.select_related("person", "case").get(case_id=case_id)
    # Paid for a month the person began alive (a death) or still entitled (any other stop:
    # the day before the stop is the last day of entitlement, so a stop on the 1st of a month
    # pays nothing for that month).
    last_day = allowance.person.date_of_death or (
        (allowance.stopped_on or timezone.localdate()) - dt.timedelta(days=1)
    )
    return do_stop_for_case(
        allowance.case, acting_user=None, on=last_day, reason=allowance.stop_reason or "stopped"
    )


@transaction.atomic
def do_invite_to_age_allowance(person: Person, *, threshold: int) -> AgeAllowanceInvitation:
    invitation = _save(
        AgeAllowanceInvitation(
            person=person, region_id=person.residence_region_id, threshold=threshold
        ),
        None,
    )

    def body():
        return _(
            "You have reached %(age)s. Confirm on the elder-care page that you want the monthly "
            "age allowance, or ask your community office to do it for you."
        ) % {"age": threshold}

    notify(person, lambda: _("You may receive the age allowance (高龄津贴)"), body)
    for link in FamilyLink.objects.confirmed().filter(elder=person).select_related("family"):
        if link.family.person_id:
            notify(
                link.family.person,
                lambda: _("%(name)s may receive the age allowance") % {"name": person.name},
                body,
            )
    return invitation


def do_find_newly_eligible(*, today: dt.date | None = None, limit: int = 5000) -> dict:
    """The daily proactive run (免申即享): every living person who has newly reached the age
    either gets the case opened for them or an invitation, as their area is configured. Each
    person in their own transaction, so one problem does not block the rest."""
    today = today or timezone.localdate()
    program = age_program()
    opened = invited = failed = 0
    for person in newly_eligible(today)[:limit]:
        try:
            if auto_open_for(person.residence_region_id, today, program):
                do_open_age_allowance(person)
                opened += 1
            else:
                do_invite_to_age_allowance(person, threshold=person.threshold)
                invited += 1
        except (ValidationError, IntegrityError):
            log.warning("age allowance for person %s not opened", person.pk, exc_info=True)
            failed += 1
    return {"opened": opened, "invited": invited, "failed": failed}


@transaction.atomic
def do_answer_invitation(
    invitation: AgeAllowanceInvitation, *, acting_user, accept: bool
) -> AgeAllowanceInvitation:
    invitation = _lock(AgeAllowanceInvitation, invitation.pk)
    if not acts_for(acting_user, invitation.person_id):
        raise PermissionDenied
    if invitation.status != AgeAllowanceInvitation.Status.PENDING:
        raise ValidationError(_("This invitation has already been answered."))
    invitation.status = (
        AgeAllowanceInvitation.Status.ACCEPTED if accept else AgeAllowanceInvitation.Status.DECLINED
    )
    invitation.answered_at = timezone.now()
    invitation.answered_by = acting_user
    if accept:
        allowance = do_open_age_allowance(
            invitation.person, acting_user=acting_user, mode=AgeAllowance.Mode.INVITED
        )
        invitation.case = allowance.case
    return _save(invitation, acting_user, "answered")
