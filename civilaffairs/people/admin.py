from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib import idnumber
from civilaffairs.lib.admin import SimpleHistoryAdmin
from civilaffairs.lib.masked_fields import MaskedHistoryAdmin

from .actions import PERSON_EDITABLE, do_update_person
from .models import Household, Membership, Person, PersonMerge, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_current"]
    list_filter = ["level", "is_current"]
    search_fields = ["=code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            # A code typed in full or in part finds its subtree.
            return queryset.filter(code__startswith=term), False
        return super().get_search_results(request, queryset, search_term)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["household", "relation", "start_date", "end_date"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(MaskedHistoryAdmin):
    """Masked ID and phone numbers and the age, never the birth date, even for an administrator
    allowed to reveal: the staff person page's logged reveal is the one way to a full number
    (lib/masking.py says why the birth date goes with it)."""

    list_display = [
        "name",
        "masked_id",
        "sex",
        "age",
        "residence_region",
        "marital_status",
        "date_of_death",
    ]
    list_filter = ["sex", "marital_status", "disability_grade", "id_type"]
    list_select_related = ["residence_region"]
    search_fields = ["name"]
    show_full_result_count = False
    readonly_fields = [
        "masked_id",
        "id_type",
        "sex",
        "age",
        "hukou_region",
        "merged_into",
        "date_of_death",
    ]
    fields = [
        "name",
        "masked_id",
        "id_type",
        "sex",
        "age",
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
        "merged_into",
    ]
    raw_id_fields = ["residence_region"]
    inlines = [MembershipInline]
    masked_fields = {"phone": "masked_phone"}

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("age"))
    def age(self, obj):
        return obj.age

    def get_search_results(self, request, queryset, search_term):
        number = idnumber.normalize(search_term)
        if len(number) == 18:
            return queryset.filter(id_number=number), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        # People are registered through sign-up, applications or the staff registry, which
        # check for duplicates first (people.actions).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in PERSON_EDITABLE}
        if changes:
            do_update_person(obj, acting_user=request.user, reason="admin", **changes)


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["id", "head", "region", "hukou_type", "created_at"]
    list_filter = ["hukou_type"]
    list_select_related = ["head", "region"]
    search_fields = ["head__name", "address"]
    raw_id_fields = ["head", "region"]
    inlines = [MembershipInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PersonMerge)
class PersonMergeAdmin(admin.ModelAdmin):
    list_display = ["at", "survivor", "merged", "acting_user", "reason"]
    list_select_related = ["survivor", "merged", "acting_user"]
    readonly_fields = ["survivor", "merged", "acting_user", "reason", "moved", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
