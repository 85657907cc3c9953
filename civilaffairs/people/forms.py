"""The staff registry's forms: registering a person, correcting one, a household and its
members, and merging two records of one person. They check what was typed; the rules of the
register (duplicates, what an ID number says) are people.actions'."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib import idnumber
from civilaffairs.lib.forms import DatePicker, IdField, IdNumberField
from civilaffairs.lib.masked_fields import WriteOnlyNumbers
from civilaffairs.lib.masking import mask_id_number, mask_phone

from .actions import DUPLICATE, MERGE_CHOOSABLE, SURVIVOR, merge_choices
from .models import Household, Membership, Person, Region, parse_id_number

PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,18}[0-9]$"


class RegionField(forms.CharField):
    """A region typed by its name (崇安社区) or code (640104001002), inside the jurisdiction
    the view gives (`prefixes`, None for every region). `allowed` is a code that is accepted
    even outside it: the value the record has now, sent back unchanged."""

    default_error_messages = {
        "none": _("No place called “%(text)s” was found in your area."),
        "several": _(
            "Several places in your area are called “%(text)s”: %(places)s. "
            "Type the code of the one you mean."
        ),
    }

    def __init__(self, *, prefixes=None, allowed: str = "", **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "help_text", _("The name of the village, community or township, or its code.")
        )
        super().__init__(**kwargs)
        self.prefixes = prefixes
        self.allowed = allowed

    def prepare_value(self, value):
        if isinstance(value, Region):
            return f"{value.name} {value.code}"
        return value

    def has_changed(self, initial, data):
        code = initial.code if isinstance(initial, Region) else str(initial or "")
        text = (data or "").split()
        return (text[-1] if text else "") != code

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        code = text.split()[-1]
        if self.allowed and code == self.allowed:
            return Region.objects.get(code=code)
        found = Region.objects.under_prefixes(self.prefixes).answering_to(text)
        if not found:
            raise ValidationError(self.error_messages["none"], "none", {"text": text})
        if len(found) > 1:
            places = "; ".join(f"{r.full_name} {r.code}" for r in found)
            raise ValidationError(
                self.error_messages["several"], "several", {"text": text, "places": places}
            )
        return found[0]


class PersonRegisterForm(forms.Form):
    id_type = forms.ChoiceField(label=_("Document type"), choices=Person.IdType.choices)
    id_number = IdNumberField(
        label=_("Document number"),
        longest=32,
        required=False,
        help_text=_("For a resident ID card the sex and date of birth are read from it."),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), *Person.Sex.choices], required=False
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DatePicker)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=20, required=False)
    hukou_region = RegionField(
        label=_("Household registration (hukou)"),
        required=False,
        help_text=_(
            "Where the hukou is registered, by name or code. Empty: the place the ID number "
            "was issued (without one, the place of residence)."
        ),
    )
    residence_region = RegionField(label=_("Place of residence"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.RegexField(
        label=_("Mobile number"),
        regex=PHONE_PATTERN,
        max_length=20,
        required=False,
        error_messages={"invalid": _("Enter a phone number of digits only (6 to 20).")},
    )

    def __init__(self, *args, prefixes=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("hukou_region", "residence_region"):
            self.fields[name].prefixes = prefixes

    def clean(self):
        data = super().clean()
        id_type = data.get("id_type")
        number = data.get("id_number") or ""
        if id_type == Person.IdType.RESIDENT_ID:
            if not number and "id_number" not in self.errors:
                self.add_error("id_number", _("A resident ID card has a number."))
            elif number:
                try:
                    parsed = parse_id_number(number)
                except ValidationError as exc:
                    self.add_error("id_number", exc)
                else:
                    data["id_number"] = parsed.value
                    if data.get("sex") and data["sex"] != parsed.sex:
                        self.add_error("sex", _("The sex differs from the ID number."))
                    if data.get("birth_date") and data["birth_date"] != parsed.birth_date:
                        self.add_error(
                            "birth_date", _("The date of birth differs from the ID number.")
                        )
        else:
            if id_type == Person.IdType.NONE:
                if number:
                    self.add_error(
                        "id_number", _("Leave the number empty for a person without a document.")
                    )
                data["id_number"] = None
            elif not number and "id_number" not in self.errors:
                self.add_error("id_number", _("Please enter the document number."))
            for field, message in (
                ("sex", _("Please choose the sex.")),
                ("birth_date", _("Please enter the date of birth.")),
            ):
                if not data.get(field) and field not in self.errors:
                    self.add_error(field, message)
        birth = data.get("birth_date")
        if birth and birth > timezone.localdate():
            self.add_error("birth_date", _("The date of birth cannot be in the future."))
        if birth and birth < idnumber.EARLIEST_BIRTH:
            self.add_error("birth_date", _("This date of birth is too early."))
        if id_type != Person.IdType.RESIDENT_ID and data.get("hukou_region") is None:
            data["hukou_region"] = data.get("residence_region")
        return data

    def values(self) -> dict:
        """The action's keywords (people.actions.do_register_person)."""
        d = self.cleaned_data
        return {
            "name": d["name"],
            "id_type": d["id_type"],
            "id_number": d.get("id_number") or None,
            "sex": d.get("sex") or None,
            "birth_date": d.get("birth_date"),
            "hukou_region": d.get("hukou_region"),
            "residence_region": d["residence_region"],
            "address": d.get("address", ""),
            "phone": d.get("phone", ""),
            "ethnicity": d.get("ethnicity", ""),
        }


