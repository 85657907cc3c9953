"""Administration of the marriage registry. Registries, their opening periods and slots are
configuration; records, certificates and applications are read-only here: they change only
through the counter's actions, with their history."""

from django.contrib import admin

from civilaffairs.lib.admin import SimpleHistoryAdmin

from .models import (
    Appointment,
    Certificate,
    MarriageApplication,
    MarriageRecord,
    OpeningPeriod,
    RegistrationOffice,
    Slot,
)


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


@admin.register(RegistrationOffice)
class RegistrationOfficeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "office", "slot_minutes", "slot_capacity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "office__name")
    autocomplete_fields = ("office",)
    inlines = [OpeningPeriodInline]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Extra openings (e.g. 5.20, 七夕) and capacity changes for one day."""

    list_display = ("registry", "date", "start", "end", "capacity")
    list_filter = ("registry",)
    date_hierarchy = "date"
    list_editable = ("capacity",)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MarriageRecord)
class MarriageRecordAdmin(ReadOnlyAdmin):
    list_display = ("certificate_number", "registered_on", "registry", "status", "dissolved_on")
    list_filter = ("status", "registry")
    search_fields = ("certificate_number",)
    date_hierarchy = "registered_on"
    raw_id_fields = ("man", "woman")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "holder", "issued_on", "registry", "voided_on")
    list_filter = ("kind", "registry")
    search_fields = ("number",)
    list_select_related = ("holder", "registry")


@admin.register(MarriageApplication)
class MarriageApplicationAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "registry", "cooling_off_ends", "collection_ends")
    list_filter = ("kind", "registry")
    search_fields = ("case__reference",)
    list_select_related = ("case", "registry")


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("application", "slot", "purpose", "status")
    list_filter = ("status", "purpose")
    list_select_related = ("application__case", "slot__registry")
