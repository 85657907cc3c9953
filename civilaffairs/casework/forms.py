"""Forms of the case pages. They validate input only; every change goes through an action."""

import functools

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.models import StaffRole, User
from civilaffairs.lib.params import to_id
from civilaffairs.lib.widgets import QuickSelect

from .models import Case, Document
from .registry import service_choices
from .workflow import all_workflows

ANY = ("", _("Any"))
ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def state_choices(service: str | None = None) -> list[tuple[str, str]]:
    """States of one service's workflow, or of every workflow. Workflows may label a state of
    the same name differently; the labels are then joined rather than one picked."""
    return list(_state_choices(service, get_language(), len(all_workflows())))


@functools.lru_cache(maxsize=256)
def _state_choices(service, language, _registered) -> tuple:
    # Workflows are registered in code (at start-up; tests add some): the choices change only
    # with the language and with what is registered.
    labels: dict[str, list[str]] = {}
    workflows = (
        [all_workflows()[service]] if service in all_workflows() else list(all_workflows().values())
    )
    for wf in workflows:
        for s in wf.states.values():
            names = labels.setdefault(s.name, [])
            if str(s.label) not in names:
                names.append(str(s.label))
    return tuple((name, " / ".join(texts)) for name, texts in labels.items())


def state_label(name: str) -> str:
    return dict(state_choices()).get(name, name)