class PersonCorrectionForm(WriteOnlyNumbers, forms.ModelForm):
    """The facts staff correct (people.actions.PERSON_EDITABLE), with the reason, which goes
    into the record's history. The stored phone number is never put into the page."""

    write_only = {"phone": mask_phone}

    hukou_region = RegionField(label=_("Household registration (hukou)"))
    residence_region = RegionField(label=_("Place of residence"))
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=100,
        help_text=_("Kept in the record's history with your name."),
    )

    class Meta:
        model = Person
        fields = [
            "name",
            "ethnicity",
            "hukou_region",
            "residence_region",
            "address",
            "phone",
            "marital_status",
            "disability_grade",
            "chronic_illness",
            "serious_illness",
        ]

    def __init__(self, *args, prefixes=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("hukou_region", "residence_region"):
            self.fields[name].prefixes = prefixes
            self.fields[name].allowed = getattr(self.instance, f"{name}_id", "") or ""
            if self.instance.pk:
                self.initial[name] = getattr(self.instance, name)

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        if phone and phone != self.instance.phone and not re.fullmatch(PHONE_PATTERN, phone):
            raise ValidationError(_("Enter a phone number of digits only (6 to 20)."))
        return phone

    def _post_clean(self):
        # The action validates the record (people.actions.do_update_person), not the form: a
        # ModelForm would write the values into the instance here.
        pass

    def clean(self):
        data = super().clean()
        if not self.errors and not self.changes():
            raise ValidationError(_("Nothing was changed."))
        return data

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name != "reason" and name in self.cleaned_data
        }


