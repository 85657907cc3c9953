"""Admin forms: they validate and report field errors; saving goes through `actions`."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.forms import DatePicker
from civilaffairs.people.models import Region

from .conditions import parse_decimal, validate_condition, validate_reason
from .facts import fact_value_errors
from .models import Rule, RuleExample, RuleSet


def _program_of(instance):
    """The program of an inline row's rule set (the inline formset sets `ruleset_id`)."""
    if not instance.ruleset_id:
        return None
    return RuleSet.objects.select_related("program").get(pk=instance.ruleset_id).program


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["order", "name", "condition", "on_fail", "reason", "reason_en"]
        widgets = {
            "condition": forms.Textarea(attrs={"rows": 6, "cols": 80, "class": "vLargeTextField"}),
            "reason": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "reason_en": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def _param_keys(self):
        if not hasattr(self, "_keys"):
            program = _program_of(self.instance)
            self._keys = program.param_keys() if program is not None else None
        return self._keys

    def clean_condition(self):
        condition = self.cleaned_data.get("condition")
        errors = validate_condition(condition, param_keys=self._param_keys())
        if errors:
            raise forms.ValidationError(errors)
        return condition

    def clean_reason(self):
        reason = self.cleaned_data.get("reason", "")
        errors = validate_reason(reason, param_keys=self._param_keys())
        if errors:
            raise forms.ValidationError(errors)
        return reason

    def clean_reason_en(self):
        reason = self.cleaned_data.get("reason_en", "")
        errors = validate_reason(reason, param_keys=self._param_keys())
        if errors:
            raise forms.ValidationError(errors)
        return reason


class RuleExampleForm(forms.ModelForm):
    class Meta:
        model = RuleExample
        fields = ["name", "region", "as_of", "facts", "expected"]
        widgets = {"facts": forms.Textarea(attrs={"rows": 3, "cols": 50})}

    def clean_facts(self):
        facts = self.cleaned_data.get("facts")
        errors = fact_value_errors(facts)
        if errors:
            raise forms.ValidationError(errors)
        return facts


class PreviewForm(forms.Form):
    region = forms.CharField(
        label=_("Region code"),
        max_length=12,
        help_text=_("e.g. 640104 for a county: every household in its subtree is counted."),
    )
    as_of = forms.DateField(label=_("As of"), initial=timezone.localdate, widget=DatePicker())
    overrides = forms.CharField(
        label=_("Parameter overrides"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("What if: one per line as key=value, e.g. dibao_standard=800."),
    )

    def __init__(self, *args, param_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.param_keys = set(param_keys)

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise forms.ValidationError(_("No region has the code %(code)s.") % {"code": code})
        return region

    def clean_overrides(self):
        overrides: dict[str, Decimal] = {}
        errors = []
        for number, line in enumerate(self.cleaned_data.get("overrides", "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            key, sep, raw = (part.strip() for part in line.partition("="))
            value = parse_decimal(raw) if sep else None
            if value is None:
                errors.append(
                    _("Line %(line)s: write key=value with a number, e.g. dibao_standard=800.")
                    % {"line": number}
                )
            elif key not in self.param_keys:
                errors.append(
                    _("Line %(line)s: the rules use no parameter “%(key)s” (they use: %(keys)s).")
                    % {
                        "line": number,
                        "key": key,
                        "keys": ", ".join(sorted(self.param_keys)) or "—",
                    }
                )
            else:
                overrides[key] = value
        if errors:
            raise forms.ValidationError(errors)
        return overrides
