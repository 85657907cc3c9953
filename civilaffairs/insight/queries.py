"""What a staff member may see of the figures, and the figures of a region subtree.

The dashboards follow the jurisdiction every staff page follows (accounts.access): a user
sees the regions under their grants' prefixes and nothing else; a region outside them is a
404, as a record outside them is. Each breakdown is one `GROUP BY` over the figure tables
(the few hundred rows of one region code), never over the cases or the register.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.http import Http404

from civilaffairs.accounts.access import max_level_for, region_prefixes, require_role, scope_q
from civilaffairs.accounts.models import CASEWORK_ROLES, Office, User
from civilaffairs.casework.registry import narrowed_services, services_by_staff_roles
from civilaffairs.lib.lookup import get_or_404
from civilaffairs.lib.months import add_months
from civilaffairs.people.models import Region

from .models import (
    BenefitFigure,
    CaseFigure,
    DomainFigure,
    HouseholdFigure,
    MonthCount,
    PaymentFigure,
    Scenario,
    WorkloadFigure,
)
from .scenarios import SCENARIO_ROLES

# Who reads the benefit figures: the staff who work the cases (caseworker to supervisor), of
# their own area. A marriage registrar or a child-welfare worker reads their own domain's.
FIGURE_ROLES = tuple(CASEWORK_ROLES)


def may_see_figures(user, roles=FIGURE_ROLES) -> bool:
    prefixes = region_prefixes(user, roles)
    return prefixes is None or bool(prefixes)


def _application_groups() -> list[tuple[tuple[str, ...], list[str]]]:
    """(roles, services) as the case filter groups them, less the services whose cases a
    role sees only in part (Service.staff_scope: a children's director, only the children
    given to them): an area's counts of those would tell of the others. Their figures are on
    their domain's own page, for the roles that see the whole area."""
    narrowed = {s.code for s in narrowed_services()}
    groups = []
    for roles, codes in services_by_staff_roles():
        kept = [c for c in codes if c not in narrowed]
        if kept:
            groups.append((roles, kept))
    return groups


def application_roles() -> tuple[str, ...]:
    """Who reads the application figures: whoever works some service's cases (a registrar
    reads the registry's), of their own area."""
    return tuple(sorted({str(role) for roles, _codes in _application_groups() for role in roles}))


def service_levels(user, region: Region) -> dict[str, int]:
    """The services whose figures a user reads in `region`, each with the highest
    confidentiality level they may see of it: through a grant whose area holds the region in
    a role that works the service, as Case.objects.visible_to pairs each grant's level with
    its own roles' services (every service at every level, for the administrator)."""
    levels = {}
    for roles, codes in _application_groups():
        level = max_level_for(user, region.code, roles)
        if level >= 0:
            for code in codes:
                levels[code] = max(level, levels.get(code, -1))
    return dict(sorted(levels.items()))


def services_for(user, region: Region) -> list[str]:
    return list(service_levels(user, region))


def top_regions(user, roles=FIGURE_ROLES) -> list[Region]:
    """Where a user's dashboard starts: the region of each of their jurisdictions (the
    provinces for the administrator), highest first."""
    prefixes = region_prefixes(user, roles)
    regions = Region.objects.current().order_by("level", "code")
    if prefixes is None:
        return list(regions.filter(level=Region.Level.PROVINCE))
    # A prefix is a code without its trailing zero groups: 64 → 640000, 640104001 as it is.
    codes = [p.ljust(6, "0") for p in prefixes]
    return [r for r in regions.filter(code__in=codes) if r.prefix in prefixes]


def region_for(user, code: str, roles=FIGURE_ROLES) -> Region:
    """The region `code` if it lies in the user's jurisdiction, else 404."""
    prefixes = region_prefixes(user, roles)
    region = Region.objects.current().filter(code=code).first()
    if region is None or not (
        prefixes is None or any(region.prefix.startswith(p) for p in prefixes)
    ):
        raise Http404
    return region


def counted_version() -> str:
    """What changes whenever any month is counted (again): the latest count's time with the
    number and the newest id of the counted months. A figures page read from the counted
    tables is the same until it changes (views._kept)."""
    got = MonthCount.objects.aggregate(at=Max("counted_at"), n=Count("pk"), last=Max("pk"))
    return f"{got['at'] and got['at'].isoformat()}/{got['n']}/{got['last']}"


def counted_months() -> list[dt.date]:
    return list(MonthCount.objects.order_by("-month").values_list("month", flat=True))


@dataclass
class Row:
    key: str
    label: str
    persons: int = 0
    amount: Decimal = Decimal(0)
    households: int | None = None
    link: str | None = None  # a region's rows lead one level down


