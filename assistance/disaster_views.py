"""Staff pages of disaster relief (/assistance/staff/disasters/): the events of the viewer's
area, recording one on the region tree, an event's figures per region (affected, vulnerable,
needs from the norms against relief given, drilling down to the village), the vulnerable
households of a village with the relief each was given, and the one-step emergency cases."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from civilaffairs.accounts.access import region_prefixes, require_role
from civilaffairs.casework.registry import get_service
from civilaffairs.lib.confidentiality import Confidentiality
from civilaffairs.lib.feedback import run_action
from civilaffairs.lib.masking import mask_id_number
from civilaffairs.lib.paging import keyset_page
from civilaffairs.lib.params import get_cursor, get_id, get_text
from civilaffairs.people.models import Region

from . import disaster
from .disaster_forms import (
    CorrectReliefForm,
    DisasterEventForm,
    EndEventForm,
    RegionsForm,
    ReliefForm,
)
from .disaster_queries import (
    EMERGENCY_SERVICE,
    RELIEF_ROLES,
    access_affected_household,
    access_event,
    access_place,
    access_relief,
    age_on,
    case_scope,
    clipped,
    declaring_prefixes,
    earlier_events,
    events_for,
    listed_place,
    parts,
    progress,
    viewer_level,
    vulnerable_page,
    without_household,
)
from .models import ReliefItem


def may_record(user) -> bool:
    """Whether the user may record a disaster somewhere (a county's or city's supervisor or
    approver): the list offers the button only to them."""
    prefixes = declaring_prefixes(user)
    return prefixes is None or bool(prefixes)


@login_required
@require_GET
def disaster_list(request):
    require_role(request.user, RELIEF_ROLES)
    page = keyset_page(
        events_for(request.user),
        order=("-started_on", "-pk"),
        after=get_cursor(request),
        size=25,
    )
    return render(
        request,
        "assistance/disaster/list.html",
        {"page": page, "may_record": may_record(request.user)},
    )


def _tree(user, root: Region) -> list[dict]:
    """The region tree under `root` two levels deep (no lower than the village), inside the
    user's area, for the checkboxes of the affected regions."""
    prefixes = declaring_prefixes(user)
    deepest = min(root.level + 2, Region.Level.VILLAGE)
    regions = (
        Region.objects.current()
        .within(root)
        .filter(level__lte=deepest)
        .order_by("code")
        .only("code", "name", "level", "parent_id")
    )
    regions = regions.under_prefixes(prefixes)
    nodes = {r.code: {"region": r, "children": []} for r in regions}
    top = []
    for node in nodes.values():
        parent = nodes.get(node["region"].parent_id)
        (parent["children"] if parent else top).append(node)
    return top


def _roots(user) -> list[Region]:
    """Where the tree may start: the regions of the user's declaring grants."""
    regions = Region.objects.current().order_by("level", "code")
    prefixes = declaring_prefixes(user)
    if prefixes is None:
        return list(regions.filter(level=Region.Level.PROVINCE))
    codes = [p.ljust(6, "0") for p in prefixes]
    return [r for r in regions.filter(code__in=codes) if r.prefix in prefixes]


@dataclass
class Tree:
    """The region tree a recorder ticks: where it starts (?within=, inside the recorder's
    area), the regions above that start, and every region shown."""

    root: Region
    roots: list
    nodes: list
    shown: list
    ancestors: list

    def choices(self):
        return [(r.code, r.name) for r in self.shown]

    def chosen(self, codes) -> list[Region]:
        codes = set(codes)
        return [r for r in self.shown if r.code in codes]


