"""Admin: the resource catalogue is configuration and is kept here. Children's records are not
in the admin at all: they are read only through the child-welfare pages, where access is
narrowed to the responsible staff and every opening is logged."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civilaffairs.lib.admin import SimpleHistoryAdmin

from .actions import RESOURCE_FIELDS, do_save_resource
from .models import Need, Resource


class ResourceForm(forms.ModelForm):
    needs = forms.TypedMultipleChoiceField(
        label=_("support offered"), choices=Need.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Resource
        fields = sorted(RESOURCE_FIELDS)


@admin.register(Resource)
class ResourceAdmin(SimpleHistoryAdmin):
    form = ResourceForm
    list_display = ("name", "kind", "region", "capacity", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "region__name")
    autocomplete_fields = ("region",)

    def save_model(self, request, obj, form, change):
        # Through the action, which keeps the area prefix in step and records the history.
        saved = do_save_resource(
            obj if change else None,
            acting_user=request.user,
            **{f: form.cleaned_data[f] for f in RESOURCE_FIELDS if f in form.cleaned_data},
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        # Plan items point to resources; retire one by unticking "active".
        return False
