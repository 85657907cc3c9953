"""Administration of the register. Read-mostly: the register changes through approved
applications and the authority's actions (orgs.actions), so that every change has its case and
its history. The administrator links accounts and looks things up here."""

from django.contrib import admin

from civilaffairs.lib.admin import SimpleHistoryAdmin

from .models import (
    AnnualReport,
    CharityProject,
    Delivery,
    LateFiling,
    Match,
    Need,
    Offer,
    OrgAccount,
    Organization,
    OrgApplication,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("name", "uscc", "org_type", "registration_level", "authority", "status")
    list_filter = ("org_type", "registration_level", "status", "is_charity")
    search_fields = ("name", "uscc")
    raw_id_fields = ("legal_representative", "domicile_region", "authority")


@admin.register(OrgAccount)
class OrgAccountAdmin(SimpleHistoryAdmin):
    list_display = ("user", "organization", "role", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("user", "organization")
    search_fields = ("organization__name", "user__username")


@admin.register(OrgApplication)
class OrgApplicationAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("case", "kind", "name", "organization", "applied_at")
    list_filter = ("kind",)
    raw_id_fields = ("case", "organization", "legal_representative", "domicile_region")


@admin.register(AnnualReport)
class AnnualReportAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("organization", "year", "grade", "late")
    list_filter = ("year", "grade", "late")
    raw_id_fields = ("case", "organization", "graded_by")


@admin.register(LateFiling)
class LateFilingAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("organization", "year", "deadline", "flagged_at", "filed_at")
    list_filter = ("year",)


@admin.register(CharityProject)
class CharityProjectAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("name", "organization", "office", "region", "is_open")


@admin.register(Need)
class NeedAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("item", "category", "quantity", "committed", "received", "status", "deadline")
    list_filter = ("status", "category", "urgency")
    raw_id_fields = ("project", "region", "household", "created_by")


@admin.register(Offer)
class OfferAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("item", "category", "quantity", "committed", "received", "status")
    list_filter = ("status", "category")
    raw_id_fields = ("donor", "region")


@admin.register(Match)
class MatchAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("need", "offer", "quantity", "sent", "received", "status")
    list_filter = ("status",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("match", "quantity", "received_quantity", "sent_on", "confirmed_at")