class Figures:
    """The figures of one region subtree for one month, of one program or of all ('': each
    person once), summed over the confidentiality levels up to `max_level` (the viewer's, as
    accounts.access.max_level_for gives it for the region)."""

    def __init__(self, region: Region, month: dt.date, program: str = "", max_level: int = 0):
        self.region, self.month, self.program = region, month, program
        self.max_level = max_level
        self.count = MonthCount.objects.filter(month=month).first()
        self._totals = None
        self._months: dict = {}

    def _where(self, model, region_code=None, *, program=None, **more):
        """The rows of the region (or of `region_code`; a list: of those regions) at the
        levels the viewer may see, of the chosen program (or `program`)."""
        rows = model.objects.filter(level__lte=self.max_level, **more)
        if isinstance(region_code, list):
            rows = rows.filter(region_code__in=region_code)
        else:
            rows = rows.filter(region_code=region_code or self.region.code)
        program = self.program if program is None else program
        if model is PaymentFigure:  # payments add up across programs: no '' rows
            return rows.filter(program=program) if program else rows
        return rows.filter(program=program)

    def _counted(self, first: dt.date) -> list[MonthCount]:
        """The months counted from `first` to this one (one statement for every table that
        runs month by month)."""
        if first not in self._months:
            self._months[first] = list(
                MonthCount.objects.filter(month__gte=first, month__lte=self.month).order_by("month")
            )
        return self._months[first]

    def _benefits(self):
        return self._where(BenefitFigure, month=self.month)

    def totals(self) -> Row:
        if self._totals is None:
            self._totals = self._count_totals()
        return self._totals

    def _count_totals(self) -> Row:
        got = self._benefits().aggregate(persons=Sum("persons"), amount=Sum("amount"))
        households = self._where(HouseholdFigure, month=self.month).aggregate(n=Sum("households"))[
            "n"
        ]
        return Row(
            "total",
            "",
            got["persons"] or 0,
            got["amount"] or Decimal(0),
            households or 0,
        )

    def by(self, column: str, labels: dict) -> list[Row]:
        """People and amounts by one attribute of the payee, in `labels`' order."""
        got = {
            r[column]: r
            for r in self._benefits()
            .values(column)
            .annotate(persons=Sum("persons"), amount=Sum("amount"))
        }
        rows = []
        for key, label in labels.items():
            r = got.pop(key, None)
            if r is not None:
                rows.append(Row(str(key), str(label), r["persons"], r["amount"]))
        for key, r in sorted(got.items(), key=lambda kv: str(kv[0])):  # not in `labels`
            rows.append(Row(str(key), str(key) or "—", r["persons"], r["amount"]))
        return rows

    def by_program(self, labels: dict) -> list[Row]:
        """Each program's people, households and amounts (a person on two is in both)."""
        people = {
            r["program"]: r
            for r in BenefitFigure.objects.filter(
                level__lte=self.max_level, region_code=self.region.code, month=self.month
            )
            .exclude(program="")
            .values("program")
            .annotate(persons=Sum("persons"), amount=Sum("amount"))
        }
        households = dict(
            HouseholdFigure.objects.filter(
                level__lte=self.max_level, region_code=self.region.code, month=self.month
            )
            .exclude(program="")
            .values_list("program")
            .annotate(n=Sum("households"))
        )
        order = list(labels) + sorted(set(people) - set(labels))
        return [
            Row(
                code,
                str(labels.get(code, code)),
                people[code]["persons"],
                people[code]["amount"],
                households.get(code, 0),
            )
            for code in order
            if code in people and (not self.program or code == self.program)
        ]

    def by_region(self) -> list[Row]:
        """One row per region one level down, with its households, and one for what is
        recorded at this region itself (cases of the township office, say), where any is."""
        if self.region.level >= Region.Level.VILLAGE:
            return []
        children = list(Region.objects.current().filter(parent=self.region).order_by("code"))
        codes = [c.code for c in children]
        people = {
            r["region_code"]: r
            for r in self._where(BenefitFigure, codes, month=self.month)
            .values("region_code")
            .annotate(persons=Sum("persons"), amount=Sum("amount"))
        }
        houses = dict(
            self._where(HouseholdFigure, codes, month=self.month)
            .values_list("region_code")
            .annotate(n=Sum("households"))
        )
        rows = [
            Row(
                c.code,
                c.name,
                people.get(c.code, {}).get("persons", 0),
                people.get(c.code, {}).get("amount", Decimal(0)),
                houses.get(c.code, 0),
                link=c.code,
            )
            for c in children
        ]
        whole = self.totals()
        itself = Row(
            self.region.code,
            "",
            whole.persons - sum(r.persons for r in rows),
            whole.amount - sum((r.amount for r in rows), Decimal(0)),
            whole.households - sum(r.households for r in rows),
        )
        if itself.persons or itself.households:
            rows.append(itself)
        return rows

    def _month_by_month(self, model, count: str, months: int, **more) -> list[Row]:
        """`count` and the amounts summed per month, for each month counted in the `months`
        up to this one (a month counted with nothing in it is a zero, not a gap)."""
        first = add_months(self.month, 1 - months)
        got = {
            r["month"]: r
            for r in self._where(model, month__gte=first, month__lte=self.month, **more)
            .values("month")
            .annotate(n=Sum(count), amount=Sum("amount"))
        }
        return [
            Row(
                f"{c.month:%Y-%m}",
                f"{c.month:%Y-%m}",
                got.get(c.month, {}).get("n", 0),
                got.get(c.month, {}).get("amount", Decimal(0)),
            )
            for c in self._counted(first)
        ]

    def trend(self, months: int = 12) -> list[Row]:
        """People and amounts month by month, up to this month, for the months counted."""
        return self._month_by_month(BenefitFigure, "persons", months)

    def forecast(self, ahead: int = 3) -> "Forecast | None":
        """People and amounts for the `ahead` months after this one, from the trend (see
        forecast_from)."""
        return forecast_from(self.trend(), self.month, ahead)

    def payments(self, labels: dict) -> list[Row]:
        """This month's payments by status: how many (in `persons`) and how much."""
        got = {
            r["status"]: r
            for r in self._where(PaymentFigure, month=self.month)
            .values("status")
            .annotate(n=Sum("payments"), amount=Sum("amount"))
        }
        return [
            Row(key, str(label), got[key]["n"], got[key]["amount"])
            for key, label in labels.items()
            if key in got
        ]

    def payments_by_month(self, statuses: tuple[str, ...], months: int = 12) -> list[Row]:
        """Payments of these statuses month by month (how many, in `persons`, and how much):
        what was paid, what failed or came back."""
        return self._month_by_month(PaymentFigure, "payments", months, status__in=statuses)


