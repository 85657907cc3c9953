"""The exchange's state changes."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model

from civilaffairs.casework.calendar import add_working_days
from civilaffairs.people.actions import do_record_death, do_update_person

from . import events
from .auth import principal_of
from .models import (
    ApiCall,
    EconomicCheck,
    EconomicCheckAnswer,
    InboundNotice,
    retention_cutoff,
)
from .queries import economic_check_sources


def do_purge_api_calls(now=None) -> int:
    """Forget call log lines older than API_LOG_RETENTION_DAYS (at least 6 months)."""
    deleted, _ = ApiCall.objects.filter(at__lt=retention_cutoff(now)).delete()
    return deleted


@transaction.atomic
def do_rotate_secret(application, *, acting_user) -> str:
    """A new client secret, returned once to be shown once; only its hash is kept, and the
    old secret stops working at once (tokens already issued run out at their expiry)."""
    del acting_user  # the admin's log entry records who
    Application = get_application_model()
    app = Application.objects.select_for_update().get(pk=application.pk)
    secret = secrets.token_urlsafe(40)
    app.client_secret = secret  # hashed on save (django-oauth-toolkit's ClientSecretField)
    app.save(update_fields=["client_secret"])
    return secret


def _matching_person(principal, id_number: str):
    from civilaffairs.people.models import Person

    return (
        Person.objects.visible_to(principal)
        .select_for_update(of=("self",))
        .filter(id_number=id_number)
        .first()
    )


def _same_person(notice, person) -> bool:
    """The notice names the person the record names; otherwise it is held for a person to
    check (a mistyped number must not end someone's benefits or change their record)."""
    notice.person = person
    if person.name != notice.name:
        notice.status = InboundNotice.Status.HELD
        notice.note = "name differs from the master record"
        return False
    return True


def _applied(notice) -> None:
    notice.status = InboundNotice.Status.APPLIED
    notice.applied_at = timezone.now()


def _apply_income(notice, person, acting_user=None) -> None:
    if not _same_person(notice, person):
        return
    events.income_reported.send(
        InboundNotice,
        person=person,
        kind=notice.details["kind"],
        monthly_amount=Decimal(notice.details["monthly_amount"]),
        month=notice.occurred_on,
        department=notice.department,
        acting_user=acting_user,
    )
    _applied(notice)


@transaction.atomic
def do_receive_income_notice(
    grant, principal, *, event_id, id_number, name, kind, monthly_amount, month
):
    """A person's income of one kind for a month, from human resources and social security:
    announced to the domains (exchange.events.income_reported: assistance re-screens the
    household's cases and tells the caseworker what changed). Held when the name differs,
    kept unmatched when no person of the client's region has the number. A resent event id
    returns the first notice unchanged."""
    return _receive(
        grant,
        principal,
        InboundNotice.Kind.INCOME,
        event_id=event_id,
        id_number=id_number,
        name=name,
        occurred_on=month,
        details={"kind": kind, "monthly_amount": str(monthly_amount)},
    )


def _apply_death(notice, person, acting_user=None) -> None:
    """Record the death when the notice names the person the record names; otherwise hold it
    for a person to check (a mistyped number must not end someone's benefits)."""
    if not _same_person(notice, person):
        return
    # acting_user None: the system acts on the department's notice, kept as this row.
    do_record_death(person, acting_user=acting_user, date_of_death=notice.occurred_on)
    _applied(notice)


@transaction.atomic
def do_receive_death_notice(grant, principal, *, event_id, id_number, name, date_of_death):
    """A death notice from public security: recorded on the master record (every domain
    hears of it through people.events.person_died: payments and allowances stop, open cases
    are flagged), held when the name differs, kept unmatched when no person of the client's
    region has the number. Returns (notice, created); a resent event id returns the first
    notice unchanged."""
    return _receive(
        grant,
        principal,
        InboundNotice.Kind.DEATH,
        event_id=event_id,
        id_number=id_number,
        name=name,
        occurred_on=date_of_death,
        details={},
    )


@transaction.atomic
def do_match_notices(*, acting_user=None) -> int:
    """Try every unmatched notice again (a person registered since, say). Returns how many
    found their person."""
    del acting_user
    found = 0
    pending = (
        InboundNotice.objects.select_for_update(of=("self",))
        .filter(status=InboundNotice.Status.UNMATCHED)
        .select_related("application__api_grant__region")
    )
    for notice in pending:
        grant = getattr(notice.application, "api_grant", None)
        if grant is None:
            continue
        person = _matching_person(principal_of(grant), notice.id_number)
        if person is None:
            continue
        APPLY[notice.kind](notice, person)
        notice.save()
        found += 1
    return found


def _apply_disability(notice, person, acting_user=None) -> None:
    """The grade the disabled persons' federation certified, on the master record (every
    domain hears of the change through people.events.disability_changed)."""
    if not _same_person(notice, person):
        return
    do_update_person(
        person,
        acting_user=acting_user,
        reason=f"disability grade certified {notice.occurred_on:%Y-%m-%d}",
        disability_grade=notice.details["grade"],
    )
    _applied(notice)


@transaction.atomic
def do_receive_disability_notice(
    grant, principal, *, event_id, id_number, name, disability_grade, certified_on
):
    """A disability grade certified by the disabled persons' federation (GB/T 26341; 0: the
    certificate was withdrawn). Held when the name differs, kept unmatched when no person of
    the client's region has the number; a resent event id changes nothing."""
    return _receive(
        grant,
        principal,
        InboundNotice.Kind.DISABILITY,
        event_id=event_id,
        id_number=id_number,
        name=name,
        occurred_on=certified_on,
        details={"grade": disability_grade},
    )


def _apply_premarital(notice, person, acting_user=None) -> None:
    """Health's premarital check result, told to the registry (exchange.events
    .premarital_check_reported): it is attached to the person's open marriage application and
    shown to the registrar only."""
    if not _same_person(notice, person):
        return
    events.premarital_check_reported.send(
        InboundNotice,
        person=person,
        advice=notice.details["advice"],
        checked_on=notice.occurred_on,
        institution=notice.details["institution"],
        department=notice.department,
        acting_user=acting_user,
    )
    _applied(notice)


@transaction.atomic
def do_receive_premarital_notice(
    grant, principal, *, event_id, id_number, name, advice, checked_on, institution
):
    return _receive(
        grant,
        principal,
        InboundNotice.Kind.PREMARITAL,
        event_id=event_id,
        id_number=id_number,
        name=name,
        occurred_on=checked_on,
        details={"advice": advice, "institution": institution},
    )


def _receive(grant, principal, kind, *, event_id, id_number, name, occurred_on, details):
    notice, created = InboundNotice.objects.get_or_create(
        application_id=grant.application_id,
        kind=kind,
        event_id=event_id,
        defaults={
            "department": grant.department,
            "id_number": id_number,
            "name": name,
            "occurred_on": occurred_on,
            "status": InboundNotice.Status.UNMATCHED,
            "details": details,
        },
    )
    if not created:
        return notice, False
    person = _matching_person(principal, id_number)
    if person is not None:
        APPLY[kind](notice, person)
    notice.save()
    return notice, True


APPLY = {
    InboundNotice.Kind.DEATH: _apply_death,
    InboundNotice.Kind.INCOME: _apply_income,
    InboundNotice.Kind.DISABILITY: _apply_disability,
    InboundNotice.Kind.PREMARITAL: _apply_premarital,
}


@transaction.atomic
def do_apply_held_notice(notice, *, acting_user) -> InboundNotice:
    """A person checked a held notice (the name differed) and confirms it is this person."""
    notice = InboundNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != InboundNotice.Status.HELD or notice.person_id is None:
        return notice
    person = notice.person
    notice.name = person.name  # the person checked it is they, whatever the sender wrote
    APPLY[notice.kind](notice, person, acting_user)
    notice.note = "confirmed by a person"
    notice.save()
    return notice


@transaction.atomic
def do_request_economic_check(case, *, members, acting_user) -> EconomicCheck:
    """Ask every department that answers a source of the economic-status check for the case's
    region (an API grant in force with economic-checks:answer covering it) about these
    members, at once; answers are due within ECONOMIC_CHECK_WORKING_DAYS working days."""
    sources = economic_check_sources(case.region_id)
    if not sources:
        raise ValidationError(
            _("No department answers the economic-status check for this region yet.")
        )
    if not members:
        raise ValidationError(_("The household has no members to check."))
    today = timezone.localdate()
    return EconomicCheck.objects.create(
        case=case,
        region_id=case.region_id,
        members=[{"person": p.pk, "id_number": p.id_number or "", "name": p.name} for p in members],
        sources=sorted(sources),
        requested_by=acting_user,
        due_on=add_working_days(today, settings.ECONOMIC_CHECK_WORKING_DAYS),
    )


@transaction.atomic
def do_answer_economic_check(grant, check, *, source, values) -> EconomicCheckAnswer:
    """One department's answer for one of its sources (values: {person pk: Decimal or None});
    a second answer for the same source is refused. The domains hear of it
    (exchange.events.economic_check_answered) in this transaction."""
    check = EconomicCheck.objects.select_for_update().get(pk=check.pk)
    if check.answers.filter(source=source).exists():
        raise ValidationError(_("This source of the check has been answered already."))
    answer = EconomicCheckAnswer.objects.create(
        economic_check=check,
        source=source,
        application_id=grant.application_id,
        department=grant.department,
        values={str(k): (str(v) if v is not None else None) for k, v in values.items()},
    )
    events.economic_check_answered.send(EconomicCheck, check=check, answer=answer, acting_user=None)
    return answer
