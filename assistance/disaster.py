"""Disaster relief (救灾): recording a disaster, counting who it hit, the relief handed out and
the emergency 临时救助 opened for the vulnerable. Every change is a `do_*` action here; what
pages read is in `disaster_queries.py`.

Civil affairs' part in a disaster (DOMAIN.md, "Disaster relief"): emergency management leads;
civil affairs looks after the vulnerable among the affected — 低保 and 特困 households, elders,
people living alone, children, people with disabilities — and their basic needs.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civilaffairs.casework.actions import do_create_case, do_submit_case
from civilaffairs.casework.models import Case
from civilaffairs.lib.history import save_with_history as _save
from civilaffairs.lib.params import EARLIEST_DATE as EARLIEST
from civilaffairs.people.models import Household, Region

from .disaster_queries import (
    EMERGENCY_SERVICE,
    OPEN_AT_ONCE,
    VULNERABLE,
    VULNERABLE_INTERNAL,
    clipped,
    declaring_prefixes,
    lives_in,
    parts,
    people_params,
    people_sql,
    vulnerable_households,
    years_before,
)
from .models import (
    AssistanceApplication,
    DisasterArea,
    DisasterCase,
    DisasterEvent,
    DisasterRegion,
    Relief,
)


def may_declare(user, regions) -> bool:
    """A supervisor or approver of a county (or higher) office whose area holds every region."""
    prefixes = declaring_prefixes(user)
    if prefixes is None:
        return True
    return bool(prefixes) and all(any(r.prefix.startswith(p) for p in prefixes) for r in regions)


def normalized_regions(regions) -> list[Region]:
    """The chosen regions without any that lies under another chosen one (a county covers its
    townships), in code order."""
    chosen = sorted({r.code: r for r in regions}.values(), key=lambda r: (len(r.prefix), r.code))
    kept: list[Region] = []
    for region in chosen:
        if not any(region.prefix.startswith(k.prefix) for k in kept):
            kept.append(region)
    return sorted(kept, key=lambda r: r.code)


def _overlap_message(other: DisasterEvent, region: Region) -> str:
    return _(
        "“%(other)s” (%(kind)s, from %(start)s) is already recorded for %(region)s and its "
        "response has not ended. If this is the same disaster, work on that event; if "
        "it is a new one, end the earlier one's response first."
    ) % {
        "other": other.name,
        "kind": other.get_kind_display(),
        "start": other.started_on.isoformat(),
        "region": region.name,
    }


def _overlapping(kind, started_on, ended_on, regions, excluding=None):
    """An event of the same kind whose period meets this one's and whose regions meet these."""
    last = ended_on or dt.date.max
    candidates = (
        DisasterEvent.objects.filter(kind=kind, started_on__lte=last)
        .exclude(ended_on__lt=started_on)
        .prefetch_related("regions__region")
        .order_by("started_on", "pk")
    )
    if excluding is not None:
        candidates = candidates.exclude(pk=excluding.pk)
    for event in candidates:
        for link in event.regions.all():
            theirs = link.region.prefix
            for region in regions:
                if region.prefix.startswith(theirs) or theirs.startswith(region.prefix):
                    return event, region
    return None


