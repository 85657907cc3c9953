from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from civilaffairs.lib.admin import SimpleHistoryAdmin
from civilaffairs.lib.masked_fields import MaskedNumbersAdmin
from civilaffairs.lib.masking import mask_phone

from .actions import (
    do_grant_role,
    do_reset_second_factor,
    do_revoke_role,
)
from .models import AccessLog, StaffRole, User

# django-otp's own device admins would let an administrator delete a device without ending
# the user's sessions, or read a secret; the reset action below is the one way (logged).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    fields = ["office", "role", "max_confidentiality", "is_active"]
    raw_id_fields = ["office"]


@admin.register(User)
class UserAdmin(MaskedNumbersAdmin, BaseUserAdmin):
    list_display = [
        "user_name",
        "display_name",
        "masked_phone",
        "is_staff",
        "has_second_factor",
        "is_active",
        "last_login",
    ]
    list_select_related = ["person"]
    actions = ["reset_second_factor"]
    search_fields = ["username", "first_name", "last_name", "person__name"]
    raw_id_fields = ["person"]
    inlines = [StaffRoleInline]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Civil affairs"), {"fields": ("person", "phone", "elder_mode", "language")}),
    )
    masked_fields = {"phone": "masked_phone"}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.phone and obj.username == obj.phone:
            # Signed up with the mobile number as user name: the user name is that number.
            # (The form is already write-only for the phone: MaskedNumbersAdmin.)
            write_only = {**form.write_only, "username": mask_phone}
            return type(form.__name__, (form,), {"write_only": write_only})
        return form

    @admin.display(description=_("username"))
    def user_name(self, obj):
        return str(obj)

    @admin.display(description=pgettext_lazy("person", "name"))
    def display_name(self, obj):
        return obj.display_name

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    def get_queryset(self, request):
        app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(_has_second_factor=Exists(app))

    @admin.display(description=_("second factor set up"), boolean=True)
    def has_second_factor(self, obj):
        return obj._has_second_factor

    @admin.action(
        description=_("Reset the second factor (lost phone): they set up a new app at next login"),
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset):
        users = list(queryset)
        for user in users:
            do_reset_second_factor(user, acting_user=request.user, request=request)
        self.message_user(
            request,
            ngettext(
                "The second factor of %(count)d user was reset and their sessions ended: they "
                "set up a new authenticator app at their next login.",
                "The second factor of %(count)d users was reset and their sessions ended: they "
                "set up a new authenticator app at their next login.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def save_formset(self, request, form, formset, change):
        # Grants go through the actions so each change is in the role's history with its
        # author; a removed grant is deactivated, never deleted, so the history stays.
        if formset.model is StaffRole:
            for obj in formset.save(commit=False):
                _save_grant(request, form.instance, obj)
            for obj in formset.deleted_objects:
                do_revoke_role(obj, acting_user=request.user)
            return
        super().save_formset(request, form, formset, change)


def _save_grant(request, user, obj):
    if obj.pk:
        before = StaffRole.objects.get(pk=obj.pk)
        if (before.office_id, before.role) != (obj.office_id, obj.role):
            do_revoke_role(before, acting_user=request.user)
    grant = do_grant_role(
        user,
        obj.office,
        obj.role,
        acting_user=request.user,
        max_confidentiality=obj.max_confidentiality,
    )
    if not obj.is_active:
        grant = do_revoke_role(grant, acting_user=request.user)
    obj.pk = grant.pk
    return grant


@admin.register(StaffRole)
class StaffRoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "office", "role", "max_confidentiality", "is_active"]
    list_filter = ["role", "is_active", "office__level"]
    list_select_related = ["user", "office"]
    search_fields = ["user__username", "office__name"]
    raw_id_fields = ["user", "office"]

    def save_model(self, request, obj, form, change):
        _save_grant(request, obj.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "content_type", "object_id", "ip_address"]
    list_filter = ["action", "content_type"]
    list_select_related = ["user", "content_type"]
    search_fields = ["user__username", "=object_id"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
