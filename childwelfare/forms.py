import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import User
from civilaffairs.casework.forms import StepForm
from civilaffairs.lib.forms import DatePicker, IdNumberField
from civilaffairs.rules.exceptions import MissingParameter

from . import actions, queries
from .models import (
    AllowanceGrant,
    Area,
    Category,
    ChildProfile,
    Guardian,
    IntakeReport,
    Need,
    ParentCircumstance,
    Resource,
    Score,
    SupportItem,
    SupportPlan,
    Visit,
)


def _date_field(label, **kwargs):
    return forms.DateField(label=label, widget=DatePicker(), **kwargs)


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


class ConfirmCategoryForm(StepForm):
    """The "confirm" step: the worker decides the child's category (the rules only suggest
    it) and may name the children's director. "No protection needed" is its own step
    (close_no_need), which asks for the reason."""

    category = forms.ChoiceField(
        label=_("Protection category"),
        choices=[c for c in Category.choices if c[0] not in (Category.PENDING, Category.NONE)],
        widget=forms.RadioSelect,
    )
    director = UserChoiceField(
        label=_("Children's director responsible"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("(nobody yet)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None:
            self.fields["director"].queryset = queries.directors_for(self.case.region_id)

    def initial_for(self, case) -> dict:
        report = case.child_intake
        suggested = report.suggested_category
        return {
            "category": suggested if suggested not in ("", Category.NONE) else None,
            "director": report.profile.director_id,
        }


class AssessmentForm(StepForm):
    """The "record_assessment" step: the child's need in each of the five areas."""

    layout = "childwelfare/_step_assessment.html"
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

    @staticmethod
    def values(*, assessed_on, areas: dict, summary: str = "") -> dict:
        """The step's fields from {area: (score, notes)}, for code that takes the step."""
        out = {"assessed_on": assessed_on, "summary": summary}
        for area, (score, notes) in areas.items():
            out[f"{area}_score"], out[f"{area}_notes"] = score, notes
        return out

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


class SupportPlanForm(StepForm):
    """The "activate_plan" step: one row for each kind of support, those the assessment found
    needed first and ticked, each with the resources that offer it in the child's area and
    still have room (nearest first), who is responsible and by when. The plan is in force once
    the step is taken."""

    layout = "childwelfare/_step_plan.html"
    ROW_FIELDS = ("include", "resource", "description", "owner", "due_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        if self.case is None:
            return
        case, region = self.case, self.case.region_id
        latest = (
            case.child_assessments.prefetch_related("areas").order_by("-assessed_on", "-id").first()
        )
        found = {a.need: a for a in latest.areas.all() if a.needs_support} if latest else {}
        owners = queries.item_owners_for(region)
        director = case.child_intake.profile.director_id
        default_owner = director or getattr(self.user, "pk", None)
        due = timezone.localdate() + dt.timedelta(days=30)
        for need in sorted(Need.values, key=lambda n: n not in found):
            resources = list(Resource.objects.matching(need, region))
            f = self.fields
            f[f"{need}_include"] = forms.BooleanField(
                label=_("Include in the plan"), required=False, initial=need in found
            )
            f[f"{need}_resource"] = ResourceChoiceField(
                label=_("Resource"),
                queryset=Resource.objects.matching(need, region),
                required=False,
                empty_label=_("(no resource: done by the owner)"),
                widget=forms.RadioSelect,
                initial=resources[0].pk if resources and need in found else None,
            )
            f[f"{need}_description"] = forms.CharField(
                label=_("What will be done"), max_length=300, required=False
            )
            f[f"{need}_owner"] = UserChoiceField(
                label=_("Responsible"), queryset=owners, required=False, initial=default_owner
            )
            f[f"{need}_due_on"] = _date_field(_("Due"), required=False, initial=due)
            self.rows.append(
                {
                    "need": need,
                    "label": Need(need).label,
                    "area": found.get(need),
                    "has_resources": bool(resources),
                    "fields": [self[f"{need}_{name}"] for name in self.ROW_FIELDS],
                }
            )

    @classmethod
    def values(cls, items: list[dict]) -> dict:
        """The step's fields from a list of items (need, resource, owner, due_on, description),
        for code that takes the step."""
        out = {}
        for item in items:
            need = item["need"]
            resource = item.get("resource")
            out[f"{need}_include"] = True
            out[f"{need}_resource"] = getattr(resource, "pk", resource) or ""
            out[f"{need}_description"] = item.get("description", "")
            out[f"{need}_owner"] = getattr(item["owner"], "pk", item["owner"])
            out[f"{need}_due_on"] = item["due_on"]
        return out

    def clean(self):
        data = super().clean()
        items = []
        for row in self.rows:
            need = row["need"]
            if not data.get(f"{need}_include"):
                continue
            for name in ("owner", "due_on"):
                if not data.get(f"{need}_{name}") and f"{need}_{name}" not in self.errors:
                    self.add_error(f"{need}_{name}", _("This field is required."))
            due_on = data.get(f"{need}_due_on")
            if due_on and due_on < timezone.localdate():
                self.add_error(f"{need}_due_on", _("A due date cannot be in the past."))
            items.append(
                {
                    "need": need,
                    "resource": data.get(f"{need}_resource"),
                    "description": data.get(f"{need}_description", ""),
                    "owner": data.get(f"{need}_owner"),
                    "due_on": due_on,
                }
            )
        if not items:
            raise forms.ValidationError(_("Add at least one item to the plan."))
        data["items"] = items
        return data


class ReviewForm(StepForm):
    """The "complete_review" step: each item's status and progress, and what the review found."""

    layout = "childwelfare/_step_review.html"
    progress = forms.CharField(
        label=_("What the review found"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = []
        if self.case is not None:
            plan = SupportPlan.objects.filter(
                profile=self.case.child_intake.profile, status=SupportPlan.Status.ACTIVE
            ).first()
            if plan is not None:
                self.items = list(plan.items.select_related("resource").order_by("pk"))
        for item in self.items:
            self.fields[f"i{item.pk}_status"] = forms.ChoiceField(
                label=_("Status: %(item)s") % {"item": item.get_need_display()},
                choices=SupportItem.Status.choices,
                initial=item.status,
                required=False,
            )
            self.fields[f"i{item.pk}_note"] = forms.CharField(
                label=_("Progress: %(item)s") % {"item": item.get_need_display()},
                required=False,
                max_length=500,
            )

    @staticmethod
    def values(*, progress: str, item_updates: dict | None = None) -> dict:
        """The step's fields from {item pk: (status, note)}, for code that takes the step."""
        out = {"progress": progress}
        for pk, (status, note) in (item_updates or {}).items():
            out[f"i{pk}_status"], out[f"i{pk}_note"] = status, note
        return out

    def clean(self):
        data = super().clean()
        # An item left out of the values keeps its status (code may update only some items).
        data["item_updates"] = {
            item.pk: (data[f"i{item.pk}_status"], data.get(f"i{item.pk}_note", ""))
            for item in self.items
            if data.get(f"i{item.pk}_status")
        }
        return data

    def item_rows(self):
        return [(item, self[f"i{item.pk}_status"], self[f"i{item.pk}_note"]) for item in self.items]


class ApproveAllowanceForm(StepForm):
    """The allowance's "approve" step: the amount follows from the standard in force for the
    child's area and care setting; it is shown, not typed."""

    amount = forms.CharField(
        label=_("Monthly amount (yuan)"),
        required=False,
        disabled=True,
        help_text=_(
            "The amount is the standard in force for the child's area and care setting. "
            "Payments start next month and stop at the month the child turns 18, or earlier "
            "if the category changes."
        ),
    )

    def initial_for(self, case) -> dict:
        grant = case.child_allowance
        setting = actions.care_setting_for(grant.profile)
        try:
            amount = actions.allowance_amount(AllowanceGrant(case=case, care_setting=setting))
        except MissingParameter:
            return {"amount": _("No allowance standard is set for this area.")}
        return {"amount": amount}


class ItemUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SupportItem.Status.choices)
    progress = forms.CharField(label=_("Progress"), required=False, max_length=500)


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["visited_on", "place", "child_seen", "people_seen", "concerns", "safety_concern"]
        widgets = {
            "visited_on": DatePicker(),
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
            "guardian_consent_on": DatePicker(),
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
        widgets = {"working_away_since": DatePicker()}

    def clean_working_away_since(self):
        since = self.cleaned_data["working_away_since"]
        if since is not None and since > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return since

    def clean(self):
        data = super().clean()
        # Where and since when a parent works away only mean something when they do: a date
        # or a place left behind after unticking would still read as "away" elsewhere.
        if not data.get("working_away"):
            for field in ("working_away_since", "working_in"):
                if data.get(field):
                    self.add_error(
                        field,
                        _("Tick “works away from home”, or leave this empty."),
                    )
        return data


class ParentsForm(forms.Form):
    """Correct the parents the register gave: a number names the parent; an empty field keeps
    the parent the record has; a tick removes one the record has wrongly."""

    father_id_number = IdNumberField(
        label=_("Father's ID number"),
        longest=32,
        required=False,
        help_text=_("Leave empty to keep the father the record has."),
    )
    remove_father = forms.BooleanField(
        label=_("Remove the father from the record (not known)"), required=False
    )
    mother_id_number = IdNumberField(
        label=_("Mother's ID number"),
        longest=32,
        required=False,
        help_text=_("Leave empty to keep the mother the record has."),
    )
    remove_mother = forms.BooleanField(
        label=_("Remove the mother from the record (not known)"), required=False
    )

    def clean(self):
        data = super().clean()
        for key in ("father", "mother"):
            if data.get(f"{key}_id_number") and data.get(f"remove_{key}"):
                self.add_error(
                    f"remove_{key}", _("Give an ID number or remove the parent, not both.")
                )
        return data


class AlertResolveForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))


class ChildFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All"))] + Category.choices
    )
    overdue = forms.BooleanField(label=_("Visit overdue only"), required=False)
