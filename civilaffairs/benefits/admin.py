from django.contrib import admin

from civilaffairs.lib.admin import SimpleHistoryAdmin

from .models import Entitlement, Payment


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ("month", "amount", "status", "paid_at", "note")
    readonly_fields = fields
    ordering = ("-month",)
    max_num = 0


@admin.register(Entitlement)
class EntitlementAdmin(SimpleHistoryAdmin):
    list_display = ("case", "program", "kind", "monthly_amount", "start_month", "end_month")
    list_filter = ("program", "kind")
    raw_id_fields = ("case", "person")
    readonly_fields = ("case", "person", "program", "kind", "created_at")
    inlines = [PaymentInline]
    search_fields = ("case__reference",)

    def has_add_permission(self, request):
        return False  # granted by a case's decision, never typed in


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    list_display = ("entitlement", "month", "amount", "status", "paid_at")
    list_filter = ("status", "month")
    raw_id_fields = ("entitlement", "created_by")
    search_fields = ("entitlement__case__reference",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # results come from the bank's file through an action
