import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.forms import IdNumberField

from .models import (
    Area,
    Category,
    ChildProfile,
    Guardian,
    IntakeReport,
    Need,
    ParentCircumstance,
    Score,
    SupportItem,
    Visit,
)

DATE = {"type": "date"}


def date_input():
    # ISO whatever the language: a type="date" input only accepts yyyy-mm-dd.
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


def _date_field(label, **kwargs):
    return forms.DateField(label=label, widget=date_input(), **kwargs)


def _user_choice_label(user):
    return user.display_name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _user_choice_label(obj)


class ReportFindForm(forms.Form):
    """Step 1 of a report: find the child in the master record."""

    id_number = IdNumberField(
        label=_("The child's ID number"),
        longest=32,
        help_text=_("18 characters, as on the household register or ID card."),
    )
    name = forms.CharField(label=_("The child's name"), max_length=60)


class ReportForm(forms.Form):
    """Step 2: who reports, what gives concern, and what the reporter knows of the parents."""

    reporter_kind = forms.ChoiceField(
        label=_("Reported by"), choices=IntakeReport.ReporterKind.choices
    )
    reporter_name = forms.CharField(
        label=_("Reporter's name or organisation"), max_length=60, required=False
    )
    reporter_contact = forms.CharField(label=_("Reporter's contact"), max_length=60, required=False)
    concern = forms.CharField(
        label=_("What gives concern"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw or heard, and since when."),
    )
    safety_concern = forms.BooleanField(
        label=_("The child's safety is at serious risk now (escalates immediately)"),
        required=False,
    )

    PARENT_FIELDS = (
        ("working_away", _("works away from home")),
        ("missing", _("out of contact")),
        ("restricted_liberty", _("in custody or compulsory treatment")),
    )

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parents = list(parents)
        # Not pre-filled from what child-welfare staff recorded: a reporter may not be entitled
        # to see it. A reporter adds what they know; leaving a box empty changes nothing.
        for parent in self.parents:
            for field, label in self.PARENT_FIELDS:
                self.fields[f"p{parent.pk}_{field}"] = forms.BooleanField(
                    label=f"{parent.name}: {label}", required=False
                )

    def parent_field_names(self, parent):
        return [f"p{parent.pk}_{field}" for field, _label in self.PARENT_FIELDS]

    def circumstances(self) -> dict:
        """What the reporter ticked, per parent (only what they know to be so)."""
        out = {}
        for parent in self.parents:
            known = {
                field: True
                for field, _label in self.PARENT_FIELDS
                if self.cleaned_data[f"p{parent.pk}_{field}"]
            }
            if known:
                out[parent.pk] = known
        return out


class ConfirmCategoryForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Protection category"),
        choices=[c for c in Category.choices if c[0] != Category.PENDING],
        widget=forms.RadioSelect,
    )
    director = UserChoiceField(
        label=_("Children's director responsible"),
        queryset=None,
        required=False,
        empty_label=_("(nobody yet)"),
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when no protection is needed."),
    )

    def __init__(self, *args, directors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["director"].queryset = directors


class AssessmentForm(forms.Form):
    assessed_on = _date_field(_("Assessed on"))
    summary = forms.CharField(
        label=_("Overall summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()
        for area, label in Area.choices:
            self.fields[f"{area}_score"] = forms.TypedChoiceField(
                label=_("%(area)s: need") % {"area": label},
                choices=Score.choices,
                coerce=int,
                widget=forms.RadioSelect,
            )
            self.fields[f"{area}_notes"] = forms.CharField(
                label=_("%(area)s: notes") % {"area": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def area_rows(self):
        return [
            (label, self[f"{area}_score"], self[f"{area}_notes"]) for area, label in Area.choices
        ]

    def areas(self) -> dict:
        return {
            area: (self.cleaned_data[f"{area}_score"], self.cleaned_data[f"{area}_notes"])
            for area in Area.values
        }

    def clean_assessed_on(self):
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class ResourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        free = getattr(obj, "free", None)
        where = obj.region.name if obj.region_id else ""
        text = f"{obj.name}（{obj.get_kind_display()} · {where}）"
        if free is not None:
            text += " · " + str(_("%(n)s place(s) free") % {"n": free})
        return text


class PlanItemForm(forms.Form):
    """One item of the plan: a need found in the assessment, with the resources matched to it."""

    include = forms.BooleanField(label=_("Include in the plan"), required=False, initial=True)
    need = forms.ChoiceField(label=_("Support"), choices=Need.choices)
    resource = ResourceChoiceField(
        label=_("Resource"),
        queryset=None,
        required=False,
        empty_label=_("(no resource: done by the owner)"),
        widget=forms.RadioSelect,
    )
    description = forms.CharField(label=_("What will be done"), max_length=300, required=False)
    owner = UserChoiceField(label=_("Responsible"), queryset=None)
    due_on = _date_field(_("Due"))

    def __init__(self, *args, resources, owners, fixed_need=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources
        self.fields["owner"].queryset = owners
        self.fixed_need = fixed_need
        if fixed_need:
            self.fields["need"].initial = fixed_need
            self.fields["need"].widget = forms.HiddenInput()
        self.fields["due_on"].initial = timezone.localdate() + dt.timedelta(days=30)

    def clean(self):
        data = super().clean()
        if self.fixed_need:
            data["need"] = self.fixed_need
        return data

    def item(self) -> dict:
        d = self.cleaned_data
        return {
            "need": d["need"],
            "resource": d.get("resource"),
            "description": d.get("description", ""),
            "owner": d["owner"],
            "due_on": d["due_on"],
        }


class ReviewForm(forms.Form):
    progress = forms.CharField(
        label=_("What the review found"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"i{item.pk}_status"] = forms.ChoiceField(
                label=_("Status: %(item)s") % {"item": item.get_need_display()},
                choices=SupportItem.Status.choices,
                initial=item.status,
            )
            self.fields[f"i{item.pk}_note"] = forms.CharField(
                label=_("Progress: %(item)s") % {"item": item.get_need_display()},
                required=False,
                max_length=500,
            )

    def item_updates(self) -> dict:
        return {
            item.pk: (
                self.cleaned_data[f"i{item.pk}_status"],
                self.cleaned_data[f"i{item.pk}_note"],
            )
            for item in self.items
        }

    def item_rows(self):
        return [(item, self[f"i{item.pk}_status"], self[f"i{item.pk}_note"]) for item in self.items]


class ItemUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SupportItem.Status.choices)
    progress = forms.CharField(label=_("Progress"), required=False, max_length=500)


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["visited_on", "place", "child_seen", "people_seen", "concerns", "safety_concern"]
        widgets = {
            "visited_on": date_input(),
            "concerns": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()

    def clean_visited_on(self):
        value = self.cleaned_data["visited_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value


class ProfileForm(forms.ModelForm):
    class Meta:
        model = ChildProfile
        fields = ["school", "school_grade", "school_notes", "health_notes", "guardian_consent_on"]
        widgets = {
            "school_notes": forms.Textarea(attrs={"rows": 3}),
            "health_notes": forms.Textarea(attrs={"rows": 3}),
            "guardian_consent_on": date_input(),
        }


class CategoryForm(forms.Form):
    category = forms.ChoiceField(
        label=_("New category"), choices=[c for c in Category.choices if c[0] != Category.PENDING]
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DirectorForm(forms.Form):
    director = UserChoiceField(
        label=_("Children's director"), queryset=None, required=False, empty_label=_("(nobody)")
    )

    def __init__(self, *args, directors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["director"].queryset = directors


class GuardianForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("Relation to the child"), choices=Guardian.Relation.choices
    )
    id_number = IdNumberField(
        label=_("Guardian's ID number"),
        longest=32,
        required=False,
        help_text=_("For a person. Leave empty for an institution."),
    )
    institution_name = forms.CharField(label=_("Institution"), max_length=120, required=False)
    phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    is_de_facto_carer = forms.BooleanField(
        label=_("Looks after the child day to day"), required=False, initial=True
    )

    def clean(self):
        data = super().clean()
        has_id = bool((data.get("id_number") or "").strip())
        has_inst = bool((data.get("institution_name") or "").strip())
        if has_id == has_inst:
            raise forms.ValidationError(
                _("Give either the guardian's ID number or the institution's name.")
            )
        return data


class ParentCircumstanceForm(forms.ModelForm):
    class Meta:
        model = ParentCircumstance
        fields = [
            "working_away",
            "working_away_since",
            "working_in",
            "restricted_liberty",
            "missing",
            "note",
        ]
        widgets = {"working_away_since": date_input()}


class ParentsForm(forms.Form):
    father_id_number = IdNumberField(label=_("Father's ID number"), longest=32, required=False)
    mother_id_number = IdNumberField(label=_("Mother's ID number"), longest=32, required=False)


class AlertResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))


class ChildFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All"))] + Category.choices
    )
    overdue = forms.BooleanField(label=_("Visit overdue only"), required=False)
