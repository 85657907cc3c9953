from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "civilaffairs.insight"
    label = "insight"
    verbose_name = _("Figures and dashboards")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civilaffairs.casework.registry import register_link

        from .queries import application_roles, may_make_scenarios, may_see_figures

        register_link("staff", _("Figures: benefits"), "insight:benefits", visible=may_see_figures)
        register_link(
            "staff",
            _("Figures: applications"),
            "insight:applications",
            visible=lambda user: may_see_figures(user, application_roles()),
        )
        register_link("staff", _("Scenarios"), "insight:scenarios", visible=may_make_scenarios)
