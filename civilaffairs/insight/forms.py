"""The form of a decision-support scenario: what is proposed, where and as of when."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civilaffairs.lib.forms import DatePicker
from civilaffairs.people.models import Region
from civilaffairs.rules.conditions import parse_decimal
from civilaffairs.rules.exceptions import NoRulesInForce
from civilaffairs.rules.models import Program, RuleSet

from . import scenarios
from .queries import may_make_scenario

# How far from today a scenario may be dated.
EARLIEST = dt.date(2000, 1, 1)
YEARS_AHEAD = 5
# A parameter's value has at most this many decimal places (rules.Parameter.value).
PLACES = 4


class RulesetChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(program)s: version %(version)s (draft, from %(date)s)") % {
            "program": obj.program.name,
            "version": obj.version,
            "date": obj.valid_from,
        }


class ScenarioForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=120,
        help_text=gettext_lazy("e.g. “Yinchuan city standard 850 from January”"),
    )
    program = forms.ModelChoiceField(
        label=gettext_lazy("Program"),
        queryset=Program.objects.filter(is_active=True).order_by("code"),
        empty_label=gettext_lazy("Choose a program"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the programs listed.")},
    )
    region = forms.CharField(
        label=gettext_lazy("Region"),
        max_length=120,
        help_text=gettext_lazy(
            "Its code (e.g. 640100) or name: every household in its subtree is counted, by the "
            "regions one level below it."
        ),
        error_messages={"required": gettext_lazy("Give a region: its code or its name.")},
    )
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        initial=timezone.localdate,
        widget=DatePicker(),
        help_text=gettext_lazy("The rules and values in force on this day are “today”."),
    )
    overrides = forms.CharField(
        label=gettext_lazy("Proposed values"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One per line as key=value, e.g. dibao_standard=850. The keys of each program are "
            "listed below."
        ),
    )
    ruleset = RulesetChoice(
        label=gettext_lazy("Draft rule set (optional)"),
        required=False,
        queryset=RuleSet.objects.filter(status=RuleSet.Status.DRAFT).select_related("program"),
        empty_label=gettext_lazy("None: the rules in force"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the drafts listed.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_region(self):
        text = self.cleaned_data["region"].strip()
        found = Region.objects.answering_to(text)
        if not found:
            raise forms.ValidationError(
                _("No region has the code or name “%(text)s”.") % {"text": text}
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several regions are called “%(text)s”: %(regions)s. Give the code.")
                % {"text": text, "regions": ", ".join(f"{r.name} {r.code}" for r in found)}
            )
        region = found[0]
        if not may_make_scenario(self.user, region):
            raise forms.ValidationError(
                _("%(region)s is outside your area: choose a region in it.")
                % {"region": f"{region.name} {region.code}"}
            )
        return region

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        latest = timezone.localdate().replace(year=timezone.localdate().year + YEARS_AHEAD)
        if not EARLIEST <= day <= latest:
            raise forms.ValidationError(
                _("Choose a date from %(first)s to %(last)s.") % {"first": EARLIEST, "last": latest}
            )
        return day

    def clean_overrides(self):
        """The lines as {key: Decimal}; each line that cannot be read is said by its number."""
        values: dict[str, Decimal] = {}
        errors = []
        for number, line in enumerate(self.cleaned_data.get("overrides", "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            key, sep, raw = (part.strip() for part in line.partition("="))
            value = parse_decimal(raw) if sep and key else None
            if value is None:
                errors.append(
                    _("Line %(line)s: write key=value with a number, e.g. dibao_standard=850.")
                    % {"line": number}
                )
            elif value < 0:
                errors.append(
                    _("Line %(line)s: “%(key)s” cannot be negative.") % {"line": number, "key": key}
                )
            elif abs(value) >= Decimal("1e10"):
                errors.append(
                    _("Line %(line)s: “%(key)s” is too large.") % {"line": number, "key": key}
                )
            elif -value.as_tuple().exponent > PLACES:
                errors.append(
                    _("Line %(line)s: “%(key)s” may have at most %(places)s decimal places.")
                    % {"line": number, "key": key, "places": PLACES}
                )
            elif key in values:
                errors.append(
                    _("Line %(line)s: “%(key)s” is given twice.") % {"line": number, "key": key}
                )
            else:
                values[key] = value
        if errors:
            raise forms.ValidationError(errors)
        return values

    def clean(self):
        data = super().clean()
        program, ruleset, as_of = data.get("program"), data.get("ruleset"), data.get("as_of")
        overrides = data.get("overrides")
        if program is None or as_of is None or overrides is None:
            return data
        if ruleset is not None and ruleset.program_id != program.pk:
            self.add_error(
                "ruleset",
                _("This draft belongs to “%(other)s”, not to “%(program)s”.")
                % {"other": ruleset.program.name, "program": program.name},
            )
            return data
        current, _proposed = scenarios.rulesets_of(program, as_of, ruleset)
        if current is None:
            self.add_error(None, str(NoRulesInForce(program, as_of)))
            return data
        if not overrides and ruleset is None:
            self.add_error(
                "overrides", _("Give at least one proposed value, or choose a draft rule set.")
            )
            return data
        keys = scenarios.program_keys(program, as_of, ruleset)
        for error in scenarios.override_errors(program, keys, overrides):
            self.add_error("overrides", error)
        return data


def program_keys_help(as_of=None) -> list[tuple[str, list[str]]]:
    """(program, the keys a proposal may change) for each active program, for the form's
    help."""
    as_of = as_of or timezone.localdate()
    return [
        (p.name, scenarios.program_keys(p, as_of))
        for p in Program.objects.filter(is_active=True).order_by("code")
    ]
