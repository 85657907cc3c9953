"""Forms of the elder-care pages. The booking flow asks one question per page, each a set of
large radio "tiles" (a label the whole width of the page, a 60 px target in large type)."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from civilaffairs.casework.forms import StepForm
from civilaffairs.lib.forms import DatePicker, IdNumberField
from civilaffairs.people.models import Membership, Region

from .models import (
    ADL_ITEMS,
    CareLevel,
    CarePlanItem,
    Cognition,
    HomeVisit,
    LivingSituation,
    Provider,
    ServiceType,
)

# The start times offered in the booking flow and in care plans.
START_TIMES = [
    dt.time(8, 0),
    dt.time(9, 0),
    dt.time(10, 0),
    dt.time(11, 0),
    dt.time(11, 30),
    dt.time(14, 0),
    dt.time(15, 0),
    dt.time(16, 0),
    dt.time(17, 0),
]
BOOKING_DAYS_AHEAD = 14


def _weekday_label(day: dt.date) -> str:
    return str(CarePlanItem.Weekday(day.weekday()).label)


class WhoForm(forms.Form):
    elder = forms.ChoiceField(label=_("Who is the service for?"), widget=forms.RadioSelect)

    def __init__(self, *args, elders, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].choices = [
            (
                str(p.pk),
                _("Myself (%(name)s)") % {"name": p.name} if p.pk == user.person_id else p.name,
            )
            for p in elders
        ]


class ServiceForm(forms.Form):
    service = forms.ChoiceField(label=_("Which service do you need?"), widget=forms.RadioSelect)

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (
                str(s.pk),
                _("%(name)s · %(copay)s yuan to pay (price %(price)s, subsidy %(subsidy)s)")
                % {"name": s.name, "copay": s.copay, "price": s.price, "subsidy": s.subsidy},
            )
            for s in services
        ]


def booking_days(today: dt.date | None = None) -> list[dt.date]:
    today = today or timezone.localdate()
    return [today + dt.timedelta(days=n) for n in range(1, BOOKING_DAYS_AHEAD + 1)]


class DayForm(forms.Form):
    day = forms.ChoiceField(label=_("Which day?"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [
            (d.isoformat(), f"{d.month}/{d.day} {_weekday_label(d)}") for d in booking_days()
        ]


class TimeForm(forms.Form):
    time = forms.ChoiceField(label=_("At what time?"), widget=forms.RadioSelect)

    def __init__(self, *args, duration: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for t in START_TIMES:
            end = (dt.datetime.combine(dt.date.today(), t) + dt.timedelta(minutes=duration)).time()
            choices.append((t.strftime("%H:%M"), f"{t:%H:%M} – {end:%H:%M}"))
        self.fields["time"].choices = choices


class ProviderForm(forms.Form):
    provider = forms.ChoiceField(label=_("Which provider?"), widget=forms.RadioSelect)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(str(p.pk), self.label_of(p)) for p in providers]

    @staticmethod
    def label_of(provider) -> str:
        """Name, phone, and what elders thought of it (eldercare.queries.with_ratings)."""
        parts = [provider.name]
        if provider.phone:
            parts.append(provider.phone)
        count = getattr(provider, "rating_count", 0)
        if count:
            parts.append(
                ngettext(
                    "rated %(average)s out of 5 by %(n)s elder or family",
                    "rated %(average)s out of 5 by %(n)s elders or families",
                    count,
                )
                % {"average": f"{provider.rating_average:.1f}", "n": count}
            )
        else:
            parts.append(gettext("no ratings yet"))
        return " · ".join(parts)


class ConfirmForm(forms.Form):
    address = forms.CharField(label=_("Address of the visit"), max_length=200)
    note = forms.CharField(
        label=_("Anything the worker should know? (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was the visit?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 – Very satisfied")),
            (4, _("4 – Satisfied")),
            (3, _("3 – Acceptable")),
            (2, _("2 – Dissatisfied")),
            (1, _("1 – Very dissatisfied")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FamilyLinkForm(forms.Form):
    elder_name = forms.CharField(label=_("The elder's name"), max_length=60)
    elder_id_number = IdNumberField(label=_("The elder's ID number"))
    relation = forms.ChoiceField(
        label=_("You are the elder's"),
        choices=[
            (Membership.Relation.SON, _("Son")),
            (Membership.Relation.DAUGHTER, _("Daughter")),
            (Membership.Relation.SPOUSE, _("Spouse")),
            (Membership.Relation.GRANDCHILD, _("Grandchild")),
            (Membership.Relation.SIBLING, _("Sibling")),
            (Membership.Relation.OTHER_RELATIVE, _("Other relative")),
            (Membership.Relation.NON_RELATIVE, _("Carer (not a relative)")),
        ],
    )


class CarePlanRequestForm(forms.Form):
    elder = forms.ChoiceField(label=_("Who needs the help?"), widget=forms.RadioSelect)
    request_note = forms.CharField(
        label=_("What help is needed? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, elders, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].choices = WhoForm(elders=elders, user=user).fields["elder"].choices


class StaffRequestForm(forms.Form):
    request_note = forms.CharField(
        label=_("What help is asked for"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssessmentForm(StepForm):
    """The "record_assessment" step: the elder's abilities (GB/T 42195-2022 items), from which
    the care level follows. Taken again before the plan is sent, it replaces the first."""

    assessed_on = forms.DateField(label=_("Assessed on"), widget=DatePicker())
    cognition = forms.ChoiceField(label=_("Cognition"), choices=Cognition.choices)
    living_situation = forms.ChoiceField(
        label=_("Living situation"), choices=LivingSituation.choices
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, scores in ADL_ITEMS:
            self.fields[f"adl_{key}"] = forms.TypedChoiceField(
                label=label, coerce=int, choices=[(s, str(s)) for s in scores]
            )

    def initial_for(self, case) -> dict:
        values = {"assessed_on": timezone.localdate()}
        a = case.careplan.assessment
        if a is not None:
            values.update(cognition=a.cognition, living_situation=a.living_situation, notes=a.notes)
            values.update({f"adl_{k}": v for k, v in a.adl.items()})
        return values

    def adl(self) -> dict:
        return {key: self.cleaned_data[f"adl_{key}"] for key, _label, _scores in ADL_ITEMS}

    @property
    def adl_fields(self) -> list:
        return [self[f"adl_{key}"] for key, _label, _scores in ADL_ITEMS]


class PlanForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    goals = forms.CharField(
        label=_("Goals of care"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=DatePicker(),
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class PlanItemForm(forms.Form):
    service_type = forms.ModelChoiceField(
        label=_("Service"), queryset=ServiceType.objects.filter(is_active=True)
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), coerce=int, choices=CarePlanItem.Weekday.choices
    )
    start_time = forms.ChoiceField(
        label=_("Time"), choices=[(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in START_TIMES]
    )

    def clean_start_time(self):
        return dt.time.fromisoformat(self.cleaned_data["start_time"])


class ApproveForm(StepForm):
    """The "approve_plan" step: the day the plan starts (its visits are booked from then)."""

    starts_on = forms.DateField(label=_("The plan starts on"), widget=DatePicker())

    def initial_for(self, case) -> dict:
        return {"starts_on": timezone.localdate()}


class VisitForm(StepForm):
    """The "record_visit" step of an urgent home visit: when, and what was found."""

    visited_at = forms.DateTimeField(
        label=_("Visited at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    finding = forms.ChoiceField(
        label=_("What was found"), choices=[c for c in HomeVisit.Finding.choices if c[0]]
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def initial_for(self, case) -> dict:
        return {"visited_at": timezone.localtime().replace(second=0, microsecond=0)}


class AssignWorkerForm(forms.Form):
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=None)

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers


class WorkerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    qualifications = forms.CharField(label=_("Qualifications"), max_length=200, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("Services they can give"),
        queryset=ServiceType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = provider.services.filter(is_active=True)


# The largest care institutions in China have a few thousand beds.
MAX_BEDS = 50_000


class OccupancyForm(forms.Form):
    beds_total = forms.IntegerField(label=_("Beds"), min_value=0, max_value=MAX_BEDS)
    beds_occupied = forms.IntegerField(label=_("Beds occupied"), min_value=0, max_value=MAX_BEDS)

    def clean(self):
        data = super().clean()
        total, occupied = data.get("beds_total"), data.get("beds_occupied")
        if total is not None and occupied is not None and occupied > total:
            self.add_error("beds_occupied", _("More beds occupied than the institution has."))
        return data


def search_regions():
    """Cities and counties of the demo province, for the institution search."""
    province = settings.DEMO_PROVINCE_CODE
    return (
        Region.objects.current()
        .filter(code__startswith=Region.prefix_of(province), level__in=[2, 3])
        .exclude(name__in=["市辖区", "县"])
        .order_by("code")
    )


class InstitutionSearchForm(forms.Form):
    region = forms.ChoiceField(label=_("Area"), required=False)
    care_level = forms.TypedChoiceField(
        label=_("Care level needed"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any"))] + list(CareLevel.choices),
    )
    free_beds = forms.BooleanField(label=_("Only with free beds"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Anywhere"))] + [
            (r.code, ("· " if r.level == 3 else "") + r.name) for r in search_regions()
        ]