# What CaseFigure sums, in the order a table of applications shows it.
_FLOW = ("submitted", "decided", "approved", "in_time", "days", "open", "overdue")


@dataclass
class Flow:
    """Applications of a month (or summed over months): see CaseFigure."""

    submitted: int = 0
    decided: int = 0
    approved: int = 0
    in_time: int = 0
    days: int = 0
    open: int = 0
    overdue: int = 0

    @classmethod
    def of(cls, row: dict) -> "Flow":
        return cls(**{k: row.get(k) or 0 for k in _FLOW})

    @property
    def in_time_percent(self):
        return round(100 * self.in_time / self.decided, 1) if self.decided else None

    @property
    def average_days(self):
        return round(self.days / self.decided, 1) if self.decided else None


@dataclass
class Work:
    """Open cases waiting for work now: see WorkloadFigure."""

    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    unassigned: int = 0


class Applications:
    """The applications of one region subtree for one month, of the services the viewer
    works (`services`; `service` chooses one of them), at the confidentiality levels up to
    `max_level`; and the work waiting now, per office and caseworker."""

    def __init__(
        self, region: Region, month: dt.date, services, service="", max_level=0, first=None
    ):
        """`first`: the period's first month, when it is longer than `month` alone (a
        quarter, a year): what came in and was decided is summed over it, what was open is
        the last month's."""
        self.region, self.month, self.max_level = region, month, max_level
        self.first = first or month
        # `services`: {code: the level the viewer may see of it} (service_levels), or codes
        # all seen up to `max_level`.
        levels = services if isinstance(services, dict) else dict.fromkeys(services, max_level)
        self.levels = {service: levels[service]} if service else levels
        self.count = MonthCount.objects.filter(month=month).first()
        self._totals = None
        self._kids = None

    def _rows(self, model, region_code=None, **more):
        # Each service at the level the viewer may see of it.
        by_level: dict[int, list[str]] = {}
        for code, level in self.levels.items():
            by_level.setdefault(level, []).append(code)
        seen = Q(pk__in=[])
        for level, codes in sorted(by_level.items()):
            seen |= Q(level__lte=level, service__in=sorted(codes))
        rows = model.objects.filter(seen, **more)
        if isinstance(region_code, list):
            return rows.filter(region_code__in=region_code)
        return rows.filter(region_code=region_code or self.region.code)

    def _flows(self, rows, column, sums=None) -> dict:
        return {
            r[column]: Flow.of(r) for r in rows.values(column).annotate(**(sums or self._sums()))
        }

    def _period(self) -> dict:
        return {"month__gte": self.first, "month__lte": self.month}

    def _sums(self) -> dict:
        """What comes in and is decided, summed over the period; what is open and overdue,
        at its end."""
        return {
            k: Sum(k) if k not in ("open", "overdue") else Sum(k, filter=Q(month=self.month))
            for k in _FLOW
        }

    def months_counted(self) -> int:
        return MonthCount.objects.filter(**self._period()).count()

    def totals(self) -> Flow:
        if self._totals is None:
            self._totals = Flow.of(
                self._rows(CaseFigure, **self._period()).aggregate(**self._sums())
            )
        return self._totals

    def by(self, column: str, labels: dict) -> list[tuple[str, Flow]]:
        """(label, flow) per service or channel, in `labels`' order."""
        got = self._flows(self._rows(CaseFigure, **self._period()), column)
        return [
            (str(labels.get(k, k)), got[k])
            for k in [*labels, *sorted(set(got) - set(labels))]
            if k in got
        ]

    def _children(self) -> list[Region]:
        if self._kids is None:
            self._kids = list(Region.objects.current().filter(parent=self.region).order_by("code"))
        return self._kids

    def by_region(self) -> list[tuple[Region, Flow | None]]:
        """Each region one level down with its flow (None: nothing recorded there), and the
        region itself for what is recorded at it and not below (a township office's own)."""
        if self.region.level >= Region.Level.VILLAGE:
            return []
        children = self._children()
        got = self._flows(
            self._rows(CaseFigure, [c.code for c in children], **self._period()), "region_code"
        )
        rows = [(c, got.get(c.code, Flow())) for c in children]
        whole = self.totals()
        itself = Flow(
            **{k: getattr(whole, k) - sum(getattr(f, k) for _c, f in rows) for k in _FLOW}
        )
        if any(getattr(itself, k) for k in _FLOW):
            rows.append((None, itself))
        return rows

    def trend(self, months: int = 12) -> list[tuple[dt.date, Flow]]:
        first = add_months(self.month, 1 - months)
        got = self._flows(
            self._rows(CaseFigure, month__gte=first, month__lte=self.month),
            "month",
            {k: Sum(k) for k in _FLOW},  # each month its own
        )
        counted = MonthCount.objects.filter(month__gte=first, month__lte=self.month)
        return [
            (m, got.get(m, Flow()))
            for m in counted.order_by("month").values_list("month", flat=True)
        ]

    # The work waiting now.

    def _work(self, rows, *columns) -> dict:
        return {
            tuple(r[c] for c in columns): Work(r["n"], r["late"], r["soon"], r["waiting"] or 0)
            for r in rows.values(*columns).annotate(
                n=Sum("open"),
                late=Sum("overdue"),
                soon=Sum("due_soon"),
                waiting=Sum("open", filter=Q(assignee__isnull=True)),
            )
        }

    def counted_at(self):
        return WorkloadFigure.objects.order_by().values_list("counted_at", flat=True).first()

    def by_state(self) -> dict:
        """(service, state) → the work waiting in it."""
        return self._work(self._rows(WorkloadFigure, whole=True), "service", "state")

    def by_office(self) -> list[tuple[Office | None, Work]]:
        """The offices of this region and of the regions one level down (the ones a
        supervisor here oversees), each with its waiting work; None: cases no office holds."""
        codes = [self.region.code, *(c.code for c in self._children())]
        got = self._work(self._rows(WorkloadFigure, codes, whole=False), "office")
        offices = Office.objects.in_bulk([k[0] for k in got if k[0] is not None])
        rows = [(offices[k[0]], w) for k, w in got.items() if k[0] is not None]
        rows.sort(key=lambda r: (r[0].level, r[0].region_id, r[0].name))
        if (None,) in got:
            rows.append((None, got[(None,)]))
        return rows

    def by_assignee(self) -> list[tuple[Office, User | None, Work]]:
        """The caseworkers of this region's own offices, each with the open cases assigned
        to them; None: waiting in the office's queue for someone to take them."""
        got = self._work(
            self._rows(WorkloadFigure, whole=False).exclude(office=None), "office", "assignee"
        )
        offices = Office.objects.in_bulk({k[0] for k in got})
        users = User.objects.select_related("person").in_bulk(
            {k[1] for k in got if k[1] is not None}
        )
        rows = [(offices[o], users.get(a), w) for (o, a), w in got.items()]
        rows.sort(key=lambda r: (r[0].name, r[1] is None, r[1].display_name if r[1] else ""))
        return rows


