"""Administration of elder care. Configuration (service types and prices, providers, workers,
institutions, devices) is edited here with history; what records a decision or an event
(bookings, ratings, allowances, readings, alerts) is shown read-only: it changes through the
actions only. A device platform's token is issued by `manage.py issue_device_token` or the
"issue a new token" action, and shown once."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.admin import SimpleHistoryAdmin
from civilaffairs.lib.masked_fields import MaskedHistoryAdmin, MaskedNumbersInline

from . import actions
from .models import (
    AgeAllowance,
    AgeAllowanceInvitation,
    Alert,
    Booking,
    BookingRating,
    Device,
    DevicePlatform,
    DeviceReading,
    FamilyLink,
    Institution,
    Provider,
    ProviderMember,
    ServiceType,
    Worker,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceType)
class ServiceTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "category", "duration_minutes", "price", "subsidy", "is_active")
    list_filter = ("category", "is_active")


class WorkerInline(MaskedNumbersInline, admin.TabularInline):
    model = Worker
    extra = 0
    fields = ("name", "phone", "qualifications", "is_active")
    masked_fields = {"phone": "masked_phone"}


class MemberInline(admin.TabularInline):
    model = ProviderMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("name", "region", "daily_capacity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "credit_code")
    raw_id_fields = ("region", "coverage")
    filter_horizontal = ("services",)
    inlines = [WorkerInline, MemberInline]


@admin.register(Worker)
class WorkerAdmin(MaskedHistoryAdmin):
    list_display = ("name", "provider", "qualifications", "is_active")
    list_filter = ("provider", "is_active")
    filter_horizontal = ("services",)
    masked_fields = {"phone": "masked_phone"}


@admin.register(Institution)
class InstitutionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "region", "beds_total", "beds_occupied", "star_grade", "is_active")
    list_filter = ("kind", "star_grade", "is_active")
    search_fields = ("name", "address")
    raw_id_fields = ("region", "operator")


@admin.register(DevicePlatform)
class DevicePlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "token_hint", "is_active", "last_used_at")
    fields = ("name", "token_hint", "is_active", "last_used_at")
    readonly_fields = ("token_hint", "last_used_at")
    actions = ["issue_token"]

    def has_add_permission(self, request):
        return False  # manage.py issue_device_token creates one with its token

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def issue_token(self, request, queryset):
        for platform in queryset:
            token = actions.do_rotate_platform_token(platform, acting_user=request.user)
            messages.warning(
                request,
                _("New token for %(name)s (shown only now): %(token)s")
                % {"name": platform.name, "token": token},
            )


@admin.register(Device)
class DeviceAdmin(SimpleHistoryAdmin):
    list_display = ("external_id", "platform", "person", "kind", "is_active")
    list_filter = ("platform", "kind", "is_active")
    raw_id_fields = ("person",)


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ("reference", "service_type", "provider", "starts_at", "status")
    list_filter = ("status", "service_type", "provider")
    search_fields = ("reference",)


@admin.register(BookingRating)
class BookingRatingAdmin(ReadOnlyAdmin):
    list_display = ("booking", "score", "rated_at")


@admin.register(FamilyLink)
class FamilyLinkAdmin(ReadOnlyAdmin):
    list_display = ("elder", "family", "relation", "status", "confirmed_by")
    list_filter = ("status",)


@admin.register(AgeAllowance)
class AgeAllowanceAdmin(ReadOnlyAdmin):
    list_display = ("case", "mode", "threshold", "paid_from", "stopped_on")


@admin.register(AgeAllowanceInvitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("person", "threshold", "status", "sent_at")
    list_filter = ("status",)


@admin.register(DeviceReading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ("event_id", "platform", "kind", "value", "recorded_at")
    list_filter = ("kind", "platform")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("person", "kind", "severity", "status", "created_at")
    list_filter = ("severity", "status", "kind")