class QueueFilterForm(forms.Form):
    """The GET form above a queue. Invalid values are ignored (the list is shown unfiltered by
    them) and reported next to the field."""

    service = forms.ChoiceField(label=_("Service"), required=False, widget=QuickSelect)
    state = forms.ChoiceField(label=_("Status"), required=False, widget=QuickSelect)
    region = forms.CharField(
        label=_("Area"),
        max_length=40,
        required=False,
        help_text=_("A place name (兴庆区) or the beginning of its code (640104): the whole area."),
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    overdue = forms.ChoiceField(
        label=_("Overdue"),
        required=False,
        choices=[ANY, ("yes", _("Overdue only")), ("no", _("Not overdue"))],
        widget=QuickSelect,
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[ANY, *Case.Priority.choices],
        widget=QuickSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [ANY, *service_choices()]
        self.fields["state"].choices = [ANY, *state_choices()]

    def clean_region(self):
        """A code prefix, or a place name resolved to its code: the same filter either way."""
        from civilaffairs.people.models import Region

        value = self.cleaned_data["region"].strip()
        if not value:
            return ""
        if value.isdigit():
            if not 2 <= len(value) <= 12:
                raise forms.ValidationError(_("Enter 2 to 12 digits of a division code."))
            return value
        places = list(Region.objects.current().filter(name=value).order_by("code")[:6])
        if not places:
            places = list(
                Region.objects.current().filter(name__contains=value).order_by("level", "code")[:6]
            )
        if not places:
            raise forms.ValidationError(
                _("No area is called “%(name)s”. Try part of the name or its code.")
                % {"name": value[:40]}
            )
        if len(places) > 1:
            raise forms.ValidationError(
                _("Several areas match “%(name)s”: %(places)s. Give the code of the one you mean.")
                % {
                    "name": value[:40],
                    "places": "、".join(f"{p.full_name}（{p.code}）" for p in places[:5]),
                }
            )
        return places[0].prefix

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class StepForm(forms.Form):
    """The form of one step of a case (Transition.form), and the bare form of a step without
    one: a reason, required where the step needs one (refusals, returns). A domain's step form
    subclasses it and adds its fields; `case` is the case the step is taken on (for initial
    values and checks against its data), `user` the one taking it.

    On the staff page each step's fields carry the prefix `t-<name>` (several steps' forms
    share one page); the engine, given plain values by code, uses none."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_step_form = True  # what Workflow.check looks for (workflow.py does not import forms)
    # A domain's template for the fields of a step with many (a table of areas, one row per
    # kind of support), included on the case page with `form`; None: each field in turn.
    layout: str | None = None
    # Whether the page shows the reason field: when the step needs a reason, or when a step
    # form declares a reason of its own (a note, an explanation) and sets this.
    ask_reason = False
    # A sentence shown above the step's fields: what to check before taking it.
    instructions = ""

    def __init__(self, *args, transition=None, case=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition, self.case, self.user = transition, case, user
        if transition is not None and transition.needs_reason:
            self.ask_reason = True
            field = self.fields["reason"]
            field.required = True
            field.label = _("Reason (the applicant will read it)")
            field.error_messages["required"] = _(
                "Please write the reason; the applicant will read it."
            )
        if case is not None and not self.is_bound:
            self.initial = {**self.initial_for(case), **self.initial}

    def initial_for(self, case) -> dict:
        """Values the step starts from (what was recorded before): override in a step form."""
        return {}

    def clean_reason(self):
        reason = (self.cleaned_data.get("reason") or "").strip()
        # A reason the applicant reads is words: "-1" stopped a benefit (found by fuzzing).
        words = sum(ch.isalpha() for ch in reason)
        if self.fields["reason"].required and reason and words < 2:
            raise forms.ValidationError(
                _("Please write the reason in words; the applicant will read it.")
            )
        return reason


def step_form(transition, case, data=None, files=None, *, user=None, prefixed=True) -> StepForm:
    """The step's form for `case`: the transition's own, or the bare StepForm."""
    form_class = transition.form or StepForm
    return form_class(
        data,
        files,
        transition=transition,
        case=case,
        user=user,
        prefix=f"t-{transition.name}" if prefixed else None,
    )


class NoteForm(forms.Form):
    prefix = "note"
    text = forms.CharField(
        label=_("Note"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("The note is empty.")},
    )
    public = forms.BooleanField(
        label=_("Show this note to the applicant (it appears on their progress page)"),
        required=False,
    )


class StaffChoiceField(forms.ModelChoiceField):
    """A member of staff, labelled with where they work. The options are read once, as plain
    values (a supervisor's select may list many people); validation goes through the queryset."""

    widget = QuickSelect


def _staff_field(roles, *, label, empty_label):
    role_names = dict(StaffRole.Role.choices)
    where: dict[int, list[str]] = {}
    for user_id, office, role in roles.values_list("user_id", "office__name", "role"):
        text = f"{office} · {role_names.get(role, role)}"
        if text not in where.setdefault(user_id, []):
            where[user_id].append(text)
    users = User.objects.filter(pk__in=list(where)).order_by("username")
    field = StaffChoiceField(queryset=users, required=False, label=label, empty_label=empty_label)
    rows = users.values_list("pk", "username", "first_name", "last_name", "person__name")
    head = [("", empty_label)] if empty_label is not None else []
    field.choices = head + [
        (pk, f"{User.name_to_show(person, first, last, username)} ({'; '.join(where[pk])})")
        for pk, username, first, last, person in rows
    ]
    return field


class AssignForm(forms.Form):
    """Hand a case to a member of staff of its office, or back to the office queue."""

    prefix = "assign"

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = _staff_field(
            StaffRole.objects.none() if roles is None else roles,
            label=_("Assign to"),
            empty_label=_("Nobody: back to the office queue"),
        )


class CaseIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids = {to_id(v) if isinstance(v, str) else None for v in value}
        if None in ids:
            raise ValidationError(_("Invalid case selection."), code="invalid")
        ids = sorted(ids)
        if len(ids) > 500:
            raise ValidationError(_("Select at most 500 cases at a time."), code="too_many")
        return ids


class BulkAssignForm(forms.Form):
    case = CaseIdsField(
        label=_("Cases"),
        error_messages={"required": _("Tick at least one case in the list.")},
    )

    def __init__(self, *args, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = _staff_field(
            StaffRole.objects.none() if roles is None else roles,
            label=_("Assign the ticked cases to"),
            empty_label=None,
        )
        self.fields["assignee"].required = True


class PriorityForm(forms.Form):
    prefix = "prio"
    priority = forms.TypedChoiceField(
        label=_("Priority"), coerce=int, choices=Case.Priority.choices, widget=QuickSelect
    )


def _limit_text() -> str:
    return _("PDF, JPEG or PNG, up to %(mb)s MB. Photos are cleaned of location data.") % {
        "mb": max(settings.UPLOAD_MAX_BYTES // 1048576, 1)
    }


class DocumentUploadForm(forms.Form):
    # No prefix: domain pages post their own upload forms here with plain `kind` and `file`.
    kind = forms.ChoiceField(
        label=_("What is this document?"), choices=Document.Kind.choices, widget=QuickSelect
    )
    file = forms.FileField(
        label=_("File"),
        error_messages={
            "required": _("Choose a file to upload."),
            "empty": _("The file is empty."),
        },
        widget=forms.FileInput(attrs={"accept": ACCEPTED_FILES}),
    )
    shared = forms.BooleanField(
        label=_("Show this document to the applicant"),
        required=False,
        help_text=_("Leave unticked for investigation notes that name third parties."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _limit_text()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