@transaction.atomic
def do_record_event(
    *,
    acting_user,
    name: str,
    kind: str,
    level: int,
    started_on: dt.date,
    regions,
    ended_on: dt.date | None = None,
    note: str = "",
) -> DisasterEvent:
    """A disaster and the regions it hit, counted at once (do_count_event). Refused: no region,
    a region outside the recorder's area, an event of the same kind already recorded for an
    overlapping time and place (record further damage on that one)."""
    regions = normalized_regions(regions)
    if not regions:
        raise ValidationError({"regions": _("Choose at least one affected region.")})
    if not may_declare(acting_user, regions):
        raise PermissionDenied("record a disaster outside the user's county or city")
    if kind not in DisasterEvent.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of disaster.")})
    if level not in DisasterEvent.Level.values:
        raise ValidationError({"level": _("Choose the response level (I to IV).")})
    if ended_on is not None and ended_on < started_on:
        raise ValidationError({"ended_on": _("The response cannot end before the disaster began.")})
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": _("A disaster is recorded once it has happened.")})
    if started_on < EARLIEST:
        raise ValidationError({"started_on": _("Enter the day the disaster began.")})
    # One recorder at a time checks for overlaps, so two people recording the same flood at
    # once do not both succeed.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('assistance.disaster'))")
    clash = _overlapping(kind, started_on, ended_on, regions)
    if clash is not None:
        raise ValidationError(_overlap_message(*clash))
    event = DisasterEvent(
        name=name.strip(),
        kind=kind,
        level=level,
        started_on=started_on,
        ended_on=ended_on,
        note=note,
        created_by=acting_user,
    )
    _save(event, acting_user, "recorded")
    DisasterRegion.objects.bulk_create(DisasterRegion(event=event, region=r) for r in regions)
    count_event(event, acting_user)
    return event


