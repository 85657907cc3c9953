from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "civilaffairs.casework"
    label = "casework"
    verbose_name = _("Cases")
