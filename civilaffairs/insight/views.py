"""The benefit figures of a region subtree (/staff/figures/benefits/): who is on a monthly
benefit, by region (drilling down the region tree), program, sex, age band, disability and
hukou type, month by month, and the month's payments; each chart with its table and a CSV
and XLSX download. The figures are read from the counted tables (queries.Figures)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civilaffairs.accounts.access import max_level_for, require_role
from civilaffairs.benefits.models import Payment
from civilaffairs.benefits.registry import all_programs
from civilaffairs.lib.params import get_choice, get_month, get_text, ignored
from civilaffairs.people.models import Household, Person

from . import exports, queries
from .models import AGE_BANDS


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
        "payments": (_("Payments of the month by status"), _("Status")),
        "paid": (_("Paid, month by month"), _("Month")),
        "failed": (_("Failed or returned by the bank, month by month"), _("Month")),
    }


@login_required
@require_GET
def benefits(request):
    require_role(request.user, queries.FIGURE_ROLES)
    tops = queries.top_regions(request.user)
    code = get_text(request, "region", max_length=12)
    region = queries.region_for(request.user, code) if code else (tops[0] if tops else None)
    programs = _labels()["program"]
    program = get_choice(request, "program", list(programs), default="")
    counted = queries.counted_months()
    today = timezone.localdate().replace(day=1)
    month = get_month(request, "month", earliest=dt.date(2000, 1, 1), latest=today)
    if month is None:
        month = next((m for m in counted if m <= today), today)
    context = {
        "tops": tops,
        "region": region,
        "program": program,
        "programs": programs,
        "program_label": programs.get(program, ""),
        "month": month,
        "counted": counted[:36],
    }
    if region is None:
        return render(request, "insight/benefits.html", context)
    figures = queries.Figures(region, month, program, max_level_for(request.user, region.code))
    labels = _labels()
    tables = {
        "region": figures.by_region(),
        "program": figures.by_program(labels["program"]),
        "sex": figures.by("sex", labels["sex"]),
        "age_band": figures.by("age_band", labels["age_band"]),
        "disabled": figures.by("disabled", labels["disabled"]),
        "hukou_type": figures.by("hukou_type", labels["hukou_type"]),
        "trend": figures.trend(),
        "payments": figures.payments(labels["status"]),
        "paid": figures.payments_by_month((Payment.Status.PAID,)),
        "failed": figures.payments_by_month((Payment.Status.FAILED, Payment.Status.RETURNED)),
    }
    download = request.GET.get("download", "")
    if download:
        # CSV unless another format is asked for; a format we do not write is said and
        # the page shown instead.
        fmt = get_choice(
            request, "format", ["csv", "xlsx"], default="" if "format" in request.GET else "csv"
        )
        if fmt and download in tables and figures.count is not None:
            lines = exports.table_rows(
                tables[download],
                first=_titles()[download][1],
                households=download in ("region", "program"),
                money=download in MONEY,
            )
            name = f"benefits-{region.code}-{month:%Y-%m}-{download}"
            return exports.response(lines, name, fmt)
        if download not in tables:
            ignored(request, "download")
    titles = _titles()
    context.update(
        figures=figures,
        totals=figures.totals(),
        ancestors=[
            r for r in region.ancestors() if any(r.prefix.startswith(t.prefix) for t in tops)
        ],
        tables=[
            {
                "key": key,
                "data_id": f"fig-{key}-data",
                "title": titles[key][0],
                "first": titles[key][1],
                "rows": tables[key],
                "households": key in ("region", "program"),
                "money": key in MONEY,
                "chart": {
                    "kind": "line" if key in ("trend", "paid", "failed") else "bar",
                    "labels": [r.label or _("Recorded at this region itself") for r in tables[key]],
                    "values": [r.persons for r in tables[key]],
                    "name": _("Payments") if key in MONEY else _("People"),
                },
            }
            for key in titles
        ],
    )
    return render(request, "insight/benefits.html", context)
