"""Admin for the case engine: look, do not touch.

Cases, events, documents, screenings and notifications are read-only here: a state changes only
through casework.actions, which lock the row, check the right and write the timeline. Holidays
are configuration and are edited here; saving one clears the cached working calendar. While
this year's or next year's holidays are missing, the holiday list says so: nothing that must
avoid a holiday (a marriage registry's appointments) is opened in a year not loaded.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civilaffairs.accounts.actions import do_create_office, do_update_office
from civilaffairs.accounts.models import Office
from civilaffairs.lib.admin import SimpleHistoryAdmin
from civilaffairs.lib.masking import mask_name

from .calendar import forget_calendar, missing_holiday_years
from .forms import state_choices
from .models import Case, CaseEvent, Document, Holiday, Notification, Screening
from .registry import get_service, service_choices


class ReadOnlyAdminMixin:
    """Viewable by whoever holds the view permission; never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceFilter(admin.SimpleListFilter):
    title = _("service")
    parameter_name = "service"

    def lookups(self, request, model_admin):
        return service_choices()

    def queryset(self, request, queryset):
        return queryset.filter(service=self.value()) if self.value() else queryset


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return state_choices(request.GET.get("service"))

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open or closed")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("closed", _("Closed")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        return {
            "open": queryset.open,
            "closed": queryset.closed,
            "overdue": queryset.overdue,
        }.get(self.value(), queryset.all)()


class CaseEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "transition", "from_state", "to_state", "actor", "public", "message")
    readonly_fields = fields
    ordering = ("at", "id")
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "reference",
        "service_name",
        "state_label",
        "region",
        "office",
        "assignee",
        "submitted_at",
        "due_at",
    )
    list_filter = (ServiceFilter, StateFilter, OpenFilter, "channel", "priority", "outcome")
    search_fields = ("=reference",)
    list_select_related = ("region", "office", "assignee")
    date_hierarchy = "submitted_at"
    show_full_result_count = False  # a count(*) over every case on each page is not needed
    # Person records are opened in the staff workspace, where ID numbers are masked and reveals
    # logged; here only the link-free name.
    fields = (
        "reference",
        "service_name",
        "state_label",
        "applicant_name",
        "region",
        "office",
        "assignee",
        "priority",
        "channel",
        "confidentiality",
        "submitted_at",
        "due_at",
        "closed_at",
        "outcome",
        "outcome_reason",
        "archive_on",
        "screening_outcome",
    )
    readonly_fields = fields
    inlines = [CaseEventInline]

    @admin.display(description=_("service"), ordering="service")
    def service_name(self, obj):
        try:
            return get_service(obj.service).name
        except KeyError:
            return obj.service

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj):
        try:
            return obj.get_state_display()
        except (LookupError, KeyError):
            return obj.state

    @admin.display(description=_("applicant"))
    def applicant_name(self, obj):
        return obj.applicant.name if obj.applicant_id else "—"


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """No file link and no full file name: a file name often carries a person's name; the file
    itself is served only by the staff page, after the jurisdiction check, and logged."""

    list_display = (
        "case",
        "kind",
        "masked_name",
        "content_type",
        "size",
        "confidentiality",
        "uploaded_at",
    )
    list_filter = ("kind", "content_type", "confidentiality")
    search_fields = ("=case__reference",)
    list_select_related = ("case",)
    fields = (
        "case",
        "kind",
        "masked_name",
        "content_type",
        "size",
        "sha256",
        "confidentiality",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields

    @admin.display(description=_("file name"))
    def masked_name(self, obj):
        stem, dot, ext = obj.original_name.rpartition(".")
        if not dot:
            stem, ext = obj.original_name, ""
        return mask_name(stem) + (f".{ext}" if ext else "")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    ordering = ("-date",)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for year in missing_holiday_years():
                messages.warning(
                    request,
                    gettext(
                        "The public holidays of %(year)d are not loaded. Until they are, no "
                        "appointments are offered on days in %(year)d and periods counted into "
                        "it miss its holidays: add them from the State Council's notice."
                    )
                    % {"year": year},
                )
        return super().changelist_view(request, extra_context)

    # Saving configuration and forgetting the cached calendar built from it: no business logic.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_calendar()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_calendar()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        forget_calendar()


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "case", "created_at", "read_at", "emailed_at")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    search_fields = ("=case__reference",)
    list_select_related = ("case",)
    fields = ("title", "body", "case", "event", "created_at", "read_at", "emailed_at")
    readonly_fields = fields


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "program", "ruleset_version", "outcome", "reason", "at")
    list_filter = ("program", "outcome", "reason")
    search_fields = ("=case__reference",)
    list_select_related = ("case",)
    fields = (
        "case",
        "program",
        "ruleset_id",
        "ruleset_version",
        "outcome",
        "reason",
        "facts",
        "parameters",
        "results",
        "at",
    )
    readonly_fields = fields


# ----------------------------------------------------------------------------- offices
# An office is accounts' model, but its admin lives here: the form lists the services the
# domains registered (casework.registry), which accounts, below casework, cannot read. It is
# shown under accounts in the admin all the same (the admin groups by the model's app).


class OfficeForm(forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("services handled"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=service_choices,
    )

    class Meta:
        model = Office
        fields = [
            "name",
            "region",
            "level",
            "services",
            "address",
            "phone",
            "opening_hours",
            "is_active",
        ]


@admin.register(Office)
class OfficeAdmin(SimpleHistoryAdmin):
    form = OfficeForm
    list_display = ["name", "region", "level", "is_active"]
    list_filter = ["level", "is_active"]
    list_select_related = ["region"]
    search_fields = ["name", "=region__code"]
    raw_id_fields = ["region"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        if change:
            do_update_office(obj, acting_user=request.user, **data)
        else:
            office = do_create_office(acting_user=request.user, **data)
            obj.pk = office.pk
