from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "civilaffairs.imports"
    label = "imports"
    verbose_name = _("Imports of legacy data")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civilaffairs.casework.registry import register_link

        from .access import may_import, may_review

        register_link("staff", _("Imports of legacy records"), "imports:list", visible=may_import)
        register_link(
            "staff", _("Possible duplicates to decide"), "imports:review-queue", visible=may_review
        )
