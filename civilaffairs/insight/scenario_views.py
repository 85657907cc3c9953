"""Decision-support scenarios (/staff/figures/scenarios/): the form that makes one (its
results computed once, when it is saved: insight.scenarios), the list (keyset pages), one
scenario, its print version, and two to four side by side. For approvers and supervisors,
each of their own area (queries.scenarios_for: another area's scenario is 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civilaffairs.accounts.access import require_role
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, to_id
from civilaffairs.rules.facts import get_fact
from civilaffairs.rules.registry import scenario_cost_for

from . import queries
from .actions import do_save_scenario
from .forms import ScenarioForm, program_keys_help
from .scenarios import SCENARIO_ROLES, Result
from .views import _labels

COMPARE_MOST = 4


def _reach_tables(result) -> list[tuple[str, str, list]]:
    """(key, title, rows) of who a scenario reaches, by sex, age band and disability."""
    labels = _labels()
    return [
        ("sex", _("By sex"), result.reach_by(2, labels["sex"])),
        ("age_band", _("By age band"), result.reach_by(3, labels["age_band"])),
        ("disabled", _("By disability"), result.reach_by(4, labels["disabled"])),
    ]


def _scenario_context(scenario) -> dict:
    result = Result(scenario.results)
    cost = scenario_cost_for(scenario.program.service_code)
    missing_facts = []
    for name in result.not_in_registry:
        try:
            missing_facts.append(str(get_fact(name).label))
        except KeyError:
            missing_facts.append(name)
    return {
        "scenario": scenario,
        "result": result,
        "reach": _reach_tables(result),
        "cost_note": cost.note if cost is not None and result.costed else "",
        "missing_facts": missing_facts,
        "here": _("Recorded at this region itself"),
    }


@login_required
@require_GET
def scenario_list(request):
    require_role(request.user, SCENARIO_ROLES)
    page = keyset_page(
        queries.scenarios_for(request.user).listed(),
        order=("-created_at", "-id"),
        after=get_cursor(request),
        size=25,
    )
    return render(
        request,
        "insight/scenarios/list.html",
        {"page": page, "page_title": _("Scenarios"), "compare_most": COMPARE_MOST},
    )


@login_required
@require_http_methods(["GET", "POST"])
def scenario_new(request):
    require_role(request.user, SCENARIO_ROLES)
    form = ScenarioForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        saved = {}
        if form.is_valid():
            data = form.cleaned_data

            def save():
                saved["scenario"] = do_save_scenario(
                    acting_user=request.user,
                    title=data["title"],
                    program=data["program"],
                    region=data["region"],
                    as_of=data["as_of"],
                    overrides=data["overrides"],
                    ruleset=data["ruleset"],
                )

            if run_action(request, save, done=_("The scenario was computed and saved."), form=form):
                return redirect("insight:scenario", pk=saved["scenario"].pk)
        status = 400
    return render(
        request,
        "insight/scenarios/new.html",
        {"form": form, "page_title": _("New scenario"), "keys_help": program_keys_help()},
        status=status,
    )


@login_required
@require_GET
def scenario_detail(request, pk):
    scenario = queries.access_scenario(request.user, pk)
    context = _scenario_context(scenario)
    context["page_title"] = scenario.title
    return render(request, "insight/scenarios/detail.html", context)


@login_required
@require_GET
def scenario_print(request, pk):
    scenario = queries.access_scenario(request.user, pk)
    context = _scenario_context(scenario)
    context["page_title"] = scenario.title
    return render(request, "insight/scenarios/print.html", context)


def _compare_ids(request) -> tuple[list[int], list[str]]:
    """The scenario ids of ?ids= (each given once, in order), and what was wrong with the
    rest, as sentences."""
    ids, problems = [], []
    for raw in request.GET.getlist("ids")[:20]:
        number = to_id(raw)
        if number is None:
            problems.append(
                _("“%(value)s” is not a scenario number; it was left out.") % {"value": raw[:20]}
            )
        elif number not in ids:
            ids.append(number)
    return ids, problems


@login_required
@require_GET
def scenario_compare(request):
    require_role(request.user, SCENARIO_ROLES)
    ids, problems = _compare_ids(request)
    if len(ids) > COMPARE_MOST:
        problems.append(
            _("At most %(n)s scenarios can be compared; the first %(n)s are shown.")
            % {"n": COMPARE_MOST}
        )
        ids = ids[:COMPARE_MOST]
    found = {s.pk: s for s in queries.scenarios_for(request.user).listed().filter(pk__in=ids)}
    for pk in ids:
        if pk not in found:
            problems.append(
                _("There is no scenario number %(id)s in your area; it was left out.") % {"id": pk}
            )
    chosen = [_scenario_context(found[pk]) for pk in ids if pk in found]
    if len(chosen) < 2:
        problems.append(_("Choose two to four scenarios to compare, from the list."))
    for problem in problems:
        messages.warning(request, problem)
    return render(
        request,
        "insight/scenarios/compare.html",
        {"chosen": chosen if len(chosen) >= 2 else [], "page_title": _("Scenarios side by side")},
    )
