from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "civilaffairs.benefits"
    label = "benefits"
    verbose_name = _("Benefits")

    def ready(self):
        from civilaffairs.people import events

        from . import receivers

        events.person_died.connect(receivers.stop_on_death, dispatch_uid="benefits-stop-on-death")