class HouseholdForm(forms.Form):
    region = RegionField(label=_("Region of the household"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    hukou_type = forms.ChoiceField(
        label=_("Hukou type"), choices=Household.HukouType.choices, initial="urban"
    )

    def __init__(self, *args, prefixes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].prefixes = prefixes


def _not_future(day):
    if day and day > timezone.localdate():
        raise ValidationError(_("This date is in the future."))


class AddMemberForm(forms.Form):
    member = forms.CharField(
        label=_("Member's ID number or record number"),
        max_length=40,
        help_text=_("The full ID number, or the record number shown on the person's page."),
    )
    relation = forms.ChoiceField(
        label=_("Relation to head"),
        choices=[c for c in Membership.Relation.choices if c[0] != Membership.Relation.HEAD],
    )
    start_date = forms.DateField(
        label=_("Member from"), widget=DatePicker, validators=[_not_future]
    )

    def __init__(self, *args, people=None, **kwargs):
        kwargs.setdefault("initial", {"start_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.people = people if people is not None else Person.objects.none()

    def clean_member(self):
        text = idnumber.normalize(self.cleaned_data["member"])
        if text.isascii() and text.isdigit() and len(text) <= 12:
            person = self.people.filter(pk=int(text)).first()
        else:
            person = self.people.filter(id_number=text).first()
        if person is None:
            raise ValidationError(
                _(
                    "No one with this number is registered in your area. Register the person "
                    "first, then add them."
                )
            )
        return person


class EndMembershipForm(forms.Form):
    membership = IdField()
    end_date = forms.DateField(label=_("Left on"), widget=DatePicker, validators=[_not_future])

    def __init__(self, *args, household=None, **kwargs):
        kwargs.setdefault("initial", {"end_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.household = household

    def clean_membership(self):
        pk = self.cleaned_data["membership"]
        found = Membership.objects.filter(
            household=self.household, pk=pk, end_date__isnull=True
        ).first()
        if found is None:
            raise ValidationError(_("This person is no longer a member of the household."))
        return found


# ----------------------------------------------------------------------------- merging

A, B = "a", "b"


def _shown(person: Person, field: str) -> str:
    """A record's value as the side-by-side page shows it: numbers masked, the birth date as
    an age (a full birth date beside a masked number would give the number away)."""
    if field == "id_number":
        return mask_id_number(person.id_number) or "—"
    if field == "phone":
        return mask_phone(person.phone) or "—"
    if field == "birth_date":
        return str(_("%(age)s years") % {"age": person.age})
    if field in ("hukou_region", "residence_region"):
        region = getattr(person, field)
        return f"{region.full_name} ({region.code})"
    f = Person._meta.get_field(field)
    value = getattr(person, field)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if value not in ("", None) else "—"


COMPARED = (
    "id_type",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "hukou_region",
    "residence_region",
    "address",
    "phone",
    "marital_status",
    "disability_grade",
    "chronic_illness",
    "serious_illness",
    "date_of_death",
)


# Why a fact that differs is not chosen on the merge page.
NOTES = {
    "id_type": _("the record with a document number decides, else the one that goes on"),
    "id_number": _("the record with a document number decides, else the one that goes on"),
    "sex": _("the record with a document number decides, else the one that goes on"),
    "birth_date": _("the record with a document number decides, else the one that goes on"),
    "date_of_death": _("a recorded death is kept"),
}


class MergeForm(forms.Form):
    """Two records of one person side by side: which record goes on (the other is folded into
    it), and for each fact that differs, whose value to keep."""

    survivor = forms.ChoiceField(
        label=_("Record that goes on"), widget=forms.RadioSelect, choices=[(A, ""), (B, "")]
    )
    reason = forms.CharField(
        label=_("Why these are one person"),
        max_length=150,
        help_text=_("Kept with the merge and in both records' history."),
    )

    def __init__(self, *args, a: Person, b: Person, **kwargs):
        self.a, self.b = a, b
        default_survivor = A if (a.id_number or not b.id_number) else B
        initial = {"survivor": default_survivor}
        survivor, other = (a, b) if default_survivor == A else (b, a)
        defaults = merge_choices(survivor, other)
        kwargs.setdefault("initial", {})
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [
            (A, _("Record no. %(pk)s") % {"pk": a.pk}),
            (B, _("Record no. %(pk)s") % {"pk": b.pk}),
        ]
        self.rows = []
        for field in COMPARED:
            left, right = _shown(a, field), _shown(b, field)
            attname = Person._meta.get_field(field).attname
            same = getattr(a, attname) == getattr(b, attname)
            row = {
                "field": field,
                "label": Person._meta.get_field(field).verbose_name,
                "a": left,
                "b": right,
                "same": same,
                "choice": None,
                "note": "" if same else NOTES.get(field, ""),
            }
            if field in MERGE_CHOOSABLE and not same:
                name = f"keep_{field}"
                whose = defaults[field]
                on_survivor_side = whose == SURVIVOR
                initial[name] = default_survivor if on_survivor_side else _other(default_survivor)
                self.fields[name] = forms.ChoiceField(
                    label=Person._meta.get_field(field).verbose_name,
                    widget=forms.RadioSelect,
                    choices=[(A, left), (B, right)],
                    required=False,  # not chosen: merge_choices' default
                )
                row["choice"] = name
            self.rows.append(row)
        for name, value in initial.items():
            self.initial.setdefault(name, value)

    def bound_rows(self):
        return [
            {**row, "bound": self[row["choice"]] if row["choice"] else None} for row in self.rows
        ]

    def merge_arguments(self) -> dict:
        """survivor, duplicate and `keep` for people.actions.do_merge_persons."""
        d = self.cleaned_data
        survivor, duplicate = (self.a, self.b) if d["survivor"] == A else (self.b, self.a)
        keep = {}
        for row in self.rows:
            if row["choice"] and d.get(row["choice"]):
                keep[row["field"]] = SURVIVOR if d[row["choice"]] == d["survivor"] else DUPLICATE
        return {"survivor": survivor, "duplicate": duplicate, "keep": keep, "reason": d["reason"]}


def _other(side: str) -> str:
    return B if side == A else A
