from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "civilaffairs.exchange"
    label = "exchange"
    verbose_name = _("Data sharing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from civilaffairs.benefits import events as benefit_events
        from civilaffairs.casework import events as case_events
        from civilaffairs.casework.registry import register_link
        from civilaffairs.people import events as people_events

        from . import receivers, schema  # noqa: F401 (schema: registers its extensions)

        # After the domains' own receivers (they connect in their ready(), which runs later,
        # but the order does not matter: deliveries are sent only after commit).
        people_events.person_died.connect(receivers.person_died, dispatch_uid="exchange-died")
        benefit_events.entitlement_started.connect(
            receivers.entitlement_started, dispatch_uid="exchange-benefit-started"
        )
        benefit_events.entitlement_stopped.connect(
            receivers.entitlement_stopped, dispatch_uid="exchange-benefit-stopped"
        )
        case_events.case_decided.connect(receivers.case_decided, dispatch_uid="exchange-decided")

        register_link("citizen", _("Who used my data"), "my-data-uses")
