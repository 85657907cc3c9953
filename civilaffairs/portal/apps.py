from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "civilaffairs.portal"
    label = "portal"
    verbose_name = _("Citizen portal")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .security import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="portal.start_idle_clock")
