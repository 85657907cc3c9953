from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "civilaffairs.exchange"
    label = "exchange"
    verbose_name = _("Data sharing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civilaffairs.casework.registry import register_link

        register_link("citizen", _("Who used my data"), "my-data-uses")
