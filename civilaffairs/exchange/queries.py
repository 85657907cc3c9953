"""The exchange's scoped reads. Every one takes the calling client (a ServicePrincipal) and
goes through `accounts.access`, so a client sees exactly its region subtree and levels, as a
staff member does; outside it there is nothing (404), not a refusal that tells it exists."""

import datetime as dt

from django.db.models import Q
from django.http import Http404

from civilaffairs.accounts.access import scope_q
from civilaffairs.benefits.models import Entitlement
from civilaffairs.casework.models import Case
from civilaffairs.people.models import Membership, Person

from .models import ApiCall, ApiGrant, EconomicCheck


def person_by_id_number(principal, id_number: str) -> Person:
    found = (
        Person.objects.visible_to(principal)
        .select_related("hukou_region", "residence_region")
        .filter(id_number=id_number)
        .first()
    )
    if found is None:
        raise Http404
    return found


def household_of(person: Person):
    """The person's current household and its current members (head first), or None."""
    membership = person.current_membership()
    if membership is None:
        return None, []
    members = list(
        Membership.objects.filter(household=membership.household, end_date__isnull=True)
        .select_related("person")
        .order_by("relation", "person__birth_date", "pk")
    )
    return membership.household, members


def benefits_of(person: Person, today: dt.date) -> list[Entitlement]:
    """Every entitlement the person has had, newest first: the running ones say "receiving"."""
    del today
    return list(Entitlement.objects.filter(person=person).order_by("-start_month", "-pk"))


def case_by_reference(principal, reference: str) -> Case:
    found = (
        Case.objects.filter(
            scope_q(principal, region_field="region_id", level_field="confidentiality")
        )
        .filter(reference=reference)
        .first()
    )
    if found is None:
        raise Http404
    return found


def recipients(principal, *, program: str, region_prefix: str, month: dt.date, after: int):
    """The people an entitlement of `program` pays for `month`, living in the client's
    jurisdiction and under `region_prefix`, in the order of the ledger, after the entitlement
    numbered `after` (keyset paging: a page costs the same at the end of a county's list)."""
    return (
        Entitlement.objects.covering(month)
        .filter(program=program, stopped_on__isnull=True)
        .filter(
            Q(person__residence_region_id__startswith=region_prefix)
            & scope_q(principal, region_field="person__residence_region_id")
        )
        .filter(pk__gt=after)
        .select_related("person")
        .order_by("pk")
    )


def uses_of(person: Person):
    """The API calls that returned this person's data, newest first."""
    return ApiCall.objects.filter(subjects__contains=[person.pk], status__lt=300)


# What staff did with a person's record that the person is shown (accounts.AccessLog).
STAFF_USES = ("view_record", "reveal_id", "reveal_phone")


def staff_uses_of(person: Person):
    """Look-ups of the person's record by staff outside their own cases, and every reveal of
    their full ID or phone number, newest first."""
    from django.contrib.contenttypes.models import ContentType

    from civilaffairs.accounts.models import AccessLog

    return AccessLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(person.pk),
        action__in=STAFF_USES,
    ).select_related("user")


def economic_checks_for(principal, grant, *, after: int):
    """Checks of the client's region that ask for a source it answers, after `after` (by id);
    whether each still waits for it is for the caller to see (answered_sources)."""
    return (
        EconomicCheck.objects.filter(scope_q(principal, region_field="region_id"))
        .filter(sources__overlap=list(grant.check_sources), pk__gt=after)
        .prefetch_related("answers")
        .order_by("pk")
    )


def economic_check(principal, pk) -> EconomicCheck:
    found = (
        EconomicCheck.objects.filter(scope_q(principal, region_field="region_id"))
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def economic_check_sources(region_code: str) -> set[str]:
    """The sources (income, deposits, vehicles, …) some department answers the economic-status
    check of a case in this region about: its API grant is in force, names the answering
    endpoint and covers the region. Empty: there is nobody to ask yet."""
    sources = set()
    for grant in (
        ApiGrant.objects.in_force()
        .filter(endpoints__contains=["economic-checks:answer"])
        .select_related("region")
    ):
        if region_code.startswith(grant.region.prefix):
            sources.update(grant.check_sources)
    return sources
