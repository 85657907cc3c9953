"""What the disaster-relief pages read (house rule 2): the events a staff member may see, the
part of each event inside their area, the affected and vulnerable people per region, the
needs from the norms, the relief given, and earlier events in the same places. A staff
member sees an event that touches their area, and of it only what lies in their area."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404

from civilaffairs.accounts.access import grants_for, max_level_for, region_prefixes, require_role
from civilaffairs.accounts.models import CASEWORK_ROLES, Office, StaffRole
from civilaffairs.casework.models import Case
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.people.models import Household, Person, Region
from civilaffairs.rules.models import Parameter, Program, ancestor_codes

from .models import DisasterArea, DisasterCase, DisasterEvent, Relief, ReliefItem

# Who records a disaster and counts it again: the county's or city's supervisors and
# approvers (a township reports upwards; it does not declare).
DECLARING_ROLES = (StaffRole.Role.SUPERVISOR, StaffRole.Role.APPROVER)
# Who hands out relief and opens emergency cases: every casework role of the area.
RELIEF_ROLES = tuple(CASEWORK_ROLES)
# The service of the emergency cases opened for a disaster (临时救助).
EMERGENCY_SERVICE = "assistance.linshi"
# The services whose households in force count as "on 低保 / 特困".
ASSISTED_SERVICES = ("assistance.dibao", "assistance.tekun")
# Opening emergency cases is done in the request, a village at a time: at most this many
# households per press (the page says how many are left; pressing again opens the rest).
OPEN_AT_ONCE = 100


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# The people living in the affected regions, one row each, with what makes them vulnerable.
# Used for the count and for the lists per village. people_sql fills its two slots with SQL
# parameters (%(name)s) only, so the text holds no value of its own: {where} with the places of
# residence ("pe.residence_region_id LIKE %(p0)s OR …", and the household when one is asked
# for), {cases} with the reader's case scope ("c.region_id LIKE %(s0)s AND c.confidentiality
# <= %(l0)s OR …", or true for every case).
# Living alone: the only living member of one's household whose place of residence is this
# one (a son registered in the household who lives and works in the city does not keep his
# mother company); read from the rows already chosen, so the count touches no other table.
PEOPLE_SQL = """
WITH p AS (
    SELECT pe.id, pe.name, pe.sex, pe.birth_date, pe.disability_grade, pe.id_number,
           pe.residence_region_id AS region_id, m.household_id
    FROM people_person pe
    LEFT JOIN people_membership m ON m.person_id = pe.id AND m.end_date IS NULL
    WHERE pe.merged_into_id IS NULL AND pe.date_of_death IS NULL AND ({where})
),
sizes AS (
    SELECT household_id, region_id, count(*) AS n
    FROM p WHERE household_id IS NOT NULL
    GROUP BY household_id, region_id
),
assisted AS (
    SELECT DISTINCT c.household_id
    FROM casework_case c
    WHERE c.service = ANY(%(services)s) AND c.closed_at IS NULL AND c.outcome = 'approved'
      AND ({cases})
      AND c.household_id IN (SELECT household_id FROM p WHERE household_id IS NOT NULL)
),
flagged AS (
    SELECT p.*,
           p.birth_date <= %(born_80)s AS aged_80,
           coalesce(s.n = 1, false) AS alone,
           p.disability_grade > 0 AS disabled,
           p.birth_date > %(born_18)s AS child,
           a.household_id IS NOT NULL AS assisted
    FROM p
    LEFT JOIN sizes s ON s.household_id = p.household_id AND s.region_id = p.region_id
    LEFT JOIN assisted a ON a.household_id = p.household_id
)
"""

VULNERABLE = "(aged_80 OR alone OR disabled OR child OR assisted)"
# Vulnerable for a reason a reader below "confidential" may be told (DisasterArea's
# *_internal figures).
VULNERABLE_INTERNAL = "(aged_80 OR alone OR disabled OR child)"


def people_sql(prefixes, scope=None, household: bool = False) -> str:
    """PEOPLE_SQL for the residents of these region prefixes (their patterns are the
    parameters p0, p1, … of people_params). `scope` (case_scope): the 低保/特困 cases that
    mark a household as assisted are those the reader may see, each grant's area at its
    level (s0/l0, …); None: every case (the count, opening cases). `household`: only the
    members of the household %(household)s."""
    where = " OR ".join(f"pe.residence_region_id LIKE %(p{i})s" for i in range(len(prefixes)))
    where = f"({where or 'false'})"
    if household:
        where += " AND m.household_id = %(household)s"
    if scope is None:
        cases = "true"
    else:
        cases = (
            " OR ".join(
                f"(c.region_id LIKE %(s{i})s AND c.confidentiality <= %(l{i})s)"
                for i in range(len(scope))
            )
            or "false"
        )
    return PEOPLE_SQL.replace("{where}", where).replace("{cases}", cases)


def people_params(event: DisasterEvent, prefixes, scope=None) -> dict:
    """The parameters of people_sql (with the same `scope`)."""
    params = {f"p{i}": prefix + "%" for i, prefix in enumerate(prefixes)}
    for i, (prefix, level) in enumerate(sorted((scope or {}).items())):
        params[f"s{i}"] = prefix + "%"
        params[f"l{i}"] = level
    params.update(
        services=list(ASSISTED_SERVICES),
        born_80=years_before(event.started_on, 80),
        born_18=years_before(event.started_on, 18),
    )
    return params


def case_scope(user) -> dict[str, int] | None:
    """The cases a reader may see, as {region prefix: highest confidentiality} over their
    casework grants (the jurisdiction rule of every case list); None for the administrator."""
    if getattr(user, "is_superuser", False):
        return None
    best: dict[str, int] = {}
    for g in grants_for(user):
        if g.role in RELIEF_ROLES:
            best[g.region_prefix] = max(best.get(g.region_prefix, -1), g.max_level)
    return best


NORM_PROGRAM = "disaster_relief"
COUNTS = (
    "vulnerable_internal",
    "vulnerable_households_internal",
    "people",
    "households",
    "aged_80",
    "alone",
    "disabled",
    "children",
    "assisted",
    "vulnerable",
    "vulnerable_households",
)


def _code_of(prefix: str) -> str:
    """The region code a prefix stands for (64 → 640000, 640104001 as it is)."""
    return prefix.ljust(6, "0")


def events_for(user):
    """Events that touch the user's area (through a casework grant)."""
    prefixes = region_prefixes(user, RELIEF_ROLES)
    events = DisasterEvent.objects.all()
    if prefixes is None:
        return events
    if not prefixes:
        return events.none()
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(regions__region__code__startswith=prefix)
        q |= Q(regions__region__code__in=ancestor_codes(_code_of(prefix)))
    return events.filter(pk__in=DisasterEvent.objects.filter(q).values("pk"))


