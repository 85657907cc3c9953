from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildwelfareConfig(AppConfig):
    name = "childwelfare"
    verbose_name = _("Child welfare")