class DomainCounts:
    """A domain's figures (insight.registry) of one region subtree for one month, at the
    confidentiality levels up to `max_level`: per table, key → count (one statement), and
    the first table's total per region one level down (one more)."""

    def __init__(self, domain, region: Region, month: dt.date, max_level: int = 0):
        self.domain, self.region, self.month = domain, region, month
        self.count = MonthCount.objects.filter(month=month).first()
        rows = DomainFigure.objects.filter(
            domain=domain.code, region_code=region.code, month=month, level__lte=max_level
        )
        self.tables: dict[str, dict[str, int]] = {}
        self.amounts: dict[str, dict[str, Decimal | None]] = {}
        for r in rows.values("figure", "key").annotate(total=Sum("n"), money=Sum("amount")):
            self.tables.setdefault(r["figure"], {})[r["key"]] = r["total"]
            self.amounts.setdefault(r["figure"], {})[r["key"]] = r["money"]
        self._max_level = max_level

    def of(self, key: str) -> dict[str, int]:
        return self.tables.get(key, {})

    def by_region(self, figure: str) -> list[tuple[Region | None, int]]:
        if self.region.level >= Region.Level.VILLAGE:
            return []
        children = list(Region.objects.current().filter(parent=self.region).order_by("code"))
        got = dict(
            DomainFigure.objects.filter(
                domain=self.domain.code,
                figure=figure,
                month=self.month,
                level__lte=self._max_level,
                region_code__in=[c.code for c in children],
            )
            .values_list("region_code")
            .annotate(total=Sum("n"))
        )
        rows = [(c, got.get(c.code, 0)) for c in children]
        itself = sum(self.of(figure).values()) - sum(n for _c, n in rows)
        if itself:
            rows.append((None, itself))
        return rows