def declaring_prefixes(user) -> set[str] | None:
    """The areas where the user may record a disaster and count or end it: those of their
    supervisor or approver grants in a county's (or higher) office; None for the
    administrator (everywhere)."""
    if getattr(user, "is_superuser", False):
        return None
    return {
        g.region_prefix
        for g in grants_for(user)
        if g.role in DECLARING_ROLES and g.office_level <= Office.Level.COUNTY
    }


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def may_see(user) -> bool:
    """Whether the staff menu offers disaster relief: casework staff of some area."""
    prefixes = region_prefixes(user, RELIEF_ROLES)
    return prefixes is None or bool(prefixes)


def access_event(user, pk) -> DisasterEvent:
    require_role(user, RELIEF_ROLES)
    return get_or_404(
        events_for(user).select_related("created_by").prefetch_related("regions__region"), pk
    )


def parts(event: DisasterEvent, user) -> list[str]:
    """The prefixes of the event's area that lie in the user's area: where both overlap, the
    deeper of the two."""
    mine = region_prefixes(user, RELIEF_ROLES)
    theirs = [link.region.prefix for link in event.regions.all()]
    if mine is None:
        return sorted(theirs)
    out = set()
    for a in theirs:
        for b in mine:
            if a.startswith(b):
                out.add(a)
            elif b.startswith(a):
                out.add(b)
    return sorted(out)


