from django.contrib import admin

from .models import Candidate, ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only: a batch is run by the worker and followed on its staff page."""

    list_display = ("pk", "file_name", "region", "uploaded_by", "phase", "total_rows", "created_at")
    list_filter = ("phase",)
    list_select_related = ("region", "uploaded_by")
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    """The log of decisions on possible duplicates: who decided what, when and why."""

    list_display = ("pk", "row", "person", "kind", "score", "decision", "decided_by", "decided_at")
    list_filter = ("decision", "kind")
    list_select_related = ("row", "person", "decided_by")
    readonly_fields = [f.name for f in Candidate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
