"""Administration of programs, parameters and rule sets.

Every change goes through `actions`: adding a parameter is `do_set_parameter`, saving a rule is
`do_add_rule` / `do_update_rule`, and so on. Active and retired rule sets are shown read-only.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.admin import SimpleHistoryAdmin
from civilaffairs.lib.masking import mask_name
from civilaffairs.people.models import Region

from . import actions
from .engine import FAIL, PASS, UNKNOWN, compare, display
from .exceptions import RulesError
from .facts import get_fact
from .forms import PreviewForm, RuleExampleForm, RuleForm
from .models import Parameter, Program, Rule, RuleExample, RuleSet
from .registry import recompute_for, recomputes

# A report lists this many changed cases; the counts and the sum cover them all, and each
# change is on its case's timeline.
RECOMPUTE_ROWS_SHOWN = 200


def _adopt(obj, created):
    """Give the admin's unsaved instance the identity of the row an action created, so the
    admin's log entry and redirect point to it."""
    obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
    obj._state.adding = False
    obj._state.db = created._state.db


def _report(request, exc: ValidationError, prefix=""):
    for message in exc.messages:
        messages.error(request, f"{prefix}{message}")


# --------------------------------------------------------------------------- programs


class ParameterInline(admin.TabularInline):
    model = Parameter
    extra = 0
    fields = ["key", "label", "region", "value", "unit", "valid_from", "valid_to"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["key", "region", "-valid_from"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RuleSetListInline(admin.TabularInline):
    model = RuleSet
    extra = 0
    fields = ["version", "status", "valid_from", "activated_at", "activated_by"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    verbose_name_plural = _("versions")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "service_code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "service_code"]
    fields = ["code", "name", "service_code", "description", "is_active"]
    inlines = [ParameterInline, RuleSetListInline]

    def get_readonly_fields(self, request, obj=None):
        # Rule sets, parameters and stored screenings refer to the code.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            data = {f: form.cleaned_data[f] for f in self.fields}
            _adopt(obj, actions.do_create_program(acting_user=request.user, **data))
            return
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in self.fields}
        if changes:
            actions.do_update_program(obj, acting_user=request.user, **changes)


# --------------------------------------------------------------------------- parameters


class ParameterKeyFilter(admin.SimpleListFilter):
    title = _("key")
    parameter_name = "key"

    def lookups(self, request, model_admin):
        keys = Parameter.objects.order_by("key").values_list("key", flat=True).distinct()
        return [(k, k) for k in keys]

    def queryset(self, request, queryset):
        return queryset.filter(key=self.value()) if self.value() else queryset


class RegionLevelFilter(admin.SimpleListFilter):
    title = _("region level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return Region.Level.choices

    def queryset(self, request, queryset):
        # Only a level of the list: the value comes from the address ('²' is no level).
        levels = {str(level): level for level, _label in Region.Level.choices}
        level = levels.get(self.value())
        return queryset.filter(region__level=level) if level is not None else queryset


@admin.register(Parameter)
class ParameterAdmin(SimpleHistoryAdmin):
    list_display = [
        "key",
        "label",
        "program",
        "region_code",
        "region",
        "region_level",
        "value",
        "unit",
        "valid_from",
        "valid_to",
    ]
    list_filter = [ParameterKeyFilter, RegionLevelFilter, "program"]
    list_select_related = ["program", "region"]
    search_fields = ["key", "label"]
    raw_id_fields = ["region"]
    fields = [
        "program",
        "key",
        "label",
        "unit",
        "region",
        "value",
        "valid_from",
        "valid_to",
        "note",
    ]
    show_full_result_count = False
    actions = ["recompute_amounts"]

    @admin.action(
        description=_("Recompute the approved amounts under these values"),
        permissions=["change"],
    )
    def recompute_amounts(self, request, queryset):
        """After a standard changed: what each affected program's approved amounts become in
        the parameters' regions, shown first as a report; applied when confirmed (every change
        saved with history, told on its case and put on the ledger from next month)."""
        apply = request.POST.get("apply") == "yes"
        names = dict(Program.objects.values_list("service_code", "name"))
        targets = set()
        for p in queryset.select_related("program"):
            prefix = Region.prefix_of(p.region_id)
            # A parameter of no program (the 低保 standard) is read by every program's rules.
            codes = [p.program.service_code] if p.program_id else sorted(recomputes())
            targets.update((code, prefix) for code in codes)
        reports, skipped = [], []
        for service_code, prefix in sorted(targets):
            program_name = names.get(service_code, service_code)
            fn = recompute_for(service_code)
            if fn is None:
                skipped.append(program_name)
                continue
            report = fn(acting_user=request.user, region_prefix=prefix, apply=apply)
            reports.append({"program": program_name, "prefix": prefix, "report": report})
        if apply:
            changed = sum(len(r["report"].rows) for r in reports)
            self.message_user(
                request,
                gettext("Amounts recomputed: %(n)s changed; each case tells its household.")
                % {"n": changed},
                messages.SUCCESS,
            )
        return TemplateResponse(
            request,
            "rules/recompute_report.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Recompute the approved amounts"),
                "reports": reports,
                "skipped": skipped,
                "applied": apply,
                "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "shown": RECOMPUTE_ROWS_SHOWN,
                "shown_slice": f":{RECOMPUTE_ROWS_SHOWN}",
            },
        )

    @admin.display(description=_("region code"), ordering="region")
    def region_code(self, obj):
        return obj.region_id

    @admin.display(description=_("region level"))
    def region_level(self, obj):
        return obj.region.get_level_display()

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            # A region code, in full or in part, finds values set in its subtree.
            return queryset.filter(region__startswith=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A value that was in force stays as it was; a new value is a new row.
        return ["program", "key", "label", "unit", "region", "value", "valid_from"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = actions.do_set_parameter(
                acting_user=request.user,
                program=data.get("program"),
                key=data["key"],
                label=data.get("label", ""),
                unit=data.get("unit", ""),
                region=data["region"],
                value=data["value"],
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                note=data.get("note", ""),
            )
            _adopt(obj, created)
        elif form.changed_data:
            actions.do_end_parameter(
                obj, acting_user=request.user, valid_to=data.get("valid_to"), note=data.get("note")
            )


# --------------------------------------------------------------------------- rule sets


class _DraftOnlyInline:
    """Inline rows change only while the rule set is a draft; otherwise they are shown."""

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_editable and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.is_editable and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.is_editable and super().has_delete_permission(request, obj)


class RuleInline(_DraftOnlyInline, admin.StackedInline):
    model = Rule
    form = RuleForm
    extra = 0
    fields = ["order", "name", "condition", "on_fail", "reason", "reason_en"]


class RuleExampleInline(_DraftOnlyInline, admin.TabularInline):
    model = RuleExample
    form = RuleExampleForm
    extra = 0
    fields = ["name", "region", "as_of", "facts", "expected"]
    raw_id_fields = ["region"]


@admin.register(RuleSet)
class RuleSetAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "program", "version", "status", "valid_from", "activated_at"]
    list_filter = ["status", "program"]
    list_select_related = ["program"]
    search_fields = ["program__code", "program__name", "note"]
    actions = ["copy_as_draft", "activate"]
    change_form_template = "rules/ruleset_change_form.html"
    inlines = [RuleInline, RuleExampleInline]
    ADD_FIELDS = ["program", "valid_from", "note"]
    CHANGE_FIELDS = [
        "program",
        "version",
        "status",
        "valid_from",
        "note",
        "copied_from",
        "created_by",
        "created_at",
        "activated_by",
        "activated_at",
        "retired_at",
    ]

    def get_fields(self, request, obj=None):
        return self.CHANGE_FIELDS if obj is not None else self.ADD_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_editable:
            return [f for f in self.CHANGE_FIELDS if f not in ("valid_from", "note")]
        return self.CHANGE_FIELDS

    def get_inlines(self, request, obj):
        # Rules check their parameters against the program, so they come after the draft.
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Drafts only, one at a time: versions that were in force are history.
        return obj is not None and obj.is_editable and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        actions.do_discard_ruleset(obj, acting_user=request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = actions.do_create_ruleset(
                data["program"],
                acting_user=request.user,
                valid_from=data["valid_from"],
                note=data.get("note", ""),
            )
            _adopt(obj, created)
        elif obj.is_editable and form.changed_data:
            actions.do_update_ruleset(
                obj, acting_user=request.user, valid_from=data["valid_from"], note=data["note"]
            )

    def save_formset(self, request, form, formset, change):
        ruleset = form.instance
        # Always: the admin's change message reads new_objects & co., which only save() sets.
        # Rows of a rule set that is no longer a draft are read-only, so nothing is returned.
        formset.save(commit=False)
        if not ruleset.is_editable:
            return
        is_rule = formset.model is Rule
        for obj in formset.deleted_objects:
            (actions.do_delete_rule if is_rule else actions.do_delete_example)(
                obj, acting_user=request.user
            )
        editable = RuleForm.Meta.fields if is_rule else RuleExampleForm.Meta.fields
        for obj in formset.new_objects:
            data = {f: getattr(obj, f) for f in editable}
            if is_rule:
                created = actions.do_add_rule(ruleset, acting_user=request.user, **data)
            else:
                created = actions.do_add_example(ruleset, acting_user=request.user, **data)
            obj.pk = created.pk
        for obj, changed in formset.changed_objects:
            data = {f: getattr(obj, f) for f in changed if f in editable}
            if is_rule:
                actions.do_update_rule(obj, acting_user=request.user, **data)
            else:
                actions.do_update_example(obj, acting_user=request.user, **data)

    # ----------------------------------------------------------------------- admin actions

    @admin.action(description=_("Copy as a new draft"), permissions=["add"])
    def copy_as_draft(self, request, queryset):
        for ruleset in queryset.select_related("program"):
            copy = actions.do_copy_ruleset(ruleset, acting_user=request.user)
            messages.success(
                request,
                gettext("%(source)s copied as draft %(copy)s.") % {"source": ruleset, "copy": copy},
            )

    @admin.action(description=_("Activate"), permissions=["change"])
    def activate(self, request, queryset):
        for ruleset in queryset.select_related("program"):
            self._activate(request, ruleset)

    def _activate(self, request, ruleset) -> bool:
        try:
            actions.do_activate_ruleset(ruleset, acting_user=request.user)
        except ValidationError as exc:
            _report(request, exc, prefix=f"{ruleset}: ")
            return False
        messages.success(request, gettext("%(ruleset)s is now active.") % {"ruleset": ruleset})
        return True

    # ----------------------------------------------------------------------- extra views

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name=f"{prefix}_preview",
            ),
            path(
                "<path:object_id>/activate/",
                wrap(self.activate_view),
                name=f"{prefix}_activate",
            ),
            path(
                "<path:object_id>/copy/",
                wrap(self.copy_view),
                name=f"{prefix}_copy",
            ),
        ] + super().get_urls()

    def _get(self, request, object_id) -> RuleSet:
        ruleset = self.get_object(request, object_id)
        if ruleset is None:
            raise Http404
        return ruleset

    def _change_url(self, ruleset):
        return reverse("admin:rules_ruleset_change", args=[ruleset.pk])

    def activate_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ruleset = self._get(request, object_id)
        if not self.has_change_permission(request, ruleset):
            raise PermissionDenied
        self._activate(request, ruleset)
        return HttpResponseRedirect(self._change_url(ruleset))

    def copy_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        ruleset = self._get(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        copy = actions.do_copy_ruleset(ruleset, acting_user=request.user)
        messages.success(
            request,
            gettext("%(source)s copied as draft %(copy)s.") % {"source": ruleset, "copy": copy},
        )
        return HttpResponseRedirect(self._change_url(copy))

    def preview_view(self, request, object_id):
        """How many households in a region would pass this version, and twenty of them, with
        "what if" parameter values. A GET form: previewing changes nothing."""
        ruleset = self._get(request, object_id)
        if not self.has_view_permission(request, ruleset):
            raise PermissionDenied
        rules = list(ruleset.rules.all())
        fact_names = sorted(set().union(*(r.used_facts() for r in rules))) if rules else []
        param_keys = sorted(set().union(*(r.used_params() for r in rules))) if rules else []
        form = PreviewForm(request.GET or None, param_keys=param_keys)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Preview of %(ruleset)s") % {"ruleset": ruleset},
            "ruleset": ruleset,
            "form": form,
            "rules": rules,
            "fact_columns": [_fact_title(n) for n in fact_names],
        }
        if form.is_valid():
            region = form.cleaned_data["region"]
            as_of = form.cleaned_data["as_of"]
            overrides = form.cleaned_data["overrides"]
            try:
                comparison = compare(
                    ruleset.program, region, as_of, overrides=overrides, ruleset=ruleset
                )
            except RulesError as exc:
                context["error"] = str(exc)
            else:
                # The values at the region itself; places below it may set their own, which
                # the counts already take into account.
                local = Parameter.objects.for_program(ruleset.program).resolve(
                    param_keys, region.code, as_of
                )
                outcomes = [
                    (PASS, gettext("Qualify")),
                    (FAIL, gettext("Do not qualify")),
                    (UNKNOWN, gettext("Unknown: facts missing")),
                ]
                now_total = comparison.count(now=PASS)
                then_total = comparison.count(then=PASS)
                context.update(
                    region=region,
                    as_of=as_of,
                    comparison=comparison,
                    now_total=now_total,
                    then_total=then_total,
                    difference=then_total - now_total,
                    matrix=[
                        {
                            "code": a,
                            "label": label,
                            "cells": [(b, comparison.count(now=a, then=b)) for b, _l in outcomes],
                            "total": comparison.count(now=a),
                        }
                        for a, label in outcomes
                    ],
                    column_labels=[label for _o, label in outcomes],
                    column_totals=[(b, comparison.count(then=b)) for b, _l in outcomes],
                    unknown_facts=[
                        (_fact_title(n), count)
                        for n, count in sorted(comparison.unknown_by_fact.items())
                    ],
                    not_in_registry=[_fact_title(n) for n in comparison.not_in_registry],
                    samples=[
                        (
                            gettext("Some households that would join"),
                            [_preview_row(h, fact_names) for h in comparison.joining],
                            "preview-joining",
                        ),
                        (
                            gettext("Some households that would leave"),
                            [_preview_row(h, fact_names) for h in comparison.leaving],
                            "preview-leaving",
                        ),
                        (
                            gettext("Some households that would qualify with this version"),
                            [_preview_row(h, fact_names) for h in comparison.qualifying],
                            "preview-sample",
                        ),
                    ],
                    parameters=[
                        _parameter_row(key, local.get(key), overrides) for key in param_keys
                    ],
                    result=True,
                )
        return TemplateResponse(request, "rules/ruleset_preview.html", context)


def _fact_title(name: str) -> str:
    try:
        fact = get_fact(name)
    except KeyError:
        return name
    return f"{fact.label} ({fact.unit})" if fact.unit else str(fact.label)


def _preview_row(household, fact_names) -> dict:
    return {
        "id": household.pk,
        # Names are masked as on a public notice: the preview is about numbers, not people.
        "head": mask_name(household.head.name) if household.head else "—",
        "region": household.region.name,
        "region_code": household.region_id,
        "facts": [display(household.rule_facts.get(n)) for n in fact_names],
    }


def _parameter_row(key, row, overrides) -> dict:
    if key in overrides:
        return {"key": key, "value": display(overrides[key]), "overridden": True, "source": ""}
    return {
        "key": key,
        "label": row.label if row else "",
        "value": display(row.value) if row else "—",
        "overridden": False,
        "source": row.region_id if row else "",
    }