def _inside(prefixes, field_name="region_id") -> Q:
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(**{f"{field_name}__startswith": prefix})
    return q


def access_place(event: DisasterEvent, user, code: str) -> Region:
    """A region that meets the user's part of the event (inside it, or above it: what a page
    shows of it is then clipped to the user's part), else 404."""
    region = get_or_404(Region.objects.all(), code)
    mine = parts(event, user)
    if not any(region.prefix.startswith(p) or p.startswith(region.prefix) for p in mine):
        raise Http404
    return region


def access_relief(event: DisasterEvent, user, pk) -> Relief:
    """A delivery of the event to a household inside the user's part of it, else 404."""
    return get_or_404(Relief.objects.filter(_inside(parts(event, user)), event=event), pk)


def access_affected_household(event: DisasterEvent, user, region: Region, pk):
    """A household on the user's list of vulnerable households of `region` in the event (in
    their part of it), with its place there (_PLACE), else 404. Its registered region does
    not matter: relief goes where people live."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    place = listed_place(event, user, pk, clipped(parts(event, user), region))
    if place is None:
        raise Http404
    return get_or_404(Household.objects.select_related("head"), pk), place


def clipped(prefixes, region: Region) -> list[str]:
    """The prefixes narrowed to `region`'s subtree."""
    out = set()
    for p in prefixes:
        if region.prefix.startswith(p):
            out.add(region.prefix)
        elif p.startswith(region.prefix):
            out.add(p)
    return sorted(out)


# --------------------------------------------------------------------------- norms


@dataclass
class Norms:
    """The per-person norm of each item for each place, and what is missing where."""

    by_region: dict = field(default_factory=dict)  # region code -> {item: Decimal | None}
    missing: dict = field(default_factory=dict)  # item -> [region codes without a norm]


def norms(event: DisasterEvent, region_codes, as_of: dt.date | None = None) -> Norms:
    """Each item's norm at the event's level for each region (the value set for it or the
    nearest region above: rules parameters `<item>_l<level>` of the program
    "disaster_relief"), read in one query."""
    as_of = as_of or event.started_on
    keys = {event.norm_key(item): item for item in ReliefItem.values}
    program = Program.objects.filter(code=NORM_PROGRAM).first()
    rows = (
        list(
            Parameter.objects.for_program(program)
            .valid_on(as_of)
            .filter(key__in=list(keys))
            .order_by()
        )
        if program is not None
        else []
    )
    best: dict[tuple[str, str], Parameter] = {}
    for row in rows:
        slot = (row.key, row.region_id)
        if slot not in best or row.rank > best[slot].rank:
            best[slot] = row
    # Only the few regions that set a norm matter (most often the province alone): each place
    # takes the values of the deepest of them above it, worked out once per such chain (a
    # province-wide event has thousands of places and one or two chains).
    setters = sorted(
        {region for _key, region in best}, key=lambda c: len(Region.prefix_of(c)), reverse=True
    )
    prefixes = {c: Region.prefix_of(c) for c in setters}
    chains: dict[tuple, dict] = {}
    result = Norms()
    for code in region_codes:
        chain = tuple(c for c in setters if code.startswith(prefixes[c]))  # deepest first
        values = chains.get(chain)
        if values is None:
            values = {}
            for key, item in keys.items():
                found = next((best[(key, c)] for c in chain if (key, c) in best), None)
                values[item] = found.value if found else None
            chains[chain] = values
        for item, value in values.items():
            if value is None:
                result.missing.setdefault(item, []).append(code)
        result.by_region[code] = values
    return result


# --------------------------------------------------------------------------- figures


@dataclass
class Line:
    region: Region
    counts: dict
    needs: dict  # item -> Decimal or None (a norm is missing somewhere in it)
    given: dict  # item -> Decimal
    households_helped: int = 0
    cases: int = 0
    link: bool = False  # it has places below it to drill into

    @property
    def cells(self) -> list[dict]:
        """Per item, in ReliefItem's order: what was given and what is needed."""
        return [
            {"item": item, "given": self.given[item], "needed": self.needs[item]}
            for item in ReliefItem.values
        ]


