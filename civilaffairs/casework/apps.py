from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "civilaffairs.casework"
    label = "casework"
    verbose_name = _("Cases")

    def ready(self):
        from civilaffairs.people import events

        from . import checks, receivers  # noqa: F401 (checks registers itself)

        events.person_died.connect(receivers.flag_open_cases, dispatch_uid="casework-death")
