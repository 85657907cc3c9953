"""The benefit figures of a region subtree (/staff/figures/benefits/): who is on a monthly
benefit, by region (drilling down the region tree), program, sex, age band, disability and
hukou type, month by month, and the month's payments; each chart with its table and a CSV
and XLSX download. The figures are read from the counted tables (queries.Figures)."""

import datetime as dt
import hashlib
import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civilaffairs.accounts.access import max_level_for, require_role
from civilaffairs.benefits.models import Payment
from civilaffairs.benefits.registry import all_programs
from civilaffairs.casework.models import Case
from civilaffairs.casework.registry import service_choices
from civilaffairs.casework.workflow import workflow_for
from civilaffairs.lib.params import get_choice, get_month, get_text, ignored
from civilaffairs.people.models import Household, Person

from . import exports, queries
from .models import AGE_BANDS
from .registry import get_figures
from .tables import AMOUNT, DAYS, PERCENT, Column, Line, Table


def _labels():
    return {
        "sex": dict(Person.Sex.choices),
        "age_band": {code: label for code, label, _lo, _hi in AGE_BANDS},
        "disabled": {True: _("With a disability"), False: _("Without a disability")},
        "hukou_type": {**dict(Household.HukouType.choices), "": _("Not recorded")},
        "program": {p.code: p.label for p in all_programs()},
        "status": dict(Payment.Status.choices),
    }


# The tables that count payments (how many, how much), not people.
MONEY = ("payments", "paid", "failed")


def _titles():
    """The page's tables, in order: (title, what the first column holds)."""
    return {
        "region": (_("By region"), _("Region")),
        "program": (_("By program"), _("Program")),
        "sex": (_("By sex"), _("Sex")),
        "age_band": (_("By age band"), _("Age band")),
        "disabled": (_("By disability"), _("Disability")),
        "hukou_type": (_("By hukou type"), _("Hukou type")),
        "trend": (_("Month by month"), _("Month")),
        "forecast": (_("Forecast of the next three months"), _("Month")),
        "payments": (_("Payments of the month by status"), _("Status")),
        "paid": (_("Paid, month by month"), _("Month")),
        "failed": (_("Failed or returned by the bank, month by month"), _("Month")),
    }


def _frame(request, roles) -> dict:
    """What every dashboard page starts from: the viewer's areas, the region asked for (404
    outside them; their first area when none is asked), the month asked for (the latest
    counted when none is; a bad one is said and ignored) and the months counted."""
    tops = queries.top_regions(request.user, roles)
    code = get_text(request, "region", max_length=12)
    region = queries.region_for(request.user, code, roles) if code else (tops[0] if tops else None)
    counted = queries.counted_months()
    today = timezone.localdate().replace(day=1)
    month = get_month(request, "month", earliest=dt.date(2000, 1, 1), latest=today)
    if month is None:
        month = next((m for m in counted if m <= today), today)
    ancestors = []
    if region is not None:
        ancestors = [
            r for r in region.ancestors() if any(r.prefix.startswith(t.prefix) for t in tops)
        ]
    return {
        "tops": tops,
        "region": region,
        "month": month,
        "counted": counted[:36],
        "ancestors": ancestors,
    }