# The fewest months a forecast is drawn from: with fewer, a line says nothing.
FORECAST_FROM = 3


@dataclass
class Forecast:
    rows: list[Row]
    months: int  # how many counted months the line was fitted to
    people_per_month: float  # the line's slope
    amount_per_month: Decimal


def _line(values: list[float]) -> tuple[float, float]:
    """Least squares through (0, v0), (1, v1), …: (intercept, slope)."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / spread
    return mean_y - slope * mean_x, slope


def forecast_from(trend: list[Row], month: dt.date, ahead: int) -> Forecast | None:
    """A straight line fitted by least squares to the counted months of `trend` up to
    `month` (at least FORECAST_FROM of them, in a row: a gap would bend the line), carried
    `ahead` months on; never below zero. The method is said on the page beside it: it
    follows the recent course and knows nothing of a standard raised or a disaster."""
    rows = [r for r in trend if r.key <= f"{month:%Y-%m}"]
    keys = [f"{add_months(month, -i):%Y-%m}" for i in range(len(rows))][::-1]
    if len(rows) < FORECAST_FROM or [r.key for r in rows] != keys:
        return None
    people = _line([float(r.persons) for r in rows])
    money = _line([float(r.amount) for r in rows])
    n = len(rows)
    out = []
    for step in range(1, ahead + 1):
        x = n - 1 + step
        then = add_months(month, step)
        out.append(
            Row(
                f"{then:%Y-%m}",
                f"{then:%Y-%m}",
                max(0, round(people[0] + people[1] * x)),
                max(Decimal(0), Decimal(str(round(money[0] + money[1] * x, 2)))),
            )
        )
    return Forecast(out, n, round(people[1], 1), Decimal(str(round(money[1], 2))))


# --------------------------------------------------------------------------- scenarios


def may_make_scenarios(user) -> bool:
    return may_see_figures(user, SCENARIO_ROLES)


def may_make_scenario(user, region: Region) -> bool:
    """Whether `user` may make (and read) a scenario of `region`: an approver or a supervisor
    whose area holds it, or the administrator."""
    prefixes = region_prefixes(user, SCENARIO_ROLES)
    return prefixes is None or any(region.prefix.startswith(p) for p in prefixes)


def scenarios_for(user):
    """The scenarios of regions in the user's area (as an approver or a supervisor)."""
    return Scenario.objects.filter(scope_q(user, region_field="region_id", roles=SCENARIO_ROLES))


def access_scenario(user, pk):
    """A scenario of the user's area, or 404 (403 first for anyone who is not an approver or
    a supervisor)."""
    require_role(user, SCENARIO_ROLES)
    return get_or_404(scenarios_for(user).select_related("program", "region", "created_by"), pk)
