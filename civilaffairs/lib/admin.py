"""The admin's base class for models with a history (django-simple-history), with two gaps
of its libraries closed.

django-simple-history 3.13 puts the id of its history pages' URLs straight into a query, so
/admin/people/person/abc/history/ (or a version that is not a number) answered 500: the ids
are checked first here, and a wrong one is a 404 like any other page of a row that does not
exist. Django's autocomplete select, shown again after a form error, queries the posted value
as it came ('²' for an office id answered 500): it is shown again with the values its model
can hold only. Same name as the library's class, so an app only changes where it imports it
from.
"""

from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history import admin as history_admin

from .converters import BIGINT_MAX


def _check_id(field, value):
    try:
        value = field.to_python(value)
    except ValidationError:
        raise Http404 from None
    if isinstance(value, int) and not -BIGINT_MAX <= value <= BIGINT_MAX:
        raise Http404


class CheckedAutocompleteSelect(AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        return super().optgroups(name, [v for v in value if _holds(target, v)], attr)


def _holds(field, value) -> bool:
    try:
        _check_id(field, value)
    except Http404:
        return False
    return True


class SimpleHistoryAdmin(history_admin.SimpleHistoryAdmin):
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        _check_id(self.model._meta.pk, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        _check_id(self.model._meta.pk, unquote(object_id))
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        _check_id(history.model._meta.pk, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