def _kept(request, page: str, region, month, viewer, build) -> dict:
    """A figures page's figures, built once per count and kept in the cache: they are read
    from the counted tables only, so they change when a month is counted (again), which is
    in the key (queries.counted_version), with everything else they vary with: the page, the
    region, the month, the filters, the language and what the viewer may see of it (`viewer`:
    their confidentiality level, or each service's). Downloads read the same."""
    params = sorted((k, v) for k, v in request.GET.items() if k not in ("download", "format"))
    raw = json.dumps(
        [page, region.code, month.isoformat(), params, get_language(), viewer],
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(f"{raw}|{queries.counted_version()}".encode()).hexdigest()
    key = f"insight:page:{digest}"
    kept = cache.get(key)
    if kept is None:
        kept = build()
        cache.set(key, kept, settings.FIGURES_PAGE_SECONDS)
    return kept


def _download(request, tables: list[Table], name: str, counted: bool):
    """The table asked for by ?download= as a file (CSV unless ?format= asks for XLSX), or
    None: a table or format we do not have is said and the page shown instead."""
    download = request.GET.get("download", "")
    if not download:
        return None
    fmt = get_choice(
        request, "format", ["csv", "xlsx"], default="" if "format" in request.GET else "csv"
    )
    chosen = next((t for t in tables if t.key == download), None)
    if chosen is None:
        ignored(request, "download")
    elif fmt and counted:
        return exports.response(exports.table_lines(chosen), f"{name}-{download}", fmt)
    return None


def _forecast_note():
    return _(
        "A straight line fitted by least squares to the months counted up to this one (at "
        "least three in a row), carried three months on. It follows the recent course only: "
        "a standard raised, a new program or a disaster are not in it. A guide, not a budget."
    )


def _benefit_table(key, title, first, rows: list[queries.Row], here) -> Table:
    """One of the benefit page's cuts as a dashboard table: people (or payments), the
    households where the cut counts them, and the amounts."""
    money = key in MONEY
    households = key in ("region", "program")
    columns = [Column(_("Payments") if money else _("People"))]
    if households:
        columns.append(Column(_("Households")))
    columns.append(Column(_("Amount (yuan)") if money else _("Monthly amount (yuan)"), AMOUNT))
    return Table(
        key,
        title,
        first,
        columns,
        [
            Line(
                r.label or here,
                [r.persons, *([r.households] if households else []), r.amount],
                link=r.link or "",
            )
            for r in rows
        ],
        chart="line" if key in ("trend", "forecast", "paid", "failed") else "bar",
        note=_forecast_note() if key == "forecast" else "",
        empty=_("Fewer than three months in a row have been counted: there is no forecast yet.")
        if key == "forecast"
        else "",
    )


@login_required
@require_GET
def benefits(request):
    require_role(request.user, queries.FIGURE_ROLES)
    context = _frame(request, queries.FIGURE_ROLES)
    region, month = context["region"], context["month"]
    programs = _labels()["program"]
    program = get_choice(request, "program", list(programs), default="")
    context.update(
        page_title=_("Figures: benefits"),
        program=program,
        programs=programs,
        program_label=programs.get(program, ""),
        query=urlencode({"month": f"{month:%Y-%m}", "program": program}),
    )
    if region is None:
        return render(request, "insight/benefits.html", context)
    level = max_level_for(request.user, region.code, queries.FIGURE_ROLES)
    kept = _kept(
        request,
        "benefits",
        region,
        month,
        level,
        lambda: _benefit_figures(region, month, program, level),
    )
    name = f"benefits-{region.code}-{month:%Y-%m}"
    reply = _download(request, kept["tables"], name, kept["count"] is not None)
    if reply is not None:
        return reply
    context.update(kept)
    return render(request, "insight/benefits.html", context)


def _benefit_figures(region, month, program, level) -> dict:
    figures = queries.Figures(region, month, program, level)
    labels = _labels()
    forecast = figures.forecast()
    rows_of = {
        "region": figures.by_region(),
        "program": figures.by_program(labels["program"]),
        "sex": figures.by("sex", labels["sex"]),
        "age_band": figures.by("age_band", labels["age_band"]),
        "disabled": figures.by("disabled", labels["disabled"]),
        "hukou_type": figures.by("hukou_type", labels["hukou_type"]),
        "trend": figures.trend(),
        "forecast": forecast.rows if forecast else [],
        "payments": figures.payments(labels["status"]),
        "paid": figures.payments_by_month((Payment.Status.PAID,)),
        "failed": figures.payments_by_month((Payment.Status.FAILED, Payment.Status.RETURNED)),
    }
    titles = _titles()
    here = _("Recorded at this region itself")
    tables = [_benefit_table(key, *titles[key], rows, here) for key, rows in rows_of.items()]
    return {"count": figures.count, "totals": figures.totals(), "tables": tables}


def _flow_columns() -> list[Column]:
    return [
        Column(_("Submitted")),
        Column(_("Decided")),
        Column(_("Approved")),
        Column(_("Decided in time (%)"), PERCENT),
        Column(_("Average days to decide"), DAYS),
        Column(_("Open at the month's end")),
        Column(_("Overdue at the month's end")),
    ]


def _work_columns() -> list[Column]:
    return [
        Column(_("Open")),
        Column(_("Overdue")),
        Column(_("Due within 3 days")),
        Column(_("Not yet taken")),
    ]


def _flow(flow: queries.Flow) -> list:
    return [
        flow.submitted,
        flow.decided,
        flow.approved,
        flow.in_time_percent,
        flow.average_days,
        flow.open,
        flow.overdue,
    ]


def _work(work: queries.Work) -> list:
    return [work.open, work.overdue, work.due_soon, work.unassigned]


def application_tables(figures: queries.Applications) -> list[Table]:
    """The applications page's tables, in order."""
    services = dict(service_choices())
    channels = dict(Case.Channel.choices)
    here = _("Recorded at this region itself")
    states = figures.by_state()
    return [
        Table(
            "service",
            _("By service"),
            _("Service"),
            _flow_columns(),
            [Line(label, _flow(f)) for label, f in figures.by("service", services)],
        ),
        Table(
            "region",
            _("By region"),
            _("Region"),
            _flow_columns(),
            [
                Line(r.name if r else here, _flow(f), link=r.code if r else "")
                for r, f in figures.by_region()
            ],
        ),
        Table(
            "channel",
            _("By channel"),
            _("Channel"),
            _flow_columns(),
            [Line(label, _flow(f)) for label, f in figures.by("channel", channels)],
        ),
        Table(
            "trend",
            _("Month by month"),
            _("Month"),
            _flow_columns(),
            [Line(f"{m:%Y-%m}", _flow(f)) for m, f in figures.trend()],
            chart="line",
        ),
        Table(
            "state",
            _("Waiting now, by state"),
            _("Service and state"),
            _work_columns(),
            [
                Line(
                    _("%(service)s: %(state)s")
                    % {
                        "service": services.get(svc, svc),
                        "state": workflow_for(svc).state_label(state) if svc in services else state,
                    },
                    _work(w),
                )
                for (svc, state), w in sorted(states.items())
            ],
            note=_("The cases open and waiting for work, as they stood when counted."),
        ),
        Table(
            "office",
            _("Waiting now, by office"),
            _("Office"),
            _work_columns(),
            [
                Line(o.name if o else _("Not yet at an office"), _work(w))
                for o, w in figures.by_office()
            ],
            # The staff's workload is written whole; of one service, it counts its applicants.
            suppress=len(figures.levels) == 1,
            note=_("This region's offices and those of the regions one level down."),
        ),
        Table(
            "caseworker",
            _("Waiting now, by caseworker"),
            _("Caseworker"),
            _work_columns(),
            [
                Line(
                    _("%(office)s: %(name)s")
                    % {
                        "office": o.name,
                        "name": u.display_name if u else _("in the office's queue"),
                    },
                    _work(w),
                )
                for o, u, w in figures.by_assignee()
            ],
            # The staff's workload is written whole; of one service, it counts its applicants.
            suppress=len(figures.levels) == 1,
            note=_("The caseworkers of this region's own offices."),
        ),
    ]


def _periods() -> dict:
    return {
        "month": _("The month"),
        "quarter": _("The quarter to this month"),
        "year": _("The year to this month"),
    }


def _period_start(month: dt.date, period: str) -> dt.date:
    if period == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    if period == "year":
        return month.replace(month=1)
    return month


def _months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


@login_required
@require_GET
def applications(request):
    roles = queries.application_roles()
    require_role(request.user, roles)
    context = _frame(request, roles)
    context["page_title"] = _("Figures: applications")
    region, month = context["region"], context["month"]
    if region is None:
        return render(request, "insight/applications.html", context)
    visible = queries.service_levels(request.user, region)
    labels = dict(service_choices())
    choices = {code: labels.get(code, code) for code in visible}
    service = get_choice(request, "service", list(choices), default="")
    periods = _periods()
    period = get_choice(request, "period", list(periods), default="month")
    first = _period_start(month, period)

    def build():
        figures = queries.Applications(region, month, visible, service, first=first)
        totals = _flow(figures.totals())
        return {
            "count": figures.count,
            "totals": list(zip(_flow_columns(), totals, strict=True)),
            "empty": not any(totals),
            "tables": application_tables(figures),
            "workload_at": figures.counted_at(),
            "months_counted": figures.months_counted(),
        }

    kept = _kept(request, "applications", region, month, visible, build)
    name = f"applications-{region.code}-{month:%Y-%m}"
    reply = _download(request, kept["tables"], name, kept["count"] is not None)
    if reply is not None:
        return reply
    context.update(
        kept,
        service=service,
        services=choices,
        query=urlencode({"month": f"{month:%Y-%m}", "service": service, "period": period}),
        period=period,
        periods=periods,
        period_months=_months_between(first, month),
    )
    return render(request, "insight/applications.html", context)


def domain_tables(domain, counts: queries.DomainCounts) -> list[Table]:
    """A domain's tables: each registered table's keys in its labels' order (a key the labels
    do not name is shown as it is), then the first table's total by region."""
    tables = []
    for ft in domain.tables:
        got = dict(counts.of(ft.key))
        labels = ft.labels()
        order = [k for k in labels if k in got] + sorted(set(got) - set(labels))
        money = counts.amounts.get(ft.key, {})
        columns = [Column(str(ft.column))]
        if ft.amount:
            columns.append(Column(str(ft.amount), AMOUNT))
        tables.append(
            Table(
                ft.key,
                str(ft.title),
                str(ft.first),
                columns,
                [
                    Line(str(labels.get(k, k)), [got[k], *([money.get(k)] if ft.amount else [])])
                    for k in order
                ],
                chart=ft.chart,
                suppress=ft.people,
                note=str(ft.note),
            )
        )
    if domain.tables:
        first = domain.tables[0]
        here = _("Recorded at this region itself")
        tables.append(
            Table(
                "region",
                _("%(table)s: by region") % {"table": first.title},
                _("Region"),
                [Column(str(first.column))],
                [
                    Line(r.name if r else here, [n], link=r.code if r else "")
                    for r, n in counts.by_region(first.key)
                ],
                suppress=first.people,
            )
        )
    return tables


@login_required
@require_GET
def domain(request, code):
    figures = get_figures(code)
    if figures is None:
        raise Http404
    require_role(request.user, figures.roles)
    context = _frame(request, figures.roles)
    region, month = context["region"], context["month"]
    context.update(
        domain=figures, page_title=figures.label, query=urlencode({"month": f"{month:%Y-%m}"})
    )
    if region is None:
        return render(request, "insight/domain.html", context)
    level = max_level_for(request.user, region.code, figures.roles)

    def build():
        counts = queries.DomainCounts(figures, region, month, level)
        return {
            "count": counts.count,
            "tables": domain_tables(figures, counts),
            "empty": not any(counts.tables.values()),
        }

    kept = _kept(request, f"domain:{code}", region, month, level, build)
    reply = _download(
        request, kept["tables"], f"{code}-{region.code}-{month:%Y-%m}", kept["count"] is not None
    )
    if reply is not None:
        return reply
    context.update(kept)
    return render(request, "insight/domain.html", context)