def _children(within: Region) -> list[Region]:
    """The regions right below `within`, longest prefix first (a township directly under a
    prefecture, 441900003, has a nine-digit prefix under a four-digit one: a place is put
    under the child whose prefix it starts with, never under a code cut to a fixed length)."""
    return sorted(
        Region.objects.filter(parent_id=within.code), key=lambda r: len(r.prefix), reverse=True
    )


def _child_of(code: str, children: list[Region], within: Region) -> Region:
    """The child of `within` holding the place `code`, or `within` itself for people living
    at its own level."""
    return next((c for c in children if code.startswith(c.prefix)), within)


def progress(
    event: DisasterEvent, prefixes, within: Region, confidential: bool = True
) -> tuple[list[Line], Line, Norms]:
    """The affected people, the needs and the relief given, per region right below
    `within`, inside `prefixes`; with the total line. Needs are worked out at each place of
    residence with its own norm and rounded up there (a tent is whole), then summed, so a
    township's need is the same on its county's page and on its own. For a reader below
    "confidential" (`confidential` False) the vulnerable are those they may be told of and
    the 低保/特困 and emergency-case figures are None (not shown)."""
    inside = _inside(clipped(prefixes, within))
    children = _children(within)
    areas = list(
        DisasterArea.objects.filter(inside, event=event).values("region_id", *COUNTS).order_by()
    )
    found = norms(event, {a["region_id"] for a in areas})
    groups: dict[str, dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    needs: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    incomplete: dict[str, set] = defaultdict(set)
    places: dict[str, Region] = {}
    for area in areas:
        child = _child_of(area["region_id"], children, within)
        key = child.code
        places[key] = child
        for c in COUNTS:
            groups[key][c] += area[c]
        for item, norm in found.by_region[area["region_id"]].items():
            if norm is None:
                incomplete[key].add(item)
            else:
                needs[key][item] += _round_up(norm * area["people"])
    given: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    helped: dict[str, set] = defaultdict(set)
    for row in (
        Relief.objects.filter(inside, event=event)
        .values("region_id", "item", "household_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        child = _child_of(row["region_id"], children, within)
        places[child.code] = child
        given[child.code][row["item"]] += row["total"]
        helped[child.code].add(row["household_id"])
    cases: dict[str, int] = defaultdict(int)
    for row in (
        DisasterCase.objects.filter(inside, event=event)
        .values("region_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        child = _child_of(row["region_id"], children, within)
        places[child.code] = child
        cases[child.code] += row["n"]
    lines = []
    for key in sorted(places):
        region = places[key]
        lines.append(
            Line(
                region=region,
                counts=groups[key],
                needs={
                    item: None if item in incomplete[key] else needs[key][item]
                    for item in ReliefItem.values
                },
                given={item: given[key][item] for item in ReliefItem.values},
                households_helped=len(helped[key]),
                cases=cases[key],
                link=region != within and region.level < Region.Level.VILLAGE,
            )
        )
    total = Line(
        region=within,
        counts={c: sum(line.counts[c] for line in lines) for c in COUNTS},
        needs={
            item: None
            if any(line.needs[item] is None for line in lines)
            else sum((line.needs[item] for line in lines), Decimal(0))
            for item in ReliefItem.values
        },
        given={
            item: sum((line.given[item] for line in lines), Decimal(0))
            for item in ReliefItem.values
        },
        households_helped=sum(line.households_helped for line in lines),
        cases=sum(line.cases for line in lines),
    )
    if not confidential:
        for line in [*lines, total]:
            _internal(line.counts)
            line.cases = None
    return lines, total, found


def _internal(counts: dict) -> None:
    """Counts as a reader below "confidential" sees them."""
    counts["vulnerable"] = counts["vulnerable_internal"]
    counts["vulnerable_households"] = counts["vulnerable_households_internal"]
    counts["assisted"] = None


def _round_up(value: Decimal) -> Decimal:
    """Needs are whole tents, quilts, litres…: a part of one is one more."""
    return value.to_integral_value(rounding=ROUND_CEILING)


def earlier_events(
    event: DisasterEvent, prefixes, limit: int = 10, confidential: bool = True
) -> list[dict]:
    """Events before this one that hit the same places (inside `prefixes`), with how many
    people they affected there (vulnerable: as progress counts them for the reader) and how
    many households were helped."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        q |= Q(regions__region__code__startswith=prefix)
        q |= Q(regions__region__code__in=ancestor_codes(_code_of(prefix)))
    others = list(
        DisasterEvent.objects.filter(pk__in=DisasterEvent.objects.filter(q).values("pk"))
        .filter(
            Q(started_on__lt=event.started_on) | Q(started_on=event.started_on, pk__lt=event.pk)
        )
        .order_by("-started_on", "-pk")[:limit]
    )
    if not others:
        return []
    inside = _inside(prefixes)
    people = {
        row["event"]: row
        for row in DisasterArea.objects.filter(inside, event__in=others)
        .values("event")
        .annotate(
            people=Sum("people"),
            vulnerable=Sum("vulnerable" if confidential else "vulnerable_internal"),
        )
        .order_by()
    }
    helped = {
        row["event"]: row["n"]
        for row in Relief.objects.filter(inside, event__in=others)
        .values("event")
        .annotate(n=Count("household", distinct=True))
        .order_by()
    }
    return [
        {
            "event": other,
            "people": people.get(other.pk, {}).get("people") or 0,
            "vulnerable": people.get(other.pk, {}).get("vulnerable") or 0,
            "helped": helped.get(other.pk, 0),
        }
        for other in others
    ]


# --------------------------------------------------------------------------- people


def viewer_level(user, prefixes) -> int:
    """The highest confidentiality the user may read in every one of `prefixes` (their part
    of a place) through a casework grant: a household's 低保 or 特困 case marks it as
    assisted on a list only for a reader allowed to see that case."""
    if getattr(user, "is_superuser", False):
        return Confidentiality.SENSITIVE
    return min((max_level_for(user, p, RELIEF_ROLES) for p in prefixes), default=-1)


def vulnerable_households(event: DisasterEvent, prefixes, scope=None) -> list[tuple[int, str]]:
    """The households with a vulnerable member living inside `prefixes` (a part of the
    event's area: `clipped(parts(event, user), region)`), each with its place in the event
    (_PLACE). `scope`: case_scope of the reader, None for every case."""
    if not prefixes:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            people_sql(prefixes, scope) + _HOUSEHOLDS, people_params(event, prefixes, scope)
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]


def without_household(event: DisasterEvent, prefixes, scope=None) -> int:
    """Vulnerable people inside `prefixes` who belong to no household on the register: relief
    and cases go to households, so the page says how many need a household first."""
    if not prefixes:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            people_sql(prefixes, scope) + _UNHOUSED, people_params(event, prefixes, scope)
        )
        return cursor.fetchone()[0]


def listed_place(event: DisasterEvent, user, household_pk: int, prefixes) -> str | None:
    """The household's place in the event (_PLACE) when it is on the reader's list of
    vulnerable households inside `prefixes` (their part of a place), else None: relief is
    recorded, and corrected, only for a household the reader is shown."""
    if not prefixes:
        return None
    scope = case_scope(user)
    params = {**people_params(event, prefixes, scope), "household": household_pk}
    with connection.cursor() as cursor:
        cursor.execute(people_sql(prefixes, scope, household=True) + _LISTED, params)
        row = cursor.fetchone()
    return row[0] if row else None


def lives_in(household_pk: int, place: str) -> bool:
    """Whether a living member of the household lives at `place` (or under it)."""
    return Person.objects.filter(
        residence_region_id__startswith=place,
        memberships__household_id=household_pk,
        memberships__end_date__isnull=True,
        merged_into__isnull=True,
        date_of_death__isnull=True,
    ).exists()


@dataclass
class Member:
    pk: int
    name: str
    sex: str
    birth_date: dt.date
    id_number: str | None
    flags: list


@dataclass
class HouseholdRow:
    pk: int
    place: str  # the region code where it lives in the event (_PLACE)
    head: str  # the head's name on the register ("" when it has none)
    members: list
    relief: list = field(default_factory=list)
    case: object = None


FLAG_COLUMNS = ("aged_80", "alone", "disabled", "child", "assisted")

# Where a household lives in a disaster: the place of residence of its vulnerable members
# (the lowest code when they live in more than one place), else of any member living in the
# part read. Not its registered region: a household registered elsewhere that lives here is
# given relief here, and its emergency case goes to the township where it lives (temporary
# assistance may be asked for where one lives, not only at one's hukou).
_PLACE = f"coalesce(min(region_id) FILTER (WHERE {VULNERABLE}), min(region_id))"

_HOUSEHOLDS = f"""SELECT household_id, {_PLACE} FROM flagged
WHERE household_id IS NOT NULL
GROUP BY household_id HAVING bool_or({VULNERABLE}) ORDER BY 1"""  # noqa: S608 — names only

_LISTED = f"""SELECT {_PLACE} FROM flagged
GROUP BY household_id HAVING bool_or({VULNERABLE})"""  # noqa: S608 — names only

_UNHOUSED = f"""SELECT count(*) FROM flagged
WHERE {VULNERABLE} AND household_id IS NULL"""  # noqa: S608 — names only

_PAGE = f""", page AS (
    SELECT household_id, {_PLACE} AS place FROM flagged
    WHERE household_id > %(after)s
    GROUP BY household_id HAVING bool_or({VULNERABLE})
    ORDER BY household_id LIMIT %(size)s
)
SELECT f.household_id, pg.place, hp.name, f.id, f.name, f.sex, f.birth_date, f.id_number,
       {", ".join("f." + c for c in FLAG_COLUMNS)}
FROM flagged f
JOIN page pg ON pg.household_id = f.household_id
JOIN people_household h ON h.id = f.household_id
LEFT JOIN people_person hp ON hp.id = h.head_id
WHERE {VULNERABLE}
ORDER BY f.household_id, f.id"""  # noqa: S608 — names only


def vulnerable_page(event: DisasterEvent, prefixes, user, after: int = 0, size: int = 25):
    """One page of the vulnerable households living inside `prefixes` (the reader's part of
    a place), ordered by household, after the household `after`: their place in the event,
    their vulnerable members with what makes them so (on 低保/特困 only through a case the
    reader may see), the relief each was given in the reader's part of the event and its
    emergency case when the reader may see it. Answers (rows, next cursor or None)."""
    if not prefixes:
        return [], None
    scope = case_scope(user)
    params = {**people_params(event, prefixes, scope), "after": after, "size": size + 1}
    with connection.cursor() as cursor:
        cursor.execute(people_sql(prefixes, scope) + _PAGE, params)
        rows = cursor.fetchall()
    households: dict[int, HouseholdRow] = {}
    for row in rows:
        household_id, place, head, pk, name, sex, born, number, *flags = row
        line = households.setdefault(
            household_id, HouseholdRow(household_id, place, head or "", [])
        )
        line.members.append(
            Member(
                pk,
                name,
                sex,
                born,
                number,
                [f for f, on in zip(FLAG_COLUMNS, flags, strict=True) if on],
            )
        )
    ids = list(households)
    following = None
    if len(ids) > size:
        ids = ids[:size]
        following = ids[-1]
    for relief in (
        Relief.objects.filter(_inside(parts(event, user)), event=event, household_id__in=ids)
        .select_related("given_by")
        .order_by("item")
    ):
        households[relief.household_id].relief.append(relief)
    for link in DisasterCase.objects.filter(
        event=event, household_id__in=ids, case__in=Case.objects.visible_to(user)
    ).select_related("case"):
        households[link.household_id].case = link.case
    return [households[i] for i in ids], following