@transaction.atomic
def do_add_regions(event: DisasterEvent, regions, *, acting_user) -> DisasterEvent:
    """More places hit by the same disaster (the flood spreads downstream): added to the event
    and the whole event counted again. The places must lie in the user's area (a county's or
    city's supervisor or approver); places already in the event are left as they are; a
    county added over its townships replaces them. Refused: nothing new, an event whose
    response has ended (record a new one), another open event of the same kind there."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('assistance.disaster'))")
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    have = [link.region for link in event.regions.select_related("region")]
    added = [
        r
        for r in normalized_regions(regions)
        if not any(r.prefix.startswith(h.prefix) for h in have)
    ]
    if not added:
        raise ValidationError(
            {"regions": _("Choose a place that is not yet among this disaster's places.")}
        )
    if not may_declare(acting_user, added):
        raise PermissionDenied("add places outside the user's county or city to a disaster")
    if event.ended_on is not None:
        raise ValidationError(
            _("The response to this disaster has ended: record the new damage as a new disaster.")
        )
    clash = _overlapping(event.kind, event.started_on, None, added, excluding=event)
    if clash is not None:
        raise ValidationError(_overlap_message(*clash))
    kept = normalized_regions(have + added)
    event.regions.exclude(region__in=kept).delete()
    DisasterRegion.objects.bulk_create(
        DisasterRegion(event=event, region=r) for r in kept if r not in have
    )
    # The history's reason holds 100 characters: the codes while they fit, else how many.
    reason = "places added: " + ", ".join(r.code for r in added)
    _save(event, acting_user, reason if len(reason) <= 100 else f"places added: {len(added)}")
    count_event(event, acting_user)
    return event


@transaction.atomic
def do_end_event(event: DisasterEvent, *, acting_user, ended_on: dt.date) -> DisasterEvent:
    """The response is over (the day the emergency office ended it): the event no longer
    stands in the way of a new one of its kind in its places."""
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    regions = [link.region for link in event.regions.select_related("region")]
    if not may_declare(acting_user, regions):
        raise PermissionDenied("end a disaster outside the user's county or city")
    if ended_on < event.started_on or ended_on > timezone.localdate():
        raise ValidationError(
            {"ended_on": _("The response ends between the day the disaster began and today.")}
        )
    event.ended_on = ended_on
    _save(event, acting_user, "response ended")
    return event


@transaction.atomic
def do_count_event(event: DisasterEvent, *, acting_user) -> DisasterEvent:
    """Count the affected population again from the master record (people move, are born,
    die; a household's 低保 begins or ends)."""
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    regions = [link.region for link in event.regions.select_related("region")]
    if not may_declare(acting_user, regions):
        raise PermissionDenied("count a disaster outside the user's county or city")
    count_event(event, acting_user)
    return event


@transaction.atomic
def count_event(event: DisasterEvent, acting_user=None) -> None:
    """The affected population per place of residence, from the master record as it is now
    (ages at the day the disaster began), in one INSERT … SELECT."""
    prefixes = [link.region.prefix for link in event.regions.select_related("region")]
    sql = people_sql(prefixes)
    DisasterArea.objects.filter(event=event).delete()
    insert = f"""
            INSERT INTO assistance_disasterarea
                (event_id, region_id, people, households, aged_80, alone, disabled, children,
                 assisted, vulnerable, vulnerable_households, vulnerable_internal,
                 vulnerable_households_internal)
            SELECT %(event)s, region_id, count(*), count(DISTINCT household_id),
                   count(*) FILTER (WHERE aged_80), count(*) FILTER (WHERE alone),
                   count(*) FILTER (WHERE disabled), count(*) FILTER (WHERE child),
                   count(*) FILTER (WHERE assisted), count(*) FILTER (WHERE {VULNERABLE}),
                   count(DISTINCT household_id) FILTER (WHERE {VULNERABLE}),
                   count(*) FILTER (WHERE {VULNERABLE_INTERNAL}),
                   count(DISTINCT household_id) FILTER (WHERE {VULNERABLE_INTERNAL})
            FROM flagged GROUP BY region_id
            """  # noqa: S608 — written from names only
    with connection.cursor() as cursor:
        # One statement over up to a province: JIT compiling costs it half a second of a
        # one-second count at 50,000 people, and the GROUP BY sorts beyond the default
        # work_mem (bench/run.py, "disaster estimate"). Local to this transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql + insert, {**people_params(event, prefixes), "event": event.pk})
    event.counted_at = timezone.now()
    _save(event, acting_user, "counted")


# --------------------------------------------------------------------------- relief given


def _in_event(event: DisasterEvent, region_code: str) -> bool:
    return any(
        region_code.startswith(link.region.prefix)
        for link in event.regions.select_related("region")
    )


@transaction.atomic
def do_give_relief(
    event: DisasterEvent,
    household: Household,
    *,
    place: str,
    acting_user,
    item: str,
    quantity: Decimal,
    given_on: dt.date,
    note: str = "",
) -> Relief:
    """Relief handed to a household of the affected area at `place`, where it lives
    (disaster_queries._PLACE; recorded with the relief, so progress by region counts it where it was
    handed out, whatever the household's registered region). The same item twice to one
    household in one event is refused, naming the first delivery: a second handing-out is a
    correction of that row (do_correct_relief), never a new one by mistake."""
    if not _in_event(event, place) or not lives_in(household.pk, place):
        raise ValidationError(_("This household does not live in the area of this disaster."))
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    if given_on < event.started_on or given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date must lie between the disaster and today.")})
    earlier = (
        Relief.objects.select_related("given_by")
        .filter(event=event, household=household, item=item)
        .first()
    )
    if earlier is not None:
        raise ValidationError(_already_given(earlier))
    relief = Relief(
        event=event,
        household=household,
        region_id=place,
        item=item,
        quantity=quantity,
        given_on=given_on,
        given_by=acting_user,
        note=note,
    )
    try:
        with transaction.atomic():
            _save(relief, acting_user, "given")
    except IntegrityError:  # recorded at the same moment by someone else
        earlier = Relief.objects.select_related("given_by").get(
            event=event, household=household, item=item
        )
        raise ValidationError(_already_given(earlier)) from None
    return relief


def _already_given(earlier: Relief) -> str:
    return _(
        "%(item)s were already given to this household on %(day)s (%(quantity)s, by %(who)s). "
        "If more was handed out, correct that record instead."
    ) % {
        "item": earlier.get_item_display(),
        "day": earlier.given_on.isoformat(),
        "quantity": earlier.quantity.normalize(),
        "who": earlier.given_by.get_full_name() or earlier.given_by.get_username(),
    }


@transaction.atomic
def do_correct_relief(relief: Relief, *, acting_user, quantity: Decimal, reason: str) -> Relief:
    """A delivery's quantity corrected (more handed out later, or a typing error), with why;
    the history keeps the earlier quantity."""
    relief = Relief.objects.select_for_update().get(pk=relief.pk)
    if quantity is None or quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the quantity changes.")})
    relief.quantity = quantity
    _save(relief, acting_user, reason.strip())
    return relief


# --------------------------------------------------------------------------- emergency cases


@transaction.atomic
def do_open_emergency_cases(
    event: DisasterEvent, region: Region, *, acting_user, at_most: int = OPEN_AT_ONCE
) -> tuple[int, int, int]:
    """Emergency 临时救助 for the vulnerable households of one village of the event, opened
    proactively and pre-filled (a sudden emergency caused by a natural disaster), each
    submitted through the case engine for the place where the household lives in the
    disaster: screening routes it to that township's queue, where the township may pay
    first. Every vulnerable household of the place counts, also one on 低保 or 特困 through
    a case of another area (the acting user, who may open temporary-assistance cases, reads
    the confidential level). A household with its case for this event, or with another
    temporary-assistance case still open, is left out. Answers (opened, already, left over)."""
    if region.level < Region.Level.TOWNSHIP:
        raise ValidationError(
            _("Emergency cases are opened a township or a village at a time: choose one.")
        )
    # One press at a time per event: a second press waits and then finds these cases.
    event = DisasterEvent.objects.select_for_update().get(pk=event.pk)
    prefixes = clipped(parts(event, acting_user), region)
    if not prefixes:
        raise ValidationError(_("This place is not in the area of this disaster."))
    places = dict(vulnerable_households(event, prefixes))
    households = list(places)
    done = set(
        DisasterCase.objects.filter(event=event, household_id__in=households).values_list(
            "household_id", flat=True
        )
    )
    busy = set(
        Case.objects.open()
        .filter(service=EMERGENCY_SERVICE, household_id__in=households)
        .values_list("household_id", flat=True)
    )
    waiting = [h for h in households if h not in done and h not in busy]
    this_press = waiting[:at_most]
    opened = 0
    heads = Household.objects.select_related("head").in_bulk(this_press)
    regions = Region.objects.in_bulk({places[h] for h in this_press})
    for household_id in this_press:
        household = heads[household_id]
        applicant = _applicant(household)
        if applicant is None:
            continue
        # The case goes where the household lives in the disaster, not to its registered
        # region: temporary assistance may be asked for where one lives.
        place = regions[places[household_id]]
        case = do_create_case(
            acting_user=acting_user,
            service=EMERGENCY_SERVICE,
            region=place,
            applicant=applicant,
            household=household,
            channel=Case.Channel.PROACTIVE,
            priority=Case.Priority.URGENT,
        )
        name = event.name
        _save(
            AssistanceApplication(
                case=case,
                kind=AssistanceApplication.Kind.LINSHI,
                hardship_cause=AssistanceApplication.HardshipCause.DISASTER,
                emergency_type=AssistanceApplication.EmergencyType.EMERGENCY,
                situation=name,
            ),
            acting_user,
            "opened for a disaster",
        )
        DisasterCase.objects.create(event=event, household=household, case=case, region=place)
        do_submit_case(
            case,
            acting_user=acting_user,
            message=lambda name=name: (
                _(
                    "Because of the disaster “%(event)s”, the civil affairs office has opened "
                    "temporary assistance for your household. The township office will contact "
                    "you."
                )
                % {"event": name}
            ),
        )
        opened += 1
    return opened, len(done | busy), len(waiting) - len(this_press)


def _applicant(household: Household):
    """Who the case is for: the head, while alive and still a member; else the eldest adult
    member living; else the eldest member living (a household of children)."""
    members = list(
        household.memberships.filter(
            end_date__isnull=True,
            person__date_of_death__isnull=True,
            person__merged_into__isnull=True,
        )
        .select_related("person")
        .order_by("person__birth_date", "pk")
    )
    people = [m.person for m in members]
    if household.head_id in {p.pk for p in people}:
        return next(p for p in people if p.pk == household.head_id)
    adult = years_before(timezone.localdate(), 18)
    return next((p for p in people if p.birth_date <= adult), people[0] if people else None)