def _region_tree(request) -> Tree:
    roots = _roots(request.user)
    if not roots:
        raise PermissionDenied
    code = get_text(request, "within", max_length=12)
    root = roots[0]
    if code:
        found = Region.objects.current().filter(code=code).first()
        if found is None or not any(found.prefix.startswith(r.prefix) for r in roots):
            messages.error(request, _("That place is not in your area; the tree starts at yours."))
        else:
            root = found
    nodes = _tree(request.user, root)
    shown = []

    def walk(level):
        for node in level:
            shown.append(node["region"])
            walk(node["children"])

    walk(nodes)
    ancestors = [a for a in root.ancestors() if any(a.prefix.startswith(r.prefix) for r in roots)]
    return Tree(root, roots, nodes, shown, ancestors)


@login_required
def disaster_new(request):
    if not may_record(request.user):
        raise PermissionDenied
    tree = _region_tree(request)
    form = DisasterEventForm(
        request.POST if request.method == "POST" else None, region_choices=tree.choices()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        event = None

        def record():
            nonlocal event
            event = disaster.do_record_event(
                acting_user=request.user,
                name=data["name"],
                kind=data["kind"],
                level=data["level"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
                regions=tree.chosen(data["regions"]),
                note=data["note"],
            )

        if run_action(
            request,
            record,
            form=form,
            done=_("The disaster is recorded and the affected people are counted."),
        ):
            return redirect("assistance:disaster", pk=event.pk)
    return render(
        request,
        "assistance/disaster/new.html",
        status=400 if request.method == "POST" else 200,
        context={"form": form, "tree": tree, "ticked": set(form["regions"].value() or [])},
    )


@login_required
def disaster_add_places(request, pk):
    """More places hit by the same disaster, ticked on the tree; those already in it are shown
    ticked and cannot be unticked."""
    event = access_event(request.user, pk)
    if not may_record(request.user):
        raise PermissionDenied
    if event.ended_on is not None:
        messages.error(
            request,
            _("The response to this disaster has ended: record the new damage as a new disaster."),
        )
        return redirect("assistance:disaster", pk=event.pk)
    tree = _region_tree(request)
    have = [link.region.prefix for link in event.regions.all()]
    covered = {r.code for r in tree.shown if any(r.prefix.startswith(h) for h in have)}
    form = RegionsForm(
        request.POST if request.method == "POST" else None, region_choices=tree.choices()
    )

    def add():
        disaster.do_add_regions(
            event, tree.chosen(form.cleaned_data["regions"]), acting_user=request.user
        )

    done = _("The places are added and the affected people are counted again.")
    if (
        request.method == "POST"
        and form.is_valid()
        and run_action(request, add, form=form, done=done)
    ):
        return redirect("assistance:disaster", pk=event.pk)
    return render(
        request,
        "assistance/disaster/add_places.html",
        status=400 if request.method == "POST" else 200,
        context={
            "event": event,
            "form": form,
            "tree": tree,
            "ticked": set(form["regions"].value() or []) | covered,
            "covered": covered,
        },
    )


def _within(request, event, mine) -> Region:
    """The region whose places the page lists: ?region= (meeting the viewer's part of the
    event, else 404); by default the viewer's part when it is one place, else the lowest
    region above all of its places."""
    code = get_text(request, "region", max_length=12)
    if code:
        return access_place(event, request.user, code)
    regions = list(Region.objects.filter(code__in=[p.ljust(6, "0") for p in mine]))
    if len(regions) == 1:
        return regions[0]
    # Compared region by region from the province down (never by cutting codes: a township
    # directly under a prefecture has no county in its chain).
    chains = [[*r.ancestors(), r] for r in regions]
    common = chains[0][0]
    for step in zip(*chains, strict=False):
        if any(r.code != step[0].code for r in step):
            break
        common = step[0]
    return common


ITEM_COLUMNS = list(ReliefItem.choices)


def SEPARATOR():  # noqa: N802 — a constant, in the reader's language
    """Between the names of a list written in a sentence: ", " in English, "、" in Chinese."""
    return pgettext("list separator", ", ")


@login_required
@require_GET
def disaster_detail(request, pk):
    event = access_event(request.user, pk)
    mine = parts(event, request.user)
    within = _within(request, event, mine)
    # A reader whose grant stops below "confidential" is not told of 低保/特困 households or
    # of the emergency cases (progress, earlier_events).
    confidential = viewer_level(request.user, mine) >= Confidentiality.CONFIDENTIAL
    lines, total, found = progress(event, mine, within, confidential=confidential)
    missing = []
    if found.missing:
        names = dict(
            Region.objects.filter(
                code__in={c for codes in found.missing.values() for c in codes}
            ).values_list("code", "name")
        )
        for item, codes in found.missing.items():
            shown = SEPARATOR().join(names.get(c, c) for c in sorted(codes)[:5])
            more = len(codes) - 5
            if more > 0:
                shown = ngettext(
                    "%(places)s and %(n)s more place", "%(places)s and %(n)s more places", more
                ) % {"places": shown, "n": more}
            missing.append(
                {"item": ReliefItem(item).label, "key": event.norm_key(item), "places": shown}
            )
    ancestors = [
        a
        for a in within.ancestors()
        if any(a.prefix.startswith(p) or p.startswith(a.prefix) for p in mine)
        and any(
            a.prefix.startswith(p) for p in (region_prefixes(request.user, RELIEF_ROLES) or [""])
        )
    ]
    chart = {
        "kind": "bar",
        "labels": [line.region.name for line in lines],
        "values": [line.counts["vulnerable"] for line in lines],
        "name": _("Vulnerable people"),
    }
    return render(
        request,
        "assistance/disaster/detail.html",
        {
            "event": event,
            "within": within,
            "ancestors": ancestors,
            "lines": lines,
            "total": total,
            # Each item's label says its unit (a norm's unit is per person).
            "items": [{"code": code, "label": label} for code, label in ITEM_COLUMNS],
            "missing": missing,
            "earlier": earlier_events(event, mine, confidential=confidential),
            "confidential": confidential,
            "chart": chart,
            "may_count": disaster.may_declare(
                request.user, [link.region for link in event.regions.all()]
            ),
            # A county's or city's recorder may add the places of their area the disaster
            # reached since, while its response goes on.
            "may_add": event.ended_on is None and may_record(request.user),
            "regions": SEPARATOR().join(link.region.name for link in event.regions.all()),
            "end_form": EndEventForm(),
        },
    )


@login_required
@require_POST
def disaster_count(request, pk):
    event = access_event(request.user, pk)
    if not disaster.may_declare(
        request.user, [link.region for link in event.regions.select_related("region")]
    ):
        raise PermissionDenied
    run_action(
        request,
        lambda: disaster.do_count_event(event, acting_user=request.user),
        done=_("The affected people are counted again from the register."),
    )
    return redirect("assistance:disaster", pk=event.pk)


FLAG_LABELS = {
    "aged_80": gettext_lazy("aged 80 or over"),
    "alone": gettext_lazy("lives alone"),
    "disabled": gettext_lazy("disability"),
    "child": gettext_lazy("child"),
    "assisted": gettext_lazy("on minimum living allowance or extreme-poverty support"),
}


@login_required
@require_GET
def disaster_place(request, pk, code):
    event = access_event(request.user, pk)
    region = access_place(event, request.user, code)
    # Only the viewer's part of the place (a county's page opened by a township is its
    # township's households).
    prefixes = clipped(parts(event, request.user), region)
    after = get_id(request, "after") or 0
    level = viewer_level(request.user, prefixes)
    households, following = vulnerable_page(event, prefixes, request.user, after=after)
    for line in households:
        for member in line.members:
            # The age, not the date of birth: with the number's first six digits and its
            # check character a date of birth would leave only its sequence to guess.
            member.number = mask_id_number(member.id_number) if member.id_number else ""
            member.age = age_on(member.birth_date, event.started_on)
            member.flag_labels = [str(FLAG_LABELS[f]) for f in member.flags]
    return render(
        request,
        "assistance/disaster/place.html",
        {
            "event": event,
            "region": region,
            "households": households,
            "following": following,
            "without_household": (
                without_household(event, prefixes, case_scope(request.user)) if not after else 0
            ),
            # Households on 低保 or 特困 are marked only for a reader who may see those cases.
            "sees_assisted": level >= Confidentiality.CONFIDENTIAL,
            # Emergency cases are opened a township or a village at a time, by a reader who
            # may read temporary-assistance cases (else the button could only be refused).
            "may_open": region.level >= Region.Level.TOWNSHIP
            and level >= get_service(EMERGENCY_SERVICE).confidentiality,
            "form": ReliefForm(),
        },
    )


def _form_errors(request, form):
    """A small form sent back to the list it sits in: each error said with its field."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(
                request,
                _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error,
            )


def _back(event, code):
    return redirect(reverse("assistance:disaster-place", args=[event.pk, code]))


@login_required
@require_POST
def disaster_give(request, pk, code):
    event = access_event(request.user, pk)
    region = access_place(event, request.user, code)
    form = ReliefForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(event, region.code)
    data = form.cleaned_data
    household, place = access_affected_household(event, request.user, region, data["household"])
    run_action(
        request,
        lambda: disaster.do_give_relief(
            event,
            household,
            place=place,
            acting_user=request.user,
            item=data["item"],
            quantity=data["quantity"],
            given_on=data["given_on"],
            note=data["note"],
        ),
        done=_("The relief is recorded."),
    )
    return _back(event, region.code)


@login_required
@require_POST
def disaster_correct(request, pk, relief_pk):
    event = access_event(request.user, pk)
    relief = access_relief(event, request.user, relief_pk)
    # Only a delivery to a household the reader's list shows (not one listed for its 低保
    # alone, which their grant does not reach).
    if listed_place(event, request.user, relief.household_id, parts(event, request.user)) is None:
        raise Http404
    form = CorrectReliefForm(request.POST)
    if form.is_valid():
        run_action(
            request,
            lambda: disaster.do_correct_relief(
                relief,
                acting_user=request.user,
                quantity=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
            ),
            done=_("The quantity is corrected; the earlier one stays in the history."),
        )
    else:
        _form_errors(request, form)
    return _back(event, relief.region_id)


@login_required
@require_POST
def disaster_open_cases(request, pk, code):
    event = access_event(request.user, pk)
    region = access_place(event, request.user, code)
    result = {}

    def open_cases():
        result["counts"] = disaster.do_open_emergency_cases(event, region, acting_user=request.user)

    if run_action(request, open_cases):
        opened, already, left = result["counts"]
        messages.success(
            request,
            ngettext(
                "%(opened)s emergency case opened and sent to the township's queue.",
                "%(opened)s emergency cases opened and sent to the township's queue.",
                opened,
            )
            % {"opened": opened},
        )
        if already:
            messages.info(
                request,
                ngettext(
                    "%(already)s household already had one.",
                    "%(already)s households already had one.",
                    already,
                )
                % {"already": already},
            )
        if left:
            messages.warning(
                request,
                ngettext(
                    "%(left)s household is still to open: press the button again.",
                    "%(left)s households are still to open: press the button again.",
                    left,
                )
                % {"left": left},
            )
    return _back(event, region.code)


@login_required
@require_POST
def disaster_end(request, pk):
    event = access_event(request.user, pk)
    if not disaster.may_declare(request.user, [link.region for link in event.regions.all()]):
        raise PermissionDenied
    form = EndEventForm(request.POST)
    if form.is_valid():
        run_action(
            request,
            lambda: disaster.do_end_event(
                event, acting_user=request.user, ended_on=form.cleaned_data["ended_on"]
            ),
            done=_("The response is recorded as ended."),
        )
    else:
        _form_errors(request, form)
    return redirect("assistance:disaster", pk=event.pk)
